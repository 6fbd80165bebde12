package template_test

import (
	"errors"
	"fmt"

	"github.com/msgkit/msgkit/template"
)

func ExampleParse() {
	_, err := template.Parse("Thanks for registering,\n{{contact.first name}}!")
	fmt.Println(err)
	// Output: template: line 2, column 17: expected }} to close the merge field, found 'n'
}

// Validate when the template is saved: the author sees the problems, not the customer.
func ExampleTemplate_Validate() {
	schema := template.Fields{
		"contact.first_name": {OftenEmpty: true, MaxLength: 40},
		"order.number":       {MaxLength: 12},
	}
	tpl, _ := template.Parse("Hi {{contact.first_name}}, order {{order.numbr}} has shipped.")
	for _, f := range tpl.Validate(schema, template.LINELimits()) {
		fmt.Println(f)
	}
	// Output:
	// line 1, column 4: warning: {{contact.first_name}} is often empty and has no fallback; add one, as in {{contact.first_name | default: "there"}}
	// line 1, column 34: error: {{order.numbr}} is not a field of this record; did you mean {{order.number}}?
}

func ExampleTemplate_Render() {
	tpl, _ := template.Parse(`Hi {{contact.first_name | default: "there"}}, your order {{order.number}} has shipped.`)

	out, _ := tpl.Render(template.Values{"order.number": "A-1042"}, template.MissingFallback)
	fmt.Println(out)

	_, err := tpl.Render(template.Values{"contact.first_name": "Hanako"}, template.MissingFallback)
	fmt.Println(errors.Is(err, template.ErrMissingField), err)
	// Output:
	// Hi there, your order A-1042 has shipped.
	// true template: no value for {{order.number}} (line 1, column 58)
}

func ExampleTemplate_Preview() {
	tpl, _ := template.Parse(`Hi {{contact.first_name | default: "there"}}, {{agent.name}} here.`)
	p := tpl.Preview(template.Values{})
	fmt.Printf("%q\n", p.Text)
	for _, f := range p.Missing {
		fmt.Println("missing:", f.Path)
	}
	for _, f := range p.FellBack {
		fmt.Println("fell back:", f.Path)
	}
	// Output:
	// "Hi there,  here."
	// missing: contact.first_name
	// missing: agent.name
	// fell back: contact.first_name
}
