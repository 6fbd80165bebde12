package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
	"unicode/utf16"

	"golang.org/x/crypto/bcrypt"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
	"github.com/msgkit/msgkit/examples/minimal/internal/web"
	"github.com/msgkit/msgkit/store"
)

// The demo accounts' credentials, known to the fakes of demo mode and given to the connect service as an
// administrator would give real ones.
const (
	demoLineID, demoLineSecret, demoLineToken = "1656000000", "demo-line-secret", "demo-line-token"
	demoWAToken, demoWASecret, demoWAVerify   = "demo-wa-token", "demo-wa-app-secret", "demo-wa-verify-token"
	demoSalesRole                             = "sales"
)

// demoSignIn is a demo user and the password printed at start. The demo listens on the loopback
// interface by default; its passwords are no secret.
type demoSignIn struct {
	user     auth.User
	password string
}

// demoSignIns are the demo's users: three agents in the role "sales", who take new conversations in
// turn, and an administrator, who connects channels and sets assignment rules.
var demoSignIns = []demoSignIn{
	{auth.User{ID: "admin", Name: "Alex Admin", Admin: true, TimeZone: "UTC"}, "admin-demo"},
	{auth.User{ID: "aiko", Name: "Aiko Tanaka", Roles: []string{demoSalesRole}, TimeZone: "Asia/Tokyo"}, "aiko-demo"},
	{auth.User{ID: "ben", Name: "Ben Carter", Roles: []string{demoSalesRole}, TimeZone: "America/New_York"}, "ben-demo"},
	{auth.User{ID: "chika", Name: "Chika Mori", Roles: []string{demoSalesRole}, TimeZone: "Asia/Tokyo"}, "chika-demo"},
}

// demoUsers returns the demo's users, their passwords hashed (at bcrypt's lowest cost: they are printed
// anyway).
func demoUsers() (*auth.Users, error) {
	list := make([]auth.User, len(demoSignIns))
	for i, s := range demoSignIns {
		h, err := bcrypt.GenerateFromPassword([]byte(s.password), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		list[i] = s.user
		list[i].PasswordHash = string(h)
	}
	return auth.NewUsers(list)
}

// demoRule is the demo channels' assignment rule: round robin over the role "sales".
var demoRule = store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolRole, PoolIDs: []string{demoSalesRole}}

// demo is demo mode: fakes of LINE's and WhatsApp's APIs, and of a cloud drive, on local ports, and the
// channels connected to them.
type demo struct {
	line  *linetest.Server
	wa    *watest.Server
	drive *driveFake
	files *crmFiles
	media *httptest.Server // the files channels fetch, over TLS
	// hooks is the base URL webhooks are POSTed to: this server's own listener, so that the demo's
	// customers go through the same route as real channels' webhooks.
	hooks    string
	client   *http.Client
	channels map[string]store.Channel // by kind

	mu   sync.Mutex
	seq  int64
	last map[string]string // user → the last message /demo/customer sent for them, which "unsend" takes back
}

// newDemo starts the fakes. Their IDs count from the time of this start, in microseconds, so that a demo
// restarted on its database never repeats a message ID an earlier run stored (which would leave a reply
// recorded under it queued for ever).
func newDemo() *demo {
	base := time.Now().UnixMicro()
	d := &demo{channels: map[string]store.Channel{}, last: map[string]string{}, client: &http.Client{Timeout: 30 * time.Second},
		line: linetest.NewServer(&linetest.Options{ChannelID: demoLineID, ChannelSecret: demoLineSecret, AccessToken: demoLineToken,
			MonthlyLimit: 500, Bot: linetest.BotInfo{BasicID: "@demoshop", DisplayName: "Demo shop"}, IDBase: base}),
		wa:    watest.NewServer(&watest.Options{AccessToken: demoWAToken, VerifiedName: "Demo shop", IDBase: base}),
		drive: newDriveFake(),
		files: newCRMFiles(),
	}
	return d
}

func (d *demo) Close() {
	if d.media != nil {
		d.media.Close()
	}
	d.line.Close()
	d.wa.Close()
	d.drive.Close()
}

// connect connects the demo's LINE account and WhatsApp number through the connect service, as an
// administrator would, or finds them connected (a restart on the same database). It reports whether it
// connected any.
func (d *demo) connect(ctx context.Context, conn *connect.Service, db store.Store, webhookURL func(string) string) (bool, error) {
	all, err := conn.List(ctx)
	if err != nil {
		return false, err
	}
	for _, ch := range all {
		switch {
		case ch.Kind == line.Kind && ch.ExternalID == demoLineID:
			d.channels[line.Kind] = ch
		case ch.Kind == whatsapp.Kind && ch.ExternalID == watest.DefaultPhoneNumberID:
			d.channels[whatsapp.Kind] = ch
		}
	}
	connected := false
	for _, r := range []connect.Request{
		{Kind: line.Kind, Name: "Demo shop (LINE)", Assignment: demoRule, Credentials: channel.Credentials{
			line.CredChannelID: demoLineID, line.CredChannelSecret: demoLineSecret, line.CredAccessToken: demoLineToken}},
		{Kind: whatsapp.Kind, Name: "Demo shop (WhatsApp)", Assignment: demoRule, Credentials: channel.Credentials{
			whatsapp.CredPhoneNumberID: watest.DefaultPhoneNumberID, whatsapp.CredAccessToken: demoWAToken,
			whatsapp.CredAppSecret: demoWASecret, whatsapp.CredVerifyToken: demoWAVerify}},
	} {
		if _, ok := d.channels[r.Kind]; ok {
			continue
		}
		got, err := conn.Connect(ctx, r)
		if err != nil {
			return false, fmt.Errorf("demo: connecting %s: %w", kindName(r.Kind), err)
		}
		d.channels[r.Kind], connected = got.Channel, true
	}
	// The fakes start empty each run: LINE is told its webhook URL again (as the administrator set it in
	// LINE's console), and WhatsApp which customers wrote within its window.
	lc := d.channels[line.Kind]
	d.line.SetWebhookEndpoint(webhookURL(lc.ID), true)
	if _, err := conn.Check(ctx, lc.ID); err != nil {
		return false, err
	}
	convs, _, err := db.ListConversations(ctx, store.View{ChannelID: d.channels[whatsapp.Kind].ID}, store.Page{Limit: store.MaxLimit})
	if err != nil {
		return false, err
	}
	for _, c := range convs {
		d.wa.CustomerWrote(c.Conversation.Peer.ID, c.Conversation.LastInboundAt)
	}
	for _, c := range demoCustomers {
		if c.kind == line.Kind {
			d.line.SetProfile(channel.Profile{UserID: c.user, DisplayName: c.name, Language: c.lang})
		}
	}
	return connected, nil
}

// demoCustomer is a customer of the demo.
type demoCustomer struct {
	kind, user, name, lang string
}

var demoCustomers = []demoCustomer{
	{line.Kind, "U4af4980629dfd4e7a3b1c0d2e5f60001", "Hanako Yamada", "ja"},
	{line.Kind, "U4af4980629dfd4e7a3b1c0d2e5f60002", "Taro Suzuki", "ja"},
	{line.Kind, "U4af4980629dfd4e7a3b1c0d2e5f60003", "Kenji Sato", "ja"},
	{line.Kind, "U4af4980629dfd4e7a3b1c0d2e5f60004", "Yui Ito", "ja"},
	{line.Kind, "U4af4980629dfd4e7a3b1c0d2e5f60005", "Mei Kobayashi", "ja"},
	{whatsapp.Kind, "16505551234", "Sheena Nelson", "en"},
}

const demoGroupID = "C4af4980629dfd4e7a3b1c0d2e5f6demo"

// seedMarker is the file, in the data directory, that says the demo's customers have written in.
const seedMarker = "seeded"

// seed gives a new demo its CRM records and templates, and has its customers write in: a text, a
// sticker, an image, a message in a group and a follow on LINE, a text on WhatsApp, each a signed webhook
// POSTed to the webhook route. It runs once per database: when the channels were connected in this run,
// or when an earlier run stopped before seeding was done (its webhooks carry fixed event IDs, so the
// store takes each once however often it is sent).
func (d *demo) seed(ctx context.Context, cfg config, records *crm, tpls *conversation.Templates, connected bool) error {
	marker := filepath.Join(cfg.dataDir, seedMarker)
	if _, err := os.Stat(marker); err == nil && !connected {
		return nil
	}
	if records.empty() {
		if err := records.add(
			crmRecord{Kind: store.RecordLead, ID: "lead-1", Name: "Hanako Yamada", Owner: "aiko", Fields: map[string]string{"company": "Yamada Trading"}},
			crmRecord{Kind: store.RecordContact, ID: "contact-2", Name: "Sheena Nelson", Owner: "ben", Fields: map[string]string{"company": "Nelson & Co"}},
			crmRecord{Kind: store.RecordLead, ID: "lead-3", Name: "Taro Suzuki", Owner: "chika"},
			crmRecord{Kind: store.RecordContact, ID: "contact-4", Name: "Kenji Sato", Owner: "aiko", Fields: map[string]string{"company": "Sato Foods"}},
		); err != nil {
			return err
		}
	}
	for _, t := range []store.Template{
		{Name: "Thanks for writing", Body: `Hello {{contact.display_name | default: "there"}}, thanks for writing! {{agent.name}} here, how can I help?`},
		{Name: "Order shipped", Body: `Good news, {{record.name | default: "there"}}: your order has shipped and arrives in 2-3 days.`},
		{Name: "Company quote", Body: `Here is the quote for {{record.company | default: "your company"}}. Anything else?`},
	} {
		if _, _, err := tpls.Save(ctx, t); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("demo: saving template %q: %w", t.Name, err)
		}
	}
	c := demoCustomers
	photo, _ := demoData.ReadFile("demodata/customer-photo.png")
	lineHooks := [][]byte{
		d.line.Webhook(linetest.Event{UserID: c[0].user, Name: c[0].name, Text: "Is the blue jacket in stock? 😊",
			MessageID: "500000000000000101", WebhookEventID: "01JDEMOSEED000000000000101"}),
		lineBody(lineEvent(d.line.NewReplyToken(c[1].user), "01JDEMOSEED000000000000102", c[1].user, "", map[string]any{"type": "message",
			"message": map[string]any{"id": "500000000000000102", "type": "sticker", "quoteToken": "q102", "packageId": "446",
				"stickerId": "1988", "stickerResourceType": "STATIC", "keywords": []string{"Happy"}}})),
		d.line.Webhook(linetest.Event{UserID: c[2].user, Name: c[2].name, MessageID: "500000000000000103", WebhookEventID: "01JDEMOSEED000000000000103",
			Content: &linetest.Content{Type: "image", ContentType: "image/png", Data: photo}}),
		d.line.Webhook(linetest.Event{UserID: c[3].user, GroupID: demoGroupID, Name: c[3].name, Text: "Can our team order five jackets together?",
			MessageID: "500000000000000104", WebhookEventID: "01JDEMOSEED000000000000104"}),
		lineBody(lineEvent(d.line.NewReplyToken(c[4].user), "01JDEMOSEED000000000000105", c[4].user, "", map[string]any{"type": "follow",
			"follow": map[string]any{"isUnblocked": false}})),
	}
	for _, body := range lineHooks {
		if err := d.deliver(ctx, line.Kind, body); err != nil {
			return err
		}
	}
	wa := d.wa.Webhook(watest.Inbound{From: c[5].user, Name: c[5].name, Text: "Hi! Does the jacket come in another color?",
		MessageID: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBRERU1PU0VFRDAwMDAwMDAwMDAwMQA="})
	if err := d.deliver(ctx, whatsapp.Kind, wa); err != nil {
		return err
	}
	return writeFileAtomic(marker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o600)
}

// lineEvent is one LINE webhook event of user (in group, when set) with the fields of extra.
func lineEvent(replyToken, eventID, user, group string, extra map[string]any) map[string]any {
	src := map[string]any{"type": "user", "userId": user}
	if group != "" {
		src = map[string]any{"type": "group", "groupId": group, "userId": user}
	}
	e := map[string]any{"mode": "active", "timestamp": time.Now().UnixMilli(), "source": src, "webhookEventId": eventID,
		"deliveryContext": map[string]any{"isRedelivery": false}, "replyToken": replyToken}
	for k, v := range extra {
		e[k] = v
	}
	return e
}

// lineBody is a LINE webhook body holding events, for the demo's bot.
func lineBody(events ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"destination": linetest.DefaultBotUserID, "events": events})
	return b
}

// deliver signs body as the channel of kind signs webhooks and POSTs it to this server's webhook route.
func (d *demo) deliver(ctx context.Context, kind string, body []byte) error {
	ch, ok := d.channels[kind]
	if !ok {
		return fmt.Errorf("the demo has no %q channel: use %q or %q", kind, line.Kind, whatsapp.Kind)
	}
	url := d.hooks + "/webhooks/" + ch.ID
	var req *http.Request
	var err error
	if kind == whatsapp.Kind {
		req, err = watest.NewWebhookRequest(ctx, url, demoWASecret, body)
	} else {
		req, err = linetest.NewWebhookRequest(ctx, url, demoLineSecret, body)
	}
	if err != nil {
		return err
	}
	res, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("demo: delivering a %s webhook: %w", kindName(kind), err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("demo: the %s webhook was answered %d", kindName(kind), res.StatusCode)
	}
	return nil
}

// customerWrites serves POST /demo/customer (admins only): a demo customer writes to a demo channel.
// The body is
//
//	{"channel": "line" (default) or "whatsapp", "user": …, "name": …, "group": a LINE group ID, optional,
//	 "type": "text" (default), "emoji", "file", "location" or "unsend" (LINE only but for "text"),
//	 "text": … (a text's, and an emoji text's words: each "$" in it is a LINE emoji),
//	 "messageId": … (the message an "unsend" takes back; default the last this route sent for the user)}
//
// the channel's fake writes the webhook in the channel's own event shapes, signs it as the channel would,
// and it is POSTed to the webhook route real channels use. The answer names the message's ID.
func (d *demo) customerWrites(w http.ResponseWriter, r *http.Request) {
	var in customerMessage
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		jsonError(w, http.StatusBadRequest, "bad_request",
			`the body must be JSON: {"channel": "line" or "whatsapp", "user": "U1", "name": "Hanako", "text": "…"}, `+
				`or with "type": "emoji", "file", "location" or "unsend" (LINE)`)
		return
	}
	id, err := d.write(r.Context(), in)
	var bad *badCustomerMessage
	switch {
	case errors.As(err, &bad):
		jsonError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	case err != nil:
		jsonError(w, http.StatusBadGateway, "webhook_failed", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"delivered": true, "channel": d.channels[cmp.Or(in.Channel, line.Kind)].ID, "messageId": id})
}

// customerMessage is what a demo customer writes (see customerWrites).
type customerMessage struct {
	Channel, User, Name, Text, Group, Type, MessageID string
}

// badCustomerMessage is a customerMessage that cannot be sent as it is.
type badCustomerMessage struct{ why string }

// Error says what is wrong.
func (e *badCustomerMessage) Error() string { return e.why }

// webCustomer has a demo customer write from the web inbox's demo page.
func (d *demo) webCustomer(ctx context.Context, m web.DemoMessage) error {
	_, err := d.write(ctx, customerMessage{Channel: m.Channel, User: m.User, Name: m.Name, Type: m.Type, Text: m.Text})
	return err
}

// write has a demo customer write in: the channel's fake makes the webhook body, and it is signed and
// POSTed to the webhook route. It returns the message's ID (an unsend's: the message taken back; "" on
// WhatsApp).
func (d *demo) write(ctx context.Context, in customerMessage) (string, error) {
	in.Channel = cmp.Or(in.Channel, line.Kind)
	in.Type = cmp.Or(in.Type, "text")
	switch {
	case in.User == "":
		return "", &badCustomerMessage{`give the customer's "user" (a LINE user ID, a WhatsApp phone number)`}
	case in.Text == "" && in.Type == "text":
		return "", &badCustomerMessage{`a text needs its "text"`}
	}
	var body []byte
	id := d.nextMessageID()
	switch {
	case in.Channel == whatsapp.Kind && in.Type == "text":
		id = ""
		body = d.wa.Webhook(watest.Inbound{From: in.User, Name: in.Name, Text: in.Text})
	case in.Channel == whatsapp.Kind:
		return "", &badCustomerMessage{`on WhatsApp the demo customer writes texts only ("type": "text")`}
	case in.Channel != line.Kind:
		return "", &badCustomerMessage{`"channel" is "line" or "whatsapp"`}
	default:
		if in.Name != "" {
			d.line.SetProfile(channel.Profile{UserID: in.User, DisplayName: in.Name})
		}
		var err error
		if body, id, err = d.lineWrites(in.Type, in.User, in.Group, in.Name, in.Text, in.MessageID, id); err != nil {
			return "", &badCustomerMessage{err.Error()}
		}
	}
	if err := d.deliver(ctx, in.Channel, body); err != nil {
		return "", err
	}
	if id != "" && in.Type != "unsend" {
		d.mu.Lock()
		d.last[in.User] = id
		d.mu.Unlock()
	}
	return id, nil
}

// lineWrites returns the LINE webhook body of a demo customer's message of kind (see customerWrites),
// with message ID id (or, for an unsend, the ID it takes back), in the shapes LINE's webhooks have.
func (d *demo) lineWrites(kind, user, group, name, text, unsendID, id string) ([]byte, string, error) {
	chat := cmp.Or(group, user)
	eventID := fmt.Sprintf("01JDEMO%019d", time.Now().UnixNano())
	switch kind {
	case "text":
		return d.line.Webhook(linetest.Event{UserID: user, GroupID: group, Name: name, Text: text, MessageID: id}), id, nil
	case "file":
		pdf, _ := demoData.ReadFile("demodata/price-list.pdf")
		return d.line.Webhook(linetest.Event{UserID: user, GroupID: group, Name: name, MessageID: id,
			Content: &linetest.Content{Type: "file", ContentType: "application/pdf", Data: pdf, FileName: "order-list.pdf"}}), id, nil
	case "emoji":
		text = cmp.Or(text, "Thank you so much $ $")
		var emojis []map[string]any
		at := 0
		for _, r := range text {
			if r == '$' {
				emojis = append(emojis, map[string]any{"index": at, "length": 1, "productId": "5ac1bfd5040ab15980c9b435",
					"emojiId": fmt.Sprintf("%03d", len(emojis)+1)})
			}
			at += len(utf16.Encode([]rune{r}))
		}
		return lineBody(lineEvent(d.line.NewReplyToken(chat), eventID, user, group, map[string]any{"type": "message",
			"message": map[string]any{"id": id, "type": "text", "quoteToken": "q" + id, "text": text, "emojis": emojis}})), id, nil
	case "location":
		return lineBody(lineEvent(d.line.NewReplyToken(chat), eventID, user, group, map[string]any{"type": "message",
			"message": map[string]any{"id": id, "type": "location", "title": "Our office", "address": "2-21-1 Shibuya, Shibuya City, Tokyo",
				"latitude": 35.65910807942215, "longitude": 139.70372892916203}})), id, nil
	case "unsend":
		if unsendID == "" {
			d.mu.Lock()
			unsendID = d.last[user]
			d.mu.Unlock()
		}
		if unsendID == "" {
			return nil, "", errors.New(`"unsend" takes back a message: give its "messageId" (this run has sent none for this user)`)
		}
		e := lineEvent("", eventID, user, group, map[string]any{"type": "unsend", "unsend": map[string]any{"messageId": unsendID}})
		delete(e, "replyToken") // an unsend carries none
		return lineBody(e), unsendID, nil
	}
	return nil, "", fmt.Errorf(`"type" %q is not "text", "emoji", "file", "location" or "unsend"`, kind)
}

// nextMessageID is a message ID for a demo customer's message, unlike any the fakes make (they count
// from the start time in microseconds) or an earlier run made.
func (d *demo) nextMessageID() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	return strconv.FormatInt(time.Now().UnixNano()+d.seq, 10)
}

// jsonError answers an error in the API's form: {"error": {"code": …, "message": …}}.
func jsonError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}
