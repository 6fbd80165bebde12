package conversation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/template"
)

// FieldSource supplies a template's merge-field values for one reply: from the linked CRM record, the
// contact and the replying agent. The host CRM implements it to expose its record fields, or uses
// RecordFields; it must be safe for concurrent use.
type FieldSource interface {
	Source(ctx context.Context, f FieldContext) (template.Source, error)
}

// FieldContext is what a reply's fields are filled from.
type FieldContext struct {
	Conversation store.Conversation
	Contact      store.Contact
	// Agent is the user replying.
	Agent string
}

// BasicFields is the FieldSource that needs no CRM: contact.display_name, contact.language, agent.id,
// and record.kind, record.id, record.name and record.owner as the link keeps them (the name as it was
// when linked). It is the default (Options.Fields and Options.Records nil); a host that implements
// linking.Records sets Options.Records instead, so that the record is read fresh and its own fields work.
type BasicFields struct{}

// Source implements FieldSource.
func (BasicFields) Source(_ context.Context, f FieldContext) (template.Source, error) {
	v := template.Values{
		"contact.display_name": f.Contact.Profile.DisplayName,
		"contact.language":     f.Contact.Profile.Language,
		"agent.id":             f.Agent,
	}
	linkFields(v, f.Contact.Record)
	return v, nil
}

// linkFields fills the record fields the link itself keeps; a name the link does not have stays missing,
// so a template's fallback fills it.
func linkFields(v template.Values, link store.RecordRef) {
	if link.IsZero() {
		return
	}
	v["record.kind"], v["record.id"], v["record.owner"] = string(link.Kind), link.ID, link.Owner
	if link.Name != "" {
		v["record.name"] = link.Name
	}
}

// RecordFields is the FieldSource used when the host CRM implements linking.Records — set
// Options.Records, and use FieldSchema for the templates it fills:
//
//	conversation.New(db, adapters, &conversation.Options{Records: crm})
//
// It fills, for each reply (and Templates.Preview):
//
//	contact.display_name, contact.language   from the contact's stored messenger profile
//	agent.id                                  the replying user
//	record.kind, record.id                    the record the contact is linked to
//	record.name, record.owner                 the record as Records.Get returns it now
//	record.<name>                             each of the record's Fields ("company": {{record.company}})
//
// The record is read once per render, only when the contact is linked. While the contact is not linked,
// and when the CRM no longer has the record (Records.Get wraps linking.ErrRecordNotFound), every
// record.* field is missing, and the template's fallbacks fill them (a field without one makes the reply
// fail rather than send a blank). Any other error of Records.Get fails the render: an outage in the CRM
// is not a missing field. A nil Records fills the record's fields from the link, as BasicFields does. RecordFields is safe for concurrent use if Records is.
type RecordFields struct {
	Records linking.Records
}

// Source implements FieldSource.
func (r RecordFields) Source(ctx context.Context, f FieldContext) (template.Source, error) {
	v := template.Values{
		"contact.display_name": f.Contact.Profile.DisplayName,
		"contact.language":     f.Contact.Profile.Language,
		"agent.id":             f.Agent,
	}
	link := f.Contact.Record
	if link.IsZero() {
		return v, nil
	}
	if r.Records == nil {
		linkFields(v, link)
		return v, nil
	}
	rec, err := r.Records.Get(ctx, link.Kind, link.ID)
	switch {
	case errors.Is(err, linking.ErrRecordNotFound):
		return v, nil
	case err != nil:
		return nil, fmt.Errorf("conversation: reading the linked %s for merge fields: %w", link.Kind, err)
	}
	for name, value := range rec.Fields {
		v["record."+name] = value
	}
	v["record.kind"], v["record.id"] = string(rec.Kind), rec.ID
	v["record.name"], v["record.owner"] = rec.DisplayName, rec.Owner
	return v, nil
}

// unlinkedWhen is why every record field may be empty.
const unlinkedWhen = "while the sender is not linked to a CRM record"

// FieldSchema returns the schema of the merge fields RecordFields fills, for Templates (or
// template.Validate): the standard fields of the contact, the agent and the linked record, plus the
// CRM's own record fields, given by name ("company", or "record.company") as linking.Record.Fields
// carries them. Every record field may be empty — the sender may not be linked yet — so using one
// without a fallback is a warning (FieldSpec.EmptyWhen says why); so is the contact's display name,
// which is empty until the profile is fetched. The map is the caller's: add to it freely.
func FieldSchema(record template.Fields) template.Fields {
	s := template.Fields{
		"contact.display_name": {EmptyWhen: "until the sender's profile is fetched", MaxLength: 100},
		"contact.language":     {EmptyWhen: "when the sender does not share it", MaxLength: 35},
		"agent.id":             {MaxLength: 64},
		"record.kind":          {EmptyWhen: unlinkedWhen, MaxLength: len(store.RecordContact)},
		"record.id":            {EmptyWhen: unlinkedWhen, MaxLength: 64},
		"record.name":          {EmptyWhen: unlinkedWhen},
		"record.owner":         {EmptyWhen: unlinkedWhen, MaxLength: 64},
	}
	for name, spec := range record {
		path := "record." + strings.TrimPrefix(name, "record.")
		if _, standard := s[path]; standard {
			continue
		}
		if spec.EmptyWhen == "" {
			spec.EmptyWhen = unlinkedWhen
		}
		s[path] = spec
	}
	return s
}
