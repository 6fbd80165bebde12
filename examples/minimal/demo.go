package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/store"
)

// The demo accounts' credentials, known to the fakes of demo mode and given to the connect service as an
// administrator would give real ones.
const (
	demoLineID, demoLineSecret, demoLineToken = "1656000000", "demo-line-secret", "demo-line-token"
	demoWAToken, demoWASecret, demoWAVerify   = "demo-wa-token", "demo-wa-app-secret", "demo-wa-verify-token"
)

// The demo's opening: a customer writes on each channel as the demo starts.
var demoOpening = []struct{ channel, user, name, text string }{
	{line.Kind, "Ud3m0hanako", "Hanako", "Is the blue one in stock?"},
	{whatsapp.Kind, "16505551234", "Sheena Nelson", "Does it come in another color?"},
}

// demoAPIs are the fakes of LINE's and WhatsApp's APIs that demo mode runs on local ports, and the
// channels connected to them.
type demoAPIs struct {
	line     *linetest.Server
	wa       *watest.Server
	channels map[string]store.Channel // by kind
}

func newDemoAPIs() *demoAPIs {
	return &demoAPIs{
		line: linetest.NewServer(&linetest.Options{ChannelID: demoLineID, ChannelSecret: demoLineSecret, AccessToken: demoLineToken,
			MonthlyLimit: 500, Bot: linetest.BotInfo{BasicID: "@demo", DisplayName: "Demo shop"}, WebhookActive: true}),
		wa:       watest.NewServer(&watest.Options{AccessToken: demoWAToken, VerifiedName: "Demo shop"}),
		channels: map[string]store.Channel{},
	}
}

func (d *demoAPIs) Close() {
	d.line.Close()
	d.wa.Close()
}

// connect connects the demo's LINE account and WhatsApp number through the connect service, as an
// administrator would. The fakes forget everything when the demo stops, so the channels of an earlier
// run (and their conversations) are removed first: each run starts afresh.
func (d *demoAPIs) connect(ctx context.Context, conn *connect.Service, rule store.AssignmentRule, public string) ([]store.Channel, error) {
	all, err := conn.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, ch := range all {
		if ch.Kind == line.Kind && ch.ExternalID == demoLineID || ch.Kind == whatsapp.Kind && ch.ExternalID == watest.DefaultPhoneNumberID {
			if err := conn.Disconnect(ctx, ch.ID, true); err != nil {
				return nil, err
			}
		}
	}
	var out []store.Channel
	for _, r := range []connect.Request{
		{Kind: line.Kind, Name: "Demo shop (LINE)", Assignment: rule, Credentials: channel.Credentials{
			line.CredChannelID: demoLineID, line.CredChannelSecret: demoLineSecret, line.CredAccessToken: demoLineToken}},
		{Kind: whatsapp.Kind, Name: "Demo shop (WhatsApp)", Assignment: rule, Credentials: channel.Credentials{
			whatsapp.CredPhoneNumberID: watest.DefaultPhoneNumberID, whatsapp.CredAccessToken: demoWAToken,
			whatsapp.CredAppSecret: demoWASecret, whatsapp.CredVerifyToken: demoWAVerify}},
	} {
		got, err := conn.Connect(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("demo: connecting %s: %w", kindName(r.Kind), err)
		}
		if r.Kind == line.Kind {
			// The administrator now sets the webhook URL in LINE's console, and checks again.
			d.line.SetWebhookEndpoint(got.WebhookURL, true)
			if _, err := conn.Check(ctx, got.Channel.ID); err != nil {
				return nil, err
			}
		}
		d.channels[r.Kind] = got.Channel
		out = append(out, got.Channel)
	}
	return out, nil
}

// webhook returns a customer's message on the demo channel of kind, signed as the channel signs it.
func (d *demoAPIs) webhook(ctx context.Context, kind, user, name, text string) (*http.Request, error) {
	ch, ok := d.channels[kind]
	if !ok {
		return nil, fmt.Errorf("the demo has no %q channel: use %q or %q", kind, line.Kind, whatsapp.Kind)
	}
	path := "/webhooks/" + ch.ID
	if kind == whatsapp.Kind {
		return watest.NewWebhookRequest(ctx, path, demoWASecret, d.wa.Webhook(watest.Inbound{From: user, Name: name, Text: text}))
	}
	if name != "" {
		d.line.SetProfile(channel.Profile{UserID: user, DisplayName: name})
	}
	return linetest.NewWebhookRequest(ctx, path, demoLineSecret, d.line.Webhook(linetest.Event{UserID: user, Name: name, Text: text}))
}

// demoOpening has a customer write on each demo channel, through the webhooks router as a channel's
// webhook would.
func (s *server) demoOpening(ctx context.Context) error {
	for _, o := range demoOpening {
		r, err := s.demo.webhook(ctx, o.channel, o.user, o.name, o.text)
		if err != nil {
			return err
		}
		w := httptest.NewRecorder()
		s.hooks.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			return fmt.Errorf("demo: the opening message on %s was answered %d", kindName(o.channel), w.Code)
		}
	}
	return nil
}

// demoCustomer plays a customer writing to a demo channel ("line", the default, or "whatsapp"): the
// channel's fake writes the webhook and signs it as the channel would, and it is delivered through the
// webhooks router real webhooks use.
func (s *server) demoCustomer(w http.ResponseWriter, r *http.Request) {
	var in struct{ Channel, User, Name, Text string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil || in.User == "" || in.Text == "" {
		writeError(w, http.StatusBadRequest, errors.New(`the body must be JSON: {"channel": "line" or "whatsapp", "user": "U1", "name": "Hanako", "text": "…"}`))
		return
	}
	if in.Channel == "" {
		in.Channel = line.Kind
	}
	webhook, err := s.demo.webhook(r.Context(), in.Channel, in.User, in.Name, in.Text)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	s.hooks.ServeHTTP(w, webhook)
}

// demoReceipt plays WhatsApp reporting what became of a message it delivered: {"message": wamid,
// "status": "delivered" | "read" | "failed"}.
func (s *server) demoReceipt(w http.ResponseWriter, r *http.Request) {
	var in struct{ Message, Status string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil || in.Message == "" || in.Status == "" {
		writeError(w, http.StatusBadRequest, errors.New(`the body must be JSON: {"message": "wamid.…", "status": "read"}`))
		return
	}
	body := s.demo.wa.StatusWebhook(watest.Status{MessageID: in.Message, Status: in.Status})
	webhook, err := watest.NewWebhookRequest(r.Context(), "/webhooks/"+s.demo.channels[whatsapp.Kind].ID, demoWASecret, body)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	s.hooks.ServeHTTP(w, webhook)
}

// demoSent shows what the demo channels delivered, as each channel's fake received it.
func (s *server) demoSent(w http.ResponseWriter, _ *http.Request) {
	out := []map[string]any{}
	for _, d := range s.demo.line.Deliveries() {
		out = append(out, map[string]any{"channel": line.Kind, "to": d.To, "messages": d.Messages, "reply": d.Op == linetest.OpReply,
			"billable": d.Op == linetest.OpPush})
	}
	for _, m := range s.demo.wa.Sent() {
		out = append(out, map[string]any{"channel": whatsapp.Kind, "to": m.To, "id": m.ID, "type": m.Type, "message": m.Body})
	}
	writeJSON(w, out)
}
