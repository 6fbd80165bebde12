package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/msgkit/msgkit/store"
)

// ClaimJobs implements store.Jobs. It first looks, on a read connection, whether any job is due: a worker
// with nothing to do (every Run between jobs, every Flush at its end) then takes no write lock and
// commits nothing. A job committed just after the look is found by the next claim, as it would be had the
// claim come a moment earlier.
func (s *Store) ClaimJobs(ctx context.Context, limit int, lease time.Duration) ([]store.Job, error) {
	if ctx.Err() == nil && limit > 0 && lease > 0 {
		now := s.now().UnixMicro()
		var due bool
		err := s.reader.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM jobs WHERE status = 'pending'
			AND next_attempt_at <= ?1 AND lease_until <= ?1)`, now).Scan(&due)
		if err != nil {
			return nil, fmt.Errorf("sqlite: looking for due jobs: %w", err)
		}
		if !due {
			return nil, nil
		}
	}
	return s.Store.ClaimJobs(ctx, limit, lease)
}
