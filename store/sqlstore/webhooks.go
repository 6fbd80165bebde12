package sqlstore

import (
	"context"
	"time"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

const webhookCols = `id, channel_id, body, received_at, expires_at`

func scanWebhook(r Row) (store.Webhook, error) {
	var w store.Webhook
	var received, expires int64
	err := r.Scan(&w.ID, &w.ChannelID, &w.Body, &received, &expires)
	w.ReceivedAt, w.ExpiresAt = timeOf(received), timeOf(expires)
	return w, err
}

// ArchiveWebhook implements store.Webhooks.
func (s *Store) ArchiveWebhook(ctx context.Context, w store.Webhook) (store.Webhook, error) {
	if err := check(ctx); err != nil {
		return store.Webhook{}, err
	}
	if w.ID == "" {
		w.ID = id.New()
	}
	if w.ReceivedAt.IsZero() {
		w.ReceivedAt = s.now()
	}
	if w.Body == nil {
		w.Body = []byte{}
	}
	_, err := s.db.Exec(ctx, `INSERT INTO webhooks (`+webhookCols+`) VALUES ($1, $2, $3, $4, $5)`,
		w.ID, w.ChannelID, w.Body, micros(w.ReceivedAt), micros(w.ExpiresAt))
	w.ReceivedAt, w.ExpiresAt = timeOf(micros(w.ReceivedAt)), timeOf(micros(w.ExpiresAt))
	return w, s.mapErr(err, "webhook "+w.ID)
}

// ListWebhooks implements store.Webhooks.
func (s *Store) ListWebhooks(ctx context.Context, channelID string, from, to time.Time, p store.Page) ([]store.Webhook, store.Cursor, error) {
	if err := check(ctx); err != nil {
		return nil, store.Cursor{}, err
	}
	end := micros(to)
	if end == 0 {
		end = 1<<63 - 1
	}
	q, args := keyset(s.d, `SELECT `+webhookCols+` FROM webhooks WHERE channel_id = $1 AND received_at >= $2 AND received_at < $3`,
		[]any{channelID, micros(from), end}, "received_at", "id", p)
	list, err := queryAll(ctx, s, "webhooks", scanWebhook, q, args...)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	return cut(list, p, store.Webhook.Cursor)
}

// DeleteExpiredWebhooks implements store.Webhooks.
func (s *Store) DeleteExpiredWebhooks(ctx context.Context, limit int) (int, error) {
	if err := check(ctx); err != nil {
		return 0, err
	}
	n, err := s.db.Exec(ctx, `DELETE FROM webhooks WHERE id IN (SELECT id FROM (SELECT id FROM webhooks
		WHERE expires_at <> 0 AND expires_at <= $1 LIMIT $2) AS expired)`, s.stamp(), limit)
	return int(n), s.mapErr(err, "expired webhooks")
}
