package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/msgkit/msgkit/channel"
)

// Send sends msgs, in order, to the chat to (a user by WhatsApp ID or phone number, or a group), one
// POST /{phone-number-id}/messages per message: WhatsApp has no batch. A message's QuotedMessageID
// becomes its reply context. SendOptions.ReplyToken, RetryKey and Silent have no WhatsApp counterpart
// and are ignored: there is no retry key (Rules reports RetryKeys false), so a send whose outcome is
// unknown (channel.MayHaveSent) must not be retried. SendResult.Billable is set when a template was sent
// (WhatsApp charges templates; replies within the customer service window are free).
//
// Everything is checked before anything is sent, and refused with an error wrapping
// channel.ErrInvalidRequest: no messages or more than MaxMessages, a message failing
// channel.Message.Validate, text longer than MaxTextLength UTF-16 code units, a part WhatsApp cannot
// carry (mentions, emojis, quick replies, a sender), a sticker whose StickerID is not an https URL, a
// raw message that is not a JSON object with a "type", a peer that is not a user or group.
//
// When the first message fails, Send returns its error (an *channel.APIError; a free-form message
// after the 24-hour window also wraps ErrWindowClosed). When a later one fails, Send returns the IDs of
// the messages delivered in SendResult and a *PartialError, which is neither retryable nor known to have
// delivered nothing: retrying the whole send would deliver the first messages twice.
func (a *Adapter) Send(ctx context.Context, to channel.Peer, msgs []channel.Message, _ channel.SendOptions) (channel.SendResult, error) {
	if err := ctx.Err(); err != nil {
		return channel.SendResult{}, err
	}
	bodies, templates, err := outbound(to, msgs)
	if err != nil {
		return channel.SendResult{}, err
	}
	var res channel.SendResult
	for i, body := range bodies {
		if err := ctx.Err(); err != nil && i > 0 {
			return res, &PartialError{MessageIDs: res.MessageIDs, Sent: i, Err: err}
		}
		var answer struct {
			Messages []struct {
				ID string `json:"id"`
			} `json:"messages"`
		}
		reqID, err := a.do(ctx, "send", http.MethodPost, a.cfg.PhoneNumberID+"/messages", nil, body, &answer)
		if err == nil && (len(answer.Messages) == 0 || answer.Messages[0].ID == "") {
			err = &channel.APIError{Channel: Kind, Op: "send", RequestID: reqID, Category: channel.ErrUnavailable,
				Err: fmt.Errorf("%w: no message ID", errMalformedResponse)}
		}
		if err != nil {
			if i == 0 {
				return channel.SendResult{}, err
			}
			return res, &PartialError{MessageIDs: res.MessageIDs, Sent: i, Err: err}
		}
		res.MessageIDs = append(res.MessageIDs, answer.Messages[0].ID)
		res.RequestID = reqID
		res.Billable = res.Billable || templates[i]
	}
	return res, nil
}

// MarkRead implements channel.ReadMarker: it marks the inbound message messageID (a wamid) and those
// before it as read, showing the customer the blue ticks.
func (a *Adapter) MarkRead(ctx context.Context, messageID string) error {
	if messageID == "" {
		return fmt.Errorf("whatsapp mark read: no message ID: %w", channel.ErrInvalidRequest)
	}
	body := map[string]string{"messaging_product": "whatsapp", "status": "read", "message_id": messageID}
	_, err := a.do(ctx, "mark read", http.MethodPost, a.cfg.PhoneNumberID+"/messages", nil, body, nil)
	return err
}

// AccountInfo implements channel.AccountInfoer: the phone number's ID (UserID), display number
// (BasicID) and verified business name (DisplayName).
func (a *Adapter) AccountInfo(ctx context.Context) (channel.AccountInfo, error) {
	return phoneNumber(ctx, a, a.cfg.PhoneNumberID)
}

// phoneNumber reads a phone number's display number and verified name.
func phoneNumber(ctx context.Context, a *Adapter, id string) (channel.AccountInfo, error) {
	var n struct {
		ID                 string `json:"id"`
		DisplayPhoneNumber string `json:"display_phone_number"`
		VerifiedName       string `json:"verified_name"`
	}
	q := url.Values{"fields": {"display_phone_number,verified_name"}}
	if _, err := a.do(ctx, "phone number", http.MethodGet, url.PathEscape(id), q, nil, &n); err != nil {
		return channel.AccountInfo{}, err
	}
	return channel.AccountInfo{UserID: cmpOr(n.ID, id), BasicID: n.DisplayPhoneNumber, DisplayName: n.VerifiedName}, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Reaction returns a message that puts emoji on the message messageID (a wamid), or with emoji "" takes
// the reaction off: a WhatsApp reaction, as a channel.TypeRaw message for Send.
func Reaction(messageID, emoji string) channel.Message {
	raw, _ := json.Marshal(map[string]any{"type": "reaction", "reaction": map[string]string{"message_id": messageID, "emoji": emoji}})
	return channel.Raw(raw)
}

// Document returns a document message (a file the customer can download, shown with filename) for
// link, an https URL WhatsApp fetches, as a channel.TypeRaw message for Send: channel.TypeFile cannot be
// sent. caption may be empty.
func Document(link, filename, caption string) channel.Message {
	doc := map[string]string{"link": link}
	if filename != "" {
		doc["filename"] = filename
	}
	if caption != "" {
		doc["caption"] = caption
	}
	raw, _ := json.Marshal(map[string]any{"type": "document", "document": doc})
	return channel.Raw(raw)
}

// outbound checks msgs and builds the request body of each, and says which are templates.
func outbound(to channel.Peer, msgs []channel.Message) ([]map[string]any, []bool, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("whatsapp send: "+format+": %w", append(args, channel.ErrInvalidRequest)...)
	}
	if len(msgs) == 0 || len(msgs) > MaxMessages {
		return nil, nil, invalid("%d messages; a send takes 1 to %d", len(msgs), MaxMessages)
	}
	var recipientType string
	switch to.Kind {
	case channel.PeerUser:
		recipientType = "individual"
	case channel.PeerGroup:
		recipientType = "group"
	default:
		return nil, nil, invalid("WhatsApp sends to users and groups, not to a %q", to.Kind)
	}
	if to.ID == "" {
		return nil, nil, invalid("no recipient")
	}
	bodies := make([]map[string]any, len(msgs))
	templates := make([]bool, len(msgs))
	for i, m := range msgs {
		if err := m.Validate(); err != nil {
			return nil, nil, fmt.Errorf("whatsapp send: message %d: %w", i+1, err)
		}
		switch {
		case len(m.Mentions) > 0 || len(m.Emojis) > 0:
			return nil, nil, invalid("message %d: WhatsApp cannot carry mentions or channel emojis", i+1)
		case len(m.QuickReplies) > 0:
			return nil, nil, invalid("message %d: WhatsApp cannot carry quick replies (send an interactive message as raw)", i+1)
		case m.Sender != nil:
			return nil, nil, invalid("message %d: WhatsApp cannot show a message under another sender", i+1)
		}
		body, err := content(m)
		if err != nil {
			return nil, nil, invalid("message %d: %v", i+1, err)
		}
		body["messaging_product"] = "whatsapp"
		body["recipient_type"] = recipientType
		body["to"] = to.ID
		if m.QuotedMessageID != "" {
			if _, ok := body["context"]; !ok {
				body["context"] = map[string]string{"message_id": m.QuotedMessageID}
			}
		}
		bodies[i], templates[i] = body, m.Type == channel.TypeTemplate
	}
	return bodies, templates, nil
}

// content returns the type-specific part of a message's request body. Errors do not wrap a category
// and never quote the message.
func content(m channel.Message) (map[string]any, error) {
	media := func(typ string, caption bool) map[string]any {
		obj := map[string]any{"link": m.Media.URL}
		if caption && m.Text != "" {
			obj["caption"] = m.Text
		}
		return map[string]any{"type": typ, typ: obj}
	}
	switch m.Type {
	case channel.TypeText:
		if n := channel.UnitUTF16.Count(m.Text); n > MaxTextLength {
			return nil, fmt.Errorf("text is %d UTF-16 code units, more than %d", n, MaxTextLength)
		}
		return map[string]any{"type": "text", "text": map[string]any{"body": m.Text, "preview_url": hasLink(m.Text)}}, nil
	case channel.TypeImage:
		return media("image", true), nil
	case channel.TypeVideo:
		return media("video", true), nil
	case channel.TypeAudio:
		return media("audio", false), nil
	case channel.TypeSticker:
		id := m.Sticker.StickerID
		if strings.HasPrefix(id, "https://") {
			return map[string]any{"type": "sticker", "sticker": map[string]string{"link": id}}, nil
		}
		return nil, fmt.Errorf("a sticker's ID must be the https URL of a WebP sticker")
	case channel.TypeLocation:
		l := m.Location
		loc := map[string]any{"latitude": l.Latitude, "longitude": l.Longitude}
		if l.Title != "" {
			loc["name"] = l.Title
		}
		if l.Address != "" {
			loc["address"] = l.Address
		}
		return map[string]any{"type": "location", "location": loc}, nil
	case channel.TypeLink:
		text := m.Link.URL
		if m.Link.Title != "" {
			text = m.Link.Title + "\n" + m.Link.URL
		}
		if n := channel.UnitUTF16.Count(text); n > MaxTextLength {
			return nil, fmt.Errorf("link text is %d UTF-16 code units, more than %d", n, MaxTextLength)
		}
		return map[string]any{"type": "text", "text": map[string]any{"body": text, "preview_url": true}}, nil
	case channel.TypeTemplate:
		t := m.Template
		tpl := map[string]any{"name": t.Name, "language": map[string]string{"code": t.Language}}
		switch {
		case len(t.Components) > 0:
			var comps []json.RawMessage
			if json.Unmarshal(t.Components, &comps) != nil {
				return nil, fmt.Errorf("template components must be a JSON array")
			}
			tpl["components"] = comps
		case len(t.BodyParams) > 0:
			params := make([]map[string]string, len(t.BodyParams))
			for i, p := range t.BodyParams {
				params[i] = map[string]string{"type": "text", "text": p}
			}
			tpl["components"] = []map[string]any{{"type": "body", "parameters": params}}
		}
		return map[string]any{"type": "template", "template": tpl}, nil
	case channel.TypeRaw:
		var obj map[string]json.RawMessage
		if json.Unmarshal(m.Raw, &obj) != nil || decodeOrZero[string](obj["type"]) == "" {
			return nil, fmt.Errorf("a raw message must be a JSON object with a \"type\" (WhatsApp's message object)")
		}
		body := make(map[string]any, len(obj)+3)
		for k, v := range obj {
			body[k] = v
		}
		return body, nil
	}
	return nil, fmt.Errorf("%s messages cannot be sent", m.Type)
}

// hasLink reports whether text holds a URL WhatsApp can preview.
func hasLink(text string) bool {
	return strings.Contains(text, "https://") || strings.Contains(text, "http://")
}

// do makes one Graph API call: method on base/path with query, in as the JSON body when non-nil, the
// answer decoded into out when non-nil. It returns Meta's request ID. Failures are *channel.APIError
// values (see apiError); a call that never got a connection reports a dial error, so
// channel.MayHaveSent knows nothing was sent.
func (a *Adapter) do(ctx context.Context, op, method, path string, query url.Values, in, out any) (string, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return "", fmt.Errorf("whatsapp %s: encoding the request: %w", op, channel.ErrInvalidRequest)
		}
		body = bytes.NewReader(b)
	}
	u := a.base + "/" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	traced, connected := traceConnection(ctx)
	req, err := http.NewRequestWithContext(traced, method, u, body)
	if err != nil {
		return "", fmt.Errorf("whatsapp %s: building the request: %w", op, channel.ErrInvalidRequest)
	}
	return a.send(ctx, op, req, in != nil, connected, out)
}

// send authorizes and sends req, and reads its answer into out.
func (a *Adapter) send(ctx context.Context, op string, req *http.Request, hasBody bool, connected *atomic.Bool, out any) (string, error) {
	req.Header.Set("Authorization", "Bearer "+a.cfg.AccessToken)
	if hasBody {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := a.http.Do(req)
	if err != nil {
		aerr := a.apiError(ctx, op, nil, err)
		if e, ok := aerr.(*channel.APIError); ok && !connected.Load() {
			e.Err = dialError(e.Err)
		}
		return "", aerr
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return "", a.apiError(ctx, op, res, nil)
	}
	if out != nil {
		if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(out); err != nil {
			return "", a.apiError(ctx, op, res, err)
		}
	}
	return requestID(res.Header), nil
}

// traceConnection returns ctx with a trace that records whether the HTTP client got a connection: a
// call that failed before it did cannot have reached WhatsApp.
func traceConnection(ctx context.Context) (context.Context, *atomic.Bool) {
	var connected atomic.Bool
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connected.Store(true) },
	}), &connected
}
