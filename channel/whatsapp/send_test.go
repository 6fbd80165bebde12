package whatsapp_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
)

const customer = "16505551234"

// openFake is a fake whose customer has written just now: the customer service window is open.
func openFake(t *testing.T) (*fake, *whatsapp.Adapter) {
	t.Helper()
	f := newFake(t, nil)
	f.CustomerWrote(customer, time.Now())
	return f, f.adapter(whatsappConfig(), nil)
}

// Each message type goes out as the request body in its golden file, one request per message.
func TestSendShapes(t *testing.T) {
	t.Parallel()
	quoted := channel.Text("Yes, in blue.")
	quoted.QuotedMessageID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
	captioned := channel.Image("https://shop.example/blue.jpg", "https://shop.example/blue-small.jpg")
	captioned.Text = "The blue one"
	for name, m := range map[string]channel.Message{
		"text":               channel.Text("Does it come in another color?"),
		"text-with-link":     channel.Text("See https://shop.example/blue"),
		"text-reply":         quoted,
		"image":              captioned,
		"video":              channel.Video("https://shop.example/blue.mp4", "https://shop.example/blue.jpg"),
		"audio":              channel.Audio("https://shop.example/hello.ogg", 3*time.Second),
		"sticker-link":       channel.StickerMessage("whatsapp", "https://shop.example/thanks.webp"),
		"location":           channel.LocationMessage("Philz Coffee", "101 Forest Ave, Palo Alto, CA 94301", 37.44221496582, -122.16165924072),
		"link":               channel.LinkMessage("https://shop.example/quote.pdf", "Your quote"),
		"template-params":    {Type: channel.TypeTemplate, Template: &channel.Template{Name: "order_update", Language: "en_US", BodyParams: []string{"Sheena", "#1234"}}},
		"template-bare":      {Type: channel.TypeTemplate, Template: &channel.Template{Name: "hello_world", Language: "en_US"}},
		"template-component": {Type: channel.TypeTemplate, Template: &channel.Template{Name: "sample_issue_resolution", Language: "en_US", Components: json.RawMessage(`[{"type":"body","parameters":[{"type":"text","text":"*Mr. Jones*"}]}]`)}},
		"reaction":           whatsapp.Reaction("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", "👍"),
		"document":           whatsapp.Document("https://shop.example/quote.pdf", "quote.pdf", "Your quote"),
		"raw-interactive":    channel.Raw(json.RawMessage(`{"type":"interactive","interactive":{"type":"button","body":{"text":"Keep the order?"},"action":{"buttons":[{"type":"reply","reply":{"id":"keep","title":"Keep"}}]}}}`)),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, a := openFake(t)
			res, err := a.Send(t.Context(), channel.User(customer), []channel.Message{m}, channel.SendOptions{})
			require.NoError(t, err)
			sent := f.Sent()
			require.Len(t, sent, 1)
			require.Equal(t, []string{sent[0].ID}, res.MessageIDs)
			require.True(t, strings.HasPrefix(sent[0].ID, "wamid."))
			require.Equal(t, m.Type == channel.TypeTemplate, res.Billable, "templates are charged")
			var pretty any
			require.NoError(t, json.Unmarshal(sent[0].Body, &pretty))
			out, _ := json.MarshalIndent(pretty, "", "  ")
			golden(t, "send/"+name+".json", append(out, '\n'))
			req := f.Requests()[0]
			require.Equal(t, "/"+whatsapp.DefaultAPIVersion+"/"+watest.DefaultPhoneNumberID+"/messages", req.Path)
			require.Equal(t, "Bearer "+accessToken, req.Header.Get("Authorization"))
		})
	}
}

func TestSendSeveralMessagesInOrder(t *testing.T) {
	t.Parallel()
	f, a := openFake(t)
	msgs := []channel.Message{channel.Text("one"), channel.Text("two"), channel.Text("three")}
	res, err := a.Send(t.Context(), channel.User(customer), msgs, channel.SendOptions{RetryKey: "ignored"})
	require.NoError(t, err)
	sent := f.Sent()
	require.Len(t, sent, 3)
	for i, s := range sent {
		require.Equal(t, msgs[i].Text, s.Text())
		require.Equal(t, s.ID, res.MessageIDs[i])
	}
	require.NotEmpty(t, res.RequestID)
	require.False(t, res.Billable)
}

// A later message failing after earlier ones went out: the IDs so far and a PartialError, which must
// not be retried as a whole.
func TestSendPartialFailure(t *testing.T) {
	t.Parallel()
	for name, fault := range map[string]watest.Fault{
		"answer":        watest.RateLimit(),
		"timeout after": {Kind: watest.TimeoutAfter},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, nil)
			f.CustomerWrote(customer, time.Now())
			a := f.adapter(whatsappConfig(), &whatsapp.Options{HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}})
			f.Fail(watest.OpSend, watest.Fault{Kind: watest.Pass}, fault)
			res, err := a.Send(t.Context(), channel.User(customer), []channel.Message{channel.Text("one"), channel.Text("two"), channel.Text("three")}, channel.SendOptions{})
			var partial *whatsapp.PartialError
			require.ErrorAs(t, err, &partial)
			require.Equal(t, 1, partial.Sent)
			require.Len(t, res.MessageIDs, 1, "the IDs of what was delivered come back")
			require.Equal(t, res.MessageIDs, partial.MessageIDs)
			require.Equal(t, f.Sent()[0].ID, res.MessageIDs[0])
			require.False(t, channel.IsRetryable(err), "a partly delivered send is not retried as a whole")
			require.True(t, channel.MayHaveSent(err))
			require.Nil(t, channel.Category(err))
			require.Error(t, partial.Err)
			require.Len(t, f.Requests(), 2, "the third message is not tried")
		})
	}

	// The first message failing is an ordinary error: nothing was delivered.
	f, a := openFake(t)
	f.Fail(watest.OpSend, watest.RateLimit())
	res, err := a.Send(t.Context(), channel.User(customer), []channel.Message{channel.Text("one"), channel.Text("two")}, channel.SendOptions{})
	require.ErrorIs(t, err, channel.ErrRateLimited)
	require.Empty(t, res.MessageIDs)
	require.Empty(t, f.Sent())
}

// An answer lost after WhatsApp took the message: the send may have been delivered, and nothing makes a
// retry safe. A send that never reached WhatsApp is known to have delivered nothing.
func TestSendUnknownOutcome(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind      watest.FaultKind
		delivered int
	}{{watest.TimeoutBefore, 0}, {watest.TimeoutAfter, 1}, {watest.ResetBefore, 0}, {watest.ResetAfter, 1}} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			f := newFake(t, nil)
			f.CustomerWrote(customer, time.Now())
			a := f.adapter(whatsappConfig(), &whatsapp.Options{HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}})
			f.Fail(watest.OpSend, watest.Fault{Kind: tc.kind})
			_, err := a.Send(t.Context(), channel.User(customer), []channel.Message{channel.Text("hello")}, channel.SendOptions{})
			require.ErrorIs(t, err, channel.ErrUnavailable)
			require.True(t, channel.MayHaveSent(err), "the answer was lost: it may have been delivered")
			require.Len(t, f.Sent(), tc.delivered)
		})
	}
	dead, err := whatsapp.New(whatsapp.Config{PhoneNumberID: watest.DefaultPhoneNumberID, AccessToken: accessToken, AppSecret: appSecret},
		&whatsapp.Options{Endpoint: "http://127.0.0.1:1", HTTPClient: &http.Client{Timeout: time.Second}})
	require.NoError(t, err)
	_, err = dead.Send(t.Context(), channel.User(customer), []channel.Message{channel.Text("hello")}, channel.SendOptions{})
	require.ErrorIs(t, err, channel.ErrUnavailable)
	require.False(t, channel.MayHaveSent(err), "no connection was made: nothing was sent")
}

// Outside the 24-hour window WhatsApp refuses free-form messages with 131047; templates still go out.
func TestSendOutsideTheWindow(t *testing.T) {
	t.Parallel()
	f := newFake(t, nil)
	a := f.adapter(whatsappConfig(), nil)
	_, err := a.Send(t.Context(), channel.User(customer), []channel.Message{channel.Text("Hi again")}, channel.SendOptions{})
	require.ErrorIs(t, err, channel.ErrInvalidRequest)
	require.ErrorIs(t, err, whatsapp.ErrWindowClosed)
	require.False(t, channel.IsRetryable(err))
	var apiErr *channel.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusBadRequest, apiErr.Status)
	require.Contains(t, apiErr.Error(), "131047")
	require.NotContains(t, apiErr.Error(), "Hi again")

	res, err := a.Send(t.Context(), channel.User(customer), []channel.Message{{Type: channel.TypeTemplate,
		Template: &channel.Template{Name: "hello_world", Language: "en_US"}}}, channel.SendOptions{})
	require.NoError(t, err)
	require.True(t, res.Billable)
}

// Whatever WhatsApp cannot carry is refused before anything is sent.
func TestSendRefusesWhatWhatsAppCannotCarry(t *testing.T) {
	t.Parallel()
	f, a := openFake(t)
	mention := channel.Text("@Sato hi")
	mention.Mentions = []channel.Mention{{Index: 0, Length: 5, UserID: "U1"}}
	quick := channel.Text("Pick one")
	quick.QuickReplies = []channel.QuickReply{{Label: "A", Text: "A"}}
	sender := channel.Text("From Ken")
	sender.Sender = &channel.Sender{Name: "Ken"}
	for name, tc := range map[string]struct {
		to   channel.Peer
		msgs []channel.Message
	}{
		"no messages":     {channel.User(customer), nil},
		"six messages":    {channel.User(customer), []channel.Message{channel.Text("1"), channel.Text("2"), channel.Text("3"), channel.Text("4"), channel.Text("5"), channel.Text("6")}},
		"too long":        {channel.User(customer), []channel.Message{channel.Text(strings.Repeat("😀", 2049))}},
		"mention":         {channel.User(customer), []channel.Message{mention}},
		"quick replies":   {channel.User(customer), []channel.Message{quick}},
		"sender":          {channel.User(customer), []channel.Message{sender}},
		"line sticker":    {channel.User(customer), []channel.Message{channel.StickerMessage("446", "1988")}},
		"raw not object":  {channel.User(customer), []channel.Message{channel.Raw(json.RawMessage(`[1]`))}},
		"raw no type":     {channel.User(customer), []channel.Message{channel.Raw(json.RawMessage(`{"text":{"body":"x"}}`))}},
		"file":            {channel.User(customer), []channel.Message{{Type: channel.TypeFile, Media: &channel.Media{URL: "https://x.example/a.pdf"}}}},
		"room":            {channel.Room("R1", ""), []channel.Message{channel.Text("x")}},
		"no recipient":    {channel.User(""), []channel.Message{channel.Text("x")}},
		"second is wrong": {channel.User(customer), []channel.Message{channel.Text("fine"), channel.Image("http://x.example/a.jpg", "http://x.example/a.jpg")}},
	} {
		_, err := a.Send(t.Context(), tc.to, tc.msgs, channel.SendOptions{})
		require.ErrorIs(t, err, channel.ErrInvalidRequest, name)
		require.False(t, channel.MayHaveSent(err), name)
	}
	require.Empty(t, f.Requests(), "nothing reached WhatsApp")

	// 4,096 UTF-16 code units fit.
	_, err := a.Send(t.Context(), channel.User(customer), []channel.Message{channel.Text(strings.Repeat("a", whatsapp.MaxTextLength))}, channel.SendOptions{})
	require.NoError(t, err)
}

func TestSendToAGroup(t *testing.T) {
	t.Parallel()
	f := newFake(t, nil)
	a := f.adapter(whatsappConfig(), nil)
	_, err := a.Send(t.Context(), channel.Group("Y2FwaV9ncm91cDoxODA1NTU1MDE3Mjo", ""), []channel.Message{channel.Text("Hello all")}, channel.SendOptions{})
	require.NoError(t, err)
	var body struct {
		RecipientType string `json:"recipient_type"`
		To            string `json:"to"`
	}
	require.NoError(t, json.Unmarshal(f.Sent()[0].Body, &body))
	require.Equal(t, "group", body.RecipientType)
}

func TestMarkRead(t *testing.T) {
	t.Parallel()
	f, a := openFake(t)
	const wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
	require.NoError(t, channel.MarkRead(t.Context(), a, wamid))
	require.Equal(t, []string{wamid}, f.Reads())
	require.JSONEq(t, `{"messaging_product":"whatsapp","status":"read","message_id":"`+wamid+`"}`, string(f.Requests()[0].Body))
	require.ErrorIs(t, a.MarkRead(t.Context(), ""), channel.ErrInvalidRequest)
	f.Fail(watest.OpMarkRead, watest.InvalidToken())
	require.ErrorIs(t, a.MarkRead(t.Context(), wamid), channel.ErrUnauthorized)
}

func TestLimitsAndRules(t *testing.T) {
	t.Parallel()
	_, a := openFake(t)
	l, err := channel.LimitsOf(a)
	require.NoError(t, err)
	require.Equal(t, whatsapp.MaxMessages, l.MaxMessages)
	require.Equal(t, 4096, l.MaxTextLength)
	require.False(t, l.Supports(channel.TypeFile))
	require.True(t, l.Supports(channel.TypeTemplate))
	require.False(t, l.QuickReplies || l.Mentions || l.Sender)
	r, err := channel.RulesOf(a)
	require.NoError(t, err)
	require.Equal(t, channel.Rules{Window: 24 * time.Hour, OutsideWindow: channel.OutsideTemplates}, r)
	require.False(t, r.RetryKeys, "WhatsApp has no retry key")
	require.Zero(t, r.ReplyTokenTTL)
}
