package line

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/msgkit/msgkit/channel"
)

var errMalformedResponse = errors.New("malformed response from LINE")

// errorBody is LINE's error answer: the Messaging API's {message, details} or the OAuth endpoint's
// {error, error_description}.
type errorBody struct {
	Message          string                `json:"message"`
	Details          []channel.ErrorDetail `json:"details"`
	Error            string                `json:"error"`
	ErrorDescription string                `json:"error_description"`
}

// apiError turns what an SDK call returned into an error for the caller. The SDK's own error text is
// never used: for non-2xx answers it holds the response body, and for transport errors the request URL.
// Failures without an answer are ErrUnavailable, wrapping the transport error or the ended context.
func (a *Adapter) apiError(ctx context.Context, op string, res *http.Response, err error) error {
	return apiError(ctx, a.now(), op, res, err)
}

// apiError is Adapter.apiError at time now (for Retry-After dates).
func apiError(ctx context.Context, now time.Time, op string, res *http.Response, err error) error {
	e := &channel.APIError{Channel: Kind, Op: op}
	if res == nil { // no answer: a transport error, or the caller's context ended
		e.Category, e.Err = channel.ErrUnavailable, transportCause(err)
		if ctxErr := ctx.Err(); ctxErr != nil {
			e.Err = ctxErr
		}
		return e
	}
	e.RequestID = res.Header.Get("X-Line-Request-Id")
	if res.StatusCode/100 == 2 {
		// LINE accepted the request but its answer did not arrive whole (malformed, or cut off): like a
		// lost answer, Status stays 0, since a send may have been delivered.
		e.Category, e.Err = channel.ErrUnavailable, fmt.Errorf("%w (status %d)", errMalformedResponse, res.StatusCode)
		return e
	}
	e.Status = res.StatusCode
	var body errorBody
	if res.Body != nil {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		_ = json.Unmarshal(raw, &body)
	}
	e.Message, e.Details = body.Message, body.Details
	if e.Message == "" {
		e.Message = strings.TrimSpace(body.Error + " " + body.ErrorDescription)
	}
	e.RetryAfter = retryAfter(res.Header.Get("Retry-After"), now)
	switch s := res.StatusCode; {
	case s == http.StatusTooManyRequests && strings.Contains(strings.ToLower(e.Message), "monthly limit"):
		e.Category = channel.ErrQuotaExceeded
	case s == http.StatusTooManyRequests:
		e.Category = channel.ErrRateLimited
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		e.Category = channel.ErrUnauthorized
	case s == http.StatusNotFound:
		e.Category = channel.ErrNotFound
	case s >= 500:
		e.Category = channel.ErrUnavailable
	case s == http.StatusBadRequest && op == "reply" && strings.Contains(strings.ToLower(e.Message), "reply token"):
		e.Category, e.Reason = channel.ErrInvalidRequest, channel.ErrReplyTokenInvalid
	case s == http.StatusBadRequest && op == "issue token":
		e.Category = channel.ErrUnauthorized // wrong channel ID or secret
	default:
		e.Category = channel.ErrInvalidRequest
	}
	return e
}

// sendError is apiError for a reply or push. A send that failed before the HTTP client got a connection
// to LINE cannot have been delivered: its cause is reported as a dial error (a *net.OpError with Op
// "dial"), for which channel.MayHaveSent reports false, even when the dial was cut short by the context.
func (a *Adapter) sendError(ctx context.Context, op string, res *http.Response, err error, connected bool) error {
	aerr := a.apiError(ctx, op, res, err)
	var e *channel.APIError
	if res != nil || connected || !errors.As(aerr, &e) {
		return aerr
	}
	var dial *net.OpError
	if errors.As(e.Err, &dial) && dial.Op == "dial" {
		return aerr
	}
	e.Err = &net.OpError{Op: "dial", Net: "tcp", Err: e.Err}
	return aerr
}

// transportCause strips the request URL from a transport error, keeping the cause (a dial error, a
// timeout): URLs of profile calls carry user IDs.
func transportCause(err error) error {
	var u *url.Error
	if errors.As(err, &u) {
		return u.Err
	}
	return err
}

// retryAfter parses a Retry-After header (seconds or an HTTP date); 0 when absent or unparsable.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
