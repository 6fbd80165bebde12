package memstore

import (
	"cmp"
	"context"
	"fmt"
	"github.com/google/btree"
	"time"

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
	c.Record = h.st.contacts[c.ContactID].Record // the store keeps the mirror
	c.CreatedAt, c.UpdatedAt, c.Version = h.now(), h.now(), 1
	normConversation(&c)
	h.putConv(c)
	put(h.tx, h.st.convByPeer, key, c.ID)
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
	c.ChannelID, c.ContactID, c.Peer, c.Record = old.ChannelID, old.ContactID, old.Peer, old.Record
	c.CreatedAt, c.UpdatedAt, c.Version = old.CreatedAt, h.now(), old.Version+1
	normConversation(&c)
	h.putConv(c)
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
	if at := norm(n.At); !at.Before(c.LastInboundAt) {
		c.LastInboundAt = at
		if !at.Before(c.LastOutboundAt) {
			c.Preview = n.Preview
		}
	}
	if exp := norm(n.ReplyTokenExpiresAt); n.ReplyToken != "" && exp.After(c.ReplyTokenExpiresAt) {
		c.ReplyToken, c.ReplyTokenExpiresAt = n.ReplyToken, exp
	}
	normConversation(&c)
	c.UpdatedAt, c.Version = h.now(), old.Version+1
	h.putConv(c)
	return c, nil
}

func inboxKey(c store.Conversation) store.Cursor {
	return store.Cursor{Time: c.LastMessageAt, ID: c.ID}
}

// ListConversations implements store.Conversations. It walks the view's index (viewKeyOf) in inbox order
// from the cursor, so a page costs what it skips and returns, not the number of conversations.
func (h *handle) ListConversations(ctx context.Context, v store.View, p store.Page) ([]store.InboxEntry, store.Cursor, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	defer unlock()
	var out []store.InboxEntry
	take := func(k store.Cursor) bool {
		if k == p.After {
			return true // a page starts strictly after its cursor
		}
		if p.Order == store.NewestFirst && before(k, v.InboundSince) {
			return false // "today": no older conversation has a newer inbound message
		}
		c := h.st.convs[k.ID]
		if e := (store.InboxEntry{Conversation: c, Contact: h.st.contacts[c.ContactID]}); selects(v, e) {
			if st, ok := h.st.notifications[[2]string{c.ID, v.Viewer}]; ok && v.Viewer != "" {
				e.Notification = &st
			}
			out = append(out, e)
		}
		return len(out) <= p.Size() // one more than a page tells whether a next page exists
	}
	h.walk(viewKeyOf(v), p, take)
	return page(out, p, store.InboxEntry.Cursor)
}

// walk visits the keys of index k past p.After in p.Order until visit returns false.
func (h *handle) walk(k viewKey, p store.Page, visit func(store.Cursor) bool) {
	walkTree(h.st.views[k], p, visit)
}

// walkTree visits the keys of t (none when nil) from p.After, included, in p.Order until visit returns
// false.
func walkTree(t *btree.BTreeG[store.Cursor], p store.Page, visit func(store.Cursor) bool) {
	switch {
	case t == nil:
	case p.Order == store.OldestFirst && p.After.IsZero():
		t.Ascend(visit)
	case p.Order == store.OldestFirst:
		t.AscendGreaterOrEqual(p.After, visit)
	case p.After.IsZero():
		t.Descend(visit)
	default:
		t.DescendLessOrEqual(p.After, visit)
	}
}

// CountConversations implements store.Conversations. It walks the view's index until limit.
func (h *handle) CountConversations(ctx context.Context, v store.View, limit int) (int, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	n := 0
	h.walk(viewKeyOf(v), store.Page{}, func(k store.Cursor) bool {
		if before(k, v.InboundSince) {
			return false
		}
		c := h.st.convs[k.ID]
		if selects(v, store.InboxEntry{Conversation: c, Contact: h.st.contacts[c.ContactID]}) {
			n++
		}
		return limit <= 0 || n < limit
	})
	return n, nil
}

// before reports whether the conversation at inbox key k last had a message before since (never for a
// zero since): LastMessageAt is at least LastInboundAt, so a newest-first walk of a "today" view stops
// there instead of visiting every older conversation.
func before(k store.Cursor, since time.Time) bool { return !since.IsZero() && k.Time.Before(since) }

func selects(v store.View, e store.InboxEntry) bool {
	c := e.Conversation
	switch {
	case v.ChannelID != "" && c.ChannelID != v.ChannelID,
		v.Assignee != "" && c.Assignee != v.Assignee,
		v.Unassigned && c.Assignee != "",
		v.RecordOwner != "" && (c.Record.IsZero() || c.Record.Owner != v.RecordOwner),
		v.Linkage == store.Unregistered && !c.Record.IsZero(),
		v.Linkage == store.Linked && c.Record.IsZero(),
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
	if c.LastMessageAt.IsZero() {
		c.LastMessageAt = c.CreatedAt
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
	items, next := store.CutPage(items, p, cursor)
	return items, next, nil
}
