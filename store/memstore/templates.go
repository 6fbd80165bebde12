package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// CreateTemplate implements store.Templates.
func (h *handle) CreateTemplate(ctx context.Context, t store.Template) (store.Template, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Template{}, err
	}
	defer unlock()
	if t.ID == "" {
		t.ID = id.New()
	}
	if _, ok := h.st.templates[t.ID]; ok {
		return store.Template{}, fmt.Errorf("template %s: %w", t.ID, store.ErrAlreadyExists)
	}
	if err := h.templateNameFree(t); err != nil {
		return store.Template{}, err
	}
	t.CreatedAt, t.UpdatedAt, t.Version = h.now(), h.now(), 1
	put(h.tx, h.st.templates, t.ID, t)
	return t, nil
}

// templateNameFree reports ErrAlreadyExists if another template has t's (ChannelKind, Name).
func (h *handle) templateNameFree(t store.Template) error {
	for _, o := range h.st.templates {
		if o.ID != t.ID && o.ChannelKind == t.ChannelKind && o.Name == t.Name {
			return fmt.Errorf("template named %q for %q: %w", t.Name, t.ChannelKind, store.ErrAlreadyExists)
		}
	}
	return nil
}

// GetTemplate implements store.Templates.
func (h *handle) GetTemplate(ctx context.Context, id string) (store.Template, error) {
	return lookup(ctx, h, h.st.templates, "template", id)
}

// UpdateTemplate implements store.Templates.
func (h *handle) UpdateTemplate(ctx context.Context, t store.Template) (store.Template, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Template{}, err
	}
	defer unlock()
	old, err := versioned(h.st.templates, "template", t.ID, t.Version, func(x store.Template) int64 { return x.Version })
	if err != nil {
		return store.Template{}, err
	}
	if err := h.templateNameFree(t); err != nil {
		return store.Template{}, err
	}
	t.CreatedAt, t.UpdatedAt, t.Version = old.CreatedAt, h.now(), old.Version+1
	put(h.tx, h.st.templates, t.ID, t)
	return t, nil
}

// ListTemplates implements store.Templates.
func (h *handle) ListTemplates(ctx context.Context, channelKind string) ([]store.Template, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []store.Template
	for _, t := range h.st.templates {
		if channelKind == "" || t.ChannelKind == "" || t.ChannelKind == channelKind {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b store.Template) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// DeleteTemplate implements store.Templates.
func (h *handle) DeleteTemplate(ctx context.Context, id string, version int64) error {
	unlock, err := h.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := versioned(h.st.templates, "template", id, version, func(x store.Template) int64 { return x.Version }); err != nil {
		return err
	}
	del(h.tx, h.st.templates, id)
	return nil
}
