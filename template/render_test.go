package template_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	gotemplate "text/template"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/template"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// Golden renders: each case's output is pinned in testdata/golden/<name>.txt.
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	record := template.Values{
		"contact.first_name": "Hanako",
		"contact.last_name":  "山田",
		"agent.name":         "Taro",
		"order.number":       "A-1042",
		"record.owner.email": "owner@example.com",
		"contact.nickname":   "   ",
		"contact.note":       "{{agent.name}} must not expand",
		"contact.emoji_name": "🌸はな🌸",
	}
	cases := []struct {
		name, src string
		policy    template.Missing
	}{
		{"plain", "Thanks for registering, {{contact.first_name}}!", template.MissingFallback},
		{"japanese", "{{contact.last_name}}様、ご注文{{order.number}}を発送しました。担当: {{agent.name}}", template.MissingFallback},
		{"fallback-used", `Hi {{contact.title | default: "there"}}, your order has shipped.`, template.MissingFallback},
		{"blank-is-missing", `Hi {{contact.nickname | default: "friend"}}!`, template.MissingFallback},
		{"empty-policy", `Hi {{contact.title}}! Regards, {{agent.name}}`, template.MissingEmpty},
		{"value-not-expanded", `Note: {{contact.note}}`, template.MissingFallback},
		{"literal-braces", `Use \{{name}} in your own templates, {{contact.first_name}}.`, template.MissingFallback},
		{"emoji-surrogates", `{{contact.emoji_name}} 😀 {{contact.first_name}}`, template.MissingFallback},
		{"multiline", "Dear {{contact.first_name}},\n\nYour order {{order.number}} has shipped.\n\n— {{agent.name}}\n", template.MissingFallback},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tpl, err := template.Parse(tc.src)
			require.NoError(t, err)
			out, err := tpl.Render(record, tc.policy)
			require.NoError(t, err)
			path := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create the golden file")
			require.Equal(t, string(want), out)
		})
	}
	tpl, err := template.Parse(`Note: {{contact.note}}`)
	require.NoError(t, err)
	out, err := tpl.Render(record, template.MissingFallback)
	require.NoError(t, err)
	require.Equal(t, "Note: {{agent.name}} must not expand", out, "a value is inserted as text, never expanded")
}

func TestRenderMissingPolicies(t *testing.T) {
	t.Parallel()
	tpl, err := template.Parse(`Hi {{contact.first_name | default: "there"}}, I'm {{agent.name}}.`)
	require.NoError(t, err)
	none := template.Values{}
	named := template.Values{"agent.name": "Taro"}

	_, err = tpl.Render(none, template.MissingFallback)
	var missing *template.MissingFieldsError
	require.ErrorAs(t, err, &missing)
	require.ErrorIs(t, err, template.ErrMissingField)
	require.Len(t, missing.Fields, 1, "a field with a fallback is not missing under MissingFallback")
	require.Equal(t, "agent.name", missing.Fields[0].Path)
	require.Equal(t, "template: no value for {{agent.name}} (line 1, column 51)", err.Error())

	out, err := tpl.Render(named, template.MissingFallback)
	require.NoError(t, err)
	require.Equal(t, "Hi there, I'm Taro.", out)

	_, err = tpl.Render(named, template.MissingError)
	require.ErrorAs(t, err, &missing)
	require.Equal(t, "contact.first_name", missing.Fields[0].Path, "MissingError refuses even fields with a fallback")

	out, err = tpl.Render(none, template.MissingEmpty)
	require.NoError(t, err)
	require.Equal(t, "Hi there, I'm .", out, "MissingEmpty still prefers a fallback")
}

func TestPreview(t *testing.T) {
	t.Parallel()
	tpl, err := template.Parse(`{{a | default: "A"}} {{b}} {{c}}`)
	require.NoError(t, err)
	p := tpl.Preview(template.Values{"c": "C"})
	require.Equal(t, "A  C", p.Text)
	require.Equal(t, []string{"a", "b"}, fieldPaths(p.Missing))
	require.Equal(t, []string{"a"}, fieldPaths(p.FellBack))
}

func fieldPaths(fs []template.Field) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Path)
	}
	return out
}

// sourceFunc adapts a function to template.Source, as a CRM would wrap its record.
type sourceFunc func(string) (string, bool)

func (f sourceFunc) Lookup(p string) (string, bool) { return f(p) }

func TestRenderWithACRMSource(t *testing.T) {
	t.Parallel()
	tpl, err := template.Parse("{{record.owner.email}}")
	require.NoError(t, err)
	var asked []string
	out, err := tpl.Render(sourceFunc(func(p string) (string, bool) {
		asked = append(asked, p)
		return "owner@example.com", true
	}), template.MissingFallback)
	require.NoError(t, err)
	require.Equal(t, "owner@example.com", out)
	require.Equal(t, []string{"record.owner.email"}, asked)
}

func FuzzRender(f *testing.F) {
	f.Add("Hi {{contact.first_name | default: \"there\"}}!", "Hanako")
	f.Add(`\{{x}} {{x}}`, "{{x}}")
	f.Add("{{a}}{{b}}", "")
	f.Add(`\{{x}} {{x}}`, "v")
	f.Fuzz(func(t *testing.T, src, value string) {
		tpl, err := template.Parse(src)
		if err != nil {
			return
		}
		src2 := sourceFunc(func(string) (string, bool) { return value, true })
		for _, policy := range []template.Missing{template.MissingFallback, template.MissingError, template.MissingEmpty} {
			out, err := tpl.Render(src2, policy)
			if err != nil {
				require.True(t, errors.Is(err, template.ErrMissingField))
				require.Empty(t, strings.TrimSpace(value), "only a blank value can be missing")
				continue
			}
			if len(tpl.Fields()) > 0 && strings.TrimSpace(value) != "" {
				require.Contains(t, out, value, "fields are filled with their value")
			}
			// No merge field survives unfilled: with values free of braces, every "{{" in the output
			// comes from the literal text (an escaped \{{, or a brace run before a field).
			if !strings.ContainsAny(value, "{}") {
				require.LessOrEqual(t, strings.Count(out, "{{"), strings.Count(src, "{{"))
				literal := tpl.Preview(template.Values{}).Text
				for _, f := range tpl.Fields() {
					if tag := "{{" + f.Path + "}}"; !strings.Contains(literal, tag) {
						require.NotContains(t, out, tag, "an unfilled merge field")
					}
				}
			}
		}
	})
}

// BenchmarkRender renders the same message with this package and with an equivalent text/template, in the
// same run; "ratio" is ours over text/template (the target is at most 0.5).
func BenchmarkRender(b *testing.B) {
	const src = `Dear {{contact.first_name | default: "customer"}} {{contact.last_name}}, your order {{order.number}} has shipped and will arrive on {{order.eta}}. Questions? Reply here and {{agent.name}} will help. — {{company.name}}`
	values := template.Values{"contact.first_name": "Hanako", "contact.last_name": "Yamada", "order.number": "A-1042",
		"order.eta": "Friday", "agent.name": "Taro", "company.name": "Example Shop"}
	ours, err := template.Parse(src)
	require.NoError(b, err)
	std := gotemplate.Must(gotemplate.New("m").Parse(`Dear {{or (index . "contact.first_name") "customer"}} {{index . "contact.last_name"}}, your order {{index . "order.number"}} has shipped and will arrive on {{index . "order.eta"}}. Questions? Reply here and {{index . "agent.name"}} will help. — {{index . "company.name"}}`))
	data := map[string]string(values)
	var sb strings.Builder
	require.NoError(b, std.Execute(&sb, data))
	want, err := ours.Render(values, template.MissingFallback)
	require.NoError(b, err)
	require.Equal(b, sb.String(), want, "the two templates must render the same text")

	b.Run("msgkit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ours.Render(values, template.MissingFallback); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("text-template", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var sb strings.Builder
			if err := std.Execute(&sb, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Both, alternating in one loop, so machine noise hits them alike.
	b.Run("ratio", func(b *testing.B) {
		var oursTime, stdTime time.Duration
		for b.Loop() {
			t0 := time.Now()
			_, _ = ours.Render(values, template.MissingFallback)
			t1 := time.Now()
			var sb strings.Builder
			_ = std.Execute(&sb, data)
			stdTime += time.Since(t1)
			oursTime += t1.Sub(t0)
		}
		b.ReportMetric(float64(oursTime)/float64(stdTime), "ratio")
	})
}
