package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/template"
)

type tmpl struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ChannelKind string    `json:"channelKind,omitempty"`
	Body        string    `json:"body"`
	Version     int64     `json:"version"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

func tmplOf(t store.Template) tmpl {
	return tmpl{ID: t.ID, Name: t.Name, ChannelKind: t.ChannelKind, Body: t.Body, Version: t.Version, UpdatedAt: t.UpdatedAt}
}

// listTemplates lists the templates usable on ?kind= (every one without it).
func (a *API) listTemplates(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	list, err := a.d.Store.ListTemplates(r.Context(), r.URL.Query().Get("kind"))
	if err != nil {
		return err
	}
	out := make([]tmpl, 0, len(list))
	for _, t := range list {
		out = append(out, tmplOf(t))
	}
	return ok(w, map[string]any{"templates": out, "fields": fieldsOf(a.d.Fields)})
}

// field is a merge field as the API lists it.
type field struct {
	Name string `json:"name"` // as a template writes it: {{name}}
	// EmptyWhen says when the field is empty (a fallback is then wanted); "" when it rarely is.
	EmptyWhen string `json:"emptyWhen,omitempty"`
}

// fieldsOf lists fs by name.
func fieldsOf(fs template.Fields) []field {
	out := make([]field, 0, len(fs))
	for name, spec := range fs {
		out = append(out, field{Name: name, EmptyWhen: spec.EmptyWhen})
	}
	slices.SortFunc(out, func(a, b field) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// saveTemplate creates a template (POST /api/templates) or replaces one (PUT /api/templates/{id} with the
// version read). It is checked first: errors refuse it (422 with the findings), warnings come back with it.
func (a *API) saveTemplate(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	var in struct {
		Name        string `json:"name"`
		ChannelKind string `json:"channelKind"`
		Body        string `json:"body"`
		Version     int64  `json:"version"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t := store.Template{ID: r.PathValue("id"), Name: in.Name, ChannelKind: in.ChannelKind, Body: in.Body, Version: in.Version}
	if t.ID != "" {
		if _, err := a.d.Store.GetTemplate(r.Context(), t.ID); err != nil {
			return err
		}
		if t.Version == 0 {
			return badRequest("version: the version you read, so that a concurrent change is not overwritten")
		}
	} else {
		t.Version = 0
	}
	saved, fs, err := a.d.Templates.Save(r.Context(), t)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"template": tmplOf(saved), "findings": findings(fs)})
}

// deleteTemplate deletes a template at ?version=.
func (a *API) deleteTemplate(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	v, err := strconv.ParseInt(r.URL.Query().Get("version"), 10, 64)
	if err != nil {
		return badRequest("version: the version you read")
	}
	if err := a.d.Store.DeleteTemplate(r.Context(), r.PathValue("id"), v); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// previewTemplate renders a saved template (?template=) or a draft body (POST {"body": …}) for the
// conversation, as the signed-in user's reply would send it.
func (a *API) previewTemplate(w http.ResponseWriter, r *http.Request, me auth.User) error {
	var in struct {
		TemplateID string `json:"templateId"`
		Body       string `json:"body"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if (in.TemplateID == "") == (in.Body == "") {
		return badRequest("give either templateId or body")
	}
	conv := r.PathValue("id")
	var p conversation.TemplatePreview
	var err error
	if in.TemplateID != "" {
		p, err = a.d.Templates.Preview(r.Context(), conv, me.ID, in.TemplateID)
	} else {
		p, err = a.d.Templates.PreviewBody(r.Context(), conv, me.ID, in.Body)
	}
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"text": p.Text, "parts": p.Parts, "missing": fieldNames(p.Missing),
		"fellBack": fieldNames(p.FellBack), "unfilled": fieldNames(p.Unfilled), "findings": findings(p.Findings)})
}

func fieldNames(fs []template.Field) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Path)
	}
	return out
}
