// Package template implements merge-field templates for replies ("Thanks for registering,
// {{contact.first_name}}!") whose fields are filled from the linked CRM record when the message is sent.
// It is built so that a template cannot surprise the customer: problems are found when the template is
// saved (Validate), and a render never sends a blank or a raw {{…}}.
//
// # Syntax
//
// A template is text with merge fields. The whole syntax:
//
//	{{contact.first_name}}                      a merge field: a dotted path of names
//	{{ contact.first_name }}                    blanks inside the braces are ignored
//	{{contact.first_name | default: "there"}}   a fallback, used when the field is empty
//	"say \"hi\" \\ o/"                           in a fallback, \" is a quote and \\ a backslash
//	\{{                                         a literal {{ in the text
//
// A name is ASCII letters, digits and underscores, starting with a letter; paths have one or more names
// joined by dots (contact.first_name, agent.name, record.owner.email). Everything outside {{ and }} is
// text, including single braces and "}}". Where braces run together, the last two open the field, so
// "{{{x}}" is a "{" followed by the field x. There are no loops, conditions, function calls or access to
// Go values: templates are written by CRM users, and rendering is plain substitution.
//
// # Life of a template
//
// Parse once (syntax errors carry line and column). Validate when saving, against the host CRM's Schema
// and the channel's Limits: unknown fields, often-empty fields without a fallback (FieldSpec.EmptyWhen
// says when they are empty), and a worst-case render that does not fit the channel come back as Findings
// with positions and messages for the author. Lint parses and validates in one step, a syntax error or
// an empty template becoming an error Finding, so an editor shows every problem in one list; HasErrors
// says whether to refuse the save. (conversation.Templates is the save path built on it.)
// Preview renders against a real record and lists missing and fallen-back fields. Render fills the
// fields under an explicit Missing policy; values are inserted as text and never re-expanded.
//
// # Errors
//
// Parse returns a *SyntaxError (wrapping ErrSyntax); Render returns a *MissingFieldsError (wrapping
// ErrMissingField) listing every field it could not fill.
//
// # Concurrency
//
// A Template is immutable: render it from any number of goroutines.
//
// # Testing
//
// The package's tests pin renders with golden files (go test -update refreshes them) and fuzz Parse and
// Render (FuzzParse, FuzzRender); a host's own templates are best tested by calling Validate on them.
package template
