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
	"github.com/msgkit/msgkit/channel/line/linetest"
)

const (
	key1 = "123e4567-e89b-12d3-a456-426614174000"
	key2 = "3f1c8a52-6a8e-4b0e-9a51-2c7d1e0b9f44"
)

// outboundCases covers every message type the adapter sends, and every part a message can carry.
func outboundCases() map[string]channel.Message {
	emoji := channel.Text("$ Thanks for your order!")
	emoji.Emojis = []channel.Emoji{{Index: 0, Length: 1, ProductID: "5ac1bfd5040ab15980c9b435", EmojiID: "001"}}
	quoted := channel.StickerMessage("446", "1988")
	quoted.QuoteToken = "q-token"

	const mentionText = "@Hanako @All your table is ready $ {see you}"
	mention := channel.Text(mentionText)
	mention.Mentions = []channel.Mention{
		{Index: 0, Length: len("@Hanako"), UserID: "U4af4980629f0a8c3e43ac0f5e0a3ba1a"},
		{Index: strings.Index(mentionText, "@All"), Length: len("@All"), All: true},
	}
	mention.Emojis = []channel.Emoji{{Index: strings.Index(mentionText, "$"), Length: 1, ProductID: "5ac1bfd5040ab15980c9b435", EmojiID: "002"}}
	mention.QuoteToken = "q-token"

	quick := channel.Text("Which size would you like?")
	quick.QuickReplies = []channel.QuickReply{
		{Label: "S", Text: "Size S"},
		{Label: "M", Text: "Size M", IconURL: "https://cdn.example.com/m.png"},
		{Label: "Talk to staff", Data: "action=handoff&order=42", Text: "I'd like to talk to staff"},
	}
	sender := channel.Text("Hi, Aiko from support here.")
	sender.Sender = &channel.Sender{Name: "Aiko (Support)", IconURL: "https://cdn.example.com/aiko.png"}
	image := channel.Image("https://cdn.example.com/item.jpg", "https://cdn.example.com/item-small.jpg")
	image.Sender = &channel.Sender{Name: "Aiko"}
	image.QuickReplies = []channel.QuickReply{{Label: "Buy", Data: "buy=42"}}
	flex := channel.Raw(json.RawMessage(`{"type":"flex","altText":"Order","contents":{"type":"bubble","body":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"Order #42"}]}}}`))
	flex.QuickReplies = []channel.QuickReply{{Label: "Track", Text: "Where is order #42?"}}
	flex.Sender = &channel.Sender{Name: "Aiko", IconURL: "https://cdn.example.com/aiko.png"}

	return map[string]channel.Message{
		"text":                  channel.Text("Your order has shipped 📦"),
		"text-emoji":            emoji,
		"text-mention":          mention,
		"quick-replies":         quick,
		"sender":                sender,
		"image":                 channel.Image("https://cdn.example.com/item.jpg", "https://cdn.example.com/item-small.jpg"),
		"image-sender-postback": image,
		"video":                 channel.Video("https://cdn.example.com/demo.mp4", "https://cdn.example.com/demo.jpg"),
		"audio":                 channel.Audio("https://cdn.example.com/note.m4a", 61500*time.Millisecond),
		"sticker":               quoted,
		"location":              channel.LocationMessage("Shop", "1-1 Marunouchi, Tokyo", 35.681236, 139.767125),
		"location-bare":         channel.LocationMessage("", "", 35.681236, 139.767125),
		"link":                  channel.LinkMessage("https://files.example.com/quote-42.pdf", "Quote #42 (PDF)"),
		"link-untitled":         channel.LinkMessage("https://files.example.com/quote-42.pdf", ""),
		"raw-flex":              channel.Raw(json.RawMessage(`{"type":"flex","altText":"Order","contents":{"type":"bubble","body":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"Order #42"}]}}}`)),
		"raw-flex-quick-sender": flex,
	}
}

// The JSON sent for each message type is pinned by a golden file.
func TestSendGolden(t *testing.T) {
	t.Parallel()
	for name, m := range outboundCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			api := newLineAPI(t, nil)
			a := api.adapter(t, line.Config{}, nil)
			_, err := a.Send(t.Context(), channel.User("U4af4980629"), []channel.Message{m}, channel.SendOptions{RetryKey: key1})
			require.NoError(t, err)
			req := api.last(t)
			var pretty bytes.Buffer
			require.NoError(t, json.Indent(&pretty, req.Body, "", "  "))
			golden(t, "send/"+name+".json", pretty.Bytes())
		})
	}
}

// A mention goes out as textV2: its span of the text becomes a placeholder, literal braces are doubled,
// and emojis of the same text become substitutions too.
func TestSendMentionsAsTextV2(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{}, nil)
	_, err := a.Send(t.Context(), channel.Group("C1", ""), []channel.Message{outboundCases()["text-mention"]}, channel.SendOptions{RetryKey: key1})
	require.NoError(t, err)
	d := api.Deliveries()
	require.Len(t, d, 1)
	var got struct {
		Type         string `json:"type"`
		Text         string `json:"text"`
		Substitution map[string]struct {
			Type      string `json:"type"`
			Mentionee struct {
				Type   string `json:"type"`
				UserID string `json:"userId"`
			} `json:"mentionee"`
			EmojiID string `json:"emojiId"`
		} `json:"substitution"`
	}
	require.NoError(t, json.Unmarshal(d[0].Messages[0], &got))
	require.Equal(t, "textV2", got.Type)
	require.Equal(t, "{m1} {m2} your table is ready {e1} {{see you}}", got.Text)
	require.Equal(t, "U4af4980629f0a8c3e43ac0f5e0a3ba1a", got.Substitution["m1"].Mentionee.UserID)
	require.Equal(t, "all", got.Substitution["m2"].Mentionee.Type)
	require.Equal(t, "002", got.Substitution["e1"].EmojiID)

	// Spans are in UTF-16 code units: a mention after an emoji outside the BMP starts at 3, not 2.
	m := channel.Text("😀 @Ken hi")
	m.Mentions = []channel.Mention{{Index: 3, Length: 4, UserID: "U1"}}
	_, err = a.Send(t.Context(), channel.Group("C1", ""), []channel.Message{m}, channel.SendOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"😀 {m1} hi"}, api.Deliveries()[1].Texts())
}

func TestSendReportsLimits(t *testing.T) {
	t.Parallel()
	a := newLineAPI(t, nil).adapter(t, line.Config{}, nil)
	l, err := channel.LimitsOf(a)
	require.NoError(t, err)
	require.True(t, l.Mentions)
	require.True(t, l.QuickReplies)
	require.True(t, l.Sender)
	require.Equal(t, 13, l.MaxQuickReplies)
	require.Equal(t, 5, l.MaxMessages)
}

func TestSendPush(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{}, nil)
	res, err := a.Send(t.Context(), channel.Group("G1", "U1"), []channel.Message{channel.Text("a"), channel.Text("b")},
		channel.SendOptions{RetryKey: key1, Silent: true})
	require.NoError(t, err)
	req := api.last(t)
	require.Equal(t, "/v2/bot/message/push", req.Path)
	require.Equal(t, key1, req.Header.Get("X-Line-Retry-Key"))
	require.Equal(t, "Bearer long-lived-token", req.Header.Get("Authorization"))
	var body struct {
		CustomAggregationUnits []string `json:"customAggregationUnits"`
	}
	require.NoError(t, json.Unmarshal(req.Body, &body))
	require.NotNil(t, body.CustomAggregationUnits, "LINE's spec refuses null aggregation units")
	d := api.Deliveries()
	require.Len(t, d, 1)
	require.Equal(t, "G1", d[0].To, "a push goes to the chat, not the speaking member")
	require.True(t, d[0].NotificationDisabled)
	require.Equal(t, []string{"a", "b"}, d[0].Texts())
	require.Equal(t, []string{d[0].Sent[0].ID, d[0].Sent[1].ID}, res.MessageIDs)
	require.True(t, res.Billable, "a push counts against the quota")
	require.Equal(t, d[0].RequestID, res.RequestID)
	require.False(t, res.Duplicate)
}

func TestSendPushMakesARetryKeyWhenNoneIsGiven(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{}, nil)
	for range 2 {
		_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("a")}, channel.SendOptions{})
		require.NoError(t, err)
	}
	keys := api.DeliveriesByRetryKey()
	require.Len(t, keys, 2, "each call has its own key")
	for k := range keys {
		require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, k, "LINE wants a UUID")
	}
}

// A push retried with an accepted retry key answers 409: it was delivered once, and Send says so, with
// the message IDs of the accepted request.
func TestSendPushRepeatedRetryKeyIsADuplicateNotAnError(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{}, nil)
	opt := channel.SendOptions{RetryKey: key1}
	first, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("a")}, opt)
	require.NoError(t, err)
	again, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("a")}, opt)
	require.NoError(t, err)
	require.True(t, again.Duplicate)
	require.Equal(t, first.RequestID, again.AcceptedRequestID)
	require.NotEqual(t, first.RequestID, again.RequestID)
	require.Equal(t, first.MessageIDs, again.MessageIDs, "LINE's 409 carries the accepted request's sentMessages")
	require.Equal(t, map[string]int{key1: 1}, api.DeliveriesByRetryKey())

	api.Fail(linetest.OpPush, linetest.ErrorAnswer(http.StatusConflict, "Conflict")) // without an accepted request ID it is an error
	_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("a")}, channel.SendOptions{RetryKey: key2})
	require.ErrorIs(t, err, channel.ErrInvalidRequest)
}

// LINE refuses a retry key that is not a UUID with a 400 no retry can fix: the adapter refuses it first.
func TestSendRetryKeyMustBeAUUID(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{}, nil)
	for _, bad := range []string{"k-1", "123e4567e89b12d3a456426614174000", "urn:uuid:123e4567-e89b-12d3-a456-426614174000",
		"{123e4567-e89b-12d3-a456-426614174000}", "123e4567-e89b-12d3-a456-42661417400g", " 123e4567-e89b-12d3-a456-42661417400"} {
		_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("a")}, channel.SendOptions{RetryKey: bad})
		require.ErrorIs(t, err, channel.ErrInvalidRequest, "%q", bad)
		require.ErrorContains(t, err, "UUID")
		require.False(t, channel.MayHaveSent(err), "refused before sending")
	}
	require.Empty(t, api.Requests(), "malformed keys never reach LINE")
	_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("a")}, channel.SendOptions{RetryKey: strings.ToUpper(key1)})
	require.NoError(t, err, "hexadecimal digits in either case")
	token := api.NewReplyToken("U1")
	_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("a")}, channel.SendOptions{ReplyToken: token, RetryKey: "k-1"})
	require.NoError(t, err, "replies ignore the retry key")
}

func TestSendReply(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{}, nil)
	token := api.NewReplyToken("U1")
	res, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("hi")}, channel.SendOptions{ReplyToken: token, RetryKey: key1})
	require.NoError(t, err)
	req := api.last(t)
	require.Equal(t, "/v2/bot/message/reply", req.Path)
	require.Empty(t, req.Header.Get("X-Line-Retry-Key"), "replies take no retry key")
	require.False(t, res.Billable, "replies are free")
	require.Len(t, res.MessageIDs, 1)
	require.Equal(t, map[string]int{token: 1}, api.DeliveriesByReplyToken())

	_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("hi")}, channel.SendOptions{ReplyToken: token})
	require.ErrorIs(t, err, channel.ErrReplyTokenInvalid, "a used reply token is detectable, so the caller can push")
	require.ErrorIs(t, err, channel.ErrInvalidRequest)
	require.False(t, channel.MayHaveSent(err), "LINE answered: nothing was delivered by this attempt")
	require.Equal(t, map[string]int{token: 1}, api.DeliveriesByReplyToken())
}

func TestSendRefusesBeforeCallingLINE(t *testing.T) {
	t.Parallel()
	six := make([]channel.Message, 6)
	for i := range six {
		six[i] = channel.Text("x")
	}
	with := func(m channel.Message, f func(*channel.Message)) []channel.Message {
		f(&m)
		return []channel.Message{m}
	}
	buttons := func(n int) []channel.QuickReply {
		q := make([]channel.QuickReply, n)
		for i := range q {
			q[i] = channel.QuickReply{Label: "b", Text: "b"}
		}
		return q
	}
	hi := channel.Text("Hi @Ken")
	cases := []struct {
		name string
		msgs []channel.Message
		want string // a fragment of the error
	}{
		{"six messages", six, "6 messages"},
		{"none", nil, "0 messages"},
		{"text too long", []channel.Message{channel.Text(strings.Repeat("😀", 2501))}, "5002 UTF-16"},
		{"file", []channel.Message{{Type: channel.TypeFile, Media: &channel.Media{URL: "https://x.example/f.pdf"}}}, "link"},
		{"insecure image", []channel.Message{channel.Image("http://x.example/a.jpg", "https://x.example/p.jpg")}, "https"},
		{"raw without type", []channel.Message{channel.Raw(json.RawMessage(`{"altText":"x"}`))}, "type"},
		{"14 quick replies", with(channel.Text("x"), func(m *channel.Message) { m.QuickReplies = buttons(14) }), "14 quick replies"},
		{"quick replies not on the last message", []channel.Message{with(channel.Text("x"), func(m *channel.Message) { m.QuickReplies = buttons(1) })[0], channel.Text("y")}, "last message"},
		{"long label", with(channel.Text("x"), func(m *channel.Message) {
			m.QuickReplies = []channel.QuickReply{{Label: strings.Repeat("a", 21), Text: "a"}}
		}), "label is 21"},
		{"empty label", with(channel.Text("x"), func(m *channel.Message) { m.QuickReplies = []channel.QuickReply{{Text: "a"}} }), "label is empty"},
		{"button without text or data", with(channel.Text("x"), func(m *channel.Message) { m.QuickReplies = []channel.QuickReply{{Label: "a"}} }), "text (or data)"},
		{"long postback data", with(channel.Text("x"), func(m *channel.Message) {
			m.QuickReplies = []channel.QuickReply{{Label: "a", Data: strings.Repeat("d", 301)}}
		}), "data is 301"},
		{"insecure icon", with(channel.Text("x"), func(m *channel.Message) {
			m.QuickReplies = []channel.QuickReply{{Label: "a", Text: "a", IconURL: "http://x.example/i.png"}}
		}), "icon must be an absolute https URL"},
		{"long sender name", with(channel.Text("x"), func(m *channel.Message) { m.Sender = &channel.Sender{Name: strings.Repeat("n", 21)} }), "sender name is 21"},
		{"insecure sender icon", with(channel.Text("x"), func(m *channel.Message) { m.Sender = &channel.Sender{IconURL: "http://x.example/i.png"} }), "sender icon"},
		{"mention past the text", with(hi, func(m *channel.Message) { m.Mentions = []channel.Mention{{Index: 3, Length: 5, UserID: "U1"}} }), "outside the text"},
		{"negative mention", with(hi, func(m *channel.Message) { m.Mentions = []channel.Mention{{Index: -1, Length: 2, UserID: "U1"}} }), "outside the text"},
		{"empty mention", with(hi, func(m *channel.Message) { m.Mentions = []channel.Mention{{Index: 3, UserID: "U1"}} }), "length must be positive"},
		{"mention without user", with(hi, func(m *channel.Message) { m.Mentions = []channel.Mention{{Index: 3, Length: 4}} }), "user ID (or All)"},
		{"overlapping mentions", with(hi, func(m *channel.Message) {
			m.Mentions = []channel.Mention{{Index: 3, Length: 4, UserID: "U1"}, {Index: 4, Length: 3, UserID: "U2"}}
		}), "overlaps"},
		{"mention splitting a character", with(channel.Text("😀 hi"), func(m *channel.Message) { m.Mentions = []channel.Mention{{Index: 1, Length: 2, UserID: "U1"}} }), "splits a character"},
		{"mention on an image", with(channel.Image("https://x.example/a.jpg", "https://x.example/p.jpg"), func(m *channel.Message) {
			m.Mentions = []channel.Mention{{Index: 0, Length: 1, UserID: "U1"}}
		}), "only in text"},
		{"emoji on a link", with(channel.LinkMessage("https://x.example/q.pdf", "Quote"), func(m *channel.Message) {
			m.Emojis = []channel.Emoji{{Index: 0, Length: 1, ProductID: "p", EmojiID: "e"}}
		}), "only in text"},
		{"quote on an image", with(channel.Image("https://x.example/a.jpg", "https://x.example/p.jpg"), func(m *channel.Message) { m.QuoteToken = "q" }), "quotes only"},
		{"raw with its own quick reply", with(channel.Raw(json.RawMessage(`{"type":"flex","quickReply":{"items":[]}}`)), func(m *channel.Message) {
			m.QuickReplies = []channel.QuickReply{{Label: "a", Text: "a"}}
		}), `own "quickReply"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newLineAPI(t, nil)
			a := api.adapter(t, line.Config{}, nil)
			_, err := a.Send(t.Context(), channel.User("U1"), tc.msgs, channel.SendOptions{})
			require.ErrorIs(t, err, channel.ErrInvalidRequest)
			require.ErrorContains(t, err, tc.want)
			require.False(t, channel.MayHaveSent(err), "refused before sending")
			require.Empty(t, api.Requests(), "refused sends never reach LINE")
		})
	}
	t.Run("limits exactly", func(t *testing.T) {
		t.Parallel()
		api := newLineAPI(t, nil)
		a := api.adapter(t, line.Config{}, nil)
		_, err := a.Send(t.Context(), channel.Peer{}, []channel.Message{channel.Text("x")}, channel.SendOptions{})
		require.ErrorIs(t, err, channel.ErrInvalidRequest, "no recipient")
		m := channel.Text(strings.Repeat("😀", 2500))
		m.QuickReplies = buttons(13)
		m.QuickReplies[0].Label = strings.Repeat("a", 20)
		m.QuickReplies[1].Label = strings.Repeat("👍🏽", 20) // LINE counts labels in grapheme clusters: 20, not 80
		m.Sender = &channel.Sender{Name: strings.Repeat("n", 20)}
		_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{m}, channel.SendOptions{})
		require.NoError(t, err, "5,000 UTF-16 code units, 13 buttons, 20-character labels and names are allowed")
		require.Len(t, api.Deliveries(), 1)
	})
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		fault     linetest.Fault
		want      error
		retryable bool
		after     time.Duration
	}{
		{"rate limited", linetest.RateLimit(7 * time.Second), channel.ErrRateLimited, true, 7 * time.Second},
		{"monthly limit", linetest.MonthlyLimit(), channel.ErrQuotaExceeded, false, 0},
		{"unauthorized", linetest.ErrorAnswer(401, "Authentication failed."), channel.ErrUnauthorized, false, 0},
		{"forbidden", linetest.ErrorAnswer(403, "Access to this API is not available for your account"), channel.ErrUnauthorized, false, 0},
		{"not found", linetest.ErrorAnswer(404, "Not found"), channel.ErrNotFound, false, 0},
		{"invalid", linetest.ErrorAnswer(400, "The request body has 1 error(s)"), channel.ErrInvalidRequest, false, 0},
		{"server error", linetest.ServerError(), channel.ErrUnavailable, true, 0},
		{"bad gateway", linetest.Fault{Kind: linetest.Answer, Status: 502}, channel.ErrUnavailable, true, 0},
		{"payload too large", linetest.ErrorAnswer(413, "Request entity too large"), channel.ErrInvalidRequest, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newLineAPI(t, nil)
			a := api.adapter(t, line.Config{}, nil)
			api.Fail(linetest.OpPush, tc.fault)
			_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("secret text 090-1234")}, channel.SendOptions{RetryKey: key1})
			require.ErrorIs(t, err, tc.want)
			require.Equal(t, tc.retryable, channel.IsRetryable(err))
			require.False(t, channel.MayHaveSent(err), "LINE answered: nothing was delivered")
			var apiErr *channel.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tc.fault.Status, apiErr.Status)
			require.Equal(t, api.last(t).RequestID, apiErr.RequestID, "the request ID is kept for LINE's support")
			var body struct{ Message string }
			_ = json.Unmarshal([]byte(tc.fault.Body), &body)
			require.Equal(t, body.Message, apiErr.Message)
			require.Equal(t, tc.after, apiErr.RetryAfter)
			require.Equal(t, "push", apiErr.Op)
			require.NotContains(t, err.Error(), "secret text", "errors hold no message text")
			require.NotContains(t, err.Error(), "long-lived-token", "errors hold no token")
			require.Empty(t, api.Deliveries())
		})
	}
}

func TestSendErrorDetails(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{}, nil)
	api.Fail(linetest.OpPush, linetest.Fault{Kind: linetest.Answer, Status: 400,
		Body: `{"message":"The request body has 1 error(s)","details":[{"message":"Length must be between 0 and 5000","property":"messages[0].text"}]}`})
	_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{})
	var apiErr *channel.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, []channel.ErrorDetail{{Property: "messages[0].text", Message: "Length must be between 0 and 5000"}}, apiErr.Details)
	require.Contains(t, err.Error(), "messages[0].text: Length must be between 0 and 5000")
}

func TestSendConnectionRefusedIsUnavailableAndNotSent(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{}, nil)
	api.Close()
	_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{})
	require.ErrorIs(t, err, channel.ErrUnavailable)
	require.True(t, channel.IsRetryable(err))
	require.False(t, channel.MayHaveSent(err), "nothing reaches a server that refuses the connection")
	require.NotContains(t, err.Error(), api.URL, "transport errors do not repeat the URL (profile URLs hold user IDs)")
}

// A 200 whose body does not decode was accepted by LINE: the send may have been delivered.
func TestSendMalformedSuccessIsUnavailable(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{}, nil)
	api.Fail(linetest.OpPush, linetest.Fault{Kind: linetest.Answer, Status: 200, Body: `{"sentMessages":`})
	_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("x")}, channel.SendOptions{RetryKey: key1})
	require.ErrorIs(t, err, channel.ErrUnavailable, "retrying with the same key is safe: LINE answers 409 if it was delivered")
	require.True(t, channel.MayHaveSent(err), "LINE accepted the request")
	var apiErr *channel.APIError
	require.ErrorAs(t, err, &apiErr)
	require.NotEmpty(t, apiErr.RequestID)
}

// Concurrent sends each get their own SDK client: contexts never leak between calls.
func TestSendIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
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
	require.Len(t, api.Deliveries(), 8)
}
