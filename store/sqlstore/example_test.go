package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlstore"
)

// portable is a complete Dialect: what the database's errors mean, and which SQL features it has. This
// one declares none (no RETURNING, no ON CONFLICT, no row values, no row locks), so the layer uses only
// portable SQL in transactions: the form a new database can start with. Declaring a feature later makes
// the same calls take fewer statements.
type portable struct{}

func (portable) Classify(err error) sqlstore.ErrorKind {
	var e *sqlite.Error
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return sqlstore.NoRows
	case !errors.As(err, &e):
		return sqlstore.Other
	case e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.Unique
	case e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ForeignKey
	case e.Code()&0xff == sqlite3.SQLITE_BUSY:
		return sqlstore.Retry
	}
	return sqlstore.Other
}

func (portable) Has(sqlstore.Feature) bool { return false }

// A SQL backend is a Dialect plus its migrations: here SQLite through database/sql, with the portable
// dialect above and store/sqlite's migration files. (SQLite takes $1 parameters as they are; a driver
// that wants ? passes sqlstore.Positional as the Rebind.)
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sqlstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "msgkit.db")+"?_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // SQLite has one writer: one connection, so transactions never meet SQLITE_BUSY

	// Migrations: the backend's own files, applied under the backend's own lock (one connection here).
	version, err := sqlstore.Migrate(ctx, sqlstore.NewSQLDB(db, nil), os.DirFS("../sqlite/migrations"))
	if err != nil {
		log.Fatal(err)
	}

	s := sqlstore.New(sqlstore.NewSQLDB(db, nil), sqlstore.NewSQLTx(db, nil, nil), portable{}, nil)
	var s2 store.Store = s // every store interface, transactions included
	ch, err := s2.CreateChannel(ctx, store.Channel{Name: "Support", Kind: "line", ExternalID: "2000000001"})
	if err != nil {
		log.Fatal(err)
	}
	_, created, err := s2.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: channel.User("U1")})
	if err != nil {
		log.Fatal(err)
	}
	_, again, err := s2.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: channel.User("U1")})
	if err != nil {
		log.Fatal(err)
	}
	_, err = s2.CreateChannel(ctx, store.Channel{Name: "Copy", Kind: "line", ExternalID: "2000000001"})
	fmt.Println("migrated:", version > 0)
	fmt.Println("contact created:", created, "then found:", !again)
	fmt.Println("same account again is ErrAlreadyExists:", errors.Is(err, store.ErrAlreadyExists))
	// Output:
	// migrated: true
	// contact created: true then found: true
	// same account again is ErrAlreadyExists: true
}
