package sqlstore

import (
	"context"

	"github.com/msgkit/msgkit/store"
)

// retries is how many times a transaction runs at most when the database asks for a rerun (a deadlock,
// a serialization failure).
const retries = 3

// RunInTx implements store.Transactor with the backend's TxFunc. A transaction that fails with an error
// the Dialect classifies as Retry is run again, up to three times in all. On the Store fn gets, RunInTx
// joins the transaction.
func (s *Store) RunInTx(ctx context.Context, fn func(ctx context.Context, tx store.Store) error) error {
	return s.tx(ctx, func(ctx context.Context, tx *Store) error { return fn(ctx, tx) })
}

// tx runs fn in a transaction, or on s when s is bound to one already.
func (s *Store) tx(ctx context.Context, fn func(ctx context.Context, tx *Store) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.txf == nil {
		return fn(ctx, s)
	}
	var err error
	for range retries {
		due := false
		err = s.txf(ctx, func(ctx context.Context, db DB) error {
			return fn(ctx, &Store{db: db, d: s.d, now: s.now, due: &due})
		})
		if err == nil && due {
			s.jobsDue(ctx)
		}
		if err == nil || ctx.Err() != nil || s.d.Classify(err) != Retry {
			return err
		}
	}
	return err
}
