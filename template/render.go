package template

import (
	"errors"
	"fmt"
	"strings"
)

// Source supplies merge-field values, e.g. from the linked CRM record. The host CRM implements it, or
// uses Values.
type Source interface {
	// Lookup returns the value of the field at path ("contact.first_name") and whether the field has
	// one. It must be safe for concurrent use if the Source is shared between renders.
	Lookup(path string) (string, bool)
}

// Values is a Source backed by a map from field path to value.
type Values map[string]string

// Lookup implements Source.
func (v Values) Lookup(path string) (string, bool) {
	s, ok := v[path]
	return s, ok
}

// Missing says what Render does with a field whose value is missing: not supplied, or only blanks.
type Missing int

// Missing-field policies.
const (
	// MissingFallback inserts the field's fallback; a missing field without one is an error. The zero
	// value, and the right policy for sending: the customer never sees a blank.
	MissingFallback Missing = iota
	// MissingError fails on any missing field, even one with a fallback.
	MissingError
	// MissingEmpty inserts the fallback when there is one, and nothing otherwise.
	MissingEmpty
)

// ErrMissingField is wrapped by the error Render returns when a field has no value and the policy does
// not allow that. errors.As with *MissingFieldsError gives the fields.
var ErrMissingField = errors.New("template: merge field has no value")

// MissingFieldsError lists the fields Render could not fill.
type MissingFieldsError struct {
	Fields []Field
}

// Error names the fields and where they are.
func (e *MissingFieldsError) Error() string {
	var b strings.Builder
	b.WriteString("template: no value for ")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "{{%s}} (line %d, column %d)", f.Path, f.Pos.Line, f.Pos.Column)
	}
	return b.String()
}

// Unwrap returns ErrMissingField.
func (e *MissingFieldsError) Unwrap() error { return ErrMissingField }

// Render fills the template's merge fields from src under policy. Values are inserted as text, never
// parsed: a value holding "{{" stays as it is. The result never contains an unfilled merge field: a field
// Render cannot fill under policy fails the whole render with a *MissingFieldsError.
func (t *Template) Render(src Source, policy Missing) (string, error) {
	r := t.render(src, policy)
	if len(r.missing) > 0 && policy != MissingEmpty {
		return "", &MissingFieldsError{Fields: r.missing}
	}
	return r.text, nil
}

// Preview is a render against real data for an agent to check before sending.
type Preview struct {
	// Text is the message as it would be sent, with fallbacks, and missing fields without one left empty.
	Text string
	// Missing are the fields without a value; FellBack those of them filled by their fallback.
	Missing  []Field
	FellBack []Field
}

// Preview renders against src and reports which fields were missing and which fell back. It never fails.
func (t *Template) Preview(src Source) Preview {
	r := t.render(src, MissingEmpty)
	return Preview{Text: r.text, Missing: r.missing, FellBack: r.fellBack}
}

type rendered struct {
	text              string
	missing, fellBack []Field
}

// render fills the fields; under MissingEmpty it records every missing field but still produces text,
// under the other policies the missing fields it records are failures.
func (t *Template) render(src Source, policy Missing) rendered {
	var values [16]string // most templates have few fields: avoid a heap slice
	vals := values[:0]
	size := 0
	var r rendered
	for _, f := range t.fields {
		v, ok := src.Lookup(f.Path)
		if !ok || strings.TrimSpace(v) == "" {
			v = ""
			switch {
			case policy == MissingError:
				r.missing = append(r.missing, f)
			case f.HasFallback:
				v = f.Fallback
				if policy == MissingEmpty {
					r.missing = append(r.missing, f)
				}
				r.fellBack = append(r.fellBack, f)
			default:
				r.missing = append(r.missing, f)
			}
		}
		vals = append(vals, v)
		size += len(v)
	}
	if len(r.missing) > 0 && policy != MissingEmpty {
		return r
	}
	for _, n := range t.nodes {
		size += len(n.text)
	}
	var b strings.Builder
	b.Grow(size)
	for _, n := range t.nodes {
		if n.field < 0 {
			b.WriteString(n.text)
		} else {
			b.WriteString(vals[n.field])
		}
	}
	r.text = b.String()
	return r
}
