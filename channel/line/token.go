package line

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/channel_access_token"
)

// tokenRefreshMargin is how long before expiry an issued token is renewed: a call that starts with a
// token must not see it expire in flight.
const tokenRefreshMargin = 2 * time.Minute

// tokenSource hands out the channel access token: the configured long-lived one, or a stateless token
// issued from the channel ID and secret and renewed ahead of its 15-minute expiry. Of concurrent callers
// needing a new token, one issues it and the others wait for it (or for their context).
type tokenSource struct {
	a    *Adapter
	lock chan struct{} // a mutex that waiting callers can abandon when their context ends

	token   string
	expires time.Time
}

func newTokenSource(a *Adapter) *tokenSource {
	return &tokenSource{a: a, lock: make(chan struct{}, 1), token: a.cfg.AccessToken}
}

// Token returns a token valid for at least tokenRefreshMargin.
func (s *tokenSource) Token(ctx context.Context) (string, error) {
	if s.a.cfg.AccessToken != "" {
		return s.a.cfg.AccessToken, nil
	}
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.lock }()
	now := s.a.now()
	if s.token != "" && now.Add(tokenRefreshMargin).Before(s.expires) {
		return s.token, nil
	}
	token, ttl, err := s.issue(ctx)
	if err != nil {
		return "", err
	}
	s.token, s.expires = token, now.Add(ttl)
	s.a.log.LogAttrs(ctx, slog.LevelDebug, "line: issued a stateless channel access token",
		slog.String("channel_id", s.a.cfg.ChannelID), slog.Duration("expires_in", ttl))
	return token, nil
}

// issue asks LINE for a stateless channel access token.
func (s *tokenSource) issue(ctx context.Context) (string, time.Duration, error) {
	api, err := channel_access_token.NewChannelAccessTokenAPI(
		channel_access_token.WithEndpoint(s.a.api), channel_access_token.WithHTTPClient(s.a.http))
	if err != nil {
		return "", 0, fmt.Errorf("line: token client: %w", err)
	}
	res, body, err := api.WithContext(ctx).IssueStatelessChannelTokenWithHttpInfo("client_credentials", "", "",
		s.a.cfg.ChannelID, s.a.cfg.ChannelSecret)
	if err != nil {
		return "", 0, s.a.apiError(ctx, "issue token", res, err)
	}
	if body.AccessToken == "" || body.ExpiresIn <= 0 {
		return "", 0, s.a.apiError(ctx, "issue token", res, errMalformedResponse)
	}
	return body.AccessToken, time.Duration(body.ExpiresIn) * time.Second, nil
}
