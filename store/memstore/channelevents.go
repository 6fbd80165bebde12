package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// AppendChannelEvent implements store.ChannelEvents.
func (h *handle) AppendChannelEvent(ctx context.Context, e store.ChannelEvent) (store.ChannelEvent, bool, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.ChannelEvent{}, false, err
	}
	defer unlock()
	if _, ok := h.st.channels[e.ChannelID]; !ok {
		return store.ChannelEvent{}, false, fmt.Errorf("channel event's channel %s: %w", e.ChannelID, store.ErrNotFound)
	}
	key := [2]string{e.ChannelID, e.Event.ID}
	if e.Event.ID != "" {
		if i, ok := h.st.channelEventByID[key]; ok {
			return cloneChannelEvent(h.st.channelEvents[e.ChannelID][i]), false, nil
		}
	}
	if e.ID == "" {
		e.ID = id.New()
	}
	now := h.now()
	e.Event.Time = norm(e.Event.Time)
	if e.Event.Time.IsZero() {
		e.Event.Time = now
	}
	e.CreatedAt = now
	list := h.st.channelEvents[e.ChannelID]
	put(h.tx, h.st.channelEvents, e.ChannelID, append(list, cloneChannelEvent(e)))
	if e.Event.ID != "" {
		put(h.tx, h.st.channelEventByID, key, len(list))
	}
	return e, true, nil
}

// ListChannelEvents implements store.ChannelEvents.
func (h *handle) ListChannelEvents(ctx context.Context, channelID string, p store.Page) ([]store.ChannelEvent, store.Cursor, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	defer unlock()
	var out []store.ChannelEvent
	for _, e := range h.st.channelEvents[channelID] {
		if e.Cursor().Past(p.After, p.Order) {
			out = append(out, cloneChannelEvent(e))
		}
	}
	slices.SortFunc(out, func(a, b store.ChannelEvent) int { return compareCursors(a.Cursor(), b.Cursor(), p.Order) })
	return page(out, p, store.ChannelEvent.Cursor)
}

// cloneChannelEvent returns a copy of e sharing no memory with it.
func cloneChannelEvent(e store.ChannelEvent) store.ChannelEvent {
	e.Event = e.Event.Clone()
	return e
}
