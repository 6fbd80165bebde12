package mysql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tunes a Store. The zero value (or nil) means the defaults.
type Options struct {
	// Now is the store's clock. nil means time.Now.
	Now func() time.Time
	// MaxConns caps the connection pool (default 16): MySQL's max_connections is shared by every
	// instance of the application.
	MaxConns int
	// LockTimeout is how long Open waits for another instance that is migrating the database (default
	// one minute).
	LockTimeout time.Duration
}

// Store is a store.Store in a MySQL or MariaDB database, for several application instances sharing it.
// It also implements store.Transactor, store.Pinger and io.Closer. It is safe for concurrent use.
type Store struct {
	*sqlstore.Store
	db *sql.DB
}

var (
	_ store.Store      = (*Store)(nil)
	_ store.Transactor = (*Store)(nil)
	_ store.Pinger     = (*Store)(nil)
)

// Open connects to the database named in dsn (the driver's DSN, "user:password@tcp(host:3306)/dbname")
// and brings its schema up to date. It sets the connection options the store relies on (clientFoundRows,
// so that an UPDATE counts the rows it matched; STRICT_ALL_TABLES added to sql_mode, so that a value too
// long for its column is refused rather than cut; client-side parameter interpolation, saving a round
// trip per statement); the rest of dsn is used as given. Close closes the pool.
func Open(ctx context.Context, dsn string, opts *Options) (*Store, error) {
	return open(ctx, dsn, opts, setup{dialect: Dialect{}, foundRows: true, strict: true, isolation: sql.LevelReadCommitted})
}

// setup is what Open relies on; broken_test.go breaks one part at a time to show that storetest notices.
type setup struct {
	dialect   sqlstore.Dialect
	foundRows bool
	strict    bool
	isolation sql.IsolationLevel
}

func open(ctx context.Context, dsn string, opts *Options, su setup) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Minute
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	if cfg.DBName == "" {
		return nil, errors.New("mysql: the DSN names no database")
	}
	cfg.ClientFoundRows = su.foundRows
	if su.strict {
		// A value too long for its column is an error, never silently cut, whatever the server's sql_mode.
		mode := "@@sql_mode"
		if v, ok := cfg.Params["sql_mode"]; ok {
			mode = v
		}
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params["sql_mode"] = "CONCAT(" + mode + ", ',STRICT_ALL_TABLES')"
	}
	cfg.InterpolateParams = true
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(o.MaxConns)
	db.SetMaxIdleConns(o.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := migrate(ctx, db, o.LockTimeout); err != nil {
		db.Close()
		return nil, err
	}
	tx := sqlstore.NewSQLTx(db, &sql.TxOptions{Isolation: su.isolation}, rebind)
	return &Store{Store: sqlstore.New(sqlstore.NewSQLDB(db, rebind), tx, su.dialect, &sqlstore.Options{Now: o.Now}), db: db}, nil
}

// migrate applies the embedded migrations on one connection holding a named lock on the database, so
// instances starting at once apply each migration once. MySQL commits DDL as it runs it: a migration
// that fails halfway stays half applied, and is not recorded, so the next Open retries it and stops at
// the statement that already ran; the migrations are written so that this cannot happen with valid DDL.
func migrate(ctx context.Context, db *sql.DB, timeout time.Duration) error {
	files, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("mysql: %w", err)
	}
	defer conn.Close()
	const lock = `CONCAT('msgkit migrate ', DATABASE())`
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK(`+lock+`, ?)`, int(timeout.Seconds())).Scan(&got); err != nil {
		return fmt.Errorf("mysql: migration lock: %w", err)
	}
	if got.Int64 != 1 {
		return fmt.Errorf("mysql: migration lock: another instance held it for %v", timeout)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT RELEASE_LOCK(`+lock+`)`) }()
	_, err = sqlstore.Migrate(ctx, sqlstore.NewSQLDB(conn, rebind), files)
	return err
}

// Ping implements store.Pinger.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

// rebind turns the layer's $1 parameters into ?, and its strings into bytes: every text column is
// binary, and a string sent as text would be checked against the connection's character set (which
// refuses invalid UTF-8).
func rebind(query string, args []any) (string, []any) {
	query, args = sqlstore.Positional(query, args)
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = []byte(s)
		}
	}
	return query, args
}
