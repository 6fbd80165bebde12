package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/postgres"
	"github.com/msgkit/msgkit/store/storetest"
)

// dsn returns the test database, or skips (fails in CI) when there is none.
func dsn(t testing.TB) string {
	d := os.Getenv("MSGKIT_POSTGRES_DSN")
	if d == "" {
		msg := "MSGKIT_POSTGRES_DSN is not set: PostgreSQL tests need a server, e.g.\n" +
			"  MSGKIT_POSTGRES_DSN='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test ./store/postgres\n" +
			"(bash .ci/run sets it, starting a throwaway server when none runs)."
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return d
}

// newSchema returns a fresh schema name, dropped with everything in it when the test ends, so tests run
// in parallel on one database and leave nothing behind.
func newSchema(t testing.TB) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "msgkit_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn(t))
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return schema
}

func open(t testing.TB, schema string, now func() time.Time) *postgres.Store {
	s, err := postgres.Open(context.Background(), dsn(t), &postgres.Options{Schema: schema, Now: now})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestConformance(t *testing.T) {
	dsn(t)
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T, now func() time.Time) store.Store {
			return open(t, newSchema(t), now)
		},
		Handles: func(t *testing.T, now func() time.Time, n int) []store.Store {
			schema := newSchema(t)
			hs := make([]store.Store, n)
			for i := range hs {
				hs[i] = open(t, schema, now) // as n instances would: n pools on one schema
			}
			return hs
		},
		FairnessAssignments: 250,
	})
}
