package postgres

import (
	"strings"
	"unicode/utf8"
)

// PostgreSQL's text types refuse the NUL character and invalid UTF-8, both of which a channel or a host
// can hand msgkit (a "\u0000" in a webhook's JSON decodes to NUL). So every string the store writes
// passes through encodeText and every string it reads through decodeText: an injective escaping that
// leaves ordinary text untouched, so equality, uniqueness and the indexes work on the encoded form.
//
// The escape character is U+0001 (SOH), which ordinary text never contains:
//
//	SOH SOH   stands for SOH itself
//	SOH '0'   stands for NUL
//	SOH 'x' h h   stands for the byte 0xhh of an invalid UTF-8 sequence (lower-case hex)
const escape = '\x01'

// needsEscape reports whether s holds a character PostgreSQL refuses, or the escape character.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c == escape || c >= utf8.RuneSelf {
			return strings.ContainsAny(s, "\x00\x01") || !utf8.ValidString(s)
		}
	}
	return false
}

// encodeText returns s in the form stored in PostgreSQL.
func encodeText(s string) string {
	if !needsEscape(s) {
		return s
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.Write([]byte{escape, 'x', hex[s[i]>>4], hex[s[i]&0xf]})
		case r == 0:
			b.Write([]byte{escape, '0'})
		case r == escape:
			b.Write([]byte{escape, escape})
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// decodeText reverses encodeText. Text the store did not encode (written by hand, say) is returned as
// it is where it holds no escape.
func decodeText(s string) string {
	if strings.IndexByte(s, escape) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != escape || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case escape:
			b.WriteByte(escape)
			i++
		case '0':
			b.WriteByte(0)
			i++
		case 'x':
			if i+3 < len(s) {
				if v, ok := unhex(s[i+2], s[i+3]); ok {
					b.WriteByte(v)
					i += 3
					continue
				}
			}
			b.WriteByte(s[i])
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func unhex(hi, lo byte) (byte, bool) {
	h, ok1 := hexDigit(hi)
	l, ok2 := hexDigit(lo)
	return h<<4 | l, ok1 && ok2
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// encodeArgs returns args with every string encoded; it copies args only when one changes.
func encodeArgs(args []any) []any {
	var out []any
	for i, a := range args {
		s, ok := a.(string)
		if !ok || !needsEscape(s) {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = encodeText(s)
	}
	if out == nil {
		return args
	}
	return out
}

// decodeDest decodes every string a scan filled.
func decodeDest(dest []any) {
	for _, d := range dest {
		if p, ok := d.(*string); ok {
			*p = decodeText(*p)
		}
	}
}
