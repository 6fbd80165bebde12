package sqlstore

import (
	"context"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

const channelEventCols = `id, channel_id, event_id, event, time, created_at`

func scanChannelEvent(r Row) (store.ChannelEvent, error) {
	var e store.ChannelEvent
	var eventID, event string
	var at, created int64
	if err := r.Scan(&e.ID, &e.ChannelID, &eventID, &event, &at, &created); err != nil {
		return e, err
	}
	e.CreatedAt = timeOf(created)
	err := fromJSON(event, &e.Event)
	e.Event.ID, e.Event.Time = eventID, timeOf(at)
	return e, err
}

// AppendChannelEvent implements store.ChannelEvents.
func (s *Store) AppendChannelEvent(ctx context.Context, e store.ChannelEvent) (store.ChannelEvent, bool, error) {
	if err := check(ctx); err != nil {
		return store.ChannelEvent{}, false, err
	}
	if e.ID == "" {
		e.ID = id.New()
	}
	now := s.stamp()
	at := micros(e.Event.Time)
	if at == 0 {
		at = now
	}
	got, err := writeRow(ctx, s, scanChannelEvent, `INSERT INTO channel_events (`+channelEventCols+`)
		VALUES ($1, $2, $3, $4, $5, $6)`, `ON CONFLICT (channel_id, event_id) WHERE event_id <> '' DO NOTHING`,
		"channel_events", channelEventCols, "id = $1", e.ID, e.ChannelID, e.Event.ID, jsonText(e.Event), at, now)
	return insertOnce(s, got, err, func() (store.ChannelEvent, error) {
		if e.Event.ID == "" { // events without an ID are never deduplicated
			return store.ChannelEvent{}, errNoRows
		}
		return scanChannelEvent(s.db.QueryRow(ctx, `SELECT `+channelEventCols+` FROM channel_events
			WHERE channel_id = $1 AND event_id = $2`, e.ChannelID, e.Event.ID))
	}, "channel event")
}

// ListChannelEvents implements store.ChannelEvents.
func (s *Store) ListChannelEvents(ctx context.Context, channelID string, p store.Page) ([]store.ChannelEvent, store.Cursor, error) {
	if err := check(ctx); err != nil {
		return nil, store.Cursor{}, err
	}
	q, args := keyset(s.d, `SELECT `+channelEventCols+` FROM channel_events WHERE channel_id = $1`, []any{channelID}, "time", "id", p)
	list, err := queryAll(ctx, s, "channel events", scanChannelEvent, q, args...)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	return cut(list, p, store.ChannelEvent.Cursor)
}
