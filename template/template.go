package template

import "strings"

// Template is a parsed template: literal text and merge fields, in order. It is immutable and safe for
// concurrent use; parse it once and render it many times.
type Template struct {
	nodes  []node
	fields []Field
}

// node is a run of literal text or one merge field.
type node struct {
	text  string
	field int // index into fields; -1 for text
	pos   Position
}

// Field is one merge field of a template.
type Field struct {
	// Path is the dotted field path, e.g. "contact.first_name".
	Path string
	// Fallback is inserted when the field is empty, if HasFallback.
	Fallback    string
	HasFallback bool
	// Pos is where the field starts in the source.
	Pos Position
}

// Position is a place in a template's source. Line and Column are 1-based; Column counts characters
// (Unicode code points), as an editor shows them.
type Position struct {
	Offset int // byte offset
	Line   int
	Column int
}

// Fields returns the template's merge fields in order of appearance. The slice is the caller's.
func (t *Template) Fields() []Field {
	return append([]Field(nil), t.fields...)
}

// String returns the template in canonical source form: parsing it gives the same template.
func (t *Template) String() string {
	var b strings.Builder
	for _, n := range t.nodes {
		if n.field < 0 {
			writeText(&b, n.text)
			continue
		}
		f := t.fields[n.field]
		b.WriteString("{{")
		b.WriteString(f.Path)
		if f.HasFallback {
			b.WriteString(` | default: `)
			writeString(&b, f.Fallback)
		}
		b.WriteString("}}")
	}
	return b.String()
}

// writeText writes literal text so that it parses back to itself: every "{{" becomes "\{{". (Text that
// ends in "{" before a merge field needs nothing: in a run of braces the last two open the field.)
func writeText(b *strings.Builder, text string) {
	for {
		i := strings.Index(text, "{{")
		if i < 0 {
			b.WriteString(text)
			return
		}
		b.WriteString(text[:i])
		b.WriteString(`\{{`)
		text = text[i+2:]
	}
}

// writeString writes s as a double-quoted string literal.
func writeString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
}
