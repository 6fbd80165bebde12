package sqlstore

import "context"

// tx runs fn in a transaction when the backend gave one, and on s otherwise (s is then already a
// transaction).
func (s *Store) tx(ctx context.Context, fn func(ctx context.Context, tx *Store) error) error {
	if s.inTx == nil {
		return fn(ctx, s)
	}
	return s.inTx(ctx, fn)
}

// SetTx tells s how to run a transaction: the backend's begin-commit-rollback around fn.
func (s *Store) SetTx(inTx func(ctx context.Context, fn func(ctx context.Context, tx *Store) error) error) {
	s.inTx = inTx
}
