package web

import (
	"strings"
	"unicode/utf16"

	"github.com/msgkit/msgkit/channel"
)

// emojiPlaceholder stands, in the thread, for a LINE emoji whose place in the text is the bare "$"
// LINE puts there: the image is LINE's, and "$" alone reads as a price.
const emojiPlaceholder = "[emoji]"

// withEmojis is text with its channel emojis in words: an emoji's own text (LINE's alternative text,
// such as "(love)") is kept, and a bare "$" placeholder becomes emojiPlaceholder. The emojis are located
// in UTF-16 code units, as LINE counts; one out of range is left as it is.
func withEmojis(text string, emojis []channel.Emoji) string {
	if len(emojis) == 0 {
		return text
	}
	units := utf16.Encode([]rune(text))
	var b strings.Builder
	at := 0
	for _, e := range emojis {
		if e.Index < at || e.Length <= 0 || e.Index+e.Length > len(units) {
			continue // overlapping, empty or out of range: not a placeholder to replace
		}
		b.WriteString(string(utf16.Decode(units[at:e.Index])))
		alt := string(utf16.Decode(units[e.Index : e.Index+e.Length]))
		if alt == "$" {
			alt = emojiPlaceholder
		}
		b.WriteString(alt)
		at = e.Index + e.Length
	}
	b.WriteString(string(utf16.Decode(units[at:])))
	return b.String()
}
