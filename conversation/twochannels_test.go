package conversation_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

// twoChannels is one conversation service with a LINE channel and a WhatsApp channel, both connected
// through the connect service with their real connectors and adapters, each against a fake of its
// API; webhooks reach the service through the connect webhooks router.
type twoChannels struct {
	clock      *clock
	db         *memstore.Store
	svc        *conversation.Service
	hooks      http.Handler
	lineAPI    *linetest.Server
	waAPI      *watest.Server
	line, wa   store.Channel
	errs       *errorLog
	sendWindow time.Duration // how long the WhatsApp adapter waits for an answer
}

// The two accounts' credentials, as the fakes know them.
const (
	twoLineID, twoLineSecret, twoLineToken = "1650000000", "line-secret-2ch", "line-token-2ch"
	twoWAToken, twoWASecret, twoWAVerify   = "EAA-token-2ch", "wa-app-secret-2ch", "wa-verify-2ch"
	waCustomer                             = "16505551234"
)

// errorLog collects the errors Run reports; read it from the test goroutine only after Flush returned.
type errorLog struct{ errs []error }

func newTwoChannels(t *testing.T) *twoChannels {
	t.Helper()
	c := &clock{now: t0}
	tc := &twoChannels{clock: c, errs: &errorLog{}, sendWindow: 300 * time.Millisecond}
	tc.lineAPI = linetest.NewServer(&linetest.Options{ChannelID: twoLineID, ChannelSecret: twoLineSecret, AccessToken: twoLineToken,
		Now: c.Now, WebhookActive: true, Bot: linetest.BotInfo{BasicID: "@tokyoshop", DisplayName: "Tokyo shop"}})
	t.Cleanup(tc.lineAPI.Close)
	tc.waAPI = watest.NewServer(&watest.Options{AccessToken: twoWAToken, VerifiedName: "Tokyo shop support", Now: c.Now})
	t.Cleanup(tc.waAPI.Close)

	lineConn, err := line.NewConnector(&line.Options{APIEndpoint: tc.lineAPI.URL, DataEndpoint: tc.lineAPI.URL, Now: c.Now,
		HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	require.NoError(t, err)
	waConn := whatsapp.NewConnector(&whatsapp.Options{Endpoint: tc.waAPI.URL, Now: c.Now,
		HTTPClient: &http.Client{Timeout: tc.sendWindow}})
	key, err := connect.GenerateKey("k1")
	require.NoError(t, err)
	sealer, err := connect.NewAESGCM(key)
	require.NoError(t, err)
	reg, err := connect.NewRegistry(sealer, lineConn, waConn)
	require.NoError(t, err)
	tc.db = memstore.New(&memstore.Options{Now: c.Now})
	conn, err := connect.New(tc.db, reg, &connect.Options{Now: c.Now,
		WebhookURL: func(id string) string { return "https://crm.example.com/webhooks/" + id }})
	require.NoError(t, err)

	lineCh, err := conn.Connect(t.Context(), connect.Request{Kind: line.Kind, Name: "Tokyo shop (LINE)", Credentials: channel.Credentials{
		line.CredChannelID: twoLineID, line.CredChannelSecret: twoLineSecret, line.CredAccessToken: twoLineToken}})
	require.NoError(t, err)
	waCh, err := conn.Connect(t.Context(), connect.Request{Kind: whatsapp.Kind, Name: "Tokyo shop (WhatsApp)", Credentials: channel.Credentials{
		whatsapp.CredPhoneNumberID: watest.DefaultPhoneNumberID, whatsapp.CredAccessToken: twoWAToken,
		whatsapp.CredAppSecret: twoWASecret, whatsapp.CredVerifyToken: twoWAVerify}})
	require.NoError(t, err)
	tc.line, tc.wa = lineCh.Channel, waCh.Channel

	tc.svc, err = conversation.New(tc.db, reg, &conversation.Options{Now: c.Now,
		OnError: func(err error) { tc.errs.errs = append(tc.errs.errs, err) }}) // Flush runs jobs in the test goroutine
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/webhooks/{channel}", conn.Webhooks(tc.svc.Receive, nil))
	tc.hooks = mux
	return tc
}

// post delivers a webhook through the router, as the channel would, and returns the status.
func (tc *twoChannels) post(t *testing.T, ch store.Channel, header, signature string, body []byte) int {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/"+ch.ID, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(header, signature)
	w := httptest.NewRecorder()
	tc.hooks.ServeHTTP(w, r)
	return w.Code
}

func (tc *twoChannels) lineWrites(t *testing.T, e linetest.Event) {
	t.Helper()
	body := tc.lineAPI.Webhook(e)
	require.Equal(t, http.StatusOK, tc.post(t, tc.line, line.SignatureHeader, linetest.Sign(twoLineSecret, body), body))
}

func (tc *twoChannels) waPosts(t *testing.T, body []byte) {
	t.Helper()
	require.Equal(t, http.StatusOK, tc.post(t, tc.wa, watest.SignatureHeader, watest.Sign(twoWASecret, body), body))
}

func (tc *twoChannels) flush(t *testing.T) {
	t.Helper()
	_, err := tc.svc.Flush(t.Context())
	require.NoError(t, err)
}

// inbox lists every conversation, by the kind of its channel.
func (tc *twoChannels) inbox(t *testing.T) map[string]store.InboxEntry {
	t.Helper()
	list, _, err := tc.db.ListConversations(t.Context(), store.View{}, store.Page{})
	require.NoError(t, err)
	out := map[string]store.InboxEntry{}
	for _, e := range list {
		ch, err := tc.db.GetChannel(t.Context(), e.Conversation.ChannelID)
		require.NoError(t, err)
		require.NotContains(t, out, ch.Kind, "one conversation per channel here")
		out[ch.Kind] = e
	}
	return out
}

func (tc *twoChannels) part(t *testing.T, id string) store.Message {
	t.Helper()
	m, err := tc.db.GetMessage(t.Context(), id)
	require.NoError(t, err)
	return m
}

// FEATURES F7, issue 17: one service, a LINE and a WhatsApp channel side by side. Both customers land
// in one inbox, each row showing its channel; replies go out through each channel's adapter under each
// channel's rules: WhatsApp's 24-hour window with templates outside it, its receipts moving a part
// forward only, and its sends without retry keys never retried blind.
func TestLINEAndWhatsAppInOneInbox(t *testing.T) {
	t.Parallel()
	tc := newTwoChannels(t)
	ctx := t.Context()

	// Meta verifies the webhook URL with a GET handshake, through the same router.
	hs, err := watest.NewHandshakeRequest(ctx, "https://crm.example.com/webhooks/"+tc.wa.ID, twoWAVerify, "1158201444")
	require.NoError(t, err)
	u, _ := url.Parse(hs.URL.String())
	w := httptest.NewRecorder()
	tc.hooks.ServeHTTP(w, httptest.NewRequest(http.MethodGet, u.RequestURI(), nil))
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "1158201444", w.Body.String())

	// One customer writes on each channel.
	tc.lineWrites(t, linetest.Event{UserID: "U1", Name: "Hanako", Text: "Is the blue one in stock?"})
	tc.waPosts(t, tc.waAPI.Webhook(watest.Inbound{From: waCustomer, Name: "Sheena Nelson", Text: "Does it come in another color?"}))
	before := tc.inbox(t)
	require.Equal(t, "Sheena Nelson", before[whatsapp.Kind].Contact.Profile.DisplayName, "WhatsApp names its sender in the webhook")
	require.Empty(t, before[line.Kind].Contact.Profile.DisplayName, "LINE's profile is fetched after the commit")
	tc.flush(t)

	inbox := tc.inbox(t)
	require.Len(t, inbox, 2, "both customers in one inbox")
	for kind, want := range map[string]struct{ channel, name, peer, preview string }{
		line.Kind:     {tc.line.ID, "Hanako", "U1", "Is the blue one in stock?"},
		whatsapp.Kind: {tc.wa.ID, "Sheena Nelson", waCustomer, "Does it come in another color?"},
	} {
		e := inbox[kind]
		ch, err := tc.db.GetChannel(ctx, e.Conversation.ChannelID)
		require.NoError(t, err)
		require.Equal(t, want.channel, ch.ID, kind)
		require.Contains(t, ch.Name, map[string]string{line.Kind: "(LINE)", whatsapp.Kind: "(WhatsApp)"}[kind], "each row names its account")
		require.Equal(t, want.name, e.Contact.Profile.DisplayName, kind)
		require.Equal(t, want.peer, e.Conversation.Peer.ID, kind)
		require.Equal(t, want.preview, e.Conversation.Preview, kind)
		require.True(t, e.Conversation.Unreplied, kind)
	}
	lineConv, waConv := inbox[line.Kind].Conversation, inbox[whatsapp.Kind].Conversation

	// Replies go out through each channel's adapter: LINE's free reply token, WhatsApp's free-form text
	// inside its window.
	sent, err := tc.svc.Reply(ctx, lineConv.ID, "aiko", conversation.Reply{Text: "Yes, it is."})
	require.NoError(t, err)
	require.Equal(t, store.StatusSent, sent.Parts[0].Status)
	require.Len(t, tc.lineAPI.Deliveries(), 1)
	require.Equal(t, linetest.OpReply, tc.lineAPI.Deliveries()[0].Op)
	waSent, err := tc.svc.Reply(ctx, waConv.ID, "aiko", conversation.Reply{Text: "Blue and red."})
	require.NoError(t, err)
	first := waSent.Parts[0]
	require.Equal(t, store.StatusSent, first.Status)
	require.Len(t, tc.waAPI.Sent(), 1)
	require.Equal(t, "Blue and red.", tc.waAPI.Sent()[0].Text())
	require.Equal(t, waCustomer, tc.waAPI.Sent()[0].To)
	require.Equal(t, tc.waAPI.Sent()[0].ID, first.ChannelMessageID, "the wamid is kept for receipts")
	second, err := tc.svc.Reply(ctx, waConv.ID, "aiko", conversation.Reply{Text: "And green."})
	require.NoError(t, err)

	// Receipts move a part forward only, in whatever order Meta sends them.
	tc.waPosts(t, tc.waAPI.StatusWebhook(watest.Status{MessageID: first.ChannelMessageID, Status: "read"}))
	tc.waPosts(t, tc.waAPI.StatusWebhook(watest.Status{MessageID: first.ChannelMessageID, Status: "delivered"}))
	tc.waPosts(t, tc.waAPI.StatusWebhook(watest.Status{MessageID: first.ChannelMessageID, Status: "sent"}))
	require.Equal(t, store.StatusRead, tc.part(t, first.ID).Status, "a late delivered (or sent) never overwrites read")
	tc.waPosts(t, tc.waAPI.StatusWebhook(watest.Status{MessageID: second.Parts[0].ChannelMessageID, Status: "delivered"}))
	require.Equal(t, store.StatusDelivered, tc.part(t, second.Parts[0].ID).Status)
	tc.waPosts(t, tc.waAPI.StatusWebhook(watest.Status{MessageID: second.Parts[0].ChannelMessageID, Status: "read"}))
	require.Equal(t, store.StatusRead, tc.part(t, second.Parts[0].ID).Status)

	// A day later: WhatsApp's window has closed, LINE's (7 days) has not.
	tc.clock.Advance(25 * time.Hour)
	_, err = tc.svc.Reply(ctx, waConv.ID, "aiko", conversation.Reply{Text: "Still there?"})
	require.ErrorIs(t, err, conversation.ErrTemplateRequired)
	require.ErrorIs(t, err, conversation.ErrOutsideReplyWindow)
	require.Len(t, tc.waAPI.Sent(), 2, "free text outside the window is refused before WhatsApp is called")
	tpl, err := tc.svc.Reply(ctx, waConv.ID, "aiko", conversation.Reply{
		Messages: []channel.Message{channel.TemplateMessage("order_shipped", "en_US", "#42")}})
	require.NoError(t, err, "a template may go outside the window")
	require.Equal(t, store.StatusSent, tpl.Parts[0].Status)
	last := tc.waAPI.Sent()[2]
	require.Equal(t, "template", last.Type)
	require.Contains(t, string(last.Body), `"order_shipped"`)
	pushed, err := tc.svc.Reply(ctx, lineConv.ID, "aiko", conversation.Reply{Text: "Your order has shipped."})
	require.NoError(t, err, "LINE's window is 7 days")
	require.Equal(t, store.StatusSent, pushed.Parts[0].Status)
	require.True(t, pushed.Parts[0].Billable, "LINE's token has expired: a push")

	// The customer writes again; the answer to the next send is lost after WhatsApp delivered it. With
	// no retry key, nothing makes a retry safe: the part ends uncertain and is never sent again.
	tc.waPosts(t, tc.waAPI.Webhook(watest.Inbound{From: waCustomer, Name: "Sheena Nelson", Text: "Where is it now?"}))
	for _, fault := range []watest.FaultKind{watest.TimeoutAfter, watest.ResetAfter} {
		tc.waAPI.Fail(watest.OpSend, watest.Fault{Kind: fault})
		text := "On its way (" + string(fault) + ")."
		lost, err := tc.svc.Reply(ctx, waConv.ID, "aiko", conversation.Reply{Text: text})
		require.NoError(t, err)
		for range 3 {
			tc.clock.Advance(10 * time.Minute)
			tc.flush(t)
		}
		p := tc.part(t, lost.Parts[0].ID)
		require.Equal(t, store.StatusUncertain, p.Status, "%s: %s", fault, p.StatusDetail)
		attempts, delivered := 0, 0
		for _, r := range tc.waAPI.Requests() {
			if r.Op == watest.OpSend && bytes.Contains(r.Body, []byte(text)) {
				attempts++
			}
		}
		for _, s := range tc.waAPI.Sent() {
			if s.Text() == text {
				delivered++
			}
		}
		require.Equal(t, 1, attempts, "%s: never retried blind", fault)
		require.Equal(t, 1, delivered, "%s: WhatsApp had delivered it", fault)
	}
	require.Empty(t, tc.errs.errs)
}
