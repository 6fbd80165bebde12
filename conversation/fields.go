package conversation

import (
	"context"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/template"
)

// FieldSource supplies a template's merge-field values for one reply: from the linked CRM record, the
// contact and the replying agent. The host CRM implements it to expose its record fields; it must be
// safe for concurrent use.
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
// record.kind, record.id and record.owner. A CRM wraps or replaces it to add its record fields.
type BasicFields struct{}

// Source implements FieldSource.
func (BasicFields) Source(_ context.Context, f FieldContext) (template.Source, error) {
	return template.Values{
		"contact.display_name": f.Contact.Profile.DisplayName,
		"contact.language":     f.Contact.Profile.Language,
		"agent.id":             f.Agent,
		"record.kind":          string(f.Contact.Record.Kind),
		"record.id":            f.Contact.Record.ID,
		"record.owner":         f.Contact.Record.Owner,
	}, nil
}
