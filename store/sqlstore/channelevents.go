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
	got, err := scanChannelEvent(s.db.QueryRow(ctx, `INSERT INTO channel_events (`+channelEventCols+`)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (channel_id, event_id) WHERE event_id <> '' DO NOTHING
		RETURNING `+channelEventCols, e.ID, e.ChannelID, e.Event.ID, jsonText(e.Event), at, now))
	if err == nil {
		return got, true, nil
	}
	if !s.d.IsNoRows(err) {
		return store.ChannelEvent{}, false, s.mapErr(err, "channel event")
	}
	got, err = scanChannelEvent(s.db.QueryRow(ctx, `SELECT `+channelEventCols+` FROM channel_events
		WHERE channel_id = $1 AND event_id = $2`, e.ChannelID, e.Event.ID))
	return got, false, s.mapErr(err, "channel event")
}

// ListChannelEvents implements store.ChannelEvents.
func (s *Store) ListChannelEvents(ctx context.Context, channelID string, p store.Page) ([]store.ChannelEvent, store.Cursor, error) {
	if err := check(ctx); err != nil {
		return nil, store.Cursor{}, err
	}
	q, args := keyset(`SELECT `+channelEventCols+` FROM channel_events WHERE channel_id = $1`, []any{channelID}, "time", "id", p)
	list, err := queryAll(ctx, s, "channel events", scanChannelEvent, q, args...)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	return cut(list, p, store.ChannelEvent.Cursor)
}
