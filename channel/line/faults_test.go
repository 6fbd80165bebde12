package line_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
)

// clientTimeout is how long the adapter's HTTP client waits in the fault tests: a held request fails
// after it.
const clientTimeout = 300 * time.Millisecond

// Scripted LINE faults through the real adapter: what each failure is (category, status, whether it may
// have been delivered) and what LINE did, and that retrying a push with its retry key never delivers
// twice.
func TestScriptedFaultsOnPush(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		fault     linetest.Fault
		want      error
		status    int
		retryable bool
		mayHave   bool
		after     time.Duration
		delivered bool // LINE delivered the first attempt
	}{
		{"429 with Retry-After", linetest.RateLimit(7 * time.Second), channel.ErrRateLimited, 429, true, false, 7 * time.Second, false},
		{"monthly limit", linetest.MonthlyLimit(), channel.ErrQuotaExceeded, 429, false, false, 0, false},
		{"500", linetest.ServerError(), channel.ErrUnavailable, 500, true, false, 0, false},
		// A client cannot tell a request that timed out before LINE handled it from one LINE accepted:
		// both may have been delivered, and only a retry LINE deduplicates is safe.
		{"timeout before LINE handled it", linetest.Fault{Kind: linetest.TimeoutBefore}, channel.ErrUnavailable, 0, true, true, 0, false},
		{"timeout after LINE accepted it", linetest.Fault{Kind: linetest.TimeoutAfter}, channel.ErrUnavailable, 0, true, true, 0, true},
		{"reset before LINE handled it", linetest.Fault{Kind: linetest.ResetBefore}, channel.ErrUnavailable, 0, true, true, 0, false},
		{"reset after LINE accepted it", linetest.Fault{Kind: linetest.ResetAfter}, channel.ErrUnavailable, 0, true, true, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newLineAPI(t, nil)
			a := api.adapter(t, line.Config{}, &line.Options{HTTPClient: &http.Client{Timeout: clientTimeout}})
			api.Fail(linetest.OpPush, tc.fault)
			msgs := []channel.Message{channel.Text("Your order has shipped")}
			opt := channel.SendOptions{RetryKey: key1}

			_, err := a.Send(t.Context(), channel.User("U1"), msgs, opt)
			require.ErrorIs(t, err, tc.want)
			var apiErr *channel.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tc.status, apiErr.Status)
			require.Equal(t, tc.retryable, channel.IsRetryable(err), "retryable")
			require.Equal(t, tc.mayHave, channel.MayHaveSent(err), "may have sent")
			require.Equal(t, tc.after, channel.RetryAfter(err))
			require.NotContains(t, err.Error(), "Your order", "errors hold no message text")
			want := map[string]int{}
			if tc.delivered {
				want[key1] = 1
			}
			require.Equal(t, want, api.DeliveriesByRetryKey(), "what LINE delivered")

			res, err := a.Send(t.Context(), channel.User("U1"), msgs, opt)
			require.NoError(t, err, "the retry with the same key succeeds")
			require.Equal(t, tc.delivered, res.Duplicate, "a retry of a delivered push is reported as a duplicate")
			require.Equal(t, map[string]int{key1: 1}, api.DeliveriesByRetryKey(), "delivered exactly once")
			d := api.Deliveries()[0]
			require.Equal(t, []string{d.Sent[0].ID}, res.MessageIDs, "the message IDs of the delivery, duplicate or not")
			if tc.delivered {
				require.Equal(t, d.RequestID, res.AcceptedRequestID)
			}
		})
	}
}

// An exhausted quota stops pushes at once and for good; replies stay free.
func TestQuotaExhausted(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, &linetest.Options{MonthlyLimit: 1})
	a := api.adapter(t, line.Config{}, nil)
	_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("1")}, channel.SendOptions{})
	require.NoError(t, err)
	_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("2")}, channel.SendOptions{})
	require.ErrorIs(t, err, channel.ErrQuotaExceeded)
	require.False(t, channel.IsRetryable(err))
	require.False(t, channel.MayHaveSent(err))
	_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("3")}, channel.SendOptions{ReplyToken: api.NewReplyToken("U1")})
	require.NoError(t, err, "replies do not count against the quota")
	q, err := a.Quota(t.Context())
	require.NoError(t, err)
	require.Zero(t, q.Remaining())
}

// A reply whose answer was lost may only be retried with its own token; when the token expired in the
// meantime LINE refuses it, and whether the first attempt was delivered cannot be told from the answer.
func TestReplyTokenExpiredMidRetry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fault     linetest.FaultKind
		delivered int
	}{{linetest.TimeoutBefore, 0}, {linetest.TimeoutAfter, 1}, {linetest.ResetBefore, 0}, {linetest.ResetAfter, 1}} {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			clock := newClock()
			api := newLineAPI(t, &linetest.Options{Now: clock.Now})
			a := api.adapter(t, line.Config{}, &line.Options{Now: clock.Now, HTTPClient: &http.Client{Timeout: clientTimeout}})
			token := api.NewReplyToken("U1")
			api.Fail(linetest.OpReply, linetest.Fault{Kind: tc.fault})
			msgs := []channel.Message{channel.Text("Yes, it ships tomorrow.")}

			_, err := a.Send(t.Context(), channel.User("U1"), msgs, channel.SendOptions{ReplyToken: token})
			require.ErrorIs(t, err, channel.ErrUnavailable)
			require.True(t, channel.MayHaveSent(err), "no answer: the reply may have been delivered")

			clock.Advance(linetest.DefaultReplyTokenTTL + time.Second)
			_, err = a.Send(t.Context(), channel.User("U1"), msgs, channel.SendOptions{ReplyToken: token})
			require.ErrorIs(t, err, channel.ErrReplyTokenInvalid)
			require.False(t, channel.MayHaveSent(err), "this attempt delivered nothing")
			require.Equal(t, tc.delivered, api.DeliveriesByReplyToken()[token], "the retry never delivers twice")
		})
	}
}

// A send that never got a connection to LINE cannot have been delivered: refused, or timed out while
// connecting.
func TestSendThatNeverConnectedWasNotSent(t *testing.T) {
	t.Parallel()
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		a, err := line.New(line.Config{ChannelSecret: secret, AccessToken: "t"},
			&line.Options{APIEndpoint: "http://" + addr, HTTPClient: &http.Client{Timeout: clientTimeout}})
		require.NoError(t, err)
		_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{ReplyToken: "rt"})
		require.ErrorIs(t, err, channel.ErrUnavailable)
		require.False(t, channel.MayHaveSent(err))
	})
	// A dialer that never connects, like a network that drops the SYN: the client gives up while
	// connecting, before the request could reach LINE.
	blackhole := func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	for name, client := range map[string]func() (*http.Client, context.Context){
		"client timeout while connecting": func() (*http.Client, context.Context) {
			return &http.Client{Timeout: clientTimeout, Transport: &http.Transport{DialContext: blackhole}}, t.Context()
		},
		"caller's deadline while connecting": func() (*http.Client, context.Context) {
			ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
			t.Cleanup(cancel)
			return &http.Client{Transport: &http.Transport{DialContext: blackhole}}, ctx
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, ctx := client()
			api := newLineAPI(t, nil)
			a := api.adapter(t, line.Config{}, &line.Options{HTTPClient: c})
			_, err := a.Send(ctx, channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{RetryKey: key1})
			require.ErrorIs(t, err, channel.ErrUnavailable)
			require.False(t, channel.MayHaveSent(err), "it never connected: %v", err)
			var op *net.OpError
			require.True(t, errors.As(err, &op) && op.Op == "dial")
			require.Empty(t, api.Requests())
		})
	}
}
