package template

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrSyntax is wrapped by every *SyntaxError.
var ErrSyntax = errors.New("template: syntax error")

// SyntaxError reports where and why a template does not parse.
type SyntaxError struct {
	Pos Position
	Msg string
}

// Error returns "template: line L, column C: message".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("template: line %d, column %d: %s", e.Pos.Line, e.Pos.Column, e.Msg)
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// MaxSourceBytes is the longest template source Parse accepts.
const MaxSourceBytes = 64 << 10

// Parse parses a template's source. A syntax error is a *SyntaxError with the line and column of the
// problem.
func Parse(src string) (*Template, error) {
	p := &parser{src: src, line: 1, col: 1}
	if len(src) > MaxSourceBytes {
		return nil, p.errorf(0, "template is %d bytes, longer than the %d allowed", len(src), MaxSourceBytes)
	}
	if !utf8.ValidString(src) {
		return nil, p.errorf(invalidUTF8(src), "template is not valid UTF-8 text")
	}
	t := &Template{}
	var text strings.Builder
	textStart := 0
	flush := func() {
		if text.Len() > 0 {
			t.nodes = append(t.nodes, node{text: text.String(), field: -1, pos: p.pos(textStart)})
			text.Reset()
		}
	}
	for i := 0; i < len(src); {
		if text.Len() == 0 {
			textStart = i
		}
		switch {
		case strings.HasPrefix(src[i:], `\{{`):
			text.WriteString("{{")
			i += 3
		case strings.HasPrefix(src[i:], "{{") && !strings.HasPrefix(src[i:], "{{{"):
			flush() // first: positions are computed in one forward pass
			f, end, err := p.field(i)
			if err != nil {
				return nil, err
			}
			t.nodes = append(t.nodes, node{field: len(t.fields), pos: f.Pos})
			t.fields = append(t.fields, f)
			i = end
		default: // text up to the next brace or backslash (or at least this one byte)
			j := strings.IndexAny(src[i+1:], `{\`)
			if j < 0 {
				j = len(src) - i - 1
			}
			text.WriteString(src[i : i+1+j])
			i += 1 + j
		}
	}
	flush()
	return t, nil
}

// parser tracks line and column as far as it has reported positions, so positions cost one pass.
type parser struct {
	src       string
	off       int // offset that line and col describe
	line, col int
}

// pos returns the position of byte offset off. Offsets normally only grow between calls, so the whole
// parse scans the source once; an earlier offset (an error's) rescans from the start.
func (p *parser) pos(off int) Position {
	if off < p.off {
		p.off, p.line, p.col = 0, 1, 1
	}
	for _, r := range p.src[p.off:off] {
		if r == '\n' {
			p.line, p.col = p.line+1, 1
		} else {
			p.col++
		}
	}
	p.off = off
	return Position{Offset: off, Line: p.line, Column: p.col}
}

func (p *parser) errorf(off int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: p.pos(off), Msg: fmt.Sprintf(format, args...)}
}

// field parses the merge field that opens at start ("{{") and returns it with the offset after its "}}".
func (p *parser) field(start int) (Field, int, error) {
	f := Field{Pos: p.pos(start)}
	i := p.space(start + 2)
	pathStart := i
	for {
		j := ident(p.src, i)
		if j == i {
			switch {
			case i >= len(p.src):
				return f, 0, p.errorf(start, "merge field is not closed with }}")
			case strings.HasPrefix(p.src[i:], "}}") && i == pathStart:
				return f, 0, p.errorf(start, "merge field is empty")
			default:
				return f, 0, p.errorf(i, "expected a field name (letters, digits and _, starting with a letter), found %s", quoteNext(p.src[i:]))
			}
		}
		i = j
		if i < len(p.src) && p.src[i] == '.' {
			i++
			continue
		}
		break
	}
	f.Path = p.src[pathStart:i]
	i = p.space(i)
	if i < len(p.src) && p.src[i] == '|' {
		i = p.space(i + 1)
		if !strings.HasPrefix(p.src[i:], "default") {
			return f, 0, p.errorf(i, "unknown filter %s: the only filter is default: \"text\"", quoteNext(p.src[i:]))
		}
		i = p.space(i + len("default"))
		if i >= len(p.src) || p.src[i] != ':' {
			return f, 0, p.errorf(i, `expected ":" after default, as in default: "text"`)
		}
		i = p.space(i + 1)
		s, end, err := p.str(i)
		if err != nil {
			return f, 0, err
		}
		f.Fallback, f.HasFallback = s, true
		i = p.space(end)
	}
	if !strings.HasPrefix(p.src[i:], "}}") {
		if i >= len(p.src) {
			return f, 0, p.errorf(start, "merge field is not closed with }}")
		}
		return f, 0, p.errorf(i, "expected }} to close the merge field, found %s", quoteNext(p.src[i:]))
	}
	return f, i + 2, nil
}

// str parses a double-quoted string at i, with \" and \\ as its only escapes.
func (p *parser) str(i int) (string, int, error) {
	if i >= len(p.src) || p.src[i] != '"' {
		return "", 0, p.errorf(i, `expected a quoted fallback text, as in default: "there"`)
	}
	var b strings.Builder
	for j := i + 1; j < len(p.src); j++ {
		switch c := p.src[j]; c {
		case '"':
			return b.String(), j + 1, nil
		case '\\':
			if j+1 < len(p.src) && (p.src[j+1] == '"' || p.src[j+1] == '\\') {
				b.WriteByte(p.src[j+1])
				j++
				continue
			}
			return "", 0, p.errorf(j, `in a fallback text, write \" for a quote and \\ for a backslash`)
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, p.errorf(i, "fallback text is not closed with a quote")
}

// space skips blanks (spaces and tabs) from i.
func (p *parser) space(i int) int {
	for i < len(p.src) && (p.src[i] == ' ' || p.src[i] == '\t') {
		i++
	}
	return i
}

// ident returns the end of the identifier at i, or i if there is none: a letter, then letters, digits
// and underscores (ASCII).
func ident(s string, i int) int {
	if i >= len(s) || !isLetter(s[i]) {
		return i
	}
	for i++; i < len(s) && (isLetter(s[i]) || s[i] == '_' || '0' <= s[i] && s[i] <= '9'); i++ {
	}
	return i
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// quoteNext describes what comes next in s for an error message: the next character, or "the end".
func quoteNext(s string) string {
	if s == "" {
		return "the end of the template"
	}
	r, _ := utf8.DecodeRuneInString(s)
	if r == '\n' {
		return "a line break"
	}
	return fmt.Sprintf("%q", r)
}

func invalidUTF8(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return 0
}
