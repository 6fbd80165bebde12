package channel

import (
	"fmt"
	"mime"
	"strings"
	"time"
)

// MediaRuler is implemented by adapters that state which files their channel takes as media messages
// sent by URL (images, videos, audio clips): the types, the largest file, and what a message needs
// besides (a preview image, the clip's length). The conversation service checks an attachment against
// them before anything is stored, sends a file that fits as media, and anything else as a link.
// MediaRules must be constant.
type MediaRuler interface {
	MediaRules() MediaRules
}

// MediaRules are a channel's rules for media it sends by URL. A file whose type no rule lists goes as
// a link (where the channel sends links).
type MediaRules struct {
	// Media are the rules, one per message type (TypeImage, TypeVideo, TypeAudio).
	Media []MediaRule
	// MaxURLLength is the longest content or preview URL the channel takes (LINE: 2,000 characters);
	// 0 means no limit.
	MaxURLLength int
}

// MediaRule is what a channel takes as one kind of media message.
type MediaRule struct {
	// Type is the message type a fitting file goes out as: TypeImage, TypeVideo or TypeAudio.
	Type MessageType
	// ContentTypes are the media types taken, as sniffed from the bytes (e.g. "image/jpeg"), without
	// parameters. A file of another type never goes out as Type, whatever its name says.
	ContentTypes []string
	// MaxBytes is the largest file taken; 0 means no limit.
	MaxBytes int64
	// MaxDuration is the longest clip taken; 0 means no limit.
	MaxDuration time.Duration
	// NeedsDuration is set when the message must state the clip's length (LINE audio): a clip whose
	// length cannot be told does not go out as Type.
	NeedsDuration bool
	// Preview, when set, is the preview image every message of Type needs (LINE images and videos).
	Preview *PreviewRule
}

// PreviewRule is what a channel takes as a media message's preview image.
type PreviewRule struct {
	// ContentTypes are the image types taken (e.g. "image/jpeg", "image/png").
	ContentTypes []string
	// MaxBytes is the largest preview image taken.
	MaxBytes int64
	// MaxSide is the longest side, in pixels, a preview the sender generates should have: what the
	// channel shows in the chat. 0 means the sender's choice.
	MaxSide int
}

// Takes reports whether a file of contentType (parameters ignored) is one of types.
func Takes(types []string, contentType string) bool {
	t := baseType(contentType)
	for _, c := range types {
		if strings.EqualFold(c, t) {
			return true
		}
	}
	return false
}

func baseType(contentType string) string {
	t, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		t, _, _ = strings.Cut(contentType, ";")
		t = strings.ToLower(strings.TrimSpace(t))
	}
	return t
}

// For returns the rule for files of contentType, and whether the channel has one: the first rule that
// lists the type.
func (r MediaRules) For(contentType string) (MediaRule, bool) {
	for _, m := range r.Media {
		if Takes(m.ContentTypes, contentType) {
			return m, true
		}
	}
	return MediaRule{}, false
}

// MaxBytes returns the largest file any rule takes, or 0 when some rule has no limit.
func (r MediaRules) MaxBytes() int64 {
	var most int64
	for _, m := range r.Media {
		if m.MaxBytes == 0 {
			return 0
		}
		most = max(most, m.MaxBytes)
	}
	return most
}

// Fit says whether a file of contentType, size bytes (-1 when unknown) and length d (0 when unknown
// or not a clip) can go out as its rule's message type, and if not, why, in words fit for an agent:
// the reason names the type and the limits, never the file. A known size is checked; an unknown one
// is left to the caller, which must check the content itself.
func (r MediaRules) Fit(contentType string, size int64, d time.Duration) (MediaRule, error) {
	m, ok := r.For(contentType)
	if !ok {
		t := baseType(contentType)
		return MediaRule{}, &MediaError{ContentType: t, Reason: "the channel cannot send " + t + " files as media"}
	}
	switch {
	case m.MaxBytes > 0 && size > m.MaxBytes:
		return m, &MediaError{ContentType: baseType(contentType), Type: m.Type,
			Reason: fmt.Sprintf("it is %s, and the channel takes %s messages of at most %s", Bytes(size), m.Type, Bytes(m.MaxBytes))}
	case m.MaxDuration > 0 && d > m.MaxDuration:
		return m, &MediaError{ContentType: baseType(contentType), Type: m.Type,
			Reason: fmt.Sprintf("it lasts %s, and the channel takes %s messages of at most %s", d.Round(time.Second), m.Type, m.MaxDuration)}
	case m.NeedsDuration && d <= 0:
		return m, &MediaError{ContentType: baseType(contentType), Type: m.Type,
			Reason: fmt.Sprintf("its length could not be read, and the channel needs it for %s messages", m.Type)}
	}
	return m, nil
}

// MediaError says why a file cannot go out as a media message. Its text names the file's type and the
// channel's limits, never the file's name or content.
type MediaError struct {
	ContentType string      // the file's type, without parameters
	Type        MessageType // the message type its rule sends; "" when no rule takes the type
	Reason      string
}

// Error says which limit the file broke.
func (e *MediaError) Error() string {
	return "channel: " + e.ContentType + " file not sendable as media: " + e.Reason
}

// Bytes formats a byte count for people: "950 bytes", "1.5 MB", "10 MB" (decimal units, as channels
// state their limits).
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, suffix := float64(n), ""
	for _, s := range []string{"KB", "MB", "GB", "TB"} {
		v /= unit
		suffix = s
		if v < unit {
			break
		}
	}
	s := fmt.Sprintf("%.1f", v)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + suffix
}

// MediaRulesOf returns a's media rules, or an error wrapping errors.ErrUnsupported if a does not state
// them.
func MediaRulesOf(a Adapter) (MediaRules, error) {
	if p, ok := a.(MediaRuler); ok {
		return p.MediaRules(), nil
	}
	return MediaRules{}, unsupported(a, "state its media rules")
}
