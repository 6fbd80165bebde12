package template_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/template"
)

func TestParse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		src    string
		fields []template.Field
	}{
		{"plain text", nil},
		{"Hi {{contact.first_name}}!", []template.Field{{Path: "contact.first_name", Pos: template.Position{Offset: 3, Line: 1, Column: 4}}}},
		{"{{ agent.name }}", []template.Field{{Path: "agent.name", Pos: template.Position{Line: 1, Column: 1}}}},
		{`{{contact.first_name|default:"there"}}`, []template.Field{{Path: "contact.first_name", Fallback: "there", HasFallback: true, Pos: template.Position{Line: 1, Column: 1}}}},
		{`{{ x | default : "" }}`, []template.Field{{Path: "x", HasFallback: true, Pos: template.Position{Line: 1, Column: 1}}}},
		{`{{x | default: "say \"hi\" \\ o/ }}"}}`, []template.Field{{Path: "x", Fallback: `say "hi" \ o/ }}`, HasFallback: true, Pos: template.Position{Line: 1, Column: 1}}}},
		{"ご注文ありがとうございます 😀\n{{record.owner.email}}", []template.Field{{Path: "record.owner.email", Pos: template.Position{Offset: 45, Line: 2, Column: 1}}}},
		{"😀{{a}}", []template.Field{{Path: "a", Pos: template.Position{Offset: 4, Line: 1, Column: 2}}}},
		{`\{{not a field}}`, nil},
		{"{{{x}}", []template.Field{{Path: "x", Pos: template.Position{Offset: 1, Line: 1, Column: 2}}}},
		{"a { b }} c", nil},
	}
	for _, tc := range cases {
		tpl, err := template.Parse(tc.src)
		require.NoError(t, err, tc.src)
		require.Equal(t, tc.fields, tpl.Fields(), tc.src)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		src       string
		line, col int
		msg       string
	}{
		{"Hi {{contact.first_name", 1, 4, "not closed"},
		{"Hi {{}}", 1, 4, "empty"},
		{"Hi {{ }}", 1, 4, "empty"},
		{"line one\nHi {{contact.}}", 2, 14, "expected a field name"},
		{"{{1abc}}", 1, 3, "expected a field name"},
		{"{{first name}}", 1, 9, "expected }}"},
		{"{{x | upper}}", 1, 7, "unknown filter"},
		{"{{x | default \"a\"}}", 1, 15, `expected ":"`},
		{"{{x | default: there}}", 1, 16, "quoted fallback"},
		{"{{x | default: \"there}}", 1, 16, "not closed with a quote"},
		{`{{x | default: "a\n"}}`, 1, 18, `write \"`},
		{"ありがとう {{名前}}", 1, 9, "expected a field name"},
		{"a\n\n  {{x\ny}}", 3, 6, "found a line break"},
		{"bad \xff byte", 1, 5, "UTF-8"},
	}
	for _, tc := range cases {
		_, err := template.Parse(tc.src)
		var se *template.SyntaxError
		require.ErrorAs(t, err, &se, tc.src)
		require.ErrorIs(t, err, template.ErrSyntax)
		require.Equal(t, tc.line, se.Pos.Line, "line of %q: %v", tc.src, err)
		require.Equal(t, tc.col, se.Pos.Column, "column of %q: %v", tc.src, err)
		require.Contains(t, se.Msg, tc.msg, tc.src)
		require.True(t, strings.HasPrefix(err.Error(), "template: line "), err.Error())
	}
	_, err := template.Parse(strings.Repeat("x", template.MaxSourceBytes+1))
	require.True(t, errors.Is(err, template.ErrSyntax), "an oversized template is refused")
}

// String prints a canonical source that parses back to the same template.
func TestStringRoundTrips(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		"Hi {{ contact.first_name | default: \"there\" }}, {{agent.name}} here.",
		`\{{literal}} and {{x}}`,
		`{{{x}}`,
		`\{{{{x}}`,
		`back\slash \\{{ and "quotes"`,
		`{{x|default:"a \"quoted\" \\ fallback"}}`,
		"multi\nline {{a.b.c}}\n",
	} {
		tpl, err := template.Parse(src)
		require.NoError(t, err, src)
		again, err := template.Parse(tpl.String())
		require.NoError(t, err, "String() of %q = %q must parse", src, tpl.String())
		require.Equal(t, tpl.String(), again.String())
		require.Equal(t, paths(tpl), paths(again))
		require.Equal(t, tpl.Preview(template.Values{}).Text, again.Preview(template.Values{}).Text, "same text")
	}
	tpl, err := template.Parse(`{{ x|default:"y" }}`)
	require.NoError(t, err)
	require.Equal(t, `{{x | default: "y"}}`, tpl.String(), "the canonical form")
}

func paths(t *template.Template) []string {
	var out []string
	for _, f := range t.Fields() {
		out = append(out, f.Path+"|"+f.Fallback)
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "Hi {{contact.first_name | default: \"there\"}}!", `\{{x}}`, "{{{a}}", "{{a.b", `{{x|default:"\\\""}}`, "😀{{a}}\n{{b}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := template.Parse(src)
		if err != nil {
			var se *template.SyntaxError
			require.ErrorAs(t, err, &se)
			require.Positive(t, se.Pos.Line)
			require.Positive(t, se.Pos.Column)
			return
		}
		printed := tpl.String()
		again, err := template.Parse(printed)
		require.NoError(t, err, "String() of a parsed template must parse: %q", printed)
		require.Equal(t, printed, again.String(), "parse → print → parse must be stable")
		require.Equal(t, paths(tpl), paths(again))
		require.Equal(t, tpl.Preview(template.Values{}).Text, again.Preview(template.Values{}).Text)
	})
}
