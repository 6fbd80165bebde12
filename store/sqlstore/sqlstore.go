// Package sqlstore is the store.Store implementation shared by the SQL backends (store/sqlite and
// store/postgres). It speaks one SQL dialect, written with $1-style parameters, and leaves to each
// backend the connection, transactions, parameter style and error codes (a Dialect).
//
// Times are stored as BIGINT microseconds since the Unix epoch (0 for the zero time), so both backends
// keep exactly what memstore keeps: UTC with microsecond precision. JSON-shaped fields are stored as
// TEXT; nothing queries inside them.
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

// DB runs statements: a connection pool, or a transaction.
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

// Row is a single-row result.
type Row interface {
	Scan(dest ...any) error
}

// Dialect is what differs between the SQL backends.
type Dialect struct {
	// SkipLocked is appended to the outbox claim's inner SELECT (" FOR UPDATE SKIP LOCKED" on
	// PostgreSQL; empty where write transactions are serialised anyway, as on SQLite).
	SkipLocked string
	// IsNoRows reports whether err means a query returned no row.
	IsNoRows func(error) bool
	// IsUnique and IsForeignKey classify constraint violations.
	IsUnique     func(error) bool
	IsForeignKey func(error) bool
}

// Store implements every store interface but Transactor on a DB. It is safe for concurrent use when its
// DB is.
type Store struct {
	db  DB
	d   *Dialect
	now func() time.Time
	// InTx runs fn in a transaction on a Store bound to it; the backend sets it.
	inTx func(ctx context.Context, fn func(ctx context.Context, tx *Store) error) error
}

// New returns a Store on db. now is the store clock.
func New(db DB, d *Dialect, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, d: d, now: now}
}

// WithDB returns a Store sharing s's dialect and clock on another DB (a transaction).
func (s *Store) WithDB(db DB) *Store { return &Store{db: db, d: s.d, now: s.now} }

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
	case err == errNoRows || s.d.IsNoRows(err):
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	case err == errAlreadyExists || s.d.IsUnique(err):
		return fmt.Errorf("%s: %w", what, store.ErrAlreadyExists)
	case s.d.IsForeignKey(err):
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

// param returns the placeholder of the n-th argument.
func param(n int) string { return "$" + strconv.Itoa(n) }

// errNoRows and errAlreadyExists are fed to mapErr for conditions found without a driver error.
var (
	errNoRows        = errors.New("no rows")
	errAlreadyExists = errors.New("already exists")
)
