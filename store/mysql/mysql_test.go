package mysql_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/mysql"
	"github.com/msgkit/msgkit/store/storetest"
)

// dsn returns the test server's DSN, or skips (fails in CI) when there is none.
func dsn(t testing.TB) string {
	d := os.Getenv("MSGKIT_MYSQL_DSN")
	if d == "" {
		msg := "MSGKIT_MYSQL_DSN is not set: MySQL tests need a MySQL or MariaDB server, e.g.\n" +
			"  MSGKIT_MYSQL_DSN='root@tcp(127.0.0.1:3306)/test' go test ./store/mysql\n" +
			"(bash .ci/run sets it, starting a throwaway server when none runs)."
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return d
}

// server opens a connection pool on the test server, for the tests' own statements.
func server(t testing.TB) *sql.DB {
	db, err := sql.Open("mysql", dsn(t))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// newDatabase creates a fresh database, dropped with everything in it when the test ends, so tests run
// in parallel on one server and leave nothing behind. It returns the DSN of the new database.
func newDatabase(t testing.TB) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "msgkit_test_" + hex.EncodeToString(b)
	db := server(t)
	_, err := db.ExecContext(t.Context(), "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
	})
	cfg, err := gomysql.ParseDSN(dsn(t))
	require.NoError(t, err)
	cfg.DBName = name
	return cfg.FormatDSN()
}

func open(t testing.TB, dsn string, now func() time.Time) *mysql.Store {
	s, err := mysql.Open(context.Background(), dsn, &mysql.Options{Now: now, MaxConns: 8})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func harness() storetest.Harness {
	return storetest.Harness{
		New: func(t *testing.T, now func() time.Time) store.Store {
			return open(t, newDatabase(t), now)
		},
		Handles: func(t *testing.T, now func() time.Time, n int) []store.Store {
			d := newDatabase(t)
			hs := make([]store.Store, n)
			for i := range hs {
				hs[i] = open(t, d, now) // as n instances would: n pools on one database
			}
			return hs
		},
		FairnessAssignments: 250,
	}
}

func TestConformance(t *testing.T) {
	dsn(t)
	storetest.Run(t, harness())
}

// databaseOf returns the database a DSN names.
func databaseOf(t testing.TB, dsn string) string {
	cfg, err := gomysql.ParseDSN(dsn)
	require.NoError(t, err)
	return cfg.DBName
}

// A value longer than its column (identifiers are VARBINARY(255)) is refused with an error, never stored
// cut short, even on a server whose sql_mode would cut it.
func TestOverlongValuesAreRefusedNotCut(t *testing.T) {
	cfg, err := gomysql.ParseDSN(newDatabase(t))
	require.NoError(t, err)
	cfg.Params = map[string]string{"sql_mode": "''"} // a lax server
	s := open(t, cfg.FormatDSN(), nil)
	ch, err := s.CreateChannel(t.Context(), store.Channel{Kind: "line", ExternalID: "1"})
	require.NoError(t, err)
	long := strings.Repeat("U", 256)
	_, _, err = s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: ch.ID, Peer: channel.User(long)})
	require.Error(t, err, "a 256-byte peer ID does not fit")
	_, _, err = s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: ch.ID, Peer: channel.User(long[:255])})
	require.NoError(t, err, "a 255-byte one does")
}
