package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/msgkit/msgkit/store/sqlstore"
)

// pipeTx is a transaction on one pooled connection that spends no round trip of its own: BEGIN travels
// with the transaction's first statement, and the writes sqlstore defers (sqlstore.Deferrer) travel with
// the statement after them or with COMMIT, as one pipelined batch. A transaction that only reads and
// writes what must be answered at once costs one round trip per statement, and the commit one more; a
// transaction that runs no statement costs none.
//
// A deferred write that fails fails the transaction: PostgreSQL skips the rest of the batch (the COMMIT
// too, when it is in it) and aborts the transaction, and pipeTx keeps the error and returns it from every
// later statement and from the commit, which then rolls back.
type pipeTx struct {
	conn    *pgxpool.Conn
	begun   bool // BEGIN was sent
	pending []deferred
	err     error // the first failure of a deferred write
}

// deferred is a write held until the next statement or the commit.
type deferred struct {
	query string
	args  []any
	fail  func(error) error
}

// failed reports whether err, read as d's result, is d's own failure, and not that of the batch it was
// sent in: pgx prepares and encodes every statement of a batch before running any, and when one of
// them fails, every result of the batch is that failure.
func (d deferred) failed(err error) bool {
	var pre pgx.ErrPreprocessingBatch
	return !errors.As(err, &pre) || pre.SQL() == d.query
}

var _ sqlstore.Deferrer = (*pipeTx)(nil)

// runPipeTx runs fn in a pipeTx on a connection of pool.
func runPipeTx(ctx context.Context, pool *pgxpool.Pool, fn func(ctx context.Context, tx sqlstore.DB) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release() // a connection left in a transaction is closed, not pooled
	t := &pipeTx{conn: conn}
	if err := fn(ctx, t); err != nil {
		t.rollback(ctx)
		return err
	}
	return t.commit(ctx)
}

// Defer implements sqlstore.Deferrer.
func (t *pipeTx) Defer(fail func(error) error, query string, args ...any) {
	t.pending = append(t.pending, deferred{query: query, args: encodeArgs(args), fail: fail})
}

// send sends what is held back (BEGIN, deferred writes) with query, in one batch, and reads the deferred
// writes' outcomes. It returns the results, positioned at query's, for the caller to read and close.
func (t *pipeTx) send(ctx context.Context, query string, args []any) (pgx.BatchResults, error) {
	if t.err != nil {
		return nil, t.err
	}
	var b pgx.Batch
	begin := !t.begun
	if begin {
		b.Queue("BEGIN")
	}
	for _, d := range t.pending {
		b.Queue(d.query, d.args...)
	}
	b.Queue(query, args...)
	pending := t.pending
	t.pending, t.begun = nil, true
	br := t.conn.SendBatch(ctx, &b)
	if begin {
		if _, err := br.Exec(); err != nil {
			return nil, t.fail(br, err)
		}
	}
	for _, d := range pending {
		if _, err := br.Exec(); err != nil {
			if d.failed(err) {
				err = d.fail(err)
			}
			return nil, t.fail(br, err)
		}
	}
	return br, nil
}

// closeBatch closes br and returns err, the error of its last statement read, or else Close's: after a
// statement failed, Close returns that same error again.
func closeBatch(br pgx.BatchResults, err error) error {
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// fail records err as the transaction's failure and closes br.
func (t *pipeTx) fail(br pgx.BatchResults, err error) error {
	_ = br.Close()
	t.err = err
	return err
}

// Exec implements sqlstore.DB.
func (t *pipeTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	args = encodeArgs(args)
	if t.err == nil && t.begun && len(t.pending) == 0 {
		tag, err := t.conn.Exec(ctx, q, args...)
		return tag.RowsAffected(), err
	}
	br, err := t.send(ctx, q, args)
	if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	return tag.RowsAffected(), closeBatch(br, err)
}

// Query implements sqlstore.DB.
func (t *pipeTx) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	args = encodeArgs(args)
	if t.err == nil && t.begun && len(t.pending) == 0 {
		rows, err := t.conn.Query(ctx, q, args...)
		return textRows{rows}, err
	}
	br, err := t.send(ctx, q, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return batchRows{textRows{rows}, br}, nil
}

// QueryRow implements sqlstore.DB.
func (t *pipeTx) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	args = encodeArgs(args)
	if t.err == nil && t.begun && len(t.pending) == 0 {
		return textRow{t.conn.QueryRow(ctx, q, args...)}
	}
	br, err := t.send(ctx, q, args)
	if err != nil {
		return errRow{err}
	}
	return batchRow{textRow{br.QueryRow()}, br}
}

// commit sends what is held back with COMMIT.
func (t *pipeTx) commit(ctx context.Context) error {
	if !t.begun && len(t.pending) == 0 {
		return nil // nothing was sent: there is nothing to commit
	}
	br, err := t.send(ctx, "COMMIT", nil)
	if err != nil {
		t.rollback(ctx)
		return err
	}
	tag, err := br.Exec()
	if err = closeBatch(br, err); err != nil {
		return err
	}
	if tag.String() == "ROLLBACK" { // the transaction had failed: PostgreSQL rolled it back
		return fmt.Errorf("postgres: %w", pgx.ErrTxCommitRollback)
	}
	return nil
}

// rollback ends a transaction that failed; the deferred writes are dropped unsent. Should ROLLBACK fail
// (ctx ended, say), the connection is left in the transaction, and its release closes it.
func (t *pipeTx) rollback(ctx context.Context) {
	t.pending = nil
	if t.begun {
		_, _ = t.conn.Exec(ctx, "ROLLBACK")
	}
}

// batchRows are the rows of a batch's last statement: closing them closes the batch.
type batchRows struct {
	textRows
	br pgx.BatchResults
}

func (r batchRows) Close() {
	r.textRows.Close()
	_ = r.br.Close()
}

// batchRow is the row of a batch's last statement: scanning it closes the batch.
type batchRow struct {
	row textRow
	br  pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	return closeBatch(r.br, r.row.Scan(dest...))
}

// errRow is a row that failed before it was read.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
