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
	h.index(store.Cursor{}, inboxKey(c))
	return c, true, nil
}

// GetConversation implements store.Conversations.
func (h *handle) GetConversation(ctx context.Context, id string) (store.Conversation, error) {
	return lookup(ctx, h, h.st.convs, "conversation", id)
}

// UpdateConversation implements store.Conversations.
func (h *handle) UpdateConversation(ctx context.Context, c store.Conversation) (store.Conversation, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Conversation{}, err
	}
	defer unlock()
	old, err := versioned(h.st.convs, "conversation", c.ID, c.Version, func(x store.Conversation) int64 { return x.Version })
	if err != nil {
		return store.Conversation{}, err
	}
	c.ChannelID, c.ContactID, c.Peer = old.ChannelID, old.ContactID, old.Peer
	normConversation(&c)
	c.CreatedAt, c.UpdatedAt, c.Version = old.CreatedAt, h.now(), old.Version+1
	put(h.tx, h.st.convs, c.ID, c)
	h.index(inboxKey(old), inboxKey(c))
	return c, nil
}

// RecordInbound implements store.Conversations.
func (h *handle) RecordInbound(ctx context.Context, id string, n store.InboundNote) (store.Conversation, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Conversation{}, err
	}
	defer unlock()
	old, ok := h.st.convs[id]
	if !ok {
		return store.Conversation{}, fmt.Errorf("conversation %s: %w", id, store.ErrNotFound)
	}
	c := old
	c.Unreplied = true
	if at := norm(n.At); at.After(c.LastInboundAt) {
		c.LastInboundAt = at
	}
	if exp := norm(n.ReplyTokenExpiresAt); n.ReplyToken != "" && exp.After(c.ReplyTokenExpiresAt) {
		c.ReplyToken, c.ReplyTokenExpiresAt = n.ReplyToken, exp
	}
	normConversation(&c)
	c.UpdatedAt, c.Version = h.now(), old.Version+1
	put(h.tx, h.st.convs, c.ID, c)
	h.index(inboxKey(old), inboxKey(c))
	return c, nil
}

func inboxKey(c store.Conversation) store.Cursor {
	return store.Cursor{Time: c.LastMessageAt, ID: c.ID}
}

// index moves a conversation's inbox key from old to new (either zero: none), journaling the inverse
// move.
func (h *handle) index(old, new store.Cursor) {
	if old == new {
		return
	}
	move := func(from, to store.Cursor) {
		if !from.IsZero() {
			h.st.inbox = removeKey(h.st.inbox, from)
		}
		if !to.IsZero() {
			h.st.inbox = insertKey(h.st.inbox, to)
		}
	}
	move(old, new)
	if h.tx != nil {
		h.tx.undo = append(h.tx.undo, func() { move(new, old) })
	}
}

func searchKey(keys []store.Cursor, k store.Cursor) (int, bool) {
	return slices.BinarySearchFunc(keys, k, func(a, b store.Cursor) int { return compareCursors(a, b, store.OldestFirst) })
}

func insertKey(keys []store.Cursor, k store.Cursor) []store.Cursor {
	i, _ := searchKey(keys, k)
	return slices.Insert(keys, i, k)
}

func removeKey(keys []store.Cursor, k store.Cursor) []store.Cursor {
	if i, ok := searchKey(keys, k); ok {
		return slices.Delete(keys, i, i+1)
	}
	return keys
}

// ListConversations implements store.Conversations. It walks the inbox order from the cursor, so a page
// costs what it skips and returns, not the number of conversations.
func (h *handle) ListConversations(ctx context.Context, v store.View, p store.Page) ([]store.InboxEntry, store.Cursor, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	defer unlock()
	keys := h.st.inbox
	var out []store.InboxEntry
	take := func(k store.Cursor) bool {
		c := h.st.convs[k.ID]
		if e := (store.InboxEntry{Conversation: c, Contact: h.st.contacts[c.ContactID]}); selects(v, e) {
			out = append(out, e)
		}
		return len(out) <= p.Size() // one more than a page tells whether a next page exists
	}
	start, found := searchKey(keys, p.After) // the first key at or after p.After
	if p.Order == store.OldestFirst {
		if found {
			start++
		}
		if p.After.IsZero() {
			start = 0
		}
		for i := start; i < len(keys) && take(keys[i]); i++ {
		}
	} else {
		if p.After.IsZero() {
			start = len(keys)
		}
		for i := start - 1; i >= 0 && take(keys[i]); i-- {
		}
	}
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
