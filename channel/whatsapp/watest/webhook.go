package watest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// SignatureHeader is the header carrying a webhook's signature.
const SignatureHeader = "X-Hub-Signature-256"

// Sign returns Meta's signature of a webhook body for the app secret: "sha256=" + hex(HMAC-SHA256).
func Sign(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// NewWebhookRequest returns a POST of body to url, signed for appSecret as Meta signs webhooks.
func NewWebhookRequest(ctx context.Context, url, appSecret string, body []byte) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(SignatureHeader, Sign(appSecret, body))
	return r, nil
}

// NewHandshakeRequest returns Meta's GET verification of the webhook URL rawURL: hub.mode=subscribe
// with verifyToken and challenge.
func NewHandshakeRequest(ctx context.Context, rawURL, verifyToken, challenge string) (*http.Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("hub.mode", "subscribe")
	q.Set("hub.verify_token", verifyToken)
	q.Set("hub.challenge", challenge)
	u.RawQuery = q.Encode()
	return http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
}

// Inbound is a message a customer sends the business, for Webhook to write as Meta's webhook.
type Inbound struct {
	// From is the customer's WhatsApp ID (their number, digits only; required).
	From string
	// Name is the customer's profile name (default "WhatsApp user").
	Name string
	// Text is the body of a text message; ignored when Media is set.
	Text string
	// Media, when set, makes the message an image, video, audio, document or sticker message (Media.Type)
	// whose content the media endpoints then serve.
	Media *Media
	// ReplyTo, when set, is the wamid of the business message the customer replied to (context.id).
	ReplyTo string
	// MessageID is made up when empty.
	MessageID string
	// Time is the message's timestamp; zero means the API's clock.
	Time time.Time
}

// Status is a status update of a message the business sent, for StatusWebhook.
type Status struct {
	// MessageID is the wamid of the message (Sent.ID; required).
	MessageID string
	// Status is "sent", "delivered", "read" or "failed" (or anything else, as WhatsApp may add).
	Status string
	// RecipientID is the customer's WhatsApp ID; when empty, the recipient the API sent MessageID to.
	RecipientID string
	// ErrorCode and ErrorTitle describe a failure, e.g. 131047 "Re-engagement message".
	ErrorCode  int
	ErrorTitle string
	// Time is the status's timestamp; zero means the API's clock.
	Time time.Time
}

// value is one change's value of a webhook body, in Meta's JSON.
type value struct {
	MessagingProduct string `json:"messaging_product"`
	Metadata         struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []any `json:"contacts,omitempty"`
	Messages []any `json:"messages,omitempty"`
	Statuses []any `json:"statuses,omitempty"`
}

// Webhook returns a webhook body, as Meta would POST it, holding the customers' messages in one change
// (with the profile of each sender in value.contacts), and registers what they imply: each sender's
// customer service window opens at the message's time, and each media message's content is served
// under a new media ID. Sign it with Sign or send it with NewWebhookRequest.
func (a *API) Webhook(msgs ...Inbound) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.opts.Now()
	v := a.value()
	named := map[string]bool{}
	for _, in := range msgs {
		at := cmp.Or(in.Time, now)
		if at.After(a.inbound[in.From]) {
			a.inbound[in.From] = at
		}
		if !named[in.From] {
			named[in.From] = true
			v.Contacts = append(v.Contacts, map[string]any{"profile": map[string]string{"name": cmp.Or(in.Name, "WhatsApp user")}, "wa_id": in.From})
		}
		a.msgSeq++
		m := map[string]any{"from": in.From, "id": cmp.Or(in.MessageID, fmt.Sprintf("wamid.HBgLaW5ib3VuZBUCABIYFA%014X", a.msgSeq)),
			"timestamp": strconv.FormatInt(at.Unix(), 10), "type": "text", "text": map[string]string{"body": in.Text}}
		if in.ReplyTo != "" {
			m["context"] = map[string]string{"from": a.opts.DisplayPhoneNumber, "id": in.ReplyTo}
		}
		if md := in.Media; md != nil {
			delete(m, "text")
			obj := map[string]any{"id": a.addMedia(*md), "mime_type": md.MimeType, "sha256": sha(md.Data)}
			if md.Caption != "" && md.Type != "audio" && md.Type != "sticker" {
				obj["caption"] = md.Caption
			}
			if md.Type == "document" && md.FileName != "" {
				obj["filename"] = md.FileName
			}
			m["type"], m[md.Type] = md.Type, obj
		}
		v.Messages = append(v.Messages, m)
	}
	return a.body(v)
}

// StatusWebhook returns a webhook body, as Meta would POST it, holding status updates of messages the
// business sent, in one change.
func (a *API) StatusWebhook(statuses ...Status) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.opts.Now()
	v := a.value()
	for _, st := range statuses {
		recipient := st.RecipientID
		if recipient == "" {
			for _, s := range a.sent {
				if s.ID == st.MessageID {
					recipient = s.To
				}
			}
		}
		s := map[string]any{"id": st.MessageID, "status": st.Status, "timestamp": strconv.FormatInt(cmp.Or(st.Time, now).Unix(), 10),
			"recipient_id": recipient}
		if st.ErrorCode != 0 {
			s["errors"] = []map[string]any{{"code": st.ErrorCode, "title": st.ErrorTitle, "message": st.ErrorTitle,
				"error_data": map[string]string{"details": st.ErrorTitle}}}
		}
		v.Statuses = append(v.Statuses, s)
	}
	return a.body(v)
}

func (a *API) value() value {
	v := value{MessagingProduct: "whatsapp"}
	v.Metadata.DisplayPhoneNumber, v.Metadata.PhoneNumberID = a.opts.DisplayPhoneNumber, a.opts.PhoneNumberID
	return v
}

func (a *API) body(v value) []byte {
	out, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{
		"id": a.opts.BusinessAccountID, "changes": []any{map[string]any{"value": v, "field": "messages"}}}}})
	return out
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}
