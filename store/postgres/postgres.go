package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tunes a Store. The zero value (or nil) means the defaults.
type Options struct {
	// Schema is the PostgreSQL schema msgkit's tables live in, so several tenants or test runs can share
	// one database. Open creates it if needed and points its pool's search_path at it. Empty means the
	// connection's current schema (usually public).
	Schema string
	// Now is the store's clock. nil means time.Now.
	Now func() time.Time
}

// Store is a store.Store in PostgreSQL, for several application instances sharing one database: every
// atomic operation (find-or-create, idempotent append, dedup, the round-robin cursor, outbox claims,
// compare-and-set assignment and linking) is done in the database, not in the process. It also implements
// store.Transactor, store.Pinger, store.JobWaker (LISTEN/NOTIFY) and io.Closer. It is safe for concurrent
// use.
type Store struct {
	*sqlstore.Store
	pool    *pgxpool.Pool
	ownPool bool
	waker   *waker
}

var (
	_ store.Store      = (*Store)(nil)
	_ store.Transactor = (*Store)(nil)
	_ store.Pinger     = (*Store)(nil)
	_ store.JobWaker   = (*Store)(nil)
)

// PostgreSQL error codes the store maps to its sentinels.
const (
	codeUnique       = "23505"
	codeForeignKey   = "23503"
	codeSerializable = "40001"
	codeDeadlock     = "40P01"
)

// dialect is PostgreSQL's sqlstore.Dialect: it has every feature, and notifies channel when jobs become
// due.
type dialect struct{ channel string }

func (dialect) Classify(err error) sqlstore.ErrorKind {
	switch c := pgCode(err); {
	case errors.Is(err, pgx.ErrNoRows):
		return sqlstore.NoRows
	case c == codeUnique:
		return sqlstore.Unique
	case c == codeForeignKey:
		return sqlstore.ForeignKey
	case c == codeSerializable || c == codeDeadlock:
		return sqlstore.Retry
	}
	return sqlstore.Other
}

func (dialect) Has(sqlstore.Feature) bool { return true }

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to the database at dsn with its own connection pool, creates Options.Schema if needed and
// brings the schema up to date. Close closes the pool.
//
// The pool's connections use generic plans for every query (SET plan_cache_mode = force_generic_plan
// after connecting; PostgreSQL 12 or later) unless dsn sets plan_cache_mode: pgx prepares every statement, and PostgreSQL would otherwise plan an inbox view
// afresh at every run (a "today" view's custom plan looks cheaper than its generic one), which costs
// more than running it and grows with the table — at 100,000 conversations a "mine today" page took
// 0.85 ms at the median with custom plans, 0.17 ms with generic ones (BENCHMARKS.md, "Inbox views at
// scale"). The generic plans of the views are pinned by the package's plan tests. With New, set the
// parameter in the pool's config (RuntimeParams) for the same effect.
func Open(ctx context.Context, dsn string, opts *Options) (*Store, error) {
	o := options(opts)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, set := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !set {
		// A SET after connecting, not a startup parameter, which poolers such as PgBouncer refuse.
		after := cfg.AfterConnect
		cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
			if after != nil {
				if err := after(ctx, c); err != nil {
					return err
				}
			}
			_, err := c.Exec(ctx, `SET plan_cache_mode = force_generic_plan`)
			return err
		}
	}
	if o.Schema != "" {
		if !schemaName.MatchString(o.Schema) {
			return nil, fmt.Errorf("postgres: schema %q must be a lower-case identifier", o.Schema)
		}
		if err := createSchema(ctx, cfg.ConnConfig, o.Schema); err != nil {
			return nil, err
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = o.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s, err := newStore(ctx, pool, o)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.ownPool = true
	return s, nil
}

// New uses a pool the host already owns and brings the schema up to date; Close leaves the pool open. The
// pool's search_path decides the schema: with Options.Schema set, New checks that it is the pool's
// current schema (set RuntimeParams["search_path"] in the pool's config).
func New(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	o := options(opts)
	if o.Schema != "" {
		var current string
		if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		if current != o.Schema {
			return nil, fmt.Errorf("postgres: the pool's current schema is %q, not %q: set search_path in its config", current, o.Schema)
		}
	}
	return newStore(ctx, pool, o)
}

func options(opts *Options) Options {
	if opts == nil {
		return Options{}
	}
	return *opts
}

func createSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil && pgCode(err) != codeUnique {
		return fmt.Errorf("postgres: creating schema %s: %w", schema, err) // a concurrent CREATE may race: 23505 means it exists
	}
	return nil
}

func newStore(ctx context.Context, pool *pgxpool.Pool, o Options) (*Store, error) {
	var schema string
	if err := pool.QueryRow(ctx, `SELECT coalesce(current_schema(), '')`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool}
	d := dialect{channel: channelFor(schema)}
	s.Store = sqlstore.New(poolDB{pool}, s.runTx, d, &sqlstore.Options{Now: o.Now})
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	cfg := pool.Config().ConnConfig
	cfg.RuntimeParams["application_name"] = listenerName
	s.waker = &waker{channel: d.channel, subs: map[chan struct{}]struct{}{}, done: make(chan struct{}),
		connect: func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg) }}
	return s, nil
}

// migrate applies the embedded migrations in one transaction holding an advisory lock on the schema, so
// instances starting at once apply each migration once.
func (s *Store) migrate(ctx context.Context) error {
	files, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return runPipeTx(ctx, s.pool, func(ctx context.Context, tx sqlstore.DB) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('msgkit migrate ' || current_schema()))`); err != nil {
			return fmt.Errorf("postgres: migration lock: %w", err)
		}
		_, err := sqlstore.Migrate(ctx, tx, files)
		return err
	})
}

// runTx runs the Store's transactions (its RunInTx, which reruns one that fails with a serialization
// failure or deadlock, up to three times in all), pipelined (pipeTx).
func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context, tx sqlstore.DB) error) error {
	return runPipeTx(ctx, s.pool, fn)
}

// Ping implements store.Pinger.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close stops the job listener (see WatchJobs), and closes the pool if Open made it.
func (s *Store) Close() error {
	s.waker.close()
	if s.ownPool {
		s.pool.Close()
	}
	return nil
}

// poolDB runs statements on the pool; pgx prepares and caches each statement per connection.
type poolDB struct{ p *pgxpool.Pool }

func (d poolDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := d.p.Exec(ctx, q, encodeArgs(args)...)
	return tag.RowsAffected(), err
}

func (d poolDB) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	rows, err := d.p.Query(ctx, q, encodeArgs(args)...)
	return textRows{rows}, err
}

func (d poolDB) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return textRow{d.p.QueryRow(ctx, q, encodeArgs(args)...)}
}

// textRows and textRow decode the strings they scan (see encodeText).
type textRows struct{ pgx.Rows }

func (r textRows) Scan(dest ...any) error {
	err := r.Rows.Scan(dest...)
	decodeDest(dest)
	return err
}

type textRow struct{ pgx.Row }

func (r textRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	decodeDest(dest)
	return err
}
