package attach

import (
	"context"
	"log/slog"
)

// TokenSource gives a provider the OAuth access token to send, for each request. The OAuth flow that
// gets the host a token for a user's drive, and its refreshing, are the host's; a TokenSource hands
// over the current token.
//
// Token is called with the ctx of the Source call it serves, so a host whose drives are per agent can
// pick the agent's token from a value it put in ctx (or register one Source per agent). It must be
// safe for concurrent use. Its error is returned wrapped in an *Error: when the error wraps
// ErrUnavailable (the token server is down) the call is retryable; any other error is reported as
// ErrForbidden (the user must reconnect).
//
// A golang.org/x/oauth2 TokenSource adapts in one line:
//
//	attach.TokenFunc(func(context.Context) (string, error) {
//		t, err := ts.Token()
//		if err != nil {
//			return "", err
//		}
//		return t.AccessToken, nil
//	})
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// TokenFunc adapts a function to a TokenSource.
type TokenFunc func(ctx context.Context) (string, error)

// Token calls f.
func (f TokenFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// StaticToken is a TokenSource that always gives the same token: for tests, and for long-lived tokens
// such as a Box developer token. It prints as "[redacted]" through fmt and slog.
type StaticToken string

// Token returns t.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// String hides the token.
func (StaticToken) String() string { return "[redacted]" }

// GoString hides the token from %#v.
func (StaticToken) GoString() string { return "attach.StaticToken([redacted])" }

// LogValue hides the token from log/slog.
func (StaticToken) LogValue() slog.Value { return slog.StringValue("[redacted]") }
