package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// AppendMessage implements store.Messages.
func (h *handle) AppendMessage(ctx context.Context, m store.Message) (store.Message, bool, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Message{}, false, err
	}
	defer unlock()
	conv, ok := h.st.convs[m.ConversationID]
	if !ok {
		return store.Message{}, false, fmt.Errorf("message's conversation %s: %w", m.ConversationID, store.ErrNotFound)
	}
	m.ChannelID = conv.ChannelID
	key := [2]string{m.ChannelID, m.ChannelMessageID}
	if m.ChannelMessageID != "" {
		if existing, ok := h.st.msgByChannel[key]; ok {
			return cloneMessage(h.st.messages[existing]), false, nil
		}
	}
	if m.ID == "" {
		m.ID = id.New()
	}
	if _, ok := h.st.messages[m.ID]; ok {
		return store.Message{}, false, fmt.Errorf("message %s: %w", m.ID, store.ErrAlreadyExists)
	}
	m.Time = norm(m.Time)
	if m.Time.IsZero() {
		m.Time = h.now()
	}
	m.CreatedAt, m.UpdatedAt, m.Version = h.now(), h.now(), 1
	put(h.tx, h.st.messages, m.ID, cloneMessage(m))
	if m.ChannelMessageID != "" {
		put(h.tx, h.st.msgByChannel, key, m.ID)
	}
	put(h.tx, h.st.msgsByConv, m.ConversationID, h.insertSorted(h.st.msgsByConv[m.ConversationID], m))
	return cloneMessage(m), true, nil
}

// CountSent implements store.Messages. It scans the channel's conversations' messages.
func (h *handle) CountSent(ctx context.Context, channelID string, since time.Time) (store.SendCounts, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.SendCounts{}, err
	}
	defer unlock()
	since = norm(since)
	var n store.SendCounts
	for cid, c := range h.st.convs {
		if c.ChannelID != channelID {
			continue
		}
		for _, mid := range h.st.msgsByConv[cid] {
			m := h.st.messages[mid]
			sent := m.Status == store.StatusSent || m.Status == store.StatusDelivered || m.Status == store.StatusRead
			if m.Direction != store.Outbound || !sent || m.Time.Before(since) {
				continue
			}
			if m.Billable {
				n.Billable++
			} else {
				n.Free++
			}
		}
	}
	return n, nil
}

// insertSorted returns ids (sorted by message position) with m inserted. Appending at the end (the usual
// case) reuses the array: earlier slice headers, such as a journal's, do not see the new element. An
// insertion elsewhere copies, so they never see a shifted one.
func (h *handle) insertSorted(ids []string, m store.Message) []string {
	pos := m.Cursor()
	i, _ := slices.BinarySearchFunc(ids, pos, func(id string, c store.Cursor) int {
		return compareCursors(h.st.messages[id].Cursor(), c, store.OldestFirst)
	})
	if i == len(ids) {
		return append(ids, m.ID)
	}
	return slices.Insert(slices.Clone(ids), i, m.ID)
}

// GetMessage implements store.Messages.
func (h *handle) GetMessage(ctx context.Context, id string) (store.Message, error) {
	m, err := lookup(ctx, h, h.st.messages, "message", id)
	return cloneMessage(m), err
}

// FindMessage implements store.Messages.
func (h *handle) FindMessage(ctx context.Context, channelID, channelMessageID string) (store.Message, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Message{}, err
	}
	defer unlock()
	mid, ok := h.st.msgByChannel[[2]string{channelID, channelMessageID}]
	if !ok || channelMessageID == "" {
		return store.Message{}, fmt.Errorf("message %s in channel %s: %w", channelMessageID, channelID, store.ErrNotFound)
	}
	return cloneMessage(h.st.messages[mid]), nil
}

// UpdateMessage implements store.Messages. Time is not updated either: it fixes the message's place in
// its conversation.
func (h *handle) UpdateMessage(ctx context.Context, m store.Message) (store.Message, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Message{}, err
	}
	defer unlock()
	old, err := versioned(h.st.messages, "message", m.ID, m.Version, func(x store.Message) int64 { return x.Version })
	if err != nil {
		return store.Message{}, err
	}
	oldKey, newKey := [2]string{old.ChannelID, old.ChannelMessageID}, [2]string{old.ChannelID, m.ChannelMessageID}
	if newKey != oldKey && m.ChannelMessageID != "" {
		if _, taken := h.st.msgByChannel[newKey]; taken {
			return store.Message{}, fmt.Errorf("message %s channel ID: %w", m.ID, store.ErrAlreadyExists)
		}
	}
	m.ConversationID, m.ChannelID, m.Direction, m.Time = old.ConversationID, old.ChannelID, old.Direction, old.Time
	m.CreatedAt, m.UpdatedAt, m.Version = old.CreatedAt, h.now(), old.Version+1
	m.MediaCopy = cloneMediaCopy(m.MediaCopy)
	if newKey != oldKey {
		if old.ChannelMessageID != "" {
			del(h.tx, h.st.msgByChannel, oldKey)
		}
		if m.ChannelMessageID != "" {
			put(h.tx, h.st.msgByChannel, newKey, m.ID)
		}
	}
	put(h.tx, h.st.messages, m.ID, cloneMessage(m))
	return cloneMessage(m), nil
}

// ListMessages implements store.Messages.
func (h *handle) ListMessages(ctx context.Context, conversationID string, p store.Page) ([]store.Message, store.Cursor, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	defer unlock()
	return page(h.messagesPast(conversationID, p), p, store.Message.Cursor)
}

// messagesPast returns up to p.Size()+1 messages of conversation conversationID past p.After, in
// p.Order: one more than a page tells whether a next page exists.
func (h *handle) messagesPast(conversationID string, p store.Page) []store.Message {
	ids := h.st.msgsByConv[conversationID]
	// Find where the page starts in the ascending index, then walk in the page's direction.
	at := func(i int) store.Cursor { return h.st.messages[ids[i]].Cursor() }
	var out []store.Message
	n := p.Size() + 1 // one more than a page tells whether a next page exists
	if p.Order == store.OldestFirst {
		i := 0
		if !p.After.IsZero() {
			i, _ = slices.BinarySearchFunc(ids, p.After, func(id string, c store.Cursor) int {
				return compareCursors(h.st.messages[id].Cursor(), c, store.OldestFirst)
			})
			for i < len(ids) && !at(i).Past(p.After, p.Order) {
				i++
			}
		}
		for ; i < len(ids) && len(out) < n; i++ {
			out = append(out, cloneMessage(h.st.messages[ids[i]]))
		}
	} else {
		i := len(ids) - 1
		if !p.After.IsZero() {
			j, _ := slices.BinarySearchFunc(ids, p.After, func(id string, c store.Cursor) int {
				return compareCursors(h.st.messages[id].Cursor(), c, store.OldestFirst)
			})
			i = j - 1
		}
		for ; i >= 0 && len(out) < n; i-- {
			out = append(out, cloneMessage(h.st.messages[ids[i]]))
		}
	}
	return out
}

// cloneMessage returns a copy of m sharing no memory with it: the store keeps its own and hands out
// copies.
func cloneMessage(m store.Message) store.Message {
	m.Content = m.Content.Clone()
	m.MediaCopy = cloneMediaCopy(m.MediaCopy)
	if m.Event != nil {
		e := m.Event.Clone()
		m.Event = &e
	}
	return m
}

// cloneMediaCopy copies c; a copy with no status is none, as the SQL backends keep it.
func cloneMediaCopy(c *store.MediaCopy) *store.MediaCopy {
	if c == nil || c.Status == "" {
		return nil
	}
	cp := *c
	return &cp
}
