package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/msgkit/msgkit/store"
)

// DB runs statements written with $1-style parameters: a connection pool, or a transaction. Its methods
// return the database's errors as they are; the Dialect classifies them. Exec returns the number of rows
// a statement matched (for MySQL, connect with clientFoundRows so that an UPDATE that changes nothing
// still counts the row).
type DB interface {
	Exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Rows is a result set.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is a single-row result. Scan returns the error of the query, or the Dialect's NoRows error when
// there was no row.
type Row interface {
	Scan(dest ...any) error
}

// TxFunc runs fn in one database transaction on the backend's connection: it begins, calls fn with a DB
// bound to the transaction, and commits when fn returns nil, rolling back otherwise. It returns fn's error,
// or the error of begin or commit, as the database gave it: the Store reruns the whole transaction when the
// Dialect classifies that error as Retry. Transactions must be at least READ COMMITTED, with every read of
// a row seeing the latest committed state (on MySQL, ask for READ COMMITTED: its default, REPEATABLE READ,
// reads a snapshot).
type TxFunc func(ctx context.Context, fn func(ctx context.Context, tx DB) error) error

// Options tunes a Store. nil means the defaults.
type Options struct {
	// Now is the store's clock. nil means time.Now.
	Now func() time.Time
}

// Store implements store.Store on a DB. It is safe for concurrent use when its DB is.
type Store struct {
	db  DB
	d   Dialect
	now func() time.Time
	// txf runs a transaction; nil on a Store bound to one, whose transactions join it.
	txf TxFunc
	// due, on a Store bound to a transaction, is set when the transaction made a job due (announceDue).
	due *bool
}

var (
	_ store.Store            = (*Store)(nil)
	_ store.HeldJobCompleter = (*Store)(nil)
	_ store.InboundNoter     = (*Store)(nil)
	_ store.ContactsGetter   = (*Store)(nil)
)

// New returns a Store on db, running transactions with tx and speaking dialect d.
func New(db DB, tx TxFunc, d Dialect, opts *Options) *Store {
	now := time.Now
	if opts != nil && opts.Now != nil {
		now = opts.Now
	}
	return &Store{db: db, d: d, now: now, txf: tx}
}

// deferWrite holds write back until the next statement when s is bound to a transaction whose DB is a
// Deferrer, and reports whether it did. Its failure is reported as the failure of what (mapErr).
func (s *Store) deferWrite(what, write string, args ...any) bool {
	d, ok := s.db.(Deferrer)
	if !ok || s.txf != nil { // s.txf is nil only on a Store bound to a transaction
		return false
	}
	d.Defer(func(err error) error { return s.mapErr(err, what) }, write, args...)
	return true
}

// Dialect returns the dialect s speaks (the query-plan tests render the shared queries with it).
func (s *Store) Dialect() Dialect { return s.d }

// stamp returns the clock's time as stored.
func (s *Store) stamp() int64 { return micros(s.now()) }

// micros encodes a time for storage.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// timeOf decodes a stored time.
func timeOf(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// check returns ctx's error, so every call honours a cancelled context before touching the database.
func check(ctx context.Context) error { return ctx.Err() }

// mapErr turns driver errors into store sentinels, naming what failed.
func (s *Store) mapErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	case s.noRows(err):
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	case err == errAlreadyExists || s.unique(err):
		return fmt.Errorf("%s: %w", what, store.ErrAlreadyExists)
	case s.d.Classify(err) == ForeignKey:
		return fmt.Errorf("%s refers to a record that does not exist: %w", what, store.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// jsonText encodes v as JSON text ("" for nil maps and slices stays "null").
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sqlstore: %T does not encode: %v", v, err)) // only msgkit's own types are stored
	}
	return string(b)
}

// fromJSON decodes JSON text into v; empty text leaves v zero.
func fromJSON(text string, v any) error {
	if text == "" || text == "null" {
		return nil
	}
	return json.Unmarshal([]byte(text), v)
}

// noRows reports whether err means that a query returned no row.
func (s *Store) noRows(err error) bool {
	return err == errNoRows || (err != nil && s.d.Classify(err) == NoRows)
}

// unique reports whether err is a unique violation.
func (s *Store) unique(err error) bool { return err != nil && s.d.Classify(err) == Unique }

// param returns the placeholder of the n-th argument.
func param(n int) string { return "$" + strconv.Itoa(n) }

// errNoRows and errAlreadyExists are fed to mapErr for conditions found without a driver error.
var (
	errNoRows        = errors.New("no rows")
	errAlreadyExists = errors.New("already exists")
)
