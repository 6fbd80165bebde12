package template

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Schema says which merge fields exist for the records a template is filled from. The host CRM supplies
// it (for the record kind the template is for), or uses Fields.
type Schema interface {
	// Field returns the spec of the field at path, and whether it exists.
	Field(path string) (FieldSpec, bool)
}

// FieldSpec describes one field of a Schema.
type FieldSpec struct {
	// OftenEmpty flags fields that are frequently blank (e.g. a contact's first name): using one without
	// a fallback is reported.
	OftenEmpty bool
	// EmptyWhen says when the field is empty, for the author ("while the sender is not linked to a CRM
	// record"). Setting it implies OftenEmpty: using the field without a fallback is reported, saying when.
	EmptyWhen string
	// MaxLength is the longest value, in characters; 0 means Limits.DefaultFieldLength.
	MaxLength int
}

// Fields is a Schema backed by a map from field path to spec.
type Fields map[string]FieldSpec

// Field implements Schema.
func (f Fields) Field(path string) (FieldSpec, bool) {
	s, ok := f[path]
	return s, ok
}

// Paths returns the schema's field paths, sorted; Validate uses it to suggest a correction.
func (f Fields) Paths() []string {
	paths := make([]string, 0, len(f))
	for p := range f {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

// Limits are a channel's constraints on rendered text.
type Limits struct {
	// MaxLength is the longest message, measured by Count; 0 skips length checks.
	MaxLength int
	// Count measures text in the channel's unit; nil counts characters.
	Count func(string) int
	// UnitName names the unit in messages ("UTF-16 code units"); empty means "characters".
	UnitName string
	// MaxUnitsPerChar is the most units one character of a field value can take (UTF-16: 2); 0 means 1.
	MaxUnitsPerChar int
	// MaxMessages is how many messages one send may hold; a longer render is split. 0 means 1.
	MaxMessages int
	// DefaultFieldLength is the length, in characters, assumed for a field whose spec has no MaxLength;
	// 0 means 255.
	DefaultFieldLength int
}

// LINELimits returns LINE's limits: 5,000 UTF-16 code units per text message, 5 messages per send.
func LINELimits() Limits {
	return Limits{MaxLength: 5000, Count: CountUTF16, UnitName: "UTF-16 code units", MaxUnitsPerChar: 2, MaxMessages: 5}
}

// CountUTF16 returns the length of s in UTF-16 code units, as LINE counts text.
func CountUTF16(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// Severity ranks a Finding.
type Severity int

// Severities.
const (
	// SeverityError: the template would send something wrong or could not be sent; refuse to save it.
	SeverityError Severity = iota
	// SeverityWarning: the template works but may surprise the customer; show it to the author.
	SeverityWarning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Finding codes.
const (
	CodeSyntax          = "syntax"            // the template does not parse (Lint only)
	CodeEmpty           = "empty"             // the template has nothing but blanks (Lint only)
	CodeUnknownField    = "unknown_field"     // the schema has no such field
	CodeOftenEmpty      = "often_empty"       // the field is often blank and has no fallback
	CodeTooLong         = "too_long"          // a worst-case render is longer than one message
	CodeTooManyMessages = "too_many_messages" // a worst-case render needs more messages than one send holds
)

// Finding is one problem Validate found.
type Finding struct {
	Pos      Position
	Severity Severity
	Code     string
	Field    string // the field's path, for field findings
	Message  string // for the template's author
}

// String returns "line L, column C: severity: message".
func (f Finding) String() string {
	return fmt.Sprintf("line %d, column %d: %s: %s", f.Pos.Line, f.Pos.Column, f.Severity, f.Message)
}

// Validate checks the template when it is saved, so problems reach its author rather than the customer:
// fields the schema does not have, often-empty fields without a fallback, and a worst-case render (every
// field at its longest, in the channel's own unit) that does not fit the channel's limits. Findings come
// in source order, length findings last. No findings means the template is fine.
func (t *Template) Validate(schema Schema, limits Limits) []Finding {
	var out []Finding
	for _, f := range t.fields {
		spec, ok := schema.Field(f.Path)
		switch {
		case !ok:
			msg := fmt.Sprintf("{{%s}} is not a field of this record", f.Path)
			if s := suggest(schema, f.Path); s != "" {
				msg += fmt.Sprintf("; did you mean {{%s}}?", s)
			}
			out = append(out, Finding{Pos: f.Pos, Severity: SeverityError, Code: CodeUnknownField, Field: f.Path, Message: msg})
		case spec.EmptyWhen != "" && !f.HasFallback:
			out = append(out, Finding{Pos: f.Pos, Severity: SeverityWarning, Code: CodeOftenEmpty, Field: f.Path,
				Message: fmt.Sprintf(`{{%s}} has no fallback and is empty %s; add one, as in {{%s | default: "there"}}`, f.Path, spec.EmptyWhen, f.Path)})
		case spec.OftenEmpty && !f.HasFallback:
			out = append(out, Finding{Pos: f.Pos, Severity: SeverityWarning, Code: CodeOftenEmpty, Field: f.Path,
				Message: fmt.Sprintf(`{{%s}} is often empty and has no fallback; add one, as in {{%s | default: "there"}}`, f.Path, f.Path)})
		}
	}
	if limits.MaxLength > 0 {
		out = append(out, t.checkLength(schema, limits)...)
	}
	return out
}

// Lint parses src and validates it, as Validate does: the check to run when a template is saved. A
// template that does not parse gives a nil Template and one error Finding (CodeSyntax) where parsing
// stopped, with the *SyntaxError's message; one with nothing but blanks, an error Finding (CodeEmpty).
func Lint(src string, schema Schema, limits Limits) (*Template, []Finding) {
	if strings.TrimSpace(src) == "" {
		return nil, []Finding{{Pos: Position{Line: 1, Column: 1}, Severity: SeverityError, Code: CodeEmpty,
			Message: "the template is empty: write the message it sends"}}
	}
	t, err := Parse(src)
	if err != nil {
		var se *SyntaxError
		if !errors.As(err, &se) { // Parse returns only *SyntaxError; keep any other error visible
			return nil, []Finding{{Pos: Position{Line: 1, Column: 1}, Severity: SeverityError, Code: CodeSyntax, Message: err.Error()}}
		}
		return nil, []Finding{{Pos: se.Pos, Severity: SeverityError, Code: CodeSyntax, Message: se.Msg}}
	}
	return t, t.Validate(schema, limits)
}

// HasErrors reports whether any of findings is an error (SeverityError): a template with one is not
// saved.
func HasErrors(findings []Finding) bool {
	for _, f := range findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

// checkLength measures a worst-case render and reports where it passes one message, and whether it fits
// in the messages one send holds.
func (t *Template) checkLength(schema Schema, l Limits) []Finding {
	count := l.Count
	if count == nil {
		count = utf8.RuneCountInString
	}
	unit := l.UnitName
	if unit == "" {
		unit = "characters"
	}
	perChar, maxMsgs, defLen := max(l.MaxUnitsPerChar, 1), max(l.MaxMessages, 1), l.DefaultFieldLength
	if defLen <= 0 {
		defLen = 255
	}
	total := 0
	var crossed *Position
	for i := range t.nodes {
		n := &t.nodes[i]
		if n.field < 0 {
			total += count(n.text)
		} else {
			f := t.fields[n.field]
			spec, _ := schema.Field(f.Path)
			longest := spec.MaxLength
			if longest <= 0 {
				longest = defLen
			}
			total += max(longest*perChar, count(f.Fallback))
		}
		if crossed == nil && total > l.MaxLength {
			crossed = &n.pos
		}
	}
	if crossed == nil {
		return nil
	}
	msgs := (total + l.MaxLength - 1) / l.MaxLength
	if msgs > maxMsgs {
		return []Finding{{Pos: *crossed, Severity: SeverityError, Code: CodeTooManyMessages,
			Message: fmt.Sprintf("with every field at its longest this is %d %s: %d messages of %d, but one send holds at most %d; shorten the text",
				total, unit, msgs, l.MaxLength, maxMsgs)}}
	}
	return []Finding{{Pos: *crossed, Severity: SeverityWarning, Code: CodeTooLong,
		Message: fmt.Sprintf("with every field at its longest this is %d %s, over the %d of one message from here on; it may be sent as %d messages",
			total, unit, l.MaxLength, msgs)}}
}

// suggest returns the schema path closest to path when the schema can list its paths and one is close.
func suggest(schema Schema, path string) string {
	lister, ok := schema.(interface{ Paths() []string })
	if !ok {
		return ""
	}
	best, bestDist := "", len(path)/3+1 // at most a third of the name may differ
	for _, p := range lister.Paths() {
		if d := distance(strings.ToLower(p), strings.ToLower(path)); d < bestDist {
			best, bestDist = p, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, in bytes (paths are ASCII).
func distance(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
