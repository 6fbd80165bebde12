package conversation_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/template"
)

// crmSchema is the host's schema: the standard fields and one record field of its own.
var crmSchema = conversation.FieldSchema(template.Fields{"company": {MaxLength: 80}})

func newTemplates(t *testing.T, svc *conversation.Service, opts *conversation.TemplateOptions) *conversation.Templates {
	t.Helper()
	tpls, err := conversation.NewTemplates(svc, crmSchema, opts)
	require.NoError(t, err)
	return tpls
}

func codes(fs []template.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func paths(fs []template.Field) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Path)
	}
	return out
}

func TestNewTemplatesNeedsServiceAndSchema(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	_, err := conversation.NewTemplates(nil, crmSchema, nil)
	require.Error(t, err)
	_, err = conversation.NewTemplates(fx.svc, nil, nil)
	require.Error(t, err)
}

// B5: a template with errors is not saved, and the error lists every problem — errors and warnings —
// with its position, field and reason.
func TestSaveRefusesErrorsListingEveryProblem(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	tpls := newTemplates(t, fx.svc, nil)
	body := "Hi {{contact.display_nam}},\nyour order {{order.number}} for {{record.company}} has shipped.\n" +
		strings.Repeat("x", 5*5000)
	_, warnings, err := tpls.Save(t.Context(), store.Template{Name: "Shipped", ChannelKind: "line", Body: body})
	require.ErrorIs(t, err, conversation.ErrTemplateInvalid)
	require.Nil(t, warnings)
	var te *conversation.TemplateError
	require.ErrorAs(t, err, &te)
	require.Equal(t, "Shipped", te.Name)
	require.Equal(t, []string{template.CodeUnknownField, template.CodeUnknownField, template.CodeOftenEmpty, template.CodeTooManyMessages},
		codes(te.Findings))

	typo := te.Findings[0]
	require.Equal(t, template.SeverityError, typo.Severity)
	require.Equal(t, "contact.display_nam", typo.Field)
	require.Equal(t, template.Position{Offset: 3, Line: 1, Column: 4}, typo.Pos)
	require.Contains(t, typo.Message, "did you mean {{contact.display_name}}?")

	require.Equal(t, "order.number", te.Findings[1].Field)
	require.Equal(t, 2, te.Findings[1].Pos.Line)
	require.Equal(t, 12, te.Findings[1].Pos.Column)

	company := te.Findings[2]
	require.Equal(t, template.SeverityWarning, company.Severity)
	require.Equal(t, "record.company", company.Field)
	require.Contains(t, company.Message, "empty while the sender is not linked to a CRM record")

	require.Contains(t, te.Findings[3].Message, "UTF-16 code units", "length in the channel's unit")

	msg := err.Error()
	require.True(t, strings.HasPrefix(msg, `conversation: template "Shipped" has 3 errors: line 1, column 4: error: {{contact.display_nam}}`), msg)
	for _, f := range te.Findings {
		require.Contains(t, msg, f.String())
	}

	list, err := fx.s.ListTemplates(t.Context(), "")
	require.NoError(t, err)
	require.Empty(t, list, "nothing stored")
}

func TestSaveRefusesWhatDoesNotParse(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	tpls := newTemplates(t, fx.svc, nil)

	_, _, err := tpls.Save(t.Context(), store.Template{Name: "Broken", Body: "Hi\n{{contact.display_name | default: there}}"})
	var syntax *template.SyntaxError
	require.ErrorAs(t, err, &syntax, "the syntax error is there for errors.As")
	require.ErrorIs(t, err, template.ErrSyntax)
	var te *conversation.TemplateError
	require.ErrorAs(t, err, &te)
	require.Equal(t, []string{template.CodeSyntax}, codes(te.Findings))
	require.Equal(t, syntax.Pos, te.Findings[0].Pos)
	require.Equal(t, 2, te.Findings[0].Pos.Line)

	_, _, err = tpls.Save(t.Context(), store.Template{Body: "  \n "})
	require.ErrorAs(t, err, &te)
	require.Equal(t, []string{conversation.CodeNoName, template.CodeEmpty}, codes(te.Findings))
	require.Equal(t, "conversation: template has 2 errors: error: the template has no name: give it one agents will recognise; "+
		"line 1, column 1: error: the template is empty: write the message it sends", err.Error())
}

// Warnings do not refuse the save: they come back with the stored template.
func TestSaveReturnsWarningsWithTheSavedTemplate(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	tpls := newTemplates(t, fx.svc, nil)
	body := `Hi {{contact.display_name}}, {{record.name | default: "there"}}` + strings.Repeat("😀", 2500)
	saved, warnings, err := tpls.Save(t.Context(), store.Template{Name: "Long", ChannelKind: "line", Body: body})
	require.NoError(t, err)
	require.Equal(t, int64(1), saved.Version)
	require.NotEmpty(t, saved.ID)
	require.Equal(t, []string{template.CodeOftenEmpty, template.CodeTooLong}, codes(warnings))
	require.Contains(t, warnings[0].Message, "until the sender's profile is fetched")
	require.Contains(t, warnings[1].Message, "2 messages")
	for _, w := range warnings {
		require.Equal(t, template.SeverityWarning, w.Severity)
	}
	got, err := fx.s.GetTemplate(t.Context(), saved.ID)
	require.NoError(t, err)
	require.Equal(t, body, got.Body)

	clean, warnings, err := tpls.Save(t.Context(), store.Template{Name: "Clean", ChannelKind: "line",
		Body: `Thanks, {{record.name | default: "there"}}!`})
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, "Clean", clean.Name)
}

// Updates are checked like creates, and honour the version the author edited.
func TestSaveUpdatesWithVersions(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	tpls := newTemplates(t, fx.svc, nil)
	ctx := t.Context()
	v1, _, err := tpls.Save(ctx, store.Template{Name: "Shipped", ChannelKind: "line", Body: "Your order has shipped."})
	require.NoError(t, err)

	edit := v1
	edit.Body = `Your order has shipped, {{record.name | default: "there"}}.`
	v2, warnings, err := tpls.Save(ctx, edit)
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, int64(2), v2.Version)
	require.Equal(t, v1.ID, v2.ID)

	stale := v1
	stale.Body = "Another edit, from the version before."
	_, _, err = tpls.Save(ctx, stale)
	require.ErrorIs(t, err, store.ErrConflict, "a save from a stale version loses")

	broken := v2
	broken.Body = "Your {{order.number}} has shipped."
	_, _, err = tpls.Save(ctx, broken)
	require.ErrorIs(t, err, conversation.ErrTemplateInvalid)
	got, err := fx.s.GetTemplate(ctx, v1.ID)
	require.NoError(t, err)
	require.Equal(t, v2, got, "a refused update changes nothing")

	gone := store.Template{ID: "missing", Name: "Gone", Body: "Hello", Version: 3}
	_, _, err = tpls.Save(ctx, gone)
	require.ErrorIs(t, err, store.ErrNotFound)

	_, _, err = tpls.Save(ctx, store.Template{Name: "Shipped", ChannelKind: "line", Body: "Same name."})
	require.ErrorIs(t, err, store.ErrAlreadyExists)
}

// Without limits given, a template is checked against the connected channels of its kind; a template for
// every channel, against every kind's limits.
func TestSaveChecksTheChannelsLimits(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	ctx := t.Context()
	connected := newTemplates(t, fx.svc, nil)

	fits, err := connected.Lint(ctx, store.Template{Name: "Emoji", ChannelKind: "line", Body: strings.Repeat("😀", 2500)})
	require.NoError(t, err)
	require.Empty(t, fits, "2,500 emoji are 5,000 UTF-16 code units: one LINE message")
	over, err := connected.Lint(ctx, store.Template{Name: "Emoji", ChannelKind: "line", Body: strings.Repeat("😀", 2501)})
	require.NoError(t, err)
	require.Equal(t, []string{template.CodeTooLong}, codes(over))
	require.NotContains(t, over[0].Message, "on line:", "one kind: no need to say which")

	unknown, err := connected.Lint(ctx, store.Template{Name: "WA", ChannelKind: "whatsapp", Body: "Hello"})
	require.NoError(t, err)
	require.Equal(t, []string{conversation.CodeNoLimits}, codes(unknown))
	require.Contains(t, unknown[0].Message, "the limits of whatsapp channels are not known")

	sms := channel.Limits{MaxMessages: 1, MaxTextLength: 160, TextUnit: channel.UnitRune}
	byKind := newTemplates(t, fx.svc, &conversation.TemplateOptions{Limits: conversation.LimitsByKind{
		"line": channeltest.DefaultLimits(), "sms": sms}})
	body := strings.Repeat("あ", 200)
	_, _, err = byKind.Save(ctx, store.Template{Name: "Long", ChannelKind: "line", Body: body})
	require.NoError(t, err, "200 characters fit LINE")
	_, _, err = byKind.Save(ctx, store.Template{Name: "Long", Body: body})
	var te *conversation.TemplateError
	require.ErrorAs(t, err, &te, "a template for every channel must fit every channel")
	require.Equal(t, []string{template.CodeTooManyMessages}, codes(te.Findings))
	require.Contains(t, te.Findings[0].Message, "on sms: with every field at its longest this is 200 characters")

	empty := newTemplates(t, fx.svc, &conversation.TemplateOptions{Limits: conversation.LimitsByKind{}})
	none, err := empty.Lint(ctx, store.Template{Name: "Any", Body: "Hello"})
	require.NoError(t, err)
	require.Equal(t, []string{conversation.CodeNoLimits}, codes(none))
}

// One reply holds Options.MaxReplyParts messages when it is set.
func TestSaveChecksTheReplySize(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, func(o *conversation.Options) { o.MaxReplyParts = 2 })
	tpls := newTemplates(t, fx.svc, nil)
	f, err := tpls.Lint(t.Context(), store.Template{Name: "Long", ChannelKind: "line", Body: strings.Repeat("x", 2*5000+1)})
	require.NoError(t, err)
	require.Equal(t, []string{template.CodeTooManyMessages}, codes(f))
	require.Contains(t, f[0].Message, "one send holds at most 2")
}

type failingLimits struct{}

func (failingLimits) ChannelLimits(context.Context, string) (map[string]channel.Limits, error) {
	return nil, errors.New("limits unavailable")
}

func TestSaveFailsWhenTheLimitsCannotBeRead(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	tpls := newTemplates(t, fx.svc, &conversation.TemplateOptions{Limits: failingLimits{}})
	_, _, err := tpls.Save(t.Context(), store.Template{Name: "Hi", Body: "Hello"})
	require.ErrorContains(t, err, "limits unavailable")
	require.NotErrorIs(t, err, conversation.ErrTemplateInvalid)
}

// flakyRecords is a CRM that can be made to fail.
type flakyRecords struct {
	*linking.MemoryRecords
	err error
}

func (f *flakyRecords) Get(ctx context.Context, kind store.RecordKind, id string) (linking.Record, error) {
	if f.err != nil {
		return linking.Record{}, f.err
	}
	return f.MemoryRecords.Get(ctx, kind, id)
}

// recordFixture is a service filling merge fields through RecordFields, with one conversation with U1
// (profile "Hanako") and a CRM holding the lead L1.
func recordFixture(t *testing.T) (fixture, *flakyRecords, store.Conversation, *linking.Linker) {
	t.Helper()
	crm := &flakyRecords{MemoryRecords: &linking.MemoryRecords{}}
	crm.Add(linking.Record{Kind: store.RecordLead, ID: "L1", DisplayName: "Hanako Yamada", Owner: "alice",
		Fields: map[string]string{"company": "Yamada Trading"}})
	fx := newFixture(t, func(o *conversation.Options) { o.Fields = conversation.RecordFields{Records: crm} })
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako", Language: "ja"})
	c := fx.inbound(t)
	l, err := linking.New(fx.s, crm)
	require.NoError(t, err)
	return fx, crm, c, l
}

// F15: {{record.*}} fields are read from the linked CRM record; while unlinked, or once the record is
// gone, the fallbacks fill them.
func TestRecordFieldsInReplies(t *testing.T) {
	t.Parallel()
	fx, crm, c, l := recordFixture(t)
	ctx := t.Context()
	tpl, err := fx.s.CreateTemplate(ctx, store.Template{Name: "Hello", ChannelKind: "line",
		Body: `Dear {{record.name | default: "customer"}} of {{record.company | default: "your company"}}, {{contact.display_name}}.`})
	require.NoError(t, err)
	send := func() string {
		t.Helper()
		sent, err := fx.svc.Reply(ctx, c.ID, "alice", conversation.Reply{TemplateID: tpl.ID})
		require.NoError(t, err)
		return sent.Parts[0].Content.Text
	}

	require.Equal(t, "Dear customer of your company, Hanako.", send(), "unlinked: the fallbacks")

	_, err = l.Link(ctx, c.ContactID, store.RecordLead, "L1", "alice")
	require.NoError(t, err)
	require.Equal(t, "Dear Hanako Yamada of Yamada Trading, Hanako.", send(), "linked: the record's fields")

	crm.Add(linking.Record{Kind: store.RecordLead, ID: "L1", DisplayName: "Hanako Sato", Owner: "alice"})
	require.Equal(t, "Dear Hanako Sato of your company, Hanako.", send(), "read from the CRM now, not when linked")

	crm.Remove(store.RecordLead, "L1")
	require.Equal(t, "Dear customer of your company, Hanako.", send(), "the record is gone: the fallbacks")

	crm.Add(linking.Record{Kind: store.RecordLead, ID: "L1", DisplayName: "Hanako Yamada", Owner: "alice"})
	crm.err = errors.New("crm unavailable")
	before := len(fx.fake.Sends())
	_, err = fx.svc.Reply(ctx, c.ID, "alice", conversation.Reply{TemplateID: tpl.ID})
	require.ErrorIs(t, err, crm.err, "an outage of the CRM is not a missing field")
	require.Len(t, fx.fake.Sends(), before, "nothing sent")
}

func TestRecordFieldsWithoutFallbackFailWhileUnlinked(t *testing.T) {
	t.Parallel()
	fx, _, c, l := recordFixture(t)
	ctx := t.Context()
	tpl, err := fx.s.CreateTemplate(ctx, store.Template{Name: "Owner", Body: "{{record.owner}} will call you."})
	require.NoError(t, err)
	_, err = fx.svc.Reply(ctx, c.ID, "bob", conversation.Reply{TemplateID: tpl.ID})
	require.ErrorIs(t, err, template.ErrMissingField, "never a blank")

	_, err = l.Link(ctx, c.ContactID, store.RecordLead, "L1", "bob")
	require.NoError(t, err)
	sent, err := fx.svc.Reply(ctx, c.ID, "bob", conversation.Reply{TemplateID: tpl.ID})
	require.NoError(t, err)
	require.Equal(t, "alice will call you.", sent.Parts[0].Content.Text)
}

// Every field of FieldSchema is filled by RecordFields for a linked contact with a full record, and
// nothing else is.
func TestRecordFieldsFillTheSchema(t *testing.T) {
	t.Parallel()
	crm := &linking.MemoryRecords{}
	crm.Add(linking.Record{Kind: store.RecordContact, ID: "C1", DisplayName: "Hanako Yamada", Owner: "alice",
		Fields: map[string]string{"company": "Yamada Trading", "name": "not this one"}})
	fc := conversation.FieldContext{Agent: "bob", Contact: store.Contact{
		Profile: channel.Profile{DisplayName: "Hanako", Language: "ja"},
		Record:  store.RecordRef{Kind: store.RecordContact, ID: "C1", Owner: "carol"}}}
	src, err := conversation.RecordFields{Records: crm}.Source(t.Context(), fc)
	require.NoError(t, err)
	values := src.(template.Values)
	for _, p := range crmSchema.Paths() {
		require.NotEmpty(t, values[p], p)
	}
	require.Len(t, values, len(crmSchema))
	require.Equal(t, "Hanako Yamada", values["record.name"], "the standard fields win over the record's own")
	require.Equal(t, "alice", values["record.owner"], "the CRM's owner, fresher than the link's")

	src, err = conversation.RecordFields{}.Source(t.Context(), fc)
	require.NoError(t, err)
	v, _ := src.Lookup("record.owner")
	require.Equal(t, "carol", v, "without Records, the link's")
	_, ok := src.Lookup("record.name")
	require.False(t, ok, "a link without a name leaves it missing, for the fallback")
	fc.Contact.Record.Name = "Hanako Y."
	src, err = conversation.BasicFields{}.Source(t.Context(), fc)
	require.NoError(t, err)
	v, _ = src.Lookup("record.name")
	require.Equal(t, "Hanako Y.", v, "the default fields fill the name the link keeps")
}

func TestFieldSchema(t *testing.T) {
	t.Parallel()
	s := conversation.FieldSchema(template.Fields{"record.email": {MaxLength: 254}, "name": {MaxLength: 1}, "tier": {OftenEmpty: true}})
	require.Equal(t, 254, s["record.email"].MaxLength, "names with or without record.")
	require.NotEmpty(t, s["record.email"].EmptyWhen, "every record field may be empty")
	require.NotEqual(t, 1, s["record.name"].MaxLength, "the standard fields are kept")
	require.Contains(t, s, "record.tier")
	require.Contains(t, s, "contact.display_name")
}

// Preview renders a saved template, or a draft, against a real conversation with the reply's field
// source, and checks it against that conversation's channel.
func TestPreview(t *testing.T) {
	t.Parallel()
	fx, _, c, l := recordFixture(t)
	ctx := t.Context()
	tpls := newTemplates(t, fx.svc, nil)
	saved, _, err := tpls.Save(ctx, store.Template{Name: "Hello", ChannelKind: "line",
		Body: `Dear {{record.name | default: "customer"}}, this is {{agent.id}}.`})
	require.NoError(t, err)

	p, err := tpls.Preview(ctx, c.ID, "alice", saved.ID)
	require.NoError(t, err)
	require.Equal(t, saved, p.Template)
	require.Equal(t, "Dear customer, this is alice.", p.Text)
	require.Equal(t, []string{"Dear customer, this is alice."}, p.Parts)
	require.Equal(t, []string{"record.name"}, paths(p.FellBack))
	require.Empty(t, p.Unfilled)
	require.Empty(t, p.Findings)

	_, err = l.Link(ctx, c.ContactID, store.RecordLead, "L1", "alice")
	require.NoError(t, err)
	p, err = tpls.Preview(ctx, c.ID, "alice", saved.ID)
	require.NoError(t, err)
	require.Equal(t, "Dear Hanako Yamada, this is alice.", p.Text, "what the reply sends now")
	sent, err := fx.svc.Reply(ctx, c.ID, "alice", conversation.Reply{TemplateID: saved.ID})
	require.NoError(t, err)
	require.Equal(t, p.Text, sent.Parts[0].Content.Text, "the same field source as a reply")
	require.Empty(t, p.FellBack)

	draft, err := tpls.PreviewBody(ctx, c.ID, "alice", "Hi {{contact.display_name}}, about {{order.number}}:\n"+strings.Repeat("ab ", 2000))
	require.NoError(t, err, "a draft with errors is still previewed")
	require.True(t, strings.HasPrefix(draft.Text, "Hi Hanako, about :\n"))
	require.Equal(t, []string{"order.number"}, paths(draft.Unfilled), "a reply would fail on it")
	require.Equal(t, []string{template.CodeOftenEmpty, template.CodeUnknownField, template.CodeTooLong}, codes(draft.Findings))
	require.Len(t, draft.Parts, 2, "cut as the channel takes it")
	require.Equal(t, draft.Text, draft.Parts[0]+draft.Parts[1])

	_, err = tpls.PreviewBody(ctx, c.ID, "alice", "Hi {{contact.display_name")
	require.ErrorIs(t, err, template.ErrSyntax)
	require.ErrorIs(t, err, conversation.ErrTemplateInvalid)

	_, err = tpls.Preview(ctx, c.ID, "alice", "missing")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = tpls.PreviewBody(ctx, "missing", "alice", "Hello")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Empty(t, fx.messagesSince(t, c.ID, sent.Parts[0].ID), "previews send nothing")
}

// messagesSince returns the conversation's messages stored after the message id.
func (fx fixture) messagesSince(t *testing.T, convID, id string) []store.Message {
	t.Helper()
	all := fx.messages(t, convID)
	for i, m := range all {
		if m.ID == id {
			return all[i+1:]
		}
	}
	t.Fatalf("no message %s", id)
	return nil
}

// Saving a template checks it against the CRM's fields and the channel's limits: errors refuse it, warnings
// come back with it.
func ExampleTemplates_Save() {
	ctx := context.Background()
	db := memstore.New(nil)
	ch, _ := db.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1", Active: true})
	svc, _ := conversation.New(db, conversation.AdapterMap{ch.ID: channeltest.NewFake(nil)}, &conversation.Options{
		Fields: conversation.RecordFields{Records: &linking.MemoryRecords{}}, // the CRM's linking.Records
	})
	schema := conversation.FieldSchema(template.Fields{"company": {MaxLength: 80}})
	templates, _ := conversation.NewTemplates(svc, schema, nil)

	_, _, err := templates.Save(ctx, store.Template{Name: "Shipped", ChannelKind: "line",
		Body: "Hi {{record.nmae}}, your order {{order.number}} has shipped."})
	var invalid *conversation.TemplateError
	if errors.As(err, &invalid) {
		for _, f := range invalid.Findings {
			fmt.Println(f)
		}
	}

	saved, warnings, _ := templates.Save(ctx, store.Template{Name: "Shipped", ChannelKind: "line",
		Body: `Hi {{record.name | default: "there"}}, your order from {{record.company}} has shipped.`})
	fmt.Println("saved version", saved.Version)
	for _, w := range warnings {
		fmt.Println(w)
	}
	// Output:
	// line 1, column 4: error: {{record.nmae}} is not a field of this record; did you mean {{record.name}}?
	// line 1, column 32: error: {{order.number}} is not a field of this record
	// saved version 1
	// line 1, column 56: warning: {{record.company}} has no fallback and is empty while the sender is not linked to a CRM record; add one, as in {{record.company | default: "there"}}
}

// Preview shows an agent what a template sends in this conversation before they send it.
func ExampleTemplates_Preview() {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	db := memstore.New(&memstore.Options{Now: func() time.Time { return now }})
	ch, _ := db.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1", Active: true})
	crm := &linking.MemoryRecords{}
	crm.Add(linking.Record{Kind: store.RecordLead, ID: "L-17", DisplayName: "Hanako Yamada", Owner: "aiko"})
	svc, _ := conversation.New(db, conversation.AdapterMap{ch.ID: channeltest.NewFake(nil)}, &conversation.Options{
		Now: func() time.Time { return now }, Fields: conversation.RecordFields{Records: crm}})
	templates, _ := conversation.NewTemplates(svc, conversation.FieldSchema(nil), nil)

	msg := channel.Text("Has my order shipped?")
	msg.ID = "line-1"
	_ = svc.Ingest(ctx, ch.ID, []channel.Event{{ID: "ev-1", Kind: channel.EventMessage, Time: now, Mode: channel.ModeActive,
		Source: channel.User("U1"), ReplyToken: "rt-1", Message: &msg}})
	inbox, _, _ := db.ListConversations(ctx, store.View{}, store.Page{})
	conv := inbox[0].Conversation
	shipped, _, _ := templates.Save(ctx, store.Template{Name: "Shipped", ChannelKind: "line",
		Body: `Hi {{record.name | default: "there"}}, it has shipped. {{agent.id}}`})

	p, _ := templates.Preview(ctx, conv.ID, "aiko", shipped.ID)
	fmt.Println(p.Text)
	linker, _ := linking.New(db, crm)
	_, _ = linker.Link(ctx, conv.ContactID, store.RecordLead, "L-17", "aiko")
	p, _ = templates.Preview(ctx, conv.ID, "aiko", shipped.ID)
	fmt.Println(p.Text)
	// Output:
	// Hi there, it has shipped. aiko
	// Hi Hanako Yamada, it has shipped. aiko
}
