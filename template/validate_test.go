package template_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/template"
)

var contactSchema = template.Fields{
	"contact.first_name": {OftenEmpty: true, MaxLength: 40},
	"contact.last_name":  {MaxLength: 40},
	"agent.name":         {MaxLength: 80},
	"order.number":       {MaxLength: 12},
	"record.owner.email": {},
}

func TestValidateFields(t *testing.T) {
	t.Parallel()
	tpl, err := template.Parse("Hi {{contact.first_name}},\nthis is {{agent.name}} about {{contact.frist_name}} and {{deal.amount}}.\n{{contact.first_name | default: \"there\"}}")
	require.NoError(t, err)
	got := tpl.Validate(contactSchema, template.LINELimits())
	require.Len(t, got, 3)

	require.Equal(t, template.CodeOftenEmpty, got[0].Code)
	require.Equal(t, template.SeverityWarning, got[0].Severity)
	require.Equal(t, template.Position{Offset: 3, Line: 1, Column: 4}, got[0].Pos)
	require.Contains(t, got[0].Message, "often empty")

	require.Equal(t, template.CodeUnknownField, got[1].Code)
	require.Equal(t, template.SeverityError, got[1].Severity)
	require.Equal(t, "contact.frist_name", got[1].Field)
	require.Equal(t, 2, got[1].Pos.Line)
	require.Contains(t, got[1].Message, "did you mean {{contact.first_name}}?")

	require.Equal(t, "deal.amount", got[2].Field)
	require.NotContains(t, got[2].Message, "did you mean", "no suggestion when nothing is close")
	require.Equal(t, "line 2, column 57: error: {{deal.amount}} is not a field of this record", got[2].String())
}

func TestValidateCleanTemplateHasNoFindings(t *testing.T) {
	t.Parallel()
	tpl, err := template.Parse(`Thanks {{contact.first_name | default: "there"}}! Order {{order.number}} ships today. — {{agent.name}}`)
	require.NoError(t, err)
	require.Empty(t, tpl.Validate(contactSchema, template.LINELimits()))
}

// Length is checked on a worst-case render in the channel's unit: LINE counts UTF-16 code units, so an
// emoji (a surrogate pair) counts 2, and a field's characters may each take 2.
func TestValidateLengthInUTF16AtTheBoundary(t *testing.T) {
	t.Parallel()
	limits := template.LINELimits()
	check := func(src string) []template.Finding {
		t.Helper()
		tpl, err := template.Parse(src)
		require.NoError(t, err)
		return tpl.Validate(contactSchema, limits)
	}
	require.Empty(t, check(strings.Repeat("😀", 2500)), "2,500 emoji are exactly 5,000 code units")
	require.Empty(t, check(strings.Repeat("あ", 5000)), "5,000 BMP characters fit")

	over := check(strings.Repeat("😀", 2500) + "a")
	require.Len(t, over, 1)
	require.Equal(t, template.CodeTooLong, over[0].Code)
	require.Equal(t, template.SeverityWarning, over[0].Severity, "one message too long is split, not refused")
	require.Contains(t, over[0].Message, "5001 UTF-16 code units")
	require.Contains(t, over[0].Message, "2 messages")

	// 4,920 units of text plus {{contact.last_name}} (40 characters, up to 80 units) is exactly 5,000.
	require.Empty(t, check(strings.Repeat("x", 4920)+"{{contact.last_name}}"))
	f := check(strings.Repeat("x", 4921) + "{{contact.last_name}}")
	require.Len(t, f, 1)
	require.Equal(t, template.Position{Offset: 4921, Line: 1, Column: 4922}, f[0].Pos, "the finding points where the limit is passed")

	// A fallback longer than the field's longest value counts instead.
	long := `{{order.number | default: "` + strings.Repeat("😀", 2501) + `"}}`
	require.Len(t, check(long), 1)

	huge := check(strings.Repeat("x", 5000*5+1))
	require.Len(t, huge, 1)
	require.Equal(t, template.CodeTooManyMessages, huge[0].Code)
	require.Equal(t, template.SeverityError, huge[0].Severity, "more than one send holds cannot be sent")
}

func TestValidateDefaultsAndUnits(t *testing.T) {
	t.Parallel()
	tpl, err := template.Parse("{{record.owner.email}}")
	require.NoError(t, err)
	got := tpl.Validate(contactSchema, template.Limits{MaxLength: 254})
	require.Len(t, got, 1, "a field without MaxLength is assumed to be 255 characters")
	require.Contains(t, got[0].Message, "255 characters")
	require.Empty(t, tpl.Validate(contactSchema, template.Limits{MaxLength: 254, DefaultFieldLength: 100}))
	require.Empty(t, tpl.Validate(contactSchema, template.Limits{}), "no limits, no length findings")
}

// EmptyWhen says when a field is empty, and makes using it without a fallback a warning.
func TestValidateEmptyWhen(t *testing.T) {
	t.Parallel()
	schema := template.Fields{"record.name": {EmptyWhen: "while the sender is not linked"}, "record.id": {}}
	tpl, err := template.Parse(`{{record.name}} {{record.name | default: "there"}} {{record.id}}`)
	require.NoError(t, err)
	got := tpl.Validate(schema, template.Limits{})
	require.Len(t, got, 1)
	require.Equal(t, template.CodeOftenEmpty, got[0].Code)
	require.Equal(t, template.SeverityWarning, got[0].Severity)
	require.Equal(t, `{{record.name}} has no fallback and is empty while the sender is not linked; add one, as in {{record.name | default: "there"}}`,
		got[0].Message)
}

func TestLint(t *testing.T) {
	t.Parallel()
	tpl, got := template.Lint("Hi {{contact.first_name}}", contactSchema, template.LINELimits())
	require.NotNil(t, tpl)
	require.Equal(t, []string{template.CodeOftenEmpty}, findingCodes(got))
	require.False(t, template.HasErrors(got), "a warning is not an error")

	tpl, got = template.Lint("Hi\n  {{contact.first_name | shout}}", contactSchema, template.LINELimits())
	require.Nil(t, tpl)
	require.Len(t, got, 1)
	require.Equal(t, template.CodeSyntax, got[0].Code)
	require.Equal(t, template.SeverityError, got[0].Severity)
	require.Equal(t, template.Position{Offset: 28, Line: 2, Column: 26}, got[0].Pos)
	require.Equal(t, `line 2, column 26: error: unknown filter 's': the only filter is default: "text"`, got[0].String())
	require.True(t, template.HasErrors(got))

	tpl, got = template.Lint(" \n\t", contactSchema, template.LINELimits())
	require.Nil(t, tpl)
	require.Equal(t, []string{template.CodeEmpty}, findingCodes(got))
	require.True(t, template.HasErrors(got))
	require.False(t, template.HasErrors(nil))
}

func findingCodes(fs []template.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}
