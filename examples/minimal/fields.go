package main

import (
	"context"

	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
	"github.com/msgkit/msgkit/template"
)

// fieldAgentName is the merge field of the replying agent's name, from the users file: "Aiko Tanaka here"
// reads better than the sign-in ID agent.id gives.
const fieldAgentName = "agent.name"

// mergeFields is the schema of the merge fields the inbox's templates may use: msgkit's standard ones
// (conversation.FieldSchema), the CRM's "company", and agent.name.
func mergeFields() template.Fields {
	fs := conversation.FieldSchema(template.Fields{"company": {MaxLength: 100}})
	fs[fieldAgentName] = template.FieldSpec{MaxLength: 100}
	return fs
}

// agentFields fills base's merge fields and agent.name: the replying user's name (their ID when the
// users file has none; missing for a reply no user wrote, so a template's fallback fills it).
type agentFields struct {
	base  conversation.FieldSource
	users *auth.Users
}

// Source implements conversation.FieldSource.
func (a agentFields) Source(ctx context.Context, f conversation.FieldContext) (template.Source, error) {
	src, err := a.base.Source(ctx, f)
	if err != nil {
		return nil, err
	}
	name := f.Agent
	if u, ok := a.users.Get(f.Agent); ok {
		name = u.Name
	}
	return withAgentName{Source: src, name: name}, nil
}

type withAgentName struct {
	template.Source
	name string
}

// Lookup implements template.Source.
func (w withAgentName) Lookup(path string) (string, bool) {
	if path == fieldAgentName {
		return w.name, w.name != ""
	}
	return w.Source.Lookup(path)
}
