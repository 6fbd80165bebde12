package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store/sqlstore"
)

// reviewTable makes a table rows (id TEXT PRIMARY KEY) in s's schema and returns a count of its rows.
func reviewTable(t *testing.T, s *Store) func() int {
	t.Helper()
	ctx := t.Context()
	_, err := s.pool.Exec(ctx, `CREATE TABLE rows (id TEXT PRIMARY KEY)`)
	require.NoError(t, err)
	return func() int {
		var n int
		require.NoError(t, s.pool.QueryRow(ctx, `SELECT count(*) FROM rows`).Scan(&n))
		return n
	}
}

// A deferred write that fails when it runs (not when it is prepared) in the batch of the COMMIT: the
// server skips the COMMIT, the transaction reports the write's error and keeps nothing, and the
// connection goes back to the pool clean (not destroyed).
func TestReviewDeferredWriteFailingInTheCommitBatchFailsTheTransaction(t *testing.T) {
	s, _ := counted(t)
	ctx := t.Context()
	kept := reviewTable(t, s)
	wrap := func(err error) error { return fmt.Errorf("job x: %w", err) }
	for _, first := range []bool{true, false} { // BEGIN in the batch of the COMMIT, or sent before
		t.Run(fmt.Sprint("begun=", !first), func(t *testing.T) {
			before := s.pool.Stat().NewConnsCount()
			err := runPipeTx(ctx, s.pool, func(ctx context.Context, tx sqlstore.DB) error {
				if !first {
					_, err := tx.Exec(ctx, `INSERT INTO rows (id) VALUES ($1)`, "a")
					require.NoError(t, err)
				} else {
					tx.(sqlstore.Deferrer).Defer(wrap, `INSERT INTO rows (id) VALUES ($1)`, "a")
				}
				tx.(sqlstore.Deferrer).Defer(wrap, `INSERT INTO rows (id) VALUES ($1)`, "a") // a duplicate: fails when run
				return nil
			})
			var pgErr *pgconn.PgError
			require.ErrorAs(t, err, &pgErr)
			require.Equal(t, codeUnique, pgErr.Code)
			require.Zero(t, kept())
			require.Equal(t, before, s.pool.Stat().NewConnsCount(), "the connection was rolled back and pooled, not destroyed")
		})
	}
}

// A serialization failure or deadlock raised by a deferred write is classified Retry, whether a later
// statement or the commit reports it.
func TestReviewDeferredRetryErrorIsClassifiedRetry(t *testing.T) {
	s, _ := counted(t)
	ctx := t.Context()
	_, err := s.pool.Exec(ctx, `CREATE FUNCTION fail_serialization(x text) RETURNS text LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'could not serialize' USING ERRCODE = '40001'; END $$`)
	require.NoError(t, err)
	wrap := func(err error) error { return fmt.Errorf("job x: %w", err) }
	for _, later := range []bool{true, false} {
		err := runPipeTx(ctx, s.pool, func(ctx context.Context, tx sqlstore.DB) error {
			tx.(sqlstore.Deferrer).Defer(wrap, `SELECT fail_serialization($1)`, "x")
			if later {
				_, err := tx.Exec(ctx, `SELECT 1`)
				return fmt.Errorf("conversation y: %w", err)
			}
			return nil
		})
		require.Equal(t, sqlstore.Retry, dialect{}.Classify(err), "later=%v: %v", later, err)
	}
}

// A transaction whose context ends after its statements but before the commit keeps nothing, and the
// pool still serves.
func TestReviewCancelledBeforeCommitKeepsNothing(t *testing.T) {
	s, _ := counted(t)
	kept := reviewTable(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	err := runPipeTx(ctx, s.pool, func(ctx context.Context, tx sqlstore.DB) error {
		_, err := tx.Exec(ctx, `INSERT INTO rows (id) VALUES ($1)`, "a")
		require.NoError(t, err)
		tx.(sqlstore.Deferrer).Defer(func(err error) error { return err }, `INSERT INTO rows (id) VALUES ($1)`, "b")
		cancel()
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Zero(t, kept())
}

// A row a caller never scans leaves its batch open; the commit then fails rather than report success.
func TestReviewUnscannedRowFailsTheCommit(t *testing.T) {
	s, _ := counted(t)
	ctx := t.Context()
	kept := reviewTable(t, s)
	err := runPipeTx(ctx, s.pool, func(ctx context.Context, tx sqlstore.DB) error {
		_, err := tx.Exec(ctx, `INSERT INTO rows (id) VALUES ($1)`, "a")
		require.NoError(t, err)
		tx.(sqlstore.Deferrer).Defer(func(err error) error { return err }, `INSERT INTO rows (id) VALUES ($1)`, "b")
		_ = tx.QueryRow(ctx, `SELECT 1`) // never scanned
		return nil
	})
	require.Error(t, err)
	require.Zero(t, kept())
	require.NoError(t, runPipeTx(ctx, s.pool, func(ctx context.Context, tx sqlstore.DB) error {
		_, err := tx.Exec(ctx, `INSERT INTO rows (id) VALUES ($1)`, "c")
		return err
	}))
	require.Equal(t, 1, kept())
}

// An error a statement sent in a batch returns names the database's error once.
func TestReviewBatchedStatementErrorIsReportedOnce(t *testing.T) {
	s, _ := counted(t)
	ctx := t.Context()
	reviewTable(t, s)
	_, err := s.pool.Exec(ctx, `INSERT INTO rows (id) VALUES ('a')`)
	require.NoError(t, err)
	err = runPipeTx(ctx, s.pool, func(ctx context.Context, tx sqlstore.DB) error {
		_, err := tx.Exec(ctx, `INSERT INTO rows (id) VALUES ($1)`, "a") // sent with BEGIN
		return err
	})
	require.Error(t, err)
	require.Equal(t, 1, strings.Count(err.Error(), "SQLSTATE 23505"), "error text: %q", err.Error())
}

// A statement of the caller's that the server refuses to prepare is the caller's error: nothing of the
// batch ran, so it is not a failure of the deferred write that happened to be sent with it.
func TestReviewAStatementsOwnErrorIsNotBlamedOnADeferredWrite(t *testing.T) {
	s, _ := counted(t)
	ctx := t.Context()
	reviewTable(t, s)
	mine := errors.New("the deferred insert failed")
	err := runPipeTx(ctx, s.pool, func(ctx context.Context, tx sqlstore.DB) error {
		_, err := tx.Exec(ctx, `INSERT INTO rows (id) VALUES ($1)`, "a")
		require.NoError(t, err)
		tx.(sqlstore.Deferrer).Defer(func(error) error { return mine }, `INSERT INTO rows (id) VALUES ($1)`, "b")
		_, err = tx.Exec(ctx, `SELECT no_such_column FROM rows`)
		require.NotErrorIs(t, err, mine, "the deferred write did not fail: %v", err)
		var pgErr *pgconn.PgError
		require.ErrorAs(t, err, &pgErr)
		require.Equal(t, "42703", pgErr.Code)
		return err
	})
	require.Error(t, err)
}
