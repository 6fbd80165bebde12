package conversation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/template"
)

// ErrTemplateInvalid is wrapped by every *TemplateError: the template has errors and was not saved.
var ErrTemplateInvalid = errors.New("conversation: the template has errors")

// Codes of the findings Templates adds to those of package template.
const (
	// CodeNoName: the template has no name (an error; the finding has no position).
	CodeNoName = "no_name"
	// CodeNoLimits: no limits are known for the channel kind the template is written for (no channel of
	// that kind is connected), so its length was not checked (a warning).
	CodeNoLimits = "no_limits"
)

// TemplateError is why Templates.Save refused a template, or Templates.PreviewBody could not render a
// draft: every problem found, each with its position, field and reason. errors.Is(err,
// ErrTemplateInvalid) holds; so does errors.As(err, **template.SyntaxError) for a template that does not
// parse.
type TemplateError struct {
	// Name is the template's name ("" for a draft without one).
	Name string
	// Findings are every finding, errors and warnings, in source order (length findings after field
	// findings); at least one is an error.
	Findings []template.Finding
	syntax   *template.SyntaxError
}

// Error lists every finding: `conversation: template "Shipped" has 2 errors: line 1, column 4: error: …;
// line 2, column 1: warning: …`.
func (e *TemplateError) Error() string {
	n := 0
	for _, f := range e.Findings {
		if f.Severity == template.SeverityError {
			n++
		}
	}
	var b strings.Builder
	b.WriteString("conversation: template")
	if e.Name != "" {
		fmt.Fprintf(&b, " %q", e.Name)
	}
	if n == 1 {
		b.WriteString(" has 1 error: ")
	} else {
		fmt.Fprintf(&b, " has %d errors: ", n)
	}
	for i, f := range e.Findings {
		if i > 0 {
			b.WriteString("; ")
		}
		if f.Pos.Line == 0 {
			fmt.Fprintf(&b, "%s: %s", f.Severity, f.Message)
		} else {
			b.WriteString(f.String())
		}
	}
	return b.String()
}

// Unwrap returns ErrTemplateInvalid, and the *template.SyntaxError when the template does not parse.
func (e *TemplateError) Unwrap() []error {
	if e.syntax != nil {
		return []error{ErrTemplateInvalid, e.syntax}
	}
	return []error{ErrTemplateInvalid}
}

// templateError is the error for tpl's findings, keeping its syntax error for errors.As.
func templateError(tpl store.Template, findings []template.Finding) *TemplateError {
	e := &TemplateError{Name: tpl.Name, Findings: findings}
	if _, err := template.Parse(tpl.Body); err != nil {
		errors.As(err, &e.syntax)
	}
	return e
}

// ChannelLimits gives the send limits a template must fit, by channel kind.
type ChannelLimits interface {
	// ChannelLimits returns, by kind, the limits of the channel kinds a template written for kind is sent
	// on: kind's own, or, for "" (a template for every channel), those of every kind the host has. A kind
	// whose limits are not known is missing from the map. It must be safe for concurrent use; the map is
	// the caller's.
	ChannelLimits(ctx context.Context, kind string) (map[string]channel.Limits, error)
}

// LimitsByKind is a ChannelLimits of fixed limits, by channel kind: for hosts that lint templates before
// any channel of their kind is connected.
type LimitsByKind map[string]channel.Limits

// ChannelLimits implements ChannelLimits.
func (m LimitsByKind) ChannelLimits(_ context.Context, kind string) (map[string]channel.Limits, error) {
	if kind == "" {
		return maps.Clone(map[string]channel.Limits(m)), nil
	}
	if l, ok := m[kind]; ok {
		return map[string]channel.Limits{kind: l}, nil
	}
	return map[string]channel.Limits{}, nil
}

// TemplateOptions configures Templates. The zero value (or nil) means the defaults.
type TemplateOptions struct {
	// Limits gives the send limits a template is checked against. nil means those of the connected
	// channels: for each kind, the limits the first connected channel's adapter reports (channel.LimitsOf,
	// or the conservative ones Reply assumes for an adapter that reports none).
	Limits ChannelLimits
}

// Templates is the save path of reply templates (FEATURES F15, B5): it checks a template before the
// store keeps it, and previews it against a real conversation as a Reply would render it. It is safe for
// concurrent use.
//
// A template is checked against the host CRM's field schema (usually FieldSchema with the CRM's record
// fields) and against the limits of the channels it is written for: fields the schema does not have,
// a syntax error, an empty body or no name, and a worst-case render longer than one reply can hold
// are errors, and refuse the save with a *TemplateError listing every problem; fields that may be empty
// and have no fallback, a worst-case render longer than one message, and limits not known are warnings,
// returned with the saved template. One message's length is counted in the channel's own unit (LINE:
// UTF-16 code units) and one reply holds Options.MaxReplyParts messages, or what the channel takes in
// one send.
type Templates struct {
	svc    *Service
	schema template.Schema
	limits ChannelLimits
}

// NewTemplates returns the template service of svc: previews render with svc's Options.Fields, the
// FieldSource every Reply uses, and read svc's store and adapters. schema is the merge fields templates
// may use (see FieldSchema).
func NewTemplates(svc *Service, schema template.Schema, opts *TemplateOptions) (*Templates, error) {
	if svc == nil || schema == nil {
		return nil, errors.New("conversation: NewTemplates needs the Service and a field schema")
	}
	t := &Templates{svc: svc, schema: schema}
	if opts != nil {
		t.limits = opts.Limits
	}
	if t.limits == nil {
		t.limits = connectedLimits{svc}
	}
	return t, nil
}

// Lint checks tpl as Save would, without saving it: every finding, errors and warnings. The error is
// for what kept it from checking (the limits could not be read), never for the template's problems.
func (t *Templates) Lint(ctx context.Context, tpl store.Template) ([]template.Finding, error) {
	byKind, err := t.limits.ChannelLimits(ctx, tpl.ChannelKind)
	if err != nil {
		return nil, fmt.Errorf("conversation: reading the channels' limits: %w", err)
	}
	var out []template.Finding
	if strings.TrimSpace(tpl.Name) == "" {
		out = append(out, template.Finding{Severity: template.SeverityError, Code: CodeNoName,
			Message: "the template has no name: give it one agents will recognise"})
	}
	parsed, findings := template.Lint(tpl.Body, t.schema, template.Limits{})
	out = append(out, findings...)
	if parsed == nil {
		return out, nil
	}
	if len(byKind) == 0 {
		what := "no channel's limits are known"
		if tpl.ChannelKind != "" {
			what = fmt.Sprintf("the limits of %s channels are not known", tpl.ChannelKind)
		}
		out = append(out, template.Finding{Pos: template.Position{Line: 1, Column: 1}, Severity: template.SeverityWarning,
			Code: CodeNoLimits, Message: "the length was not checked: " + what + " (connect one first)"})
		return out, nil
	}
	seen := map[string]bool{}
	for _, kind := range slices.Sorted(maps.Keys(byKind)) {
		for _, f := range t.lengthFindings(parsed, byKind[kind]) {
			if len(byKind) > 1 || tpl.ChannelKind == "" {
				f.Message = "on " + kind + ": " + f.Message
			}
			if key := f.Code + "\x00" + f.Message; !seen[key] {
				seen[key] = true
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// lengthFindings checks a worst-case render of parsed against one channel's limits.
func (t *Templates) lengthFindings(parsed *template.Template, l channel.Limits) []template.Finding {
	var out []template.Finding
	for _, f := range parsed.Validate(t.schema, t.templateLimits(l)) {
		if f.Code == template.CodeTooLong || f.Code == template.CodeTooManyMessages {
			out = append(out, f)
		}
	}
	return out
}

// templateLimits states a channel's limits as package template counts them: one message as the channel
// counts text, one reply as Reply bounds it.
func (t *Templates) templateLimits(l channel.Limits) template.Limits {
	tl := template.Limits{
		MaxLength:       l.MaxTextLength,
		Count:           l.TextUnit.Count,
		MaxUnitsPerChar: 1,
		MaxMessages:     cmp.Or(t.svc.o.MaxReplyParts, l.MaxMessages, 1),
	}
	switch l.TextUnit {
	case channel.UnitUTF16:
		tl.UnitName, tl.MaxUnitsPerChar = "UTF-16 code units", 2
	case channel.UnitByte:
		tl.UnitName, tl.MaxUnitsPerChar = "bytes", 4
	}
	return tl
}

// Save checks tpl and stores it: created when tpl.Version is 0 (with tpl.ID, or an ID the store
// assigns), or else updated if the stored version is still tpl.Version — store.ErrConflict when another
// save came first (reload it and save again), store.ErrNotFound when it was deleted, and
// store.ErrAlreadyExists for a name taken for the same channel kind. A template with errors is not
// stored: the error is a *TemplateError (ErrTemplateInvalid) listing every finding. Otherwise the stored
// template is returned with the warnings, for the author to see.
func (t *Templates) Save(ctx context.Context, tpl store.Template) (store.Template, []template.Finding, error) {
	findings, err := t.Lint(ctx, tpl)
	if err != nil {
		return store.Template{}, nil, err
	}
	if template.HasErrors(findings) {
		return store.Template{}, nil, templateError(tpl, findings)
	}
	var saved store.Template
	if tpl.Version == 0 {
		saved, err = t.svc.store.CreateTemplate(ctx, tpl)
	} else {
		saved, err = t.svc.store.UpdateTemplate(ctx, tpl)
	}
	if err != nil {
		return store.Template{}, nil, fmt.Errorf("conversation: saving template %q: %w", tpl.Name, err)
	}
	return saved, findings, nil // no errors: every finding is a warning
}

// TemplatePreview is a template rendered for one conversation, as a Reply by the agent would send it
// now.
type TemplatePreview struct {
	// Template is the saved template previewed; for PreviewBody, a draft holding only the Body.
	Template store.Template
	// Text is the message with every field filled, by its value or its fallback; a field with neither
	// (see Unfilled) is left empty here.
	Text string
	// Parts is Text cut into the messages the conversation's channel takes, as Reply would cut it.
	Parts []string
	// Missing are the fields without a value in this conversation; FellBack those of them filled by
	// their fallback; Unfilled those with no fallback either: while any is left, a Reply with this
	// template fails (template.ErrMissingField) rather than send a blank.
	Missing  []template.Field
	FellBack []template.Field
	Unfilled []template.Field
	// Findings are the template's check against the schema and the limits of this conversation's
	// channel (a draft is previewed even with errors, but Save refuses it).
	Findings []template.Finding
}

// Preview renders the saved template templateID for the conversation, as agent, with the FieldSource
// of every Reply (the Service's Options.Fields), and checks it against the conversation's channel.
// Nothing is sent or stored. A missing conversation, contact or template is store.ErrNotFound; a saved
// template that no longer parses is a *TemplateError.
func (t *Templates) Preview(ctx context.Context, conversationID, agent, templateID string) (TemplatePreview, error) {
	tpl, err := t.svc.store.GetTemplate(ctx, templateID)
	if err != nil {
		return TemplatePreview{}, fmt.Errorf("conversation: template %s: %w", templateID, err)
	}
	return t.preview(ctx, conversationID, agent, tpl)
}

// PreviewBody renders a draft template body, not saved yet, as Preview does: what the author sees while
// writing it. A body that does not parse, or is empty, is a *TemplateError.
func (t *Templates) PreviewBody(ctx context.Context, conversationID, agent, body string) (TemplatePreview, error) {
	return t.preview(ctx, conversationID, agent, store.Template{Body: body})
}

func (t *Templates) preview(ctx context.Context, conversationID, agent string, tpl store.Template) (TemplatePreview, error) {
	conv, err := t.svc.store.GetConversation(ctx, conversationID)
	if err != nil {
		return TemplatePreview{}, err
	}
	contact, err := t.svc.store.GetContact(ctx, conv.ContactID)
	if err != nil {
		return TemplatePreview{}, err
	}
	ch, err := t.svc.store.GetChannel(ctx, conv.ChannelID)
	if err != nil {
		return TemplatePreview{}, err
	}
	adapter, err := t.svc.adapters.Adapter(ctx, ch)
	if err != nil {
		return TemplatePreview{}, err
	}
	limits := limitsOf(adapter)
	parsed, findings := template.Lint(tpl.Body, t.schema, t.templateLimits(limits))
	if parsed == nil {
		return TemplatePreview{}, templateError(tpl, findings)
	}
	src, err := t.svc.o.Fields.Source(ctx, FieldContext{Conversation: conv, Contact: contact, Agent: agent})
	if err != nil {
		return TemplatePreview{}, fmt.Errorf("conversation: template fields: %w", err)
	}
	p := parsed.Preview(src)
	out := TemplatePreview{Template: tpl, Text: p.Text, Missing: p.Missing, FellBack: p.FellBack, Findings: findings}
	for _, f := range p.Missing {
		if !f.HasFallback {
			out.Unfilled = append(out.Unfilled, f)
		}
	}
	if strings.TrimSpace(p.Text) != "" {
		out.Parts = splitText(p.Text, limits.MaxTextLength, limits.TextUnit)
	}
	return out, nil
}

// connectedLimits is the default ChannelLimits: the limits of the connected channels' adapters.
type connectedLimits struct{ svc *Service }

// ChannelLimits implements ChannelLimits.
func (c connectedLimits) ChannelLimits(ctx context.Context, kind string) (map[string]channel.Limits, error) {
	channels, err := c.svc.store.ListChannels(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]channel.Limits{}
	for _, ch := range channels {
		if _, done := out[ch.Kind]; done || (kind != "" && ch.Kind != kind) || !ch.DisconnectedAt.IsZero() {
			continue
		}
		a, err := c.svc.adapters.Adapter(ctx, ch)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue // this channel's adapter cannot be built (its credentials): another of its kind may tell
		}
		out[ch.Kind] = limitsOf(a)
	}
	return out, nil
}
