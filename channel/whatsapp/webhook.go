package whatsapp

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// SignatureHeader carries a webhook's signature: "sha256=" + hex(HMAC-SHA256(app secret, body)).
const SignatureHeader = "X-Hub-Signature-256"

// ParseWebhook verifies the request's X-Hub-Signature-256 against the app secret (or, during a
// changeover, the previous one) on a body of at most Options.MaxBodyBytes, then maps every change of
// every entry (see ParseBody).
func (a *Adapter) ParseWebhook(r *http.Request) ([]channel.Event, error) {
	body, err := a.readBody(r)
	if err != nil {
		return nil, err
	}
	if !a.verify(r.Header.Get(SignatureHeader), body) {
		return nil, fmt.Errorf("whatsapp webhook: %w", channel.ErrInvalidSignature)
	}
	return parseBody(body)
}

// ParseBody implements channel.BodyParser: the events of a body ParseWebhook verified before, parsed
// exactly as ParseWebhook parses them.
//
// Each element of value.messages becomes one event, each element of value.statuses one receipt, each
// element of value.errors one channel.EventUnknown (Type "error"), in that order, change by change. A
// change of another field (template status, account updates, …), an entry of another object, and
// anything that does not decode become one channel.EventUnknown with its JSON: one odd part never fails
// its neighbours. Only a body that is not a JSON object, or whose "entry" is not an array, is an error,
// wrapping channel.ErrInvalidRequest; its text never quotes the body.
func (a *Adapter) ParseBody(body []byte) ([]channel.Event, error) { return parseBody(body) }

// readBody reads at most maxBody bytes, answering a larger body with *http.MaxBytesError.
func (a *Adapter) readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > a.maxBody {
		return nil, fmt.Errorf("whatsapp webhook: %w", &http.MaxBytesError{Limit: a.maxBody})
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, a.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("whatsapp webhook: reading body: %w", err)
	}
	if int64(len(body)) > a.maxBody {
		return nil, fmt.Errorf("whatsapp webhook: %w", &http.MaxBytesError{Limit: a.maxBody})
	}
	return body, nil
}

// verify reports whether header is "sha256=" + the hex HMAC of body under the app secret, or under the
// previous secret while its changeover lasts. The comparison takes constant time.
func (a *Adapter) verify(header string, body []byte) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	if hmac.Equal(got, sign(a.cfg.AppSecret, body)) {
		return true
	}
	return a.cfg.PreviousAppSecret != "" && a.now().Before(a.cfg.PreviousAppSecretUntil) &&
		hmac.Equal(got, sign(a.cfg.PreviousAppSecret, body))
}

func sign(secret string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return mac.Sum(nil)
}

// maxChallenge bounds the hub.challenge echoed by Handshake.
const maxChallenge = 256

// Handshake implements channel.Handshaker: Meta's GET verification of the webhook URL. It answers
// hub.challenge when hub.mode is "subscribe" and hub.verify_token is Config.VerifyToken (compared in
// constant time). A wrong token (or none configured) returns an error wrapping
// channel.ErrInvalidSignature; a missing mode, token or challenge, or a challenge that is not a short
// token of letters, digits, '-', '_' and '.', returns an error wrapping channel.ErrInvalidRequest.
func (a *Adapter) Handshake(r *http.Request) ([]byte, error) {
	q := r.URL.Query()
	mode, token, challenge := q.Get("hub.mode"), q.Get("hub.verify_token"), q.Get("hub.challenge")
	if mode != "subscribe" || token == "" || !validChallenge(challenge) {
		return nil, fmt.Errorf("whatsapp handshake: hub.mode=subscribe, hub.verify_token and hub.challenge are required: %w", channel.ErrInvalidRequest)
	}
	if a.cfg.VerifyToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(a.cfg.VerifyToken)) != 1 {
		return nil, fmt.Errorf("whatsapp handshake: wrong verify token: %w", channel.ErrInvalidSignature)
	}
	return []byte(challenge), nil
}

func validChallenge(s string) bool {
	if s == "" || len(s) > maxChallenge {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// The webhook body as Meta sends it: {object, entry: [{id, changes: [{field, value}]}]}. Each level is
// kept raw and decoded on its own, so one part of an unexpected shape spoils only itself.
type (
	webhookEntry struct {
		ID      string            `json:"id"`
		Changes []json.RawMessage `json:"changes"`
	}
	webhookChange struct {
		Field string          `json:"field"`
		Value json.RawMessage `json:"value"`
	}
	// changeValue is value of a "messages" change, each part raw.
	changeValue struct {
		MessagingProduct string          `json:"messaging_product"`
		Metadata         json.RawMessage `json:"metadata"`
		Contacts         json.RawMessage `json:"contacts"`
		Messages         json.RawMessage `json:"messages"`
		Statuses         json.RawMessage `json:"statuses"`
		Errors           json.RawMessage `json:"errors"`
	}
	metadata struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	}
	contact struct {
		WaID    string `json:"wa_id"`
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
	}
	waMessage struct {
		From      string  `json:"from"`
		ID        string  `json:"id"`
		Timestamp flexInt `json:"timestamp"`
		Type      string  `json:"type"`
		GroupID   string  `json:"group_id"`
		Context   *struct {
			ID string `json:"id"`
		} `json:"context"`
		Text *struct {
			Body string `json:"body"`
		} `json:"text"`
		Image    *waMedia `json:"image"`
		Video    *waMedia `json:"video"`
		Audio    *waMedia `json:"audio"`
		Document *waMedia `json:"document"`
		Sticker  *waMedia `json:"sticker"`
		Location *struct {
			Latitude  float64 `json:"latitude"`
			Longitude float64 `json:"longitude"`
			Name      string  `json:"name"`
			Address   string  `json:"address"`
		} `json:"location"`
		Contacts    []sharedContact `json:"contacts"`
		Interactive *interactive    `json:"interactive"`
		Button      *struct {
			Payload string `json:"payload"`
			Text    string `json:"text"`
		} `json:"button"`
		Reaction *struct {
			MessageID string `json:"message_id"`
			Emoji     string `json:"emoji"`
		} `json:"reaction"`
	}
	waMedia struct {
		ID       string `json:"id"`
		MimeType string `json:"mime_type"`
		Caption  string `json:"caption"`
		Filename string `json:"filename"`
		Animated bool   `json:"animated"`
	}
	interactive struct {
		Type        string `json:"type"`
		ButtonReply *reply `json:"button_reply"`
		ListReply   *reply `json:"list_reply"`
	}
	reply struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	sharedContact struct {
		Name struct {
			FormattedName string `json:"formatted_name"`
			FirstName     string `json:"first_name"`
			LastName      string `json:"last_name"`
		} `json:"name"`
		Phones []struct {
			Phone string `json:"phone"`
		} `json:"phones"`
	}
	waStatus struct {
		ID          string  `json:"id"`
		Status      string  `json:"status"`
		Timestamp   flexInt `json:"timestamp"`
		RecipientID string  `json:"recipient_id"`
		GroupID     string  `json:"group_id"`
		Errors      []struct {
			Code  int    `json:"code"`
			Title string `json:"title"`
		} `json:"errors"`
	}
	// head is what recovery reads from a message or status that does not decode: each field raw.
	head struct {
		ID          json.RawMessage `json:"id"`
		From        json.RawMessage `json:"from"`
		RecipientID json.RawMessage `json:"recipient_id"`
		Type        json.RawMessage `json:"type"`
		Status      json.RawMessage `json:"status"`
		Timestamp   json.RawMessage `json:"timestamp"`
	}
	// reduced is a change's value cut down to one event: what Event.Raw holds.
	reduced struct {
		MessagingProduct string            `json:"messaging_product,omitempty"`
		Metadata         json.RawMessage   `json:"metadata,omitempty"`
		Contacts         []json.RawMessage `json:"contacts,omitempty"`
		Messages         []json.RawMessage `json:"messages,omitempty"`
		Statuses         []json.RawMessage `json:"statuses,omitempty"`
		Errors           []json.RawMessage `json:"errors,omitempty"`
	}
)

// flexInt is a JSON integer sent as a string ("1749416383") or a number. One that does not parse is 0,
// never an error: a timestamp or size of an unexpected form spoils only itself.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64)
	if err != nil {
		v = 0
	}
	*n = flexInt(v)
	return nil
}

// time returns n as a Unix time in seconds; the zero time for 0.
func (n flexInt) time() time.Time {
	if n <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(n), 0).UTC()
}

// The object Meta names WhatsApp webhooks with.
const objectWhatsApp = "whatsapp_business_account"

// parseBody decodes a verified body, entry by entry and change by change.
func parseBody(body []byte) ([]channel.Event, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		// The decoder's message may quote the body; say only where it broke.
		place := "not a JSON object"
		if err != nil {
			place = jsonErrorPlace(err)
		}
		return nil, fmt.Errorf("whatsapp webhook: body is not valid webhook JSON (%s): %w", place, channel.ErrInvalidRequest)
	}
	entries, ok := decodeArray(top["entry"])
	if !ok {
		return nil, fmt.Errorf("whatsapp webhook: \"entry\" is not an array: %w", channel.ErrInvalidRequest)
	}
	object := ""
	if raw, ok := top["object"]; ok && string(raw) != "null" {
		object = orDefault(decodeOrZero[string](raw), "object")
	}
	events := make([]channel.Event, 0, len(entries))
	for _, raw := range entries {
		events = parseEntry(events, object, raw)
	}
	return events, nil
}

// parseEntry appends the events of one entry.
func parseEntry(events []channel.Event, object string, raw json.RawMessage) []channel.Event {
	var en webhookEntry
	if object != objectWhatsApp && object != "" {
		return append(events, unknown(orDefault(object, "entry"), "", raw))
	}
	if err := json.Unmarshal(raw, &en); err != nil {
		return append(events, unknown("entry", "", raw))
	}
	for _, ch := range en.Changes {
		events = parseChange(events, ch)
	}
	return events
}

// parseChange appends the events of one change.
func parseChange(events []channel.Event, raw json.RawMessage) []channel.Event {
	var c webhookChange
	if err := json.Unmarshal(raw, &c); err != nil {
		return append(events, unknown("change", "", raw))
	}
	if c.Field != "messages" {
		return append(events, unknown(orDefault(c.Field, "change"), "", raw))
	}
	var v changeValue
	if err := json.Unmarshal(c.Value, &v); err != nil {
		return append(events, unknown("messages", "", raw))
	}
	meta := decodeOrZero[metadata](v.Metadata)
	msgs, okM := decodeArray(v.Messages)
	statuses, okS := decodeArray(v.Statuses)
	errs, okE := decodeArray(v.Errors)
	if !okM || !okS || !okE || len(msgs)+len(statuses)+len(errs) == 0 {
		return append(events, unknown("messages", meta.PhoneNumberID, raw))
	}
	contacts, _ := decodeArray(v.Contacts)
	base := reduced{MessagingProduct: v.MessagingProduct, Metadata: v.Metadata}
	for _, m := range msgs {
		events = append(events, messageEvent(m, meta.PhoneNumberID, base, contacts))
	}
	for _, s := range statuses {
		events = append(events, statusEvent(s, meta.PhoneNumberID, base))
	}
	for _, e := range errs {
		r := base
		r.Errors = []json.RawMessage{e}
		ev := unknown("error", meta.PhoneNumberID, e)
		ev.Raw = r.json(e)
		events = append(events, ev)
	}
	return events
}

// messageEvent maps one element of value.messages.
func messageEvent(raw json.RawMessage, account string, base reduced, contacts []json.RawMessage) channel.Event {
	var m waMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return recovered(raw, account, base, contacts, "message")
	}
	e := channel.Event{ID: m.ID, Account: account, Kind: channel.EventMessage, Type: m.Type, Time: m.Timestamp.time(),
		Source: peer(m.From, m.GroupID)}
	r := base
	r.Contacts, r.Messages = senderContact(contacts, m.From), []json.RawMessage{raw}
	e.Raw, e.Profile = r.json(raw), profileOf(r.Contacts, m.From)
	if e.ID == "" {
		e.ID = hashID("message", raw)
	}
	msg := &channel.Message{ID: m.ID}
	if m.Context != nil {
		msg.QuotedMessageID = m.Context.ID
	}
	keepRaw := true
	switch m.Type {
	case "text":
		if m.Text == nil {
			msg.Type = channel.TypeRaw
			break
		}
		msg.Type, msg.Text, keepRaw = channel.TypeText, m.Text.Body, false
	case "image", "video", "audio", "document":
		md := map[string]*waMedia{"image": m.Image, "video": m.Video, "audio": m.Audio, "document": m.Document}[m.Type]
		if md == nil {
			msg.Type = channel.TypeRaw
			break
		}
		msg.Type, msg.Text = channel.MessageType(m.Type), md.Caption
		msg.Media = &channel.Media{ID: md.ID, ContentType: md.MimeType, FileName: md.Filename}
		if m.Type == "document" {
			msg.Type = channel.TypeFile
		}
	case "sticker":
		if m.Sticker == nil {
			msg.Type = channel.TypeRaw
			break
		}
		kind := "STATIC"
		if m.Sticker.Animated {
			kind = "ANIMATION"
		}
		msg.Type, msg.Sticker = channel.TypeSticker, &channel.Sticker{StickerID: m.Sticker.ID, ResourceType: kind}
		msg.Media = &channel.Media{ID: m.Sticker.ID, ContentType: m.Sticker.MimeType} // its WebP, by the media ID
	case "location":
		if l := m.Location; l != nil {
			msg.Type, keepRaw = channel.TypeLocation, false
			msg.Location = &channel.Location{Title: l.Name, Address: l.Address, Latitude: l.Latitude, Longitude: l.Longitude}
		} else {
			msg.Type = channel.TypeRaw
		}
	case "contacts":
		msg.Type, msg.Text = channel.TypeRaw, contactsText(m.Contacts)
	case "interactive":
		msg.Type = channel.TypeRaw
		if rp := interactiveReply(m.Interactive); rp != nil {
			msg.Type, msg.Text = channel.TypeText, rp.Title
		}
	case "button":
		msg.Type = channel.TypeRaw
		if m.Button != nil {
			msg.Type, msg.Text = channel.TypeText, m.Button.Text
		}
	case "reaction":
		if m.Reaction != nil {
			e.Kind, e.Reaction = channel.EventReaction, &channel.Reaction{MessageID: m.Reaction.MessageID, Emoji: m.Reaction.Emoji}
			return e
		}
		msg.Type = channel.TypeRaw
	case "system": // a notice about the customer (a changed number), not a message from them
		e.Kind = channel.EventUnknown
		return e
	default:
		msg.Type = channel.TypeRaw
	}
	if keepRaw {
		msg.Raw = bytes.Clone(raw)
	}
	e.Message = msg
	return e
}

// receiptStatuses maps WhatsApp's statuses onto receipts.
var receiptStatuses = map[string]channel.ReceiptStatus{
	"sent": channel.ReceiptSent, "delivered": channel.ReceiptDelivered, "read": channel.ReceiptRead, "failed": channel.ReceiptFailed,
}

// statusEvent maps one element of value.statuses. Its ID is the message's ID and the status, so that
// each status of a message is one event, and a redelivered one deduplicates.
func statusEvent(raw json.RawMessage, account string, base reduced) channel.Event {
	r := base
	r.Statuses = []json.RawMessage{raw}
	var s waStatus
	if err := json.Unmarshal(raw, &s); err != nil {
		return recovered(raw, account, base, nil, "status")
	}
	e := channel.Event{ID: s.ID + ":" + s.Status, Account: account, Kind: channel.EventReceipt, Type: "status",
		Time: s.Timestamp.time(), Source: peer(s.RecipientID, s.GroupID), Raw: r.json(raw)}
	if s.ID == "" {
		e.ID = hashID("status", raw)
	}
	status, ok := receiptStatuses[s.Status]
	if !ok || s.ID == "" {
		e.Kind = channel.EventUnknown
		return e
	}
	e.Receipt = &channel.Receipt{MessageID: s.ID, Status: status}
	if status == channel.ReceiptFailed {
		parts := make([]string, 0, len(s.Errors))
		for _, er := range s.Errors {
			parts = append(parts, strings.TrimSpace(strconv.Itoa(er.Code)+" "+er.Title))
		}
		e.Receipt.Error = strings.Join(parts, "; ")
	}
	return e
}

// recovered makes raw, a message or status that does not decode, an unknown event with all of raw and
// whatever of its ID, sender and time decode on their own.
func recovered(raw json.RawMessage, account string, base reduced, contacts []json.RawMessage, what string) channel.Event {
	var h head
	_ = json.Unmarshal(raw, &h)
	from := decodeOrZero[string](h.From)
	r := base
	if what == "status" {
		r.Statuses = []json.RawMessage{raw}
		from = decodeOrZero[string](h.RecipientID)
	} else {
		r.Contacts, r.Messages = senderContact(contacts, from), []json.RawMessage{raw}
	}
	var profile *channel.Profile
	if what != "status" && from != "" {
		profile = profileOf(r.Contacts, from)
	}
	e := channel.Event{ID: decodeOrZero[string](h.ID), Account: account, Kind: channel.EventUnknown,
		Type: orDefault(decodeOrZero[string](h.Type), what), Time: decodeOrZero[flexInt](h.Timestamp).time(), Raw: r.json(raw),
		Profile: profile}
	if from != "" {
		e.Source = channel.User(from)
	}
	if e.ID == "" {
		e.ID = hashID(what, raw)
	} else if what == "status" {
		e.ID += ":" + decodeOrZero[string](h.Status)
	}
	return e
}

// unknown is an event for raw, a part the adapter does not model, with an ID derived from its bytes:
// WhatsApp gives such parts none, and a redelivery of the same bytes deduplicates.
func unknown(typ, account string, raw json.RawMessage) channel.Event {
	return channel.Event{ID: hashID(typ, raw), Account: account, Kind: channel.EventUnknown, Type: typ, Raw: bytes.Clone(raw)}
}

// hashID derives a stable event ID from a part's type and bytes.
func hashID(typ string, raw []byte) string {
	sum := sha256.Sum256(raw)
	return typ + ":" + hex.EncodeToString(sum[:16])
}

// peer is the chat of a message: a one-to-one chat with the WhatsApp user, or a group.
func peer(user, group string) channel.Peer {
	if group != "" {
		return channel.Group(group, user)
	}
	return channel.User(user)
}

// senderContact returns the element of value.contacts describing the sender (by wa_id, or the only one).
func senderContact(contacts []json.RawMessage, from string) []json.RawMessage {
	for _, c := range contacts {
		if decodeOrZero[contact](c).WaID == from && from != "" {
			return []json.RawMessage{c}
		}
	}
	if len(contacts) == 1 {
		return contacts
	}
	return nil
}

// profileOf returns the profile of the sender from, as their entry of value.contacts (senderContact's
// answer) names it, or nil when it names nobody.
func profileOf(contacts []json.RawMessage, from string) *channel.Profile {
	if len(contacts) != 1 || from == "" {
		return nil
	}
	name := decodeOrZero[contact](contacts[0]).Profile.Name
	if name == "" {
		return nil
	}
	return &channel.Profile{UserID: from, DisplayName: name}
}

// json encodes r, or returns fallback when it cannot (it always can: its parts were decoded from JSON).
func (r reduced) json(fallback json.RawMessage) json.RawMessage {
	b, err := json.Marshal(r)
	if err != nil {
		return bytes.Clone(fallback)
	}
	return b
}

// contactsText renders shared contacts as plain text: one line per contact, its name and phones.
func contactsText(cs []sharedContact) string {
	lines := make([]string, 0, len(cs))
	for _, c := range cs {
		name := c.Name.FormattedName
		if name == "" {
			name = strings.TrimSpace(c.Name.FirstName + " " + c.Name.LastName)
		}
		phones := make([]string, 0, len(c.Phones))
		for _, p := range c.Phones {
			if p.Phone != "" {
				phones = append(phones, p.Phone)
			}
		}
		line := name
		if len(phones) > 0 {
			line = strings.TrimSpace(line + ": " + strings.Join(phones, ", "))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// decodeArray decodes raw as a JSON array; missing or null is an empty one. ok is false when raw is
// something else.
func decodeArray(raw json.RawMessage) (items []json.RawMessage, ok bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	return items, json.Unmarshal(raw, &items) == nil
}

// decodeOrZero decodes raw as a T, or returns T's zero value when raw is missing or does not decode.
func decodeOrZero[T any](raw json.RawMessage) T {
	var v T
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		var zero T
		return zero
	}
	return v
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
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

// ReplyID returns what the customer's tap on a button or list row carries, for an inbound message this
// adapter parsed: the id of an interactive button or list reply, or the payload of a template's quick
// reply button. It returns "" for other messages.
func ReplyID(m channel.Message) string {
	var v waMessage
	if json.Unmarshal(m.Raw, &v) != nil {
		return ""
	}
	switch {
	case v.Type == "button" && v.Button != nil:
		return v.Button.Payload
	case v.Type == "interactive" && interactiveReply(v.Interactive) != nil:
		return interactiveReply(v.Interactive).ID
	}
	return ""
}

// interactiveReply returns the button or list reply of an interactive message, or nil for other
// interactive types (a flow's answer, …).
func interactiveReply(in *interactive) *reply {
	switch {
	case in == nil:
		return nil
	case in.Type == "button_reply":
		return in.ButtonReply
	case in.Type == "list_reply":
		return in.ListReply
	}
	return nil
}
