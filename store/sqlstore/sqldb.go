package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// Conn is what database/sql's *sql.DB, *sql.Conn and *sql.Tx have in common.
type Conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Rebind rewrites a statement written with $1-style parameters, and its arguments, into the form a driver
// takes. nil leaves them as they are (for drivers that read $1, as pgx's stdlib driver does).
type Rebind func(query string, args []any) (string, []any)

// NewSQLDB returns a DB on a database/sql connection: a pool, a connection or a transaction. rebind, if
// set, rewrites each statement first (Positional, for drivers that take ?). database/sql prepares and
// closes a statement per call unless the driver interpolates; a backend that wants a statement cache
// writes its own DB, as store/sqlite does.
func NewSQLDB(c Conn, rebind Rebind) DB { return sqlDB{c, rebind} }

// NewSQLTx returns a TxFunc that runs transactions on db with opts (set Isolation to
// sql.LevelReadCommitted where the default isolation reads a snapshot, as MySQL's does).
func NewSQLTx(db *sql.DB, opts *sql.TxOptions, rebind Rebind) TxFunc {
	return func(ctx context.Context, fn func(ctx context.Context, tx DB) error) error {
		tx, err := db.BeginTx(ctx, opts)
		if err != nil {
			return err
		}
		if err := fn(ctx, NewSQLDB(tx, rebind)); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
}

// Positional rewrites $1-style parameters into ? placeholders, repeating and reordering the arguments so
// that each ? gets the argument its $n named. It relies on what holds for the layer's statements: a $
// followed by a digit is always a parameter (never inside a string literal).
func Positional(query string, args []any) (string, []any) {
	if !strings.Contains(query, "$") {
		return query, args
	}
	var b strings.Builder
	b.Grow(len(query))
	out := make([]any, 0, len(args))
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c != '$' || i+1 >= len(query) || query[i+1] < '0' || query[i+1] > '9' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(query) && query[j] >= '0' && query[j] <= '9' {
			j++
		}
		n, _ := strconv.Atoi(query[i+1 : j])
		if n >= 1 && n <= len(args) {
			out = append(out, args[n-1])
		} else {
			out = append(out, nil) // the driver reports the missing argument
		}
		b.WriteByte('?')
		i = j - 1
	}
	return b.String(), out
}

// sqlDB is NewSQLDB's DB.
type sqlDB struct {
	c      Conn
	rebind Rebind
}

func (d sqlDB) bind(q string, args []any) (string, []any) {
	if d.rebind == nil {
		return q, args
	}
	return d.rebind(q, args)
}

func (d sqlDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	q, args = d.bind(q, args)
	res, err := d.c.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (d sqlDB) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	q, args = d.bind(q, args)
	rows, err := d.c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return closeRows{rows}, nil
}

func (d sqlDB) QueryRow(ctx context.Context, q string, args ...any) Row {
	q, args = d.bind(q, args)
	return d.c.QueryRowContext(ctx, q, args...)
}

// closeRows adapts *sql.Rows, whose Close returns an error that Rows.Err reports anyway.
type closeRows struct{ *sql.Rows }

func (r closeRows) Close() { _ = r.Rows.Close() }

// Deferrer is implemented by a transaction's DB that can hold a write back and send it with the
// statement after it, or with the commit, saving the write a round trip of its own (store/postgres
// pipelines them). Only the write's failure comes back, as fail(err): its result is never looked at, as
// the commit may already be on its way with it. That error fails the transaction (the database skips
// what follows a failed statement, the commit included): every later statement, and the commit, return
// it. The Store defers only writes that nothing but the database itself can fail (a row with a new ID
// and no other unique key; an update whose effect the caller does not ask about: CompleteHeldJob,
// NoteInbound): an error a caller may expect and handle (store.ErrConflict, store.ErrNotFound) is
// always reported by the call that caused it.
type Deferrer interface {
	Defer(fail func(error) error, query string, args ...any)
}
