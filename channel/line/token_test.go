package line_test

import (
	"context"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
)

func TestStatelessTokensAreIssuedAndRenewedAheadOfExpiry(t *testing.T) {
	clock := newClock()
	api := newLineAPI(t, &linetest.Options{ChannelID: "1650000000", ChannelSecret: secret, Now: clock.Now})
	a := api.adapter(t, line.Config{ChannelID: "1650000000", ChannelSecret: secret}, &line.Options{Now: clock.Now})
	send := func() string {
		t.Helper()
		_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{})
		require.NoError(t, err)
		return api.last(t).Header.Get("Authorization")
	}

	require.Equal(t, "Bearer stateless-1", send())
	tokenReq := api.Requests()[0]
	require.Equal(t, "/oauth2/v3/token", tokenReq.Path)
	form, err := url.ParseQuery(string(tokenReq.Body))
	require.NoError(t, err)
	require.Equal(t, "client_credentials", form.Get("grant_type"))
	require.Equal(t, "1650000000", form.Get("client_id"))
	require.Equal(t, secret, form.Get("client_secret"))

	clock.Advance(12 * time.Minute)
	require.Equal(t, "Bearer stateless-1", send(), "a token with 3 minutes left is reused")
	clock.Advance(time.Minute + time.Second)
	require.Equal(t, "Bearer stateless-2", send(), "a token within 2 minutes of expiry is renewed before use")
}

func TestStatelessTokenIsIssuedOnceForConcurrentCallers(t *testing.T) {
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{ChannelID: "1650000000", ChannelSecret: secret}, nil)
	errs := make([]error, 16)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{})
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "call %d", i)
	}
	issued := 0
	for _, r := range api.Requests() {
		if r.Op == linetest.OpToken {
			issued++
		}
	}
	require.Equal(t, 1, issued, "concurrent callers share one issued token")
}

func TestTokenIssueFailures(t *testing.T) {
	api := newLineAPI(t, &linetest.Options{ChannelID: "1650000000", ChannelSecret: secret})
	wrong := api.adapter(t, line.Config{ChannelID: "1650000000", ChannelSecret: "wrong"}, nil)
	_, err := wrong.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{})
	require.ErrorIs(t, err, channel.ErrUnauthorized, "a refused channel secret is an authorization failure")
	require.Contains(t, err.Error(), "invalid_client")
	require.NotContains(t, err.Error(), "wrong", "the secret never appears in errors")

	a := api.adapter(t, line.Config{ChannelID: "1650000000", ChannelSecret: secret}, nil)
	api.Fail(linetest.OpToken, linetest.ServerError())
	_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{})
	require.ErrorIs(t, err, channel.ErrUnavailable)
	_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{})
	require.NoError(t, err, "a failed issue is retried on the next call")

	ctx, cancel := contextCancelled(t)
	defer cancel()
	b := api.adapter(t, line.Config{ChannelID: "1650000000", ChannelSecret: secret}, nil)
	_, err = b.Send(ctx, channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestNewValidatesConfig(t *testing.T) {
	for name, cfg := range map[string]line.Config{
		"no secret":          {AccessToken: "t"},
		"no token and no ID": {ChannelSecret: "s"},
		"endless changeover": {ChannelSecret: "s", AccessToken: "t", PreviousSecret: "p"},
	} {
		_, err := line.New(cfg, nil)
		require.Error(t, err, name)
	}
	_, err := line.New(line.Config{ChannelSecret: "s", AccessToken: "t"}, &line.Options{APIEndpoint: "not a url"})
	require.Error(t, err, "endpoints must be absolute URLs")
	_, err = line.New(line.Config{ChannelSecret: "s", AccessToken: "t"}, &line.Options{MaxBodyBytes: -1})
	require.Error(t, err)
	a, err := line.New(line.Config{ChannelSecret: "s", ChannelID: "1"}, nil)
	require.NoError(t, err, "ID and secret are enough: tokens are issued on use")
	require.Equal(t, "line", a.Kind())
}
