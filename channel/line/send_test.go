package line_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
)

// outboundCases covers every message type the adapter sends.
func outboundCases() map[string]channel.Message {
	emoji := channel.Text("$ Thanks for your order!")
	emoji.Emojis = []channel.Emoji{{Index: 0, Length: 1, ProductID: "5ac1bfd5040ab15980c9b435", EmojiID: "001"}}
	quoted := channel.StickerMessage("446", "1988")
	quoted.QuoteToken = "q-token"
	return map[string]channel.Message{
		"text":          channel.Text("Your order has shipped 📦"),
		"text-emoji":    emoji,
		"image":         channel.Image("https://cdn.example.com/item.jpg", "https://cdn.example.com/item-small.jpg"),
		"video":         channel.Video("https://cdn.example.com/demo.mp4", "https://cdn.example.com/demo.jpg"),
		"audio":         channel.Audio("https://cdn.example.com/note.m4a", 61500*time.Millisecond),
		"sticker":       quoted,
		"location":      channel.LocationMessage("Shop", "1-1 Marunouchi, Tokyo", 35.681236, 139.767125),
		"location-bare": channel.LocationMessage("", "", 35.681236, 139.767125),
		"link":          channel.LinkMessage("https://files.example.com/quote-42.pdf", "Quote #42 (PDF)"),
		"link-untitled": channel.LinkMessage("https://files.example.com/quote-42.pdf", ""),
		"raw-flex":      channel.Raw(json.RawMessage(`{"type":"flex","altText":"Order","contents":{"type":"bubble","body":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"Order #42"}]}}}`)),
	}
}

// The JSON sent for each message type is pinned by a golden file.
func TestSendGolden(t *testing.T) {
	for name, m := range outboundCases() {
		t.Run(name, func(t *testing.T) {
			api := newFakeAPI(t)
			a := api.adapter(t, line.Config{}, nil)
			_, err := a.Send(t.Context(), channel.User("U4af4980629"), []channel.Message{m}, channel.SendOptions{RetryKey: "123e4567-e89b-12d3-a456-426614174000"})
			require.NoError(t, err)
			req := api.last(t)
			var pretty bytes.Buffer
			require.NoError(t, json.Indent(&pretty, req.Body, "", "  "))
			golden(t, "send/"+name+".json", pretty.Bytes())
		})
	}
}

func TestSendPush(t *testing.T) {
	api := newFakeAPI(t)
	a := api.adapter(t, line.Config{}, nil)
	res, err := a.Send(t.Context(), channel.Group("G1", "U1"), []channel.Message{channel.Text("a"), channel.Text("b")},
		channel.SendOptions{RetryKey: "k-1", Silent: true})
	require.NoError(t, err)
	req := api.last(t)
	require.Equal(t, "/v2/bot/message/push", req.Path)
	require.Equal(t, "k-1", req.Header.Get("X-Line-Retry-Key"))
	require.Equal(t, "Bearer long-lived-token", req.Header.Get("Authorization"))
	var body struct {
		To                     string   `json:"to"`
		NotificationDisabled   bool     `json:"notificationDisabled"`
		CustomAggregationUnits []string `json:"customAggregationUnits"`
	}
	require.NoError(t, json.Unmarshal(req.Body, &body))
	require.Equal(t, "G1", body.To, "a push goes to the chat, not the speaking member")
	require.True(t, body.NotificationDisabled)
	require.NotNil(t, body.CustomAggregationUnits, "LINE's spec refuses null aggregation units")
	require.Len(t, res.MessageIDs, 2)
	require.True(t, res.Billable, "a push counts against the quota")
	require.NotEmpty(t, res.RequestID)
	require.False(t, res.Duplicate)
}

func TestSendPushMakesARetryKeyWhenNoneIsGiven(t *testing.T) {
	api := newFakeAPI(t)
	a := api.adapter(t, line.Config{}, nil)
	for range 2 {
		_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("a")}, channel.SendOptions{})
		require.NoError(t, err)
	}
	reqs := api.recorded()
	require.Regexp(t, `^[0-9a-f-]{36}$`, reqs[0].Header.Get("X-Line-Retry-Key"), "LINE wants a UUID")
	require.NotEqual(t, reqs[0].Header.Get("X-Line-Retry-Key"), reqs[1].Header.Get("X-Line-Retry-Key"))
}

// A push retried with an accepted retry key answers 409: it was delivered once, and Send says so.
func TestSendPushRepeatedRetryKeyIsADuplicateNotAnError(t *testing.T) {
	api := newFakeAPI(t)
	a := api.adapter(t, line.Config{}, nil)
	opt := channel.SendOptions{RetryKey: "k-1"}
	first, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("a")}, opt)
	require.NoError(t, err)
	again, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("a")}, opt)
	require.NoError(t, err)
	require.True(t, again.Duplicate)
	require.Equal(t, first.RequestID, again.AcceptedRequestID)
	require.Empty(t, again.MessageIDs, "LINE does not repeat the message IDs")

	api.failNext(http.StatusConflict, "Conflict", nil) // a 409 without an accepted request ID is an error
	_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("a")}, channel.SendOptions{RetryKey: "k-2"})
	require.ErrorIs(t, err, channel.ErrInvalidRequest)
}

func TestSendReply(t *testing.T) {
	api := newFakeAPI(t)
	a := api.adapter(t, line.Config{}, nil)
	res, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("hi")}, channel.SendOptions{ReplyToken: "rt-1", RetryKey: "ignored"})
	require.NoError(t, err)
	req := api.last(t)
	require.Equal(t, "/v2/bot/message/reply", req.Path)
	require.Empty(t, req.Header.Get("X-Line-Retry-Key"), "replies take no retry key")
	require.Contains(t, string(req.Body), `"replyToken":"rt-1"`)
	require.False(t, res.Billable, "replies are free")
	require.Len(t, res.MessageIDs, 1)

	api.failNext(http.StatusBadRequest, "Invalid reply token", nil)
	_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("hi")}, channel.SendOptions{ReplyToken: "rt-1"})
	require.ErrorIs(t, err, channel.ErrReplyTokenInvalid, "a used reply token is detectable, so the caller can push")
	require.ErrorIs(t, err, channel.ErrInvalidRequest)
}

func TestSendRefusesBeforeCallingLINE(t *testing.T) {
	api := newFakeAPI(t)
	a := api.adapter(t, line.Config{}, nil)
	six := make([]channel.Message, 6)
	for i := range six {
		six[i] = channel.Text("x")
	}
	cases := map[string][]channel.Message{
		"six messages":     six,
		"none":             nil,
		"text too long":    {channel.Text(strings.Repeat("😀", 2501))},
		"file":             {{Type: channel.TypeFile, Media: &channel.Media{URL: "https://x.example/f.pdf"}}},
		"insecure image":   {channel.Image("http://x.example/a.jpg", "https://x.example/p.jpg")},
		"raw without type": {channel.Raw(json.RawMessage(`{"altText":"x"}`))},
	}
	for name, msgs := range cases {
		_, err := a.Send(t.Context(), channel.User("U1"), msgs, channel.SendOptions{})
		require.ErrorIs(t, err, channel.ErrInvalidRequest, name)
	}
	_, err := a.Send(t.Context(), channel.Peer{}, []channel.Message{channel.Text("x")}, channel.SendOptions{})
	require.ErrorIs(t, err, channel.ErrInvalidRequest, "no recipient")
	_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text(strings.Repeat("😀", 2500))}, channel.SendOptions{})
	require.NoError(t, err, "exactly 5,000 UTF-16 code units is allowed")
	require.Len(t, api.recorded(), 1, "refused sends never reach LINE")
}

func TestSendErrors(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		message   string
		header    map[string]string
		want      error
		retryable bool
		after     time.Duration
	}{
		{"rate limited", 429, "Too many requests", map[string]string{"Retry-After": "7"}, channel.ErrRateLimited, true, 7 * time.Second},
		{"monthly limit", 429, "You have reached your monthly limit.", nil, channel.ErrQuotaExceeded, false, 0},
		{"unauthorized", 401, "Authentication failed.", nil, channel.ErrUnauthorized, false, 0},
		{"forbidden", 403, "Access to this API is not available for your account", nil, channel.ErrUnauthorized, false, 0},
		{"not found", 404, "Not found", nil, channel.ErrNotFound, false, 0},
		{"invalid", 400, "The request body has 1 error(s)", nil, channel.ErrInvalidRequest, false, 0},
		{"server error", 500, "Internal server error", nil, channel.ErrUnavailable, true, 0},
		{"bad gateway", 502, "", nil, channel.ErrUnavailable, true, 0},
		{"payload too large", 413, "Request entity too large", nil, channel.ErrInvalidRequest, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t)
			a := api.adapter(t, line.Config{}, nil)
			api.failNext(tc.status, tc.message, tc.header)
			_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("secret text 090-1234")}, channel.SendOptions{RetryKey: "k"})
			require.ErrorIs(t, err, tc.want)
			require.Equal(t, tc.retryable, channel.IsRetryable(err))
			var apiErr *channel.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tc.status, apiErr.Status)
			require.Equal(t, "req-1", apiErr.RequestID, "the request ID is kept for LINE's support")
			require.Equal(t, tc.message, apiErr.Message)
			require.Equal(t, tc.after, apiErr.RetryAfter)
			require.Equal(t, "push", apiErr.Op)
			require.NotContains(t, err.Error(), "secret text", "errors hold no message text")
			require.NotContains(t, err.Error(), "long-lived-token", "errors hold no token")
		})
	}
}

func TestSendErrorDetails(t *testing.T) {
	api := newFakeAPI(t)
	a := api.adapter(t, line.Config{}, nil)
	api.answerNext(answer{status: 400, body: `{"message":"The request body has 1 error(s)","details":[{"message":"Length must be between 0 and 5000","property":"messages[0].text"}]}`})
	_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{})
	var apiErr *channel.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, []channel.ErrorDetail{{Property: "messages[0].text", Message: "Length must be between 0 and 5000"}}, apiErr.Details)
	require.Contains(t, err.Error(), "messages[0].text: Length must be between 0 and 5000")
}

func TestSendNetworkFailureIsUnavailable(t *testing.T) {
	api := newFakeAPI(t)
	a := api.adapter(t, line.Config{}, nil)
	api.srv.Close()
	_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{})
	require.ErrorIs(t, err, channel.ErrUnavailable)
	require.True(t, channel.IsRetryable(err))
	require.NotContains(t, err.Error(), api.srv.URL, "transport errors do not repeat the URL (profile URLs hold user IDs)")
}

func TestSendMalformedSuccessIsUnavailable(t *testing.T) {
	api := newFakeAPI(t)
	a := api.adapter(t, line.Config{}, nil)
	api.answerNext(answer{status: 200, body: `{"sentMessages":`})
	_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{RetryKey: "k"})
	require.ErrorIs(t, err, channel.ErrUnavailable, "retrying with the same key is safe: LINE answers 409 if it was delivered")
}

// Concurrent sends each get their own SDK client: contexts never leak between calls.
func TestSendIsSafeForConcurrentUse(t *testing.T) {
	api := newFakeAPI(t)
	a := api.adapter(t, line.Config{}, nil)
	errs := make([]error, 16)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			ctx := t.Context()
			if i%2 == 0 {
				var cancel func()
				ctx, cancel = contextCancelled(t)
				defer cancel()
			}
			_, errs[i] = a.Send(ctx, channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i%2 == 0 {
			require.Error(t, err, "call %d", i)
		} else {
			require.NoError(t, err, "call %d: a cancelled sibling call must not cancel this one", i)
		}
	}
}
