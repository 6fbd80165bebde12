package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// FindOrCreateConversation implements store.Conversations.
func (h *handle) FindOrCreateConversation(ctx context.Context, c store.Conversation) (store.Conversation, bool, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Conversation{}, false, err
	}
	defer unlock()
	if c.Peer.Kind == "" || c.Peer.ID == "" {
		return store.Conversation{}, false, errNoPeer
	}
	key := peerKey{c.ChannelID, string(c.Peer.Kind), c.Peer.ID}
	if existing, ok := h.st.convByPeer[key]; ok {
		return h.st.convs[existing], false, nil
	}
	if _, ok := h.st.channels[c.ChannelID]; !ok {
		return store.Conversation{}, false, fmt.Errorf("conversation's channel %s: %w", c.ChannelID, store.ErrNotFound)
	}
	if _, ok := h.st.contacts[c.ContactID]; !ok {
		return store.Conversation{}, false, fmt.Errorf("conversation's contact %s: %w", c.ContactID, store.ErrNotFound)
	}
	if c.ID == "" {
		c.ID = id.New()
	}
	if _, ok := h.st.convs[c.ID]; ok {
		return store.Conversation{}, false, fmt.Errorf("conversation %s: %w", c.ID, store.ErrAlreadyExists)
	}
	c.Peer = c.Peer.Chat()
	normConversation(&c)
	c.CreatedAt, c.UpdatedAt, c.Version = h.now(), h.now(), 1
	put(h.tx, h.st.convs, c.ID, c)
	put(h.tx, h.st.convByPeer, key, c.ID)
	return c, true, nil
}

// GetConversation implements store.Conversations.
func (h *handle) GetConversation(ctx context.Context, id string) (store.Conversation, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Conversation{}, err
	}
	defer unlock()
	c, ok := h.st.convs[id]
	if !ok {
		return store.Conversation{}, fmt.Errorf("conversation %s: %w", id, store.ErrNotFound)
	}
	return c, nil
}

// UpdateConversation implements store.Conversations.
func (h *handle) UpdateConversation(ctx context.Context, c store.Conversation) (store.Conversation, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Conversation{}, err
	}
	defer unlock()
	old, ok := h.st.convs[c.ID]
	if !ok {
		return store.Conversation{}, fmt.Errorf("conversation %s: %w", c.ID, store.ErrNotFound)
	}
	if old.Version != c.Version {
		return store.Conversation{}, fmt.Errorf("conversation %s version %d, stored %d: %w", c.ID, c.Version, old.Version, store.ErrConflict)
	}
	c.ChannelID, c.ContactID, c.Peer = old.ChannelID, old.ContactID, old.Peer
	normConversation(&c)
	c.CreatedAt, c.UpdatedAt, c.Version = old.CreatedAt, h.now(), old.Version+1
	put(h.tx, h.st.convs, c.ID, c)
	return c, nil
}

// ListConversations implements store.Conversations. It scans every conversation: memstore is meant for
// tests and small deployments, where that is fast enough.
func (h *handle) ListConversations(ctx context.Context, v store.View, p store.Page) ([]store.InboxEntry, store.Cursor, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	defer unlock()
	var out []store.InboxEntry
	for _, c := range h.st.convs {
		e := store.InboxEntry{Conversation: c, Contact: h.st.contacts[c.ContactID]}
		if selects(v, e) && e.Cursor().Past(p.After, p.Order) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b store.InboxEntry) int { return compareCursors(a.Cursor(), b.Cursor(), p.Order) })
	return page(out, p, store.InboxEntry.Cursor)
}

func selects(v store.View, e store.InboxEntry) bool {
	c, k := e.Conversation, e.Contact
	switch {
	case v.ChannelID != "" && c.ChannelID != v.ChannelID,
		v.Assignee != "" && c.Assignee != v.Assignee,
		v.Unassigned && c.Assignee != "",
		v.RecordOwner != "" && (k.Record.IsZero() || k.Record.Owner != v.RecordOwner),
		v.Linkage == store.Unregistered && !k.Record.IsZero(),
		v.Linkage == store.Linked && k.Record.IsZero(),
		v.Unreplied && !c.Unreplied,
		!v.InboundSince.IsZero() && c.LastInboundAt.Before(v.InboundSince):
		return false
	}
	return true
}

func normConversation(c *store.Conversation) {
	c.LastInboundAt, c.LastOutboundAt = norm(c.LastInboundAt), norm(c.LastOutboundAt)
	c.LastMessageAt, c.ReplyTokenExpiresAt = c.LastInboundAt, norm(c.ReplyTokenExpiresAt)
	if c.LastOutboundAt.After(c.LastMessageAt) {
		c.LastMessageAt = c.LastOutboundAt
	}
}

// compareCursors orders positions in o.
func compareCursors(a, b store.Cursor, o store.Order) int {
	c := cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID))
	if o == store.NewestFirst {
		return -c
	}
	return c
}

// page cuts sorted items (all past p.After) to p's size and returns the cursor of the next page.
func page[T any](items []T, p store.Page, cursor func(T) store.Cursor) ([]T, store.Cursor, error) {
	n := p.Size()
	if len(items) <= n {
		return items, store.Cursor{}, nil
	}
	items = items[:n:n]
	return items, cursor(items[n-1]), nil
}
