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

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlstore"
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
	// BusyTimeout is how long a write waits for another process's write to finish, and Open for
	// other handles setting up the same file (default 10s).
	BusyTimeout time.Duration
	// Synchronous is SQLite's synchronous setting (default "NORMAL": in WAL mode a crash of the machine
	// can lose the last transactions, never corrupt the file; "FULL" makes every commit durable at the
	// cost of an fsync each).
	Synchronous string
	// CheckpointDelay is how soon after a write a background connection copies the write-ahead log
	// back into the database file (default 50ms). Without it SQLite does so on the commit that takes
	// the log past 1,000 pages, and that commit (one in about twenty of an inbound message's) takes
	// several times longer than the others. The background checkpoint never waits for readers or
	// writers; should it fall behind, SQLite's own checkpoint takes over at 10,000 pages. A negative
	// delay leaves checkpoints to SQLite, as without this option.
	CheckpointDelay time.Duration
	// MmapSize is how much of the database file each connection reads through memory-mapped I/O
	// instead of read calls (default 0: none). Off by default because a database that grows remaps at
	// every read transaction: with 1 GiB mapped, munmap alone took 9 % of an inbound message's CPU
	// time. A database that is mostly read may gain from it.
	MmapSize int64
	// CacheSize is the most memory each read connection keeps for its page cache (default 32 MiB;
	// SQLite's own default, which the write connections keep, is 2 MB). A large database then reads at
	// about the speed of a small one: an inbox view that looks up rows scattered over a 365 MB file costs
	// 1.0–2.0× what it costs in a 4 MB one, against up to 2.6× with SQLite's default (BENCHMARKS.md,
	// "Inbox views at scale"). It is allocated as pages are read, so a small database never uses it; a
	// large one may use up to Readers × CacheSize. (On the write connections it only made the process
	// larger: 67 MB instead of 35 after 3,000 webhooks.)
	CacheSize int64
}

// Defaults of Options.
const defaultCacheSize = 32 << 20

// backstopPages is the log size at which SQLite checkpoints on commit while a background checkpointer
// runs: only when that has fallen behind (readers keeping the log in use).
const backstopPages = 10000

// Store is a store.Store in one SQLite file. It also implements store.Transactor, store.Pinger and
// io.Closer. It is safe for concurrent use, and several Stores (in one process or several) may open the
// same file: writes are serialised by SQLite with a busy timeout, never failing with SQLITE_BUSY.
type Store struct {
	*sqlstore.Store
	writer, reader *sql.DB
	stmts          *stmtCache
	lock           writeLock
	ckpt           *checkpointer // nil: SQLite checkpoints on commit
	group          groupCommit
	now            func() time.Time
}

var (
	_ store.Store      = (*Store)(nil)
	_ store.Transactor = (*Store)(nil)
	_ store.Pinger     = (*Store)(nil)
)

// dialect is SQLite's sqlstore.Dialect: RETURNING and ON CONFLICT (3.35), row values (3.15); no row locks,
// as write transactions are serialised.
type dialect struct{}

func (dialect) Classify(err error) sqlstore.ErrorKind {
	switch c := code(err); {
	case errors.Is(err, sql.ErrNoRows):
		return sqlstore.NoRows
	case c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.Unique
	case c == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ForeignKey
	}
	return sqlstore.Other
}

func (dialect) Has(f sqlstore.Feature) bool {
	return f == sqlstore.Returning || f == sqlstore.Upsert || f == sqlstore.RowValues
}

func code(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// Open opens (creating it if needed) the SQLite database at path and brings its schema up to date. It
// uses WAL mode, foreign keys and immediate write transactions. Several handles may open one file at the
// same moment, a new file included: each waits for the others to switch it to WAL mode and migrate it.
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
	if o.CheckpointDelay == 0 {
		o.CheckpointDelay = 50 * time.Millisecond
	}
	if o.CacheSize <= 0 {
		o.CacheSize = defaultCacheSize
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
	// No journal_mode here: WAL mode is a property of the file, set below by useWAL (see there why
	// not as a _pragma), and every connection opened after that uses it.
	dsn := func(readOnly bool) string {
		q := url.Values{}
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.BusyTimeout.Milliseconds()))
		q.Add("_pragma", "synchronous("+o.Synchronous+")")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Add("_pragma", fmt.Sprintf("mmap_size(%d)", max(o.MmapSize, 0)))
		if readOnly {
			q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -max(o.CacheSize>>10, 1))) // negative: KiB
			q.Add("_pragma", "query_only(1)")
		} else {
			q.Set("_txlock", "immediate")
			if o.CheckpointDelay > 0 {
				q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", backstopPages))
			}
		}
		return "file:" + path + "?" + q.Encode()
	}
	writer, err := sql.Open("sqlite", dsn(false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// Two connections: one runs writes and transactions, one at a time under writeLock; the other
	// prepares statements meanwhile, so a transaction never waits on a prepare.
	writer.SetMaxOpenConns(2)
	writer.SetMaxIdleConns(2)
	conn, err := writer.Conn(ctx)
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	err = useWAL(ctx, conn, o.BusyTimeout, o.Synchronous)
	conn.Close() // back to the pool
	if err != nil {
		writer.Close()
		return nil, err
	}
	lock := newWriteLock()
	if err := migrate(ctx, writer, lock); err != nil {
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
	var ckpt *checkpointer
	if o.CheckpointDelay > 0 {
		if ckpt, err = startCheckpointer(dsn(false), lock, o.CheckpointDelay); err != nil {
			reader.Close()
			writer.Close()
			return nil, err
		}
	}
	s := &Store{writer: writer, reader: reader, stmts: &stmtCache{}, lock: lock, ckpt: ckpt, now: o.Now}
	if s.now == nil {
		s.now = time.Now
	}
	s.group.s = s
	s.Store = sqlstore.New(&pool{writer: writer, reader: reader, stmts: s.stmts, lock: lock, ckpt: ckpt}, s.runTx, dialect{},
		&sqlstore.Options{Now: o.Now})
	return s, nil
}

// useWAL puts the database in WAL mode, on conn, waiting up to timeout for other connections.
//
// The switch cannot rely on the busy timeout: SQLite runs PRAGMA journal_mode=WAL on a file still in
// rollback-journal mode (a new file) as a read transaction that it then upgrades to a write, to mark the
// file as WAL, and SQLite never calls the busy handler for such an upgrade. When another connection
// switches the same new file, or writes it, at that moment, the pragma fails at once with SQLITE_BUSY
// whatever busy_timeout says. So it is retried, with a backoff, until it succeeds, ctx is done or
// timeout has passed. WAL mode then stays with the file: on a file already in WAL mode the pragma only
// reads, and every connection opened later uses WAL without being told.
//
// The switch commits through a rollback journal, so it runs at synchronous=FULL, SQLite's default;
// synchronous is then set back to the given setting.
func useWAL(ctx context.Context, conn *sql.Conn, timeout time.Duration, synchronous string) error {
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous=FULL"); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	deadline := time.Now().Add(timeout)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		var mode string
		err := conn.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		if err == nil {
			if !strings.EqualFold(mode, "wal") {
				return fmt.Errorf("sqlite: the database cannot use WAL mode (its journal mode stays %q)", mode)
			}
			break
		}
		if code(err)&0xff != sqlite3.SQLITE_BUSY || ctx.Err() != nil {
			return fmt.Errorf("sqlite: setting WAL mode: %w", err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("sqlite: setting WAL mode: %w", err)
		}
		t := time.NewTimer(min(delay, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous="+synchronous); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

// migrate applies the embedded migrations in one immediate transaction: a second process starting at the
// same time waits for it, then finds nothing to do.
func migrate(ctx context.Context, writer *sql.DB, lock writeLock) error {
	if err := lock.acquire(ctx); err != nil {
		return err
	}
	defer lock.release()
	tx, err := writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrating: %w", err)
	}
	defer tx.Rollback()
	if _, err := sqlstore.Migrate(ctx, &txDB{tx: tx, writer: writer}, migrationFiles()); err != nil {
		return err
	}
	return tx.Commit()
}

// runTx runs the Store's transactions (its RunInTx): immediate transactions on the write connection, one
// at a time, those that wait at the same time sharing a commit (groupCommit).
func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context, tx sqlstore.DB) error) error {
	return s.group.run(ctx, fn)
}

// Ping implements store.Pinger.
func (s *Store) Ping(ctx context.Context) error { return s.writer.PingContext(ctx) }

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.ckpt.close(), s.stmts.close(), s.reader.Close(), s.writer.Close())
}

// pool sends reads to the reader pool and everything else to the single writer, through prepared
// statements: msgkit's queries are a fixed set, and parsing them anew each time would cost more than
// running them.
type pool struct {
	writer, reader *sql.DB
	stmts          *stmtCache
	lock           writeLock
	ckpt           *checkpointer
}

func isRead(query string) bool { return strings.HasPrefix(strings.TrimSpace(query), "SELECT") }

func (p *pool) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	st, err := p.stmts.get(ctx, p.writer, query)
	if err != nil {
		return 0, err
	}
	if err := p.lock.acquire(ctx); err != nil {
		return 0, err
	}
	defer p.lock.release()
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	p.ckpt.wrote()
	return res.RowsAffected()
}

func (p *pool) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	if isRead(query) {
		st, err := p.stmts.get(ctx, p.reader, query)
		if err != nil {
			return nil, err
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, err
		}
		return sqlRows{Rows: rows}, nil
	}
	st, err := p.stmts.get(ctx, p.writer, query)
	if err != nil {
		return nil, err
	}
	if err := p.lock.acquire(ctx); err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		p.lock.release()
		return nil, err
	}
	return sqlRows{Rows: rows, done: p.released}, nil
}

// released ends a write outside a transaction.
func (p *pool) released() {
	p.lock.release()
	p.ckpt.wrote()
}

func (p *pool) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	if isRead(query) {
		st, err := p.stmts.get(ctx, p.reader, query)
		if err != nil {
			return errRow{err}
		}
		return st.QueryRowContext(ctx, args...)
	}
	st, err := p.stmts.get(ctx, p.writer, query)
	if err != nil {
		return errRow{err}
	}
	if err := p.lock.acquire(ctx); err != nil {
		return errRow{err}
	}
	return lockedRow{row: st.QueryRowContext(ctx, args...), done: p.released}
}

// txDB runs statements in a transaction, on the write connection's prepared statements (or, with no
// cache, statements prepared in the transaction).
type txDB struct {
	tx     *sql.Tx
	writer *sql.DB
	stmts  *stmtCache
}

func (t *txDB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if t.stmts == nil { // migrating: tables made in this transaction cannot be prepared elsewhere
		return t.tx.PrepareContext(ctx, strings.ReplaceAll(query, "$", "?"))
	}
	st, err := t.stmts.get(ctx, t.writer, query)
	if err != nil {
		return nil, err
	}
	return t.tx.StmtContext(ctx, st), nil
}

func (t *txDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *txDB) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{Rows: rows}, nil
}

func (t *txDB) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// sqlRows adapts *sql.Rows; done, if set, runs once the rows are closed (releasing the write lock).
type sqlRows struct {
	*sql.Rows
	done func()
}

func (r sqlRows) Close() {
	_ = r.Rows.Close()
	if r.done != nil {
		r.done()
	}
}

// lockedRow releases the write lock once its row is scanned.
type lockedRow struct {
	row  *sql.Row
	done func()
}

func (r lockedRow) Scan(dest ...any) error {
	defer r.done()
	return r.row.Scan(dest...)
}

// writeLock serialises this Store's writes, so they queue in Go (honouring their contexts) instead of
// waiting in SQLite's busy handler. Other processes on the same file still meet the busy timeout.
type writeLock chan struct{}

func newWriteLock() writeLock { return make(writeLock, 1) }

func (l writeLock) acquire(ctx context.Context) error {
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l writeLock) release() { <-l }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// stmtCache holds a Store's prepared statements, per database, in SQLite's ?1 parameter style.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[stmtKey]*sql.Stmt
}

type stmtKey struct {
	db    *sql.DB
	query string
}

func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := stmtKey{db, query}
	if st, ok := c.stmts[k]; ok {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, strings.ReplaceAll(query, "$", "?"))
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = map[stmtKey]*sql.Stmt{}
	}
	c.stmts[k] = st
	return st, nil
}

// close closes every statement.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, st := range c.stmts {
		errs = append(errs, st.Close())
	}
	c.stmts = nil
	return errors.Join(errs...)
}
