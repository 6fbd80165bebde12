package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/msgkit/msgkit/internal/sqlstore"
	"github.com/msgkit/msgkit/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tunes a Store. The zero value (or nil) means the defaults.
type Options struct {
	// Now is the store's clock. nil means time.Now.
	Now func() time.Time
	// Readers is the size of the read connection pool (default 4). Writes always go through one
	// connection: SQLite has one writer at a time, and queueing in Go is cheaper than retrying on
	// SQLITE_BUSY.
	Readers int
	// BusyTimeout is how long a write waits for another process's write to finish (default 10s).
	BusyTimeout time.Duration
	// Synchronous is SQLite's synchronous setting (default "NORMAL": in WAL mode a crash of the machine
	// can lose the last transactions, never corrupt the file; "FULL" makes every commit durable at the
	// cost of an fsync each).
	Synchronous string
}

// Store is a store.Store in one SQLite file. It also implements store.Transactor, store.Pinger and
// io.Closer. It is safe for concurrent use, and several Stores (in one process or several) may open the
// same file: writes are serialised by SQLite with a busy timeout, never failing with SQLITE_BUSY.
type Store struct {
	*sqlstore.Store
	writer, reader *sql.DB
	rb             *rebinder
}

var (
	_ store.Store      = (*Store)(nil)
	_ store.Transactor = (*Store)(nil)
	_ store.Pinger     = (*Store)(nil)
)

var dialect = &sqlstore.Dialect{
	IsNoRows: func(err error) bool { return errors.Is(err, sql.ErrNoRows) },
	IsUnique: func(err error) bool {
		return code(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code(err) == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	IsForeignKey: func(err error) bool { return code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY },
}

func code(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// Open opens (creating it if needed) the SQLite database at path and brings its schema up to date. It
// uses WAL mode, foreign keys and immediate write transactions.
func Open(ctx context.Context, path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Readers <= 0 {
		o.Readers = 4
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 10 * time.Second
	}
	switch strings.ToUpper(o.Synchronous) {
	case "":
		o.Synchronous = "NORMAL"
	case "OFF", "NORMAL", "FULL", "EXTRA":
	default:
		return nil, fmt.Errorf("sqlite: Synchronous %q is not OFF, NORMAL, FULL or EXTRA", o.Synchronous)
	}
	if path == "" {
		return nil, errors.New("sqlite: Open needs a file path")
	}
	dsn := func(readOnly bool) string {
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous("+o.Synchronous+")")
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.BusyTimeout.Milliseconds()))
		q.Add("_pragma", "foreign_keys(1)")
		if readOnly {
			q.Add("_pragma", "query_only(1)")
		} else {
			q.Set("_txlock", "immediate")
		}
		return "file:" + path + "?" + q.Encode()
	}
	writer, err := sql.Open("sqlite", dsn(false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetConnMaxIdleTime(0)
	if err := migrate(ctx, writer); err != nil {
		writer.Close()
		return nil, err
	}
	reader, err := sql.Open("sqlite", dsn(true))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	reader.SetMaxOpenConns(o.Readers)
	reader.SetMaxIdleConns(o.Readers)
	rb := &rebinder{}
	s := &Store{Store: sqlstore.New(&pool{writer: writer, reader: reader, rebinder: rb}, dialect, o.Now), writer: writer, reader: reader, rb: rb}
	s.SetTx(s.inTx)
	return s, nil
}

// migrate applies the embedded migrations in one immediate transaction: a second process starting at the
// same time waits for it, then finds nothing to do.
func migrate(ctx context.Context, writer *sql.DB) error {
	tx, err := writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrating: %w", err)
	}
	defer tx.Rollback()
	if _, err := sqlstore.Migrate(ctx, &txDB{tx: tx, rebinder: &rebinder{}}, migrationFiles()); err != nil {
		return err
	}
	return tx.Commit()
}

// RunInTx implements store.Transactor with an immediate transaction on the write connection.
func (s *Store) RunInTx(ctx context.Context, fn func(ctx context.Context, tx store.Store) error) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sqlstore.Store) error { return fn(ctx, txStore{tx}) })
}

func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, tx *sqlstore.Store) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(ctx, s.WithDB(&txDB{tx: tx, rebinder: s.rb})); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// txStore is the store.Store a transaction's function gets; RunInTx inside it joins the transaction.
type txStore struct{ *sqlstore.Store }

func (t txStore) RunInTx(ctx context.Context, fn func(ctx context.Context, tx store.Store) error) error {
	return fn(ctx, t)
}

// Ping implements store.Pinger.
func (s *Store) Ping(ctx context.Context) error { return s.writer.PingContext(ctx) }

// Close closes the database.
func (s *Store) Close() error { return errors.Join(s.reader.Close(), s.writer.Close()) }

// pool sends reads to the reader pool and everything else to the single writer.
type pool struct {
	writer, reader *sql.DB
	*rebinder
}

func (p *pool) db(query string) *sql.DB {
	if strings.HasPrefix(strings.TrimSpace(query), "SELECT") {
		return p.reader
	}
	return p.writer
}

func (p *pool) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := p.writer.ExecContext(ctx, p.rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (p *pool) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := p.db(query).QueryContext(ctx, p.rebind(query), args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (p *pool) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return p.db(query).QueryRowContext(ctx, p.rebind(query), args...)
}

// txDB runs statements in a transaction.
type txDB struct {
	tx *sql.Tx
	*rebinder
}

func (t *txDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := t.tx.ExecContext(ctx, t.rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *txDB) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := t.tx.QueryContext(ctx, t.rebind(query), args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (t *txDB) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return t.tx.QueryRowContext(ctx, t.rebind(query), args...)
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

// rebinder turns $1-style parameters into SQLite's ?1 style. msgkit's queries are a fixed set, so each
// is rewritten once per Store and cached.
type rebinder struct{ cache sync.Map }

func (r *rebinder) rebind(query string) string {
	if v, ok := r.cache.Load(query); ok {
		return v.(string)
	}
	out := strings.ReplaceAll(query, "$", "?")
	r.cache.Store(query, out)
	return out
}
