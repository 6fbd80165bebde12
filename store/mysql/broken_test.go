package mysql

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"os/exec"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlstore"
	"github.com/msgkit/msgkit/store/storetest"
)

// What the MySQL backend relies on must be what storetest checks: each broken setup below drops one
// thing Open sets up, and the suite must fail the rule that depends on it while an unrelated rule of the
// same runner still passes.
func TestSuiteCatchesBrokenSetups(t *testing.T) {
	if os.Getenv("MSGKIT_MYSQL_DSN") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MSGKIT_MYSQL_DSN is not set")
		}
		t.Skip("MSGKIT_MYSQL_DSN is not set")
	}
	cases := []struct{ broken, runner, fails, passes string }{
		// A duplicate key read as an ordinary error: the insert that loses to an existing key fails.
		{"duplicates-are-errors", "Jobs", "EnqueueCoalescesOnAPendingJobWithTheSameKindAndKey", "FailIsFinal"},
		// No clientFoundRows: an UPDATE that changes nothing counts no row, read as "not found".
		{"changed-rows", "Notifications", "MarkReadIsPerUserAndKeepsTheFirstReadTime", "GetBeforePutIsErrNotFound"},
		// MySQL's default isolation, REPEATABLE READ: a transaction whose insert collides with a concurrent
		// one's cannot see the row it collided with.
		{"snapshot-reads", "Contacts", "ConcurrentFindOrCreateInTransactionsCreatesOne", "ConcurrentFindOrCreateCreatesOne"},
	}
	for _, tc := range cases {
		t.Run(tc.broken, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBrokenSetupFixture$/^"+tc.runner+"$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "MSGKIT_MYSQL_BROKEN="+tc.broken)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the suite must fail against the %s setup; output:\n%s", tc.broken, out)
			prefix := "TestBrokenSetupFixture/" + tc.runner + "/"
			require.Contains(t, string(out), "--- FAIL: "+prefix+tc.fails+" ", "the broken rule must fail")
			require.Contains(t, string(out), "--- PASS: "+prefix+tc.passes+" ", "an unrelated rule must still pass")
		})
	}
}

// TestBrokenSetupFixture runs the suite against the broken setup MSGKIT_MYSQL_BROKEN names; it only runs
// as the child process of TestSuiteCatchesBrokenSetups.
func TestBrokenSetupFixture(t *testing.T) {
	which := os.Getenv("MSGKIT_MYSQL_BROKEN")
	if which == "" {
		t.Skip("runs only as a child of TestSuiteCatchesBrokenSetups")
	}
	su := setup{dialect: Dialect{}, foundRows: true, strict: true, isolation: sql.LevelReadCommitted}
	switch which {
	case "duplicates-are-errors":
		su.dialect = duplicatesAreErrors{}
	case "changed-rows":
		su.foundRows = false
	case "snapshot-reads":
		su.isolation = sql.LevelRepeatableRead
	default:
		t.Fatalf("no broken setup %q", which)
	}
	dsn := os.Getenv("MSGKIT_MYSQL_DSN")
	storetest.Run(t, storetest.Harness{New: func(t *testing.T, now func() time.Time) store.Store {
		s, err := open(context.Background(), testDatabase(t, dsn), &Options{Now: now, MaxConns: 8}, su)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		return s
	}})
}

type duplicatesAreErrors struct{ Dialect }

func (d duplicatesAreErrors) Classify(err error) sqlstore.ErrorKind {
	if k := d.Dialect.Classify(err); k != sqlstore.Unique {
		return k
	}
	return sqlstore.Other
}

// testDatabase creates a fresh database on the server at dsn, dropped when the test ends, and returns
// its DSN.
func testDatabase(t *testing.T, dsn string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "msgkit_test_" + hex.EncodeToString(b)
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.ExecContext(t.Context(), "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name)
	})
	cfg, err := gomysql.ParseDSN(dsn)
	require.NoError(t, err)
	cfg.DBName = name
	return cfg.FormatDSN()
}
