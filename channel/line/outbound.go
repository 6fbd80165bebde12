package line

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/msgkit/msgkit/channel"
)

// LINE's limits on the parts of a message (Messaging API reference: quick reply, action and sender
// objects). Lengths are counted as LINE counts them: an action's label and text in grapheme clusters
// (user-perceived characters: "👍🏽" is one), postback data and a sender's name in UTF-16 code units.
const (
	MaxQuickReplies       = 13   // quick-reply buttons per message
	MaxLabelLength        = 20   // a quick-reply button's label
	MaxActionTextLength   = 300  // the text a quick-reply button sends (or displays, with Data)
	MaxActionDataLength   = 300  // a quick-reply postback's data
	MaxSenderNameLength   = 20   // a sender's display name
	MaxURLLength          = 2000 // a quick-reply icon or sender icon URL
	maxSubstitutionsPerV2 = 100  // mentions and emojis of one text sent as textV2
)

// outbound checks msgs against LINE's limits and converts them to the SDK's message types.
func outbound(to channel.Peer, msgs []channel.Message) ([]messaging_api.MessageInterface, error) {
	if to.ID == "" {
		return nil, fmt.Errorf("line send: no recipient: %w", channel.ErrInvalidRequest)
	}
	if len(msgs) == 0 || len(msgs) > MaxMessages {
		return nil, fmt.Errorf("line send: %d messages, LINE takes 1 to %d per call: %w", len(msgs), MaxMessages, channel.ErrInvalidRequest)
	}
	out := make([]messaging_api.MessageInterface, len(msgs))
	for i, m := range msgs {
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("line send: message %d: %w", i+1, err)
		}
		if len(m.QuickReplies) > 0 && i != len(msgs)-1 {
			return nil, fmt.Errorf("line send: message %d of %d has quick replies, but LINE shows only those of the last message: %w",
				i+1, len(msgs), channel.ErrInvalidRequest)
		}
		lm, err := toLINE(m)
		if err != nil {
			return nil, fmt.Errorf("line send: message %d: %w", i+1, err)
		}
		out[i] = lm
	}
	return out, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, channel.ErrInvalidRequest)...)
}

// toLINE converts one validated message, with its quick replies and sender.
func toLINE(m channel.Message) (messaging_api.MessageInterface, error) {
	if m.Type != channel.TypeText {
		switch {
		case len(m.Mentions) > 0:
			return nil, invalid("%s message: LINE sends mentions only in text messages", m.Type)
		case len(m.Emojis) > 0:
			return nil, invalid("%s message: LINE sends emojis only in text messages", m.Type)
		case m.QuoteToken != "" && m.Type != channel.TypeSticker && m.Type != channel.TypeLink:
			return nil, invalid("%s message: LINE quotes only from text and sticker messages", m.Type)
		}
	}
	qr, err := quickReply(m.QuickReplies)
	if err != nil {
		return nil, err
	}
	sender, err := toSender(m.Sender)
	if err != nil {
		return nil, err
	}
	switch m.Type {
	case channel.TypeText:
		if n := channel.UnitUTF16.Count(m.Text); n > MaxTextLength {
			return nil, invalid("text is %d UTF-16 code units, LINE takes %d", n, MaxTextLength)
		}
		if len(m.Mentions) > 0 {
			return textV2Of(m, qr, sender)
		}
		t := &messaging_api.TextMessage{Text: m.Text, QuoteToken: m.QuoteToken, QuickReply: qr, Sender: sender}
		for _, e := range m.Emojis {
			t.Emojis = append(t.Emojis, messaging_api.Emoji{Index: int32(e.Index), ProductId: e.ProductID, EmojiId: e.EmojiID})
		}
		return t, nil
	case channel.TypeImage:
		return &messaging_api.ImageMessage{OriginalContentUrl: m.Media.URL, PreviewImageUrl: m.Media.PreviewURL,
			QuickReply: qr, Sender: sender}, nil
	case channel.TypeVideo:
		return &messaging_api.VideoMessage{OriginalContentUrl: m.Media.URL, PreviewImageUrl: m.Media.PreviewURL,
			QuickReply: qr, Sender: sender}, nil
	case channel.TypeAudio:
		return &messaging_api.AudioMessage{OriginalContentUrl: m.Media.URL, Duration: m.Media.Duration.Milliseconds(),
			QuickReply: qr, Sender: sender}, nil
	case channel.TypeSticker:
		return &messaging_api.StickerMessage{PackageId: m.Sticker.PackageID, StickerId: m.Sticker.StickerID,
			QuoteToken: m.QuoteToken, QuickReply: qr, Sender: sender}, nil
	case channel.TypeLocation:
		l := m.Location
		title, address := l.Title, l.Address
		coords := strconv.FormatFloat(l.Latitude, 'f', -1, 64) + ", " + strconv.FormatFloat(l.Longitude, 'f', -1, 64)
		if title == "" { // LINE requires both
			title = "Location"
		}
		if address == "" {
			address = coords
		}
		return &messaging_api.LocationMessage{Title: title, Address: address, Latitude: l.Latitude, Longitude: l.Longitude,
			QuickReply: qr, Sender: sender}, nil
	case channel.TypeLink:
		text := m.Link.URL
		if title := strings.TrimSpace(cmp.Or(m.Link.Title, m.Text)); title != "" {
			text = title + "\n" + m.Link.URL
		}
		if n := channel.UnitUTF16.Count(text); n > MaxTextLength {
			return nil, invalid("link text is %d UTF-16 code units, LINE takes %d", n, MaxTextLength)
		}
		return &messaging_api.TextMessage{Text: text, QuoteToken: m.QuoteToken, QuickReply: qr, Sender: sender}, nil
	case channel.TypeRaw:
		return rawOf(m, qr, sender)
	}
	return nil, invalid("%s messages cannot be sent on LINE", m.Type)
}

// quickReply converts quick-reply buttons: a message action sending Text, or with Data a postback action
// carrying Data and displaying Text.
func quickReply(qs []channel.QuickReply) (*messaging_api.QuickReply, error) {
	if len(qs) == 0 {
		return nil, nil
	}
	if len(qs) > MaxQuickReplies {
		return nil, invalid("%d quick replies, LINE takes at most %d per message", len(qs), MaxQuickReplies)
	}
	items := make([]messaging_api.QuickReplyItem, len(qs))
	for i, q := range qs {
		if err := checkGraphemes(fmt.Sprintf("quick reply %d: label", i+1), q.Label, 1, MaxLabelLength); err != nil {
			return nil, err
		}
		if q.IconURL != "" {
			if err := checkURL(fmt.Sprintf("quick reply %d: icon", i+1), q.IconURL); err != nil {
				return nil, err
			}
		}
		var action messaging_api.ActionInterface
		if q.Data != "" {
			if err := checkLength(fmt.Sprintf("quick reply %d: data", i+1), q.Data, 1, MaxActionDataLength); err != nil {
				return nil, err
			}
			if err := checkGraphemes(fmt.Sprintf("quick reply %d: text", i+1), q.Text, 0, MaxActionTextLength); err != nil {
				return nil, err
			}
			action = &messaging_api.PostbackAction{Label: q.Label, Data: q.Data, DisplayText: q.Text}
		} else {
			if q.Text == "" {
				return nil, invalid("quick reply %d: text (or data) is required: it is what tapping the button sends", i+1)
			}
			if err := checkGraphemes(fmt.Sprintf("quick reply %d: text", i+1), q.Text, 1, MaxActionTextLength); err != nil {
				return nil, err
			}
			action = &messaging_api.MessageAction{Label: q.Label, Text: q.Text}
		}
		items[i] = messaging_api.QuickReplyItem{Type: "action", ImageUrl: q.IconURL, Action: action}
	}
	return &messaging_api.QuickReply{Items: items}, nil
}

// toSender converts a sender; an empty one is none.
func toSender(s *channel.Sender) (*messaging_api.Sender, error) {
	if s == nil || *s == (channel.Sender{}) {
		return nil, nil
	}
	if err := checkLength("sender name", s.Name, 0, MaxSenderNameLength); err != nil {
		return nil, err
	}
	if s.IconURL != "" {
		if err := checkURL("sender icon", s.IconURL); err != nil {
			return nil, err
		}
	}
	return &messaging_api.Sender{Name: s.Name, IconUrl: s.IconURL}, nil
}

func checkLength(what, s string, lo, hi int) error {
	n := channel.UnitUTF16.Count(s)
	switch {
	case lo > 0 && n == 0:
		return invalid("%s is empty", what)
	case n > hi:
		return invalid("%s is %d UTF-16 code units, LINE takes at most %d", what, n, hi)
	}
	return nil
}

func checkGraphemes(what, s string, lo, hi int) error {
	n := graphemes(s)
	switch {
	case lo > 0 && n == 0:
		return invalid("%s is empty", what)
	case n > hi:
		return invalid("%s is %d characters, LINE takes at most %d", what, n, hi)
	}
	return nil
}

// graphemes counts the user-perceived characters of s as LINE counts action labels: Unicode extended
// grapheme clusters (UAX #29), approximated without the full tables. A character is a base rune with
// what attaches to it: combining marks, variation selectors, emoji modifiers and tags, a zero-width
// joiner with the rune it joins, and the second of a pair of regional indicators (a flag). This is exact
// for text, CJK, emoji sequences and flags; rarer clusters (conjoining Hangul jamo, prepended marks) count
// as more characters than LINE counts, so the check errs towards refusing.
func graphemes(s string) int {
	n := 0
	var prev rune = -1
	pairOpen := false // a regional indicator waits for its pair
	for _, r := range s {
		regional := 0x1F1E6 <= r && r <= 0x1F1FF
		attaches := unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) || r == 0x200D ||
			0xFE00 <= r && r <= 0xFE0F || 0xE0100 <= r && r <= 0xE01EF || // variation selectors
			0x1F3FB <= r && r <= 0x1F3FF || // emoji modifiers (skin tones)
			0xE0020 <= r && r <= 0xE007F || // tags (subdivision flags)
			prev == 0x200D || prev == '\r' && r == '\n'
		switch {
		case n > 0 && attaches:
		case n > 0 && regional && pairOpen:
			pairOpen = false
		default:
			n++
			pairOpen = regional
		}
		prev = r
	}
	return n
}

func checkURL(what, raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "":
		return invalid("%s must be an absolute https URL", what)
	case len(raw) > MaxURLLength:
		return invalid("%s URL is %d characters, LINE takes at most %d", what, len(raw), MaxURLLength)
	}
	return nil
}

// textV2 is LINE's text message (v2): text with {placeholders} that its substitution map turns into
// mentions and emojis. The SDK's own TextMessageV2 cannot carry a mentionee (its substitution values are
// the bare SubstitutionObject), so the adapter marshals its own.
type textV2 struct {
	Text         string                    `json:"text"`
	Substitution map[string]substitution   `json:"substitution,omitempty"`
	QuoteToken   string                    `json:"quoteToken,omitempty"`
	QuickReply   *messaging_api.QuickReply `json:"quickReply,omitempty"`
	Sender       *messaging_api.Sender     `json:"sender,omitempty"`
}

type substitution struct {
	Type      string     `json:"type"` // "mention" or "emoji"
	Mentionee *mentionee `json:"mentionee,omitempty"`
	ProductID string     `json:"productId,omitempty"`
	EmojiID   string     `json:"emojiId,omitempty"`
}

type mentionee struct {
	Type   string `json:"type"` // "user" or "all"
	UserID string `json:"userId,omitempty"`
}

// GetType implements messaging_api.MessageInterface.
func (textV2) GetType() string { return "textV2" }

// MarshalJSON adds the message type.
func (t *textV2) MarshalJSON() ([]byte, error) {
	type plain textV2
	return json.Marshal(struct {
		Type string `json:"type"`
		*plain
	}{"textV2", (*plain)(t)})
}

// textV2Of converts a text with mentions (and emojis) to textV2: each mention's or emoji's span of the
// text becomes a {placeholder}; literal braces are doubled, as textV2 requires.
func textV2Of(m channel.Message, qr *messaging_api.QuickReply, sender *messaging_api.Sender) (*textV2, error) {
	type span struct {
		at, end int
		key     string
		sub     substitution
	}
	units := utf16.Encode([]rune(m.Text))
	var spans []span
	for i, mt := range m.Mentions {
		what := fmt.Sprintf("mention %d", i+1)
		sub := substitution{Type: "mention", Mentionee: &mentionee{Type: "user", UserID: mt.UserID}}
		switch {
		case mt.All:
			sub.Mentionee = &mentionee{Type: "all"}
		case mt.UserID == "":
			return nil, invalid("%s: a user ID (or All) is required", what)
		case !validID(mt.UserID):
			return nil, invalid("%s: malformed user ID", what)
		}
		if mt.Length < 1 {
			return nil, invalid("%s: length must be positive", what)
		}
		spans = append(spans, span{mt.Index, mt.Index + mt.Length, "m" + strconv.Itoa(i+1), sub})
	}
	for i, e := range m.Emojis {
		if e.ProductID == "" || e.EmojiID == "" {
			return nil, invalid("emoji %d: product and emoji IDs are required", i+1)
		}
		spans = append(spans, span{e.Index, e.Index + max(e.Length, 1), "e" + strconv.Itoa(i+1),
			substitution{Type: "emoji", ProductID: e.ProductID, EmojiID: e.EmojiID}})
	}
	if len(spans) > maxSubstitutionsPerV2 {
		return nil, invalid("%d mentions and emojis, LINE takes at most %d per text", len(spans), maxSubstitutionsPerV2)
	}
	slices.SortFunc(spans, func(a, b span) int { return a.at - b.at })
	boundary := func(i int) bool { // not inside a surrogate pair
		return i == 0 || i == len(units) || !utf16.IsSurrogate(rune(units[i])) || !utf16.IsSurrogate(rune(units[i-1]))
	}
	var b strings.Builder
	literal := func(u []uint16) {
		for _, r := range utf16.Decode(u) {
			switch r {
			case '{':
				b.WriteString("{{")
			case '}':
				b.WriteString("}}")
			default:
				b.WriteRune(r)
			}
		}
	}
	t := &textV2{Substitution: map[string]substitution{}, QuoteToken: m.QuoteToken, QuickReply: qr, Sender: sender}
	prev := 0
	for _, s := range spans {
		switch {
		case s.at < 0 || s.end > len(units):
			return nil, invalid("%s lies outside the text (UTF-16 code units %d to %d of %d)", spanName(s.key), s.at, s.end, len(units))
		case s.at < prev:
			return nil, invalid("%s overlaps another mention or emoji", spanName(s.key))
		case !boundary(s.at) || !boundary(s.end):
			return nil, invalid("%s splits a character", spanName(s.key))
		}
		literal(units[prev:s.at])
		b.WriteString("{" + s.key + "}")
		t.Substitution[s.key] = s.sub
		prev = s.end
	}
	literal(units[prev:])
	t.Text = b.String()
	if n := channel.UnitUTF16.Count(t.Text); n > MaxTextLength {
		return nil, invalid("text with placeholders is %d UTF-16 code units, LINE takes %d", n, MaxTextLength)
	}
	return t, nil
}

func spanName(key string) string {
	if key[0] == 'm' {
		return "mention " + key[1:]
	}
	return "emoji " + key[1:]
}

// rawMessage sends channel-native JSON (a flex message, a template, an imagemap, …) as is.
type rawMessage struct {
	typ string
	raw json.RawMessage
}

// GetType implements messaging_api.MessageInterface.
func (r rawMessage) GetType() string { return r.typ }

// MarshalJSON returns the message's JSON unchanged.
func (r rawMessage) MarshalJSON() ([]byte, error) { return r.raw, nil }

// rawOf sends a raw message as is, adding the message's quick replies and sender to its JSON object.
func rawOf(m channel.Message, qr *messaging_api.QuickReply, sender *messaging_api.Sender) (messaging_api.MessageInterface, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(m.Raw, &head); err != nil || head.Type == "" {
		return nil, invalid("raw message has no \"type\"")
	}
	if qr == nil && sender == nil {
		return rawMessage{typ: head.Type, raw: m.Raw}, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(m.Raw, &fields); err != nil {
		return nil, invalid("raw message is not a JSON object")
	}
	add := func(name string, v any) error {
		if _, ok := fields[name]; ok {
			return invalid("raw message has its own %q and the message sets one too", name)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line send: raw message %s: %w", name, err)
		}
		fields[name] = b
		return nil
	}
	if qr != nil {
		if err := add("quickReply", qr); err != nil {
			return nil, err
		}
	}
	if sender != nil {
		if err := add("sender", sender); err != nil {
			return nil, err
		}
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("line send: raw message: %w", err)
	}
	return rawMessage{typ: head.Type, raw: raw}, nil
}
