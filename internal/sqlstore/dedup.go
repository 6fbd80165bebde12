package sqlstore

import (
	"context"
	"errors"
	"time"
)

// FirstSeen implements store.Dedup: an expired key is replaced, a live one left alone, in one statement.
func (s *Store) FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := check(ctx); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, errors.New("sqlstore: FirstSeen needs a positive ttl")
	}
	now := s.stamp()
	n, err := s.db.Exec(ctx, `INSERT INTO dedup (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE dedup.expires_at <= $3`,
		key, now+ttl.Microseconds(), now)
	return n == 1, s.mapErr(err, "dedup key")
}
