package store

import (
	"context"
	"time"
)

// Template is a saved reply template (FEATURES F15). Body is its source in package template's syntax; the
// store keeps it as text and never parses it.
type Template struct {
	ID   string // assigned by the store when empty
	Name string // shown to agents; (ChannelKind, Name) is unique
	// ChannelKind is the adapter kind the template is written for ("line"); empty means every channel.
	ChannelKind string
	Body        string

	CreatedAt time.Time // set by the store
	UpdatedAt time.Time // set by the store
	Version   int64     // set by the store
}

// Templates stores reply templates. Implementations must be safe for concurrent use.
type Templates interface {
	// CreateTemplate stores t. A taken ID or (ChannelKind, Name) returns ErrAlreadyExists.
	CreateTemplate(ctx context.Context, t Template) (Template, error)
	// GetTemplate returns the template id, or ErrNotFound.
	GetTemplate(ctx context.Context, id string) (Template, error)
	// UpdateTemplate replaces the stored template t.ID if its Version equals t.Version and returns it with
	// Version+1; otherwise ErrConflict (ErrNotFound if missing). Renaming onto a taken (ChannelKind, Name)
	// returns ErrAlreadyExists.
	UpdateTemplate(ctx context.Context, t Template) (Template, error)
	// ListTemplates returns the templates usable on channelKind (those written for it and those for every
	// channel) ordered by Name, then ID; an empty channelKind lists every template.
	ListTemplates(ctx context.Context, channelKind string) ([]Template, error)
	// DeleteTemplate deletes the template id if its version is still version; otherwise ErrConflict
	// (ErrNotFound if missing).
	DeleteTemplate(ctx context.Context, id string, version int64) error
}
