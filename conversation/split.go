package conversation

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/msgkit/msgkit/channel"
)

// splitText cuts s into pieces of at most limit in unit. A cut never breaks a character (so never a
// UTF-16 surrogate pair) and, where possible, not a grapheme: it does not separate a character from the
// combining marks, variation selectors, skin-tone modifiers, zero-width joiners and tags that follow it.
// Within the last fifth of a piece it prefers to cut after a line break or a space, so words stay whole.
func splitText(s string, limit int, unit channel.TextUnit) []string {
	if limit <= 0 || unit.Count(s) <= limit {
		return []string{s}
	}
	var out []string
	for s != "" {
		if unit.Count(s) <= limit {
			out = append(out, s)
			break
		}
		cut := cutAt(s, limit, unit)
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return out
}

// cutAt returns the byte offset at which to end the first piece of s (s is longer than limit).
func cutAt(s string, limit int, unit channel.TextUnit) int {
	n, end, lastBoundary, lastSpace := 0, 0, 0, 0
	for i, r := range s {
		w := unit.RuneLen(r)
		if n+w > limit {
			break
		}
		if i > 0 && !extends(r) && !joined(s[:i]) {
			lastBoundary = i
		}
		if r == '\n' || r == ' ' {
			if n+w >= limit*4/5 {
				lastSpace = i + utf8.RuneLen(r)
			}
		}
		n += w
		end = i + utf8.RuneLen(r)
	}
	switch {
	case lastSpace > 0:
		return lastSpace
	case end > 0 && end < len(s) && !extends(firstRune(s[end:])) && !joined(s[:end]):
		return end
	case lastBoundary > 0:
		return lastBoundary
	case end > 0:
		return end // one grapheme longer than the limit: cut it rather than loop
	}
	_, size := utf8.DecodeRuneInString(s)
	return size
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// extends reports whether r attaches to the character before it.
func extends(r rune) bool {
	switch {
	case r == 0x200D, // zero-width joiner
		r >= 0xFE00 && r <= 0xFE0F,   // variation selectors
		r >= 0x1F3FB && r <= 0x1F3FF, // skin-tone modifiers
		r >= 0xE0020 && r <= 0xE007F, // tags (flag sequences)
		r >= 0xE0100 && r <= 0xE01EF: // variation selectors supplement
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc)
}

// joined reports whether s ends with a zero-width joiner, which binds the next character to it.
func joined(s string) bool { return strings.HasSuffix(s, "\u200d") }
