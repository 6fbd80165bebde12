package line

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// SignatureHeader carries a webhook's signature: base64(HMAC-SHA256(channel secret, body)).
const SignatureHeader = "X-Line-Signature"

// ErrOtherDestination is the error ParseWebhook returns (wrapped) for a body whose signature verifies
// but whose "destination" is not Config.BotUserID: a delivery for another LINE bot. It wraps
// channel.ErrInvalidSignature, so channel.Handler answers it as it answers a forged signature, with 401.
//
// A verified body can name another bot only if this channel's secret also signs that bot's webhooks:
// the stored secret belongs to another channel than the stored bot, or the webhook URL of another
// channel points here and the secrets were mixed up. Nothing in such a body belongs to this account.
var ErrOtherDestination = fmt.Errorf("line: webhook for another bot: %w", channel.ErrInvalidSignature)

// ParseWebhook verifies the request's X-Line-Signature against the channel secret (or, during a
// changeover, the previous one) on a body of at most Options.MaxBodyBytes, then decodes each event on its
// own. Events, message contents and sources LINE adds later come back as channel.EventUnknown,
// channel.TypeRaw and a Peer of the unknown kind, with their JSON kept.
//
// With Config.BotUserID set, a verified body with events whose "destination" is not that bot is
// refused with an error wrapping ErrOtherDestination (and so channel.ErrInvalidSignature). A body
// without events (LINE's connectivity check) is accepted whatever its destination: nothing in it is
// used.
//
// One event never fails the others: an event that cannot be decoded (say a type LINE adds later that
// reuses a field name with another JSON type) comes back as channel.EventUnknown with its JSON in Raw and
// whatever of its ID, type, time, mode, redelivery hint, reply token and source could still be read,
// and the other events are returned in order as usual. A verified body returns exactly one event per
// element of its "events" array (none when it has no "events"); only a body that is not a JSON object,
// or whose "events" is not an array, is an error, wrapping channel.ErrInvalidRequest. Error texts never
// quote the body.
func (a *Adapter) ParseWebhook(r *http.Request) ([]channel.Event, error) {
	body, err := a.readBody(r)
	if err != nil {
		return nil, err
	}
	if !a.verify(r.Header.Get(SignatureHeader), body) {
		return nil, fmt.Errorf("line webhook: %w", channel.ErrInvalidSignature)
	}
	events, dest, err := parseBody(body)
	if err != nil {
		return nil, err
	}
	if a.cfg.BotUserID != "" && len(events) > 0 && string(dest) != a.cfg.BotUserID {
		return nil, otherDestination(dest, a.cfg.BotUserID)
	}
	return events, nil
}

// otherDestination describes a destination mismatch. The destination is quoted only when it has the
// form of a LINE user ID, so that nothing else of the body can reach the error text.
func otherDestination(dest destination, bot string) error {
	got := "no bot"
	if isLINEUserID(string(dest)) {
		got = "bot " + string(dest)
	} else if dest != "" {
		got = "an unrecognised destination"
	}
	return fmt.Errorf("line webhook: the body is addressed to %s, but this channel's bot is %s (is the stored channel secret "+
		"another channel's?): %w", got, bot, ErrOtherDestination)
}

// isLINEUserID reports whether s has the form of a LINE user ID: U and 32 lower-case hexadecimal digits.
func isLINEUserID(s string) bool {
	if len(s) != 33 || s[0] != 'U' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ParseBody implements channel.BodyParser: the events of a body ParseWebhook verified before (an
// archived webhook being replayed), parsed exactly as ParseWebhook parses them.
//
// A replayed body's destination is not checked again: ParseWebhook checked it when the body arrived.
func (a *Adapter) ParseBody(body []byte) ([]channel.Event, error) {
	events, _, err := parseBody(body)
	return events, err
}

// readBody reads at most maxBody bytes, answering a larger body with *http.MaxBytesError as
// http.MaxBytesReader would.
func (a *Adapter) readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > a.maxBody {
		return nil, fmt.Errorf("line webhook: %w", &http.MaxBytesError{Limit: a.maxBody})
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(r.Body, a.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("line webhook: reading body: %w", err)
	}
	if n > a.maxBody {
		return nil, fmt.Errorf("line webhook: %w", &http.MaxBytesError{Limit: a.maxBody})
	}
	return buf.Bytes(), nil
}

// verify reports whether sig is body's signature under the secret, or under the previous secret while
// its changeover window lasts.
func (a *Adapter) verify(sig string, body []byte) bool {
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	if hmac.Equal(got, sign(a.cfg.ChannelSecret, body)) {
		return true
	}
	return a.cfg.PreviousSecret != "" && a.now().Before(a.cfg.PreviousSecretUntil) &&
		hmac.Equal(got, sign(a.cfg.PreviousSecret, body))
}

func sign(secret string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return mac.Sum(nil)
}

// The webhook body as LINE sends it (webhook.yml). The top level is split into raw events, and each
// event decodes on its own into one struct that holds the fields of every event type; mapping picks the
// fields that belong to the type. The destination is decoded in the same pass, leniently (see
// destination).
type (
	webhookBody struct {
		Destination destination       `json:"destination"`
		Events      []json.RawMessage `json:"events"`
	}
	// eventHead is what recoverEvent reads from an event that does not decode into lineEvent: the
	// fields every event shares, each kept raw so that one of the wrong type spoils only itself.
	eventHead struct {
		Type            json.RawMessage `json:"type"`
		Timestamp       json.RawMessage `json:"timestamp"`
		Mode            json.RawMessage `json:"mode"`
		WebhookEventID  json.RawMessage `json:"webhookEventId"`
		DeliveryContext json.RawMessage `json:"deliveryContext"`
		Source          json.RawMessage `json:"source"`
		ReplyToken      json.RawMessage `json:"replyToken"`
	}
	lineEvent struct {
		Type            string        `json:"type"`
		Timestamp       int64         `json:"timestamp"`
		Mode            string        `json:"mode"`
		WebhookEventID  string        `json:"webhookEventId"`
		DeliveryContext eventDelivery `json:"deliveryContext"`
		Source          *lineSource   `json:"source"`
		ReplyToken      string        `json:"replyToken"`
		Message         *lineContent  `json:"message"`
		Follow          *struct {
			IsUnblocked bool `json:"isUnblocked"`
		} `json:"follow"`
		Joined   *lineMembers `json:"joined"`
		Left     *lineMembers `json:"left"`
		Postback *struct {
			Data   string            `json:"data"`
			Params map[string]string `json:"params"`
		} `json:"postback"`
		Unsend *struct {
			MessageID string `json:"messageId"`
		} `json:"unsend"`
		VideoPlayComplete *struct {
			TrackingID string `json:"trackingId"`
		} `json:"videoPlayComplete"`
		Beacon *struct {
			HWID string `json:"hwid"`
			Type string `json:"type"`
			DM   string `json:"dm"`
		} `json:"beacon"`
		Link *struct {
			Result string `json:"result"`
			Nonce  string `json:"nonce"`
		} `json:"link"`
	}
	eventDelivery struct {
		IsRedelivery bool `json:"isRedelivery"`
	}
	lineSource struct {
		Type    string `json:"type"`
		UserID  string `json:"userId"`
		GroupID string `json:"groupId"`
		RoomID  string `json:"roomId"`
	}
	lineMembers struct {
		Members []lineSource `json:"members"`
	}
	lineContent struct {
		Type    string          `json:"type"`
		ID      string          `json:"id"`
		Text    string          `json:"text"`
		Emojis  []channel.Emoji `json:"emojis"`
		Mention *struct {
			Mentionees []struct {
				Type   string `json:"type"`
				Index  int    `json:"index"`
				Length int    `json:"length"`
				UserID string `json:"userId"`
			} `json:"mentionees"`
		} `json:"mention"`
		QuoteToken      string `json:"quoteToken"`
		QuotedMessageID string `json:"quotedMessageId"`
		ContentProvider *struct {
			Type               string `json:"type"`
			OriginalContentURL string `json:"originalContentUrl"`
			PreviewImageURL    string `json:"previewImageUrl"`
		} `json:"contentProvider"`
		ImageSet            *channel.ImageSet `json:"imageSet"`
		Duration            int64             `json:"duration"`
		FileName            string            `json:"fileName"`
		FileSize            int64             `json:"fileSize"`
		Title               string            `json:"title"`
		Address             string            `json:"address"`
		Latitude            float64           `json:"latitude"`
		Longitude           float64           `json:"longitude"`
		PackageID           string            `json:"packageId"`
		StickerID           string            `json:"stickerId"`
		StickerResourceType string            `json:"stickerResourceType"`
		Keywords            []string          `json:"keywords"`
	}
)

// parseBody decodes a verified body into one event per element of its "events" array, in order. Only a
// body that is not a JSON object, or whose "events" is not an array, is an error (wrapping
// channel.ErrInvalidRequest, without quoting the body); "events" missing or null is an empty batch. Each
// event is then decoded on its own, so one that does not decode becomes channel.EventUnknown (see
// parseEvent) and never fails its neighbours.
//
// The usual body (known types, fields as documented) first takes a fast path: one decoding pass over
// the whole body. Only when that fails, or an event needs its raw JSON, is the body decoded event by
// event.
func parseBody(body []byte) ([]channel.Event, destination, error) {
	if events, dest, ok := parseFast(body); ok {
		return events, dest, nil
	}
	return parseEach(body)
}

// parseEach decodes body event by event.
func parseEach(body []byte) ([]channel.Event, destination, error) {
	var wb webhookBody
	if err := json.Unmarshal(body, &wb); err != nil {
		// The decoder's message may quote the body; say only where it broke.
		return nil, "", fmt.Errorf("line webhook: body is not valid webhook JSON (%s): %w", jsonErrorPlace(err), channel.ErrInvalidRequest)
	}
	events := make([]channel.Event, len(wb.Events))
	decoded := make([]lineEvent, len(wb.Events)) // one allocation; each event decodes into a zero struct
	for i, raw := range wb.Events {
		parseEvent(raw, &decoded[i], &events[i])
	}
	return events, wb.Destination, nil
}

// parseFast decodes body in one pass and reports whether every event mapped without its raw JSON.
func parseFast(body []byte) ([]channel.Event, destination, bool) {
	var all struct {
		Destination destination `json:"destination"`
		Events      []lineEvent `json:"events"`
	}
	if json.Unmarshal(body, &all) != nil {
		return nil, "", false
	}
	events := make([]channel.Event, len(all.Events))
	for i := range all.Events {
		if !mapEvent(&all.Events[i], &events[i]) {
			return nil, "", false
		}
	}
	return events, all.Destination, true
}

// destination is a webhook body's "destination": the user ID of the bot the body is for. It decodes
// leniently: a value that is not a JSON string leaves it empty instead of failing the body, as the
// destination never decided whether a body parses.
type destination string

// UnmarshalJSON keeps a JSON string and ignores anything else.
func (d *destination) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' {
		*d = ""
		return nil
	}
	if bytes.IndexByte(b, '\\') < 0 { // the usual case: no escapes, the bytes between the quotes
		*d = destination(b[1 : len(b)-1])
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		s = ""
	}
	*d = destination(s)
	return nil
}

// parseEvent decodes one event's JSON into le and maps it onto e, attaching the raw JSON the mapping
// needs. An event that does not decode becomes channel.EventUnknown with all of raw kept and whatever
// of its common fields decode on their own.
func parseEvent(raw json.RawMessage, le *lineEvent, e *channel.Event) {
	if err := json.Unmarshal(raw, le); err != nil {
		recoverEvent(raw, e)
		return
	}
	if !mapEvent(le, e) {
		attachRaw(e, raw)
	}
}

// recoverEvent makes raw, an event that does not decode, an unknown event with all of raw and the common
// fields that decode on their own; a field of the wrong type is left empty.
func recoverEvent(raw json.RawMessage, e *channel.Event) {
	var h eventHead
	_ = json.Unmarshal(raw, &h) // fails only when raw is not an object: then there is nothing to recover
	*e = channel.Event{
		ID:         decodeOrZero[string](h.WebhookEventID),
		Kind:       channel.EventUnknown,
		Type:       decodeOrZero[string](h.Type),
		Time:       time.UnixMilli(decodeOrZero[int64](h.Timestamp)).UTC(), // as mapEvent has it without one
		Redelivery: decodeOrZero[eventDelivery](h.DeliveryContext).IsRedelivery,
		Mode:       channel.Mode(decodeOrZero[string](h.Mode)),
		ReplyToken: decodeOrZero[string](h.ReplyToken),
		Raw:        bytes.Clone(raw),
	}
	if src := decodeOrZero[*lineSource](h.Source); src != nil {
		e.Source, _ = peer(src)
	}
}

// decodeOrZero decodes raw as a T, or returns T's zero value when raw is missing or does not decode.
func decodeOrZero[T any](raw json.RawMessage) T {
	var v T
	if json.Unmarshal(raw, &v) != nil {
		var zero T
		return zero
	}
	return v
}

// jsonErrorPlace describes where decoding failed without quoting the input.
func jsonErrorPlace(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("syntax error at byte %d", e.Offset)
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("field %q has the wrong type at byte %d", e.Field, e.Offset)
	}
	return "malformed"
}

// attachRaw keeps the raw JSON a mapped event needs from raw, the event's own JSON: the whole event when
// its type is unknown, the message content when only that is unknown, and the whole event when only the
// source is.
func attachRaw(e *channel.Event, raw json.RawMessage) {
	switch {
	case e.Kind == channel.EventUnknown:
		e.Raw = bytes.Clone(raw)
	case e.Message != nil && e.Message.Type == channel.TypeRaw:
		var parts struct {
			Message json.RawMessage `json:"message"`
		}
		if json.Unmarshal(raw, &parts) == nil { // it does: raw decoded into lineEvent
			e.Message.Raw = parts.Message // a copy: RawMessage's decoding copies
		}
	default: // an unknown source type on a known event
		e.Raw = bytes.Clone(raw)
	}
}

var eventKinds = map[string]channel.EventKind{
	"message": channel.EventMessage, "follow": channel.EventFollow, "unfollow": channel.EventUnfollow,
	"join": channel.EventJoin, "leave": channel.EventLeave, "memberJoined": channel.EventMemberJoined,
	"memberLeft": channel.EventMemberLeft, "postback": channel.EventPostback, "unsend": channel.EventUnsend,
	"videoPlayComplete": channel.EventVideoPlayComplete, "beacon": channel.EventBeacon,
	"accountLink": channel.EventAccountLink,
}

// mapEvent fills e from le and reports whether e is complete without the event's raw JSON.
func mapEvent(le *lineEvent, e *channel.Event) (complete bool) {
	e.ID, e.Type = le.WebhookEventID, le.Type
	e.Time = time.UnixMilli(le.Timestamp).UTC()
	e.Redelivery = le.DeliveryContext.IsRedelivery
	e.Mode = channel.Mode(le.Mode)
	e.ReplyToken = le.ReplyToken
	complete = true
	if le.Source != nil {
		var known bool
		e.Source, known = peer(le.Source)
		complete = known
	}
	kind, known := eventKinds[le.Type]
	if !known {
		e.Kind = channel.EventUnknown
		return false
	}
	e.Kind = kind
	switch kind {
	case channel.EventMessage:
		if le.Message == nil {
			e.Kind = channel.EventUnknown // a message event without a message: keep it whole
			return false
		}
		e.Message = content(le.Message)
		if e.Message.Type == channel.TypeRaw {
			return false
		}
	case channel.EventFollow:
		e.Unblocked = le.Follow != nil && le.Follow.IsUnblocked
	case channel.EventMemberJoined:
		e.Members = members(le.Joined)
	case channel.EventMemberLeft:
		e.Members = members(le.Left)
	case channel.EventPostback:
		if le.Postback != nil {
			e.Postback = &channel.Postback{Data: le.Postback.Data, Params: le.Postback.Params}
		}
	case channel.EventUnsend:
		if le.Unsend != nil {
			e.UnsentMessageID = le.Unsend.MessageID
		}
	case channel.EventVideoPlayComplete:
		if le.VideoPlayComplete != nil {
			e.TrackingID = le.VideoPlayComplete.TrackingID
		}
	case channel.EventBeacon:
		if b := le.Beacon; b != nil {
			e.Beacon = &channel.Beacon{HardwareID: b.HWID, Type: b.Type, DeviceMessage: b.DM}
		}
	case channel.EventAccountLink:
		if l := le.Link; l != nil {
			e.AccountLink = &channel.AccountLink{Result: l.Result, Nonce: l.Nonce}
		}
	}
	return complete
}

// peer maps a LINE source and reports whether its type is known.
func peer(s *lineSource) (channel.Peer, bool) {
	switch s.Type {
	case "user":
		return channel.User(s.UserID), true
	case "group":
		return channel.Group(s.GroupID, s.UserID), true
	case "room":
		return channel.Room(s.RoomID, s.UserID), true
	}
	return channel.Peer{Kind: channel.PeerKind(s.Type), UserID: s.UserID}, false
}

func members(m *lineMembers) []channel.Peer {
	if m == nil {
		return nil
	}
	out := make([]channel.Peer, len(m.Members))
	for i := range m.Members {
		out[i], _ = peer(&m.Members[i])
	}
	return out
}

// content maps a message's content; an unknown type becomes TypeRaw (its JSON is attached later).
func content(c *lineContent) *channel.Message {
	m := &channel.Message{ID: c.ID, QuoteToken: c.QuoteToken, QuotedMessageID: c.QuotedMessageID}
	switch c.Type {
	case "text":
		m.Type, m.Text, m.Emojis = channel.TypeText, c.Text, c.Emojis
		if c.Mention != nil {
			m.Mentions = make([]channel.Mention, len(c.Mention.Mentionees))
			for i, me := range c.Mention.Mentionees {
				m.Mentions[i] = channel.Mention{Index: me.Index, Length: me.Length, UserID: me.UserID, All: me.Type == "all"}
			}
		}
	case "image", "video", "audio":
		m.Type = channel.MessageType(c.Type)
		m.Media = &channel.Media{Duration: time.Duration(c.Duration) * time.Millisecond, Set: c.ImageSet}
		if p := c.ContentProvider; p != nil && p.Type == "external" {
			m.Media.URL, m.Media.PreviewURL = p.OriginalContentURL, p.PreviewImageURL
		}
	case "file":
		m.Type, m.Media = channel.TypeFile, &channel.Media{FileName: c.FileName, Size: c.FileSize}
	case "location":
		m.Type = channel.TypeLocation
		m.Location = &channel.Location{Title: c.Title, Address: c.Address, Latitude: c.Latitude, Longitude: c.Longitude}
	case "sticker":
		m.Type = channel.TypeSticker
		m.Sticker = &channel.Sticker{PackageID: c.PackageID, StickerID: c.StickerID,
			ResourceType: c.StickerResourceType, Keywords: c.Keywords, Text: c.Text}
	default:
		m.Type = channel.TypeRaw
	}
	return m
}
