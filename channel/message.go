package channel

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// MessageType is the kind of content a Message carries.
type MessageType string

// Message types. Inbound messages use text, image, video, audio, file, location, sticker and raw (content
// the library does not model). Outbound messages use all but file: where a channel cannot send files, a
// file goes out as a link.
const (
	TypeText     MessageType = "text"
	TypeImage    MessageType = "image"
	TypeVideo    MessageType = "video"
	TypeAudio    MessageType = "audio"
	TypeFile     MessageType = "file"
	TypeLocation MessageType = "location"
	TypeSticker  MessageType = "sticker"
	TypeLink     MessageType = "link"
	TypeTemplate MessageType = "template" // outbound: a message template the channel approved (WhatsApp)
	TypeRaw      MessageType = "raw"
)

// Message is one message, inbound or outbound, in channel-neutral form. Only the fields that belong to
// Type are set; the constructors (Text, Image, …) build valid outbound messages.
//
// Message is a value: copying it is cheap, but the slices and pointers inside are shared by copies.
// Treat a Message as immutable once handed to an Adapter or a store.
type Message struct {
	Type MessageType `json:"type"`
	// ID is the channel's message ID: set on inbound messages, empty on outbound ones (Send returns them).
	ID string `json:"id,omitempty"`
	// Text is the body of a text message, the caption of a link, and the caption of inbound media (an
	// image, video or file the customer sent with words; WhatsApp). On an inbound TypeRaw message it may
	// be a plain-text rendering of content the library does not model (WhatsApp shared contacts: a line
	// per contact), for display; Raw holds the content itself.
	Text     string    `json:"text,omitempty"`
	Emojis   []Emoji   `json:"emojis,omitempty"`
	Mentions []Mention `json:"mentions,omitempty"`
	// QuoteToken lets a later message quote this one (inbound), or names the message quoted (outbound).
	QuoteToken      string `json:"quoteToken,omitempty"`
	QuotedMessageID string `json:"quotedMessageId,omitempty"`

	Media    *Media    `json:"media,omitempty"` // image, video, audio, file (and an inbound WhatsApp sticker's content)
	Location *Location `json:"location,omitempty"`
	Sticker  *Sticker  `json:"sticker,omitempty"`
	Link     *Link     `json:"link,omitempty"`
	Template *Template `json:"template,omitempty"`

	// Raw is the channel's own JSON: the content of an inbound message type the library does not model,
	// or, for an outbound TypeRaw, a channel-native message sent as is (e.g. a LINE flex message).
	Raw json.RawMessage `json:"raw,omitempty"`

	// QuickReplies are buttons offered under an outbound message (LINE shows those of the last message
	// of a send) for the customer to tap an answer.
	QuickReplies []QuickReply `json:"quickReplies,omitempty"`
	// Sender shows an outbound message under another name and icon than the account's (an agent's).
	Sender *Sender `json:"sender,omitempty"`
}

// QuickReply is one quick-reply button: tapping it sends Text as the customer's message (or, with Data
// set, a postback carrying Data and displaying Text).
type QuickReply struct {
	Label   string `json:"label"`
	Text    string `json:"text,omitempty"`
	Data    string `json:"data,omitempty"`
	IconURL string `json:"iconUrl,omitempty"` // HTTPS
}

// Sender is the name and icon an outbound message is shown under.
type Sender struct {
	Name    string `json:"name,omitempty"`
	IconURL string `json:"iconUrl,omitempty"` // HTTPS
}

// Emoji is a channel emoji inside a text, located by its position in the text in the channel's text unit
// (UTF-16 code units on LINE).
type Emoji struct {
	Index     int    `json:"index"`
	Length    int    `json:"length"`
	ProductID string `json:"productId"`
	EmojiID   string `json:"emojiId"`
}

// Mention marks a mention inside a text, located like an Emoji. UserID is empty when All is set
// (everyone in the chat is mentioned) or the channel withholds the user's ID.
type Mention struct {
	Index  int    `json:"index"`
	Length int    `json:"length"`
	UserID string `json:"userId,omitempty"`
	All    bool   `json:"all,omitempty"`
}

// Media describes an image, video, audio clip or file (and, on channels that serve its content, a
// sticker: WhatsApp).
//
// Outbound media are sent by URL: URL (and PreviewURL for images and videos) must be HTTPS URLs the
// channel can fetch. Inbound media usually have no URL: download them with a ContentFetcher by
// ContentRef of the message (ID when the channel names the content apart from the message, else the
// message ID); URL is set only when the sender's content lives elsewhere.
type Media struct {
	// ID is the channel's ID of the inbound content when it differs from the message's ID (WhatsApp: the
	// media ID); empty when the content is fetched by the message's ID (LINE). See ContentRef.
	ID          string        `json:"id,omitempty"`
	URL         string        `json:"url,omitempty"`
	PreviewURL  string        `json:"previewUrl,omitempty"`
	Duration    time.Duration `json:"duration,omitempty"` // video, audio
	FileName    string        `json:"fileName,omitempty"` // file
	Size        int64         `json:"size,omitempty"`     // file, in bytes
	ContentType string        `json:"contentType,omitempty"`
	// Set groups images the user sent together; nil for a single image.
	Set *ImageSet `json:"set,omitempty"`
}

// ImageSet places an image within a set sent together.
type ImageSet struct {
	ID    string `json:"id"`
	Index int    `json:"index"` // 1-based
	Total int    `json:"total"` // 0 when the channel does not say yet
}

// Location is a place on the map.
type Location struct {
	Title     string  `json:"title,omitempty"`
	Address   string  `json:"address,omitempty"`
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// Sticker identifies a channel sticker.
type Sticker struct {
	PackageID    string   `json:"packageId"`
	StickerID    string   `json:"stickerId"`
	ResourceType string   `json:"resourceType,omitempty"` // inbound: "STATIC", "ANIMATION", …
	Keywords     []string `json:"keywords,omitempty"`     // inbound: words describing the sticker
	Text         string   `json:"text,omitempty"`         // inbound: the text of a message sticker
}

// Template names a message template the channel approved beforehand, and fills it: channels with a reply
// window (WhatsApp) let a business write outside it with templates only.
type Template struct {
	Name     string `json:"name"`
	Language string `json:"language"` // e.g. "en_US"
	// BodyParams fill the template body's placeholders {{1}}, {{2}}, … in order.
	BodyParams []string `json:"bodyParams,omitempty"`
	// Components, when set, are the channel's own JSON for the template's components (header, buttons),
	// sent as they are instead of BodyParams.
	Components json.RawMessage `json:"components,omitempty"`
}

// Link is a URL sent as a message: how a file goes out on a channel that cannot send files.
type Link struct {
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
}

// ContentRef returns what ContentFetcher.FetchContent takes to download the content of the inbound
// message m: m.Media.ID when the channel named the content apart from the message (WhatsApp's media
// IDs), else the message ID m.ID (LINE).
func ContentRef(m Message) string {
	if m.Media != nil && m.Media.ID != "" {
		return m.Media.ID
	}
	return m.ID
}

// Text returns a text message.
func Text(s string) Message { return Message{Type: TypeText, Text: s} }

// Image returns an image message; url and preview are HTTPS URLs.
func Image(url, preview string) Message {
	return Message{Type: TypeImage, Media: &Media{URL: url, PreviewURL: preview}}
}

// Video returns a video message; url and preview (an image) are HTTPS URLs.
func Video(url, preview string) Message {
	return Message{Type: TypeVideo, Media: &Media{URL: url, PreviewURL: preview}}
}

// Audio returns an audio message; url is an HTTPS URL and d the clip's length.
func Audio(url string, d time.Duration) Message {
	return Message{Type: TypeAudio, Media: &Media{URL: url, Duration: d}}
}

// StickerMessage returns a sticker message.
func StickerMessage(packageID, stickerID string) Message {
	return Message{Type: TypeSticker, Sticker: &Sticker{PackageID: packageID, StickerID: stickerID}}
}

// LocationMessage returns a location message.
func LocationMessage(title, address string, lat, lng float64) Message {
	return Message{Type: TypeLocation, Location: &Location{Title: title, Address: address, Latitude: lat, Longitude: lng}}
}

// LinkMessage returns a link message: the title (if any) and the URL, sent as text where the channel has no
// richer form.
func LinkMessage(url, title string) Message {
	return Message{Type: TypeLink, Link: &Link{URL: url, Title: title}}
}

// TemplateMessage returns a template message: the approved template name in language, its body's
// placeholders filled with bodyParams in order.
func TemplateMessage(name, language string, bodyParams ...string) Message {
	return Message{Type: TypeTemplate, Template: &Template{Name: name, Language: language, BodyParams: bodyParams}}
}

// Raw returns a channel-native message sent as is; raw must be the channel's JSON for one message.
func Raw(raw json.RawMessage) Message { return Message{Type: TypeRaw, Raw: raw} }

// Validate reports whether m can be sent. It checks shape only (required fields, HTTPS URLs, valid JSON),
// not channel limits; the error wraps ErrInvalidRequest and names the field, never its value.
func (m Message) Validate() error {
	switch m.Type {
	case TypeText:
		if m.Text == "" {
			return invalid(m.Type, "text is empty")
		}
	case TypeImage, TypeVideo:
		if m.Media == nil {
			return invalid(m.Type, "media is missing")
		}
		if err := checkHTTPS(m.Type, "url", m.Media.URL); err != nil {
			return err
		}
		return checkHTTPS(m.Type, "preview url", m.Media.PreviewURL)
	case TypeAudio:
		if m.Media == nil {
			return invalid(m.Type, "media is missing")
		}
		if m.Media.Duration <= 0 {
			return invalid(m.Type, "duration must be positive")
		}
		return checkHTTPS(m.Type, "url", m.Media.URL)
	case TypeSticker:
		if m.Sticker == nil || m.Sticker.PackageID == "" || m.Sticker.StickerID == "" {
			return invalid(m.Type, "package and sticker IDs are required")
		}
	case TypeLocation:
		l := m.Location
		if l == nil {
			return invalid(m.Type, "location is missing")
		}
		if l.Latitude < -90 || l.Latitude > 90 || l.Longitude < -180 || l.Longitude > 180 {
			return invalid(m.Type, "coordinates out of range")
		}
	case TypeLink:
		if m.Link == nil {
			return invalid(m.Type, "link is missing")
		}
		return checkHTTPS(m.Type, "url", m.Link.URL)
	case TypeTemplate:
		if m.Template == nil || m.Template.Name == "" || m.Template.Language == "" {
			return invalid(m.Type, "template name and language are required")
		}
		if len(m.Template.Components) > 0 && !json.Valid(m.Template.Components) {
			return invalid(m.Type, "components are not valid JSON")
		}
	case TypeRaw:
		if len(m.Raw) == 0 || !json.Valid(m.Raw) {
			return invalid(m.Type, "raw is not valid JSON")
		}
	case TypeFile:
		return invalid(m.Type, "files cannot be sent; send a link")
	default:
		return invalid(m.Type, "unknown message type")
	}
	return nil
}

func invalid(t MessageType, what string) error {
	return fmt.Errorf("%w: %s message: %s", ErrInvalidRequest, t, what)
}

func checkHTTPS(t MessageType, field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return invalid(t, field+" must be an absolute https URL")
	}
	return nil
}
