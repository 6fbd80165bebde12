package channel

import "unicode/utf8"

// TextUnit is how a channel counts the length of a text.
type TextUnit string

// Text units.
const (
	UnitUTF16 TextUnit = "utf16" // UTF-16 code units: a character outside the BMP (most emoji) counts 2 (LINE)
	UnitRune  TextUnit = "rune"  // Unicode code points
	UnitByte  TextUnit = "byte"  // UTF-8 bytes
)

// Count returns the length of s in unit u. An unknown unit counts code points.
func (u TextUnit) Count(s string) int {
	switch u {
	case UnitByte:
		return len(s)
	case UnitUTF16:
		n := 0
		for _, r := range s {
			n += u.RuneLen(r)
		}
		return n
	default:
		return utf8.RuneCountInString(s)
	}
}

// RuneLen returns the length of r in unit u: how much of a limit one character uses.
func (u TextUnit) RuneLen(r rune) int {
	switch u {
	case UnitByte:
		return utf8.RuneLen(r)
	case UnitUTF16:
		if r >= 0x10000 && r <= utf8.MaxRune {
			return 2
		}
	}
	return 1
}
