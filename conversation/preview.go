package conversation

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/msgkit/msgkit/channel"
)

// PreviewLength is how many characters of a message's text an inbox preview keeps.
const PreviewLength = 80

// PreviewOf is how an inbox row shows message m: its text on one line, cut to PreviewLength characters
// (ending in "…" when cut); for other content its kind in brackets, "[sticker]", "[image]", followed by a
// caption or title when there is one.
func PreviewOf(m channel.Message) string {
	var kind, text string
	switch m.Type {
	case channel.TypeText:
		text = emojiPlaceholders(m.Text, m.Emojis)
	case channel.TypeLink:
		kind, text = "link", m.Text
		if m.Link != nil && text == "" {
			text = m.Link.Title
		}
	case channel.TypeTemplate:
		kind = "template"
		if m.Template != nil {
			text = m.Template.Name
		}
	case channel.TypeRaw:
		kind, text = "message", m.Text // a channel's own content, perhaps with a plain-text rendering
	case "":
		kind = "message"
	default: // image, video, audio, file, location, sticker: a caption when the channel carries one
		kind, text = string(m.Type), m.Text
	}
	text = cut(strings.Join(strings.Fields(text), " "), PreviewLength)
	switch {
	case kind == "":
		return text
	case text == "":
		return "[" + kind + "]"
	}
	return "[" + kind + "] " + text
}

// cut shortens s to n characters, marking a cut with "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for range n - 1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + "…"
}

// emojiPlaceholders writes "[emoji]" for each channel emoji whose place in text is a bare "$" (LINE's
// placeholder; texts LINE delivers carry the emoji's alt text, such as "(love)", which stays).
func emojiPlaceholders(text string, emojis []channel.Emoji) string {
	if len(emojis) == 0 || !strings.Contains(text, "$") {
		return text
	}
	units := utf16.Encode([]rune(text))
	var b strings.Builder
	from := 0
	for _, e := range emojis {
		if e.Index < from || e.Length != 1 || e.Index >= len(units) || units[e.Index] != '$' {
			continue
		}
		b.WriteString(string(utf16.Decode(units[from:e.Index])))
		b.WriteString("[emoji]")
		from = e.Index + 1
	}
	b.WriteString(string(utf16.Decode(units[from:])))
	return b.String()
}
