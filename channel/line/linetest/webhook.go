package linetest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// SignatureHeader is the header carrying a webhook's signature.
const SignatureHeader = "X-Line-Signature"

// Sign returns LINE's signature of a webhook body for the channel secret: base64(HMAC-SHA256(secret, body)).
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// NewWebhookRequest returns a POST of body to url, signed for secret as LINE signs webhooks.
func NewWebhookRequest(ctx context.Context, url, secret string, body []byte) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set(SignatureHeader, Sign(secret, body))
	return r, nil
}

// Event is a message a user sends the account, for Webhook to write as LINE's webhook event.
type Event struct {
	// UserID is the user who writes (required).
	UserID string
	// GroupID, when set, is the group the user writes in; the reply token then replies to the group.
	GroupID string
	// Name is the display name of the profile the API reports for a user it has no profile of yet
	// (default "LINE user").
	Name string
	// Text is the text of a text message; ignored when Content is set.
	Text string
	// Content, when set, makes the message an image, video, audio or file message (Content.Type) whose
	// content the data API then serves.
	Content *Content
	// MessageID, WebhookEventID and ReplyToken are made up when empty; a given ReplyToken is issued anew.
	MessageID, WebhookEventID, ReplyToken string
	// Time is the event's timestamp; zero means the API's clock.
	Time time.Time
}

// Webhook returns a webhook body, as LINE would POST it, holding one message event per Event, and
// registers what the events imply: a reply token for each (valid for Options.ReplyTokenTTL from now), a
// profile for each new user, the content of each media message. Sign it with Sign or send it with
// NewWebhookRequest.
func (a *API) Webhook(events ...Event) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	type source struct {
		Type    string `json:"type"`
		GroupID string `json:"groupId,omitempty"`
		UserID  string `json:"userId"`
	}
	type provider struct {
		Type string `json:"type"`
	}
	type message struct {
		ID              string    `json:"id"`
		Type            string    `json:"type"`
		QuoteToken      string    `json:"quoteToken,omitempty"`
		Text            string    `json:"text,omitempty"`
		Duration        int64     `json:"duration,omitempty"`
		FileName        string    `json:"fileName,omitempty"`
		FileSize        int       `json:"fileSize,omitempty"`
		ContentProvider *provider `json:"contentProvider,omitempty"`
	}
	type delivery struct {
		IsRedelivery bool `json:"isRedelivery"`
	}
	type event struct {
		Type            string   `json:"type"`
		Message         message  `json:"message"`
		WebhookEventID  string   `json:"webhookEventId"`
		DeliveryContext delivery `json:"deliveryContext"`
		Timestamp       int64    `json:"timestamp"`
		Source          source   `json:"source"`
		ReplyToken      string   `json:"replyToken"`
		Mode            string   `json:"mode"`
	}
	body := struct {
		Destination string  `json:"destination"`
		Events      []event `json:"events"`
	}{Destination: a.opts.Bot.UserID, Events: []event{}}
	for _, e := range events {
		src, chat := source{Type: "user", UserID: e.UserID}, e.UserID
		if e.GroupID != "" {
			src, chat = source{Type: "group", GroupID: e.GroupID, UserID: e.UserID}, e.GroupID
		}
		if _, ok := a.profiles[e.UserID]; !ok && e.UserID != "" {
			a.profiles[e.UserID] = channel.Profile{UserID: e.UserID, DisplayName: cmp.Or(e.Name, "LINE user")}
		}
		id := e.MessageID
		if id == "" {
			id = a.nextMessageID()
		}
		m := message{ID: id, Type: "text", QuoteToken: "q" + id, Text: e.Text}
		if c := e.Content; c != nil {
			a.content[id] = *c
			m = message{ID: id, Type: c.Type, Duration: c.Duration.Milliseconds()}
			switch c.Type {
			case "file":
				m.FileName, m.FileSize, m.Duration = c.FileName, len(c.Data), 0
			default:
				m.QuoteToken, m.ContentProvider = "q"+id, &provider{Type: "line"}
			}
		}
		a.eventSeq++
		body.Events = append(body.Events, event{
			Type: "message", Message: m, Mode: "active", Source: src,
			WebhookEventID: cmp.Or(e.WebhookEventID, fmt.Sprintf("01J%023d", a.eventSeq)),
			Timestamp:      cmp.Or(e.Time, now).UnixMilli(),
			ReplyToken:     a.issueReplyToken(e.ReplyToken, chat, now),
		})
	}
	out, _ := json.Marshal(body)
	return out
}
