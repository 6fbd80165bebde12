package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

const outboxCols = `id, channel_id, conversation_id, peer, message_ids, reply_token, retry_key, status, attempts,
	next_attempt_at, last_error, lease, lease_until, created_at, updated_at`

func scanOutbox(r Row) (store.OutboxItem, error) {
	var it store.OutboxItem
	var peer, ids, status string
	var next, leaseUntil, created, updated int64
	if err := r.Scan(&it.ID, &it.ChannelID, &it.ConversationID, &peer, &ids, &it.ReplyToken, &it.RetryKey, &status,
		&it.Attempts, &next, &it.LastError, &it.Lease, &leaseUntil, &created, &updated); err != nil {
		return it, err
	}
	it.Status = store.OutboxStatus(status)
	it.NextAttemptAt, it.LeaseUntil, it.CreatedAt, it.UpdatedAt = timeOf(next), timeOf(leaseUntil), timeOf(created), timeOf(updated)
	if err := fromJSON(peer, &it.To); err != nil {
		return it, err
	}
	return it, fromJSON(ids, &it.MessageIDs)
}

// EnqueueOutbox implements store.Outbox.
func (s *Store) EnqueueOutbox(ctx context.Context, it store.OutboxItem) (store.OutboxItem, error) {
	if err := check(ctx); err != nil {
		return store.OutboxItem{}, err
	}
	if it.ID == "" {
		it.ID = id.New()
	}
	now := s.stamp()
	next := micros(it.NextAttemptAt)
	if next == 0 {
		next = now
	}
	got, err := scanOutbox(s.db.QueryRow(ctx, `INSERT INTO outbox (`+outboxCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, '', 0, $11, $11) RETURNING `+outboxCols,
		it.ID, it.ChannelID, it.ConversationID, jsonText(it.To), jsonText(it.MessageIDs), it.ReplyToken, it.RetryKey,
		it.Attempts, next, it.LastError, now))
	return got, s.mapErr(err, "outbox item "+it.ID)
}

// GetOutbox implements store.Outbox.
func (s *Store) GetOutbox(ctx context.Context, id string) (store.OutboxItem, error) {
	if err := check(ctx); err != nil {
		return store.OutboxItem{}, err
	}
	it, err := scanOutbox(s.db.QueryRow(ctx, `SELECT `+outboxCols+` FROM outbox WHERE id = $1`, id))
	return it, s.mapErr(err, "outbox item "+id)
}

// ClaimOutbox implements store.Outbox: one UPDATE over the due items, which PostgreSQL picks with
// FOR UPDATE SKIP LOCKED so concurrent claimers take different items without waiting.
func (s *Store) ClaimOutbox(ctx context.Context, limit int, lease time.Duration) ([]store.OutboxItem, error) {
	if err := check(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 || lease <= 0 {
		return nil, errors.New("sqlstore: ClaimOutbox needs a positive limit and lease")
	}
	now := s.stamp()
	items, err := queryAll(ctx, s, "outbox claim", scanOutbox, `UPDATE outbox SET lease = $1, lease_until = $2,
		attempts = attempts + 1, updated_at = $3
		WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3 AND lease_until <= $3
			ORDER BY next_attempt_at, id LIMIT $4`+s.d.SkipLocked+`)
		RETURNING `+outboxCols, id.New(), now+lease.Microseconds(), now, limit)
	if err != nil {
		return nil, err
	}
	sortOutbox(items)
	return items, nil
}

// sortOutbox orders claimed items as they were picked: RETURNING has no order.
func sortOutbox(items []store.OutboxItem) {
	slices.SortFunc(items, func(a, b store.OutboxItem) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
}

// CompleteOutbox implements store.Outbox.
func (s *Store) CompleteOutbox(ctx context.Context, id, lease string) error {
	return s.release(ctx, id, lease, `status = 'done'`)
}

// RetryOutbox implements store.Outbox.
func (s *Store) RetryOutbox(ctx context.Context, id, lease string, at time.Time, reason string) error {
	return s.release(ctx, id, lease, `next_attempt_at = $4, last_error = $5`, micros(at), reason)
}

// FailOutbox implements store.Outbox.
func (s *Store) FailOutbox(ctx context.Context, id, lease, reason string) error {
	return s.release(ctx, id, lease, `status = 'failed', last_error = $4`, reason)
}

// release ends a claim with set applied, if the lease is still held ($1 id, $2 lease, $3 now).
func (s *Store) release(ctx context.Context, id, lease, set string, args ...any) error {
	if err := check(ctx); err != nil {
		return err
	}
	now := s.stamp()
	n, err := s.db.Exec(ctx, `UPDATE outbox SET `+set+`, lease = '', lease_until = 0, updated_at = $3
		WHERE id = $1 AND lease = $2 AND lease <> '' AND status = 'pending' AND lease_until > $3`,
		append([]any{id, lease, now}, args...)...)
	if err != nil {
		return s.mapErr(err, "outbox item "+id)
	}
	if n == 1 {
		return nil
	}
	if _, err := s.GetOutbox(ctx, id); err != nil {
		return err
	}
	return fmt.Errorf("outbox item %s: lease not held: %w", id, store.ErrConflict)
}
