package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlstore"
)

// roundTrips counts what a pool sends to the server: a statement sent alone is one round trip, and so
// is a batch, however many statements it holds.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (*roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (*roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (*roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// counted returns a Store in a fresh schema whose pool counts its round trips.
func counted(t *testing.T) (*Store, *roundTrips) {
	t.Helper()
	dsn := os.Getenv("MSGKIT_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("MSGKIT_POSTGRES_DSN is not set")
		}
		t.Skip("MSGKIT_POSTGRES_DSN is not set")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "msgkit_test_pipe_" + hex.EncodeToString(b)
	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	require.NoError(t, createSchema(t.Context(), cfg.ConnConfig, schema))
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	count := &roundTrips{}
	cfg.ConnConfig.Tracer = count
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := pool.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		pool.Close()
		require.NoError(t, err)
	})
	s, err := New(t.Context(), pool, nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, count
}

// Find-or-create is one round trip on PostgreSQL, for a new contact or conversation as for an existing one:
// the look-up and the insert are one statement (sqlstore.WritableCTE). An inbound message from a new
// sender took two more round trips before.
func TestFindOrCreateIsOneStatement(t *testing.T) {
	s, count := counted(t)
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, store.Channel{Name: "LINE", Kind: "line", Active: true})
	require.NoError(t, err)

	peer := channel.User("U1")
	calls := func(f func()) int64 {
		before := count.n.Load()
		f()
		return count.n.Load() - before
	}
	var contact store.Contact
	for _, want := range []bool{true, false} {
		var created bool
		n := calls(func() {
			contact, created, err = s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: peer})
			require.NoError(t, err)
		})
		require.Equal(t, want, created)
		require.EqualValues(t, 1, n, "round trips for a contact (created %v)", want)
	}
	for _, want := range []bool{true, false} {
		var conv store.Conversation
		var created bool
		n := calls(func() {
			conv, created, err = s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: contact.ID, Peer: peer})
			require.NoError(t, err)
		})
		require.Equal(t, want, created)
		require.Equal(t, contact.ID, conv.ContactID)
		require.EqualValues(t, 1, n, "round trips for a conversation (created %v)", want)
	}
}

// A transaction spends no round trip of its own: BEGIN travels with its first statement, and the
// inserts sqlstore defers (a new job, an assignment's history) with the statement after them or with
// COMMIT. With pgx.BeginFunc, every count below is two or more higher.
func TestPipelinedTransactionsSpendNoRoundTripOnBeginOrDeferredInserts(t *testing.T) {
	s, count := counted(t)
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, store.Channel{Name: "LINE", Kind: "line", Active: true})
	require.NoError(t, err)
	contact, _, err := s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: channel.User("U1")})
	require.NoError(t, err)
	conv, _, err := s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: contact.ID, Peer: contact.Peer})
	require.NoError(t, err)

	trips := func(what string, want int64, f func(ctx context.Context, tx store.Store) error) {
		t.Helper()
		require.NoError(t, s.RunInTx(ctx, f), what) // once, so that its statements are prepared
		before := count.n.Load()
		require.NoError(t, s.RunInTx(ctx, f), what)
		require.Equal(t, want, count.n.Load()-before, "round trips of %s", what)
	}
	trips("a transaction that sends nothing", 0, func(context.Context, store.Store) error { return nil })
	trips("one read", 2, func(ctx context.Context, tx store.Store) error {
		_, err := tx.GetChannel(ctx, ch.ID)
		return err
	})
	// Jobs recorded claimed, as a Service records its own: a job recorded due costs a NOTIFY after the commit.
	own := store.Job{Kind: "inbound", Lease: "L", LeaseUntil: time.Now().Add(time.Minute)}
	trips("two new jobs", 1, func(ctx context.Context, tx store.Store) error {
		for range 2 {
			if _, _, err := tx.EnqueueJob(ctx, own); err != nil {
				return err
			}
		}
		return nil
	})
	trips("a new job read back", 3, func(ctx context.Context, tx store.Store) error {
		if _, err := tx.GetChannel(ctx, ch.ID); err != nil {
			return err
		}
		j, _, err := tx.EnqueueJob(ctx, own)
		if err != nil {
			return err
		}
		got, err := tx.GetJob(ctx, j.ID)
		require.Equal(t, j, got)
		return err
	})
	to := []string{"agent-1", "agent-2"}
	trips("a read and an assignment", 3, func(ctx context.Context, tx store.Store) error {
		c, err := tx.GetConversation(ctx, conv.ID)
		if err != nil {
			return err
		}
		_, err = tx.AssignConversation(ctx, store.Assignment{ConversationID: conv.ID, From: c.Assignee, To: to[c.Version%2],
			Reason: store.AssignManual})
		return err
	})
	history, err := s.ListAssignments(ctx, conv.ID)
	require.NoError(t, err)
	require.Len(t, history, 2, "each assignment's deferred history row is committed")
}

// A deferred write that fails fails its transaction: the statements after it return its error, the
// commit does too, and nothing the transaction wrote is kept. So does a deferred write whose check
// fails. The connection is usable afterwards.
func TestADeferredWriteThatFailsFailsItsTransaction(t *testing.T) {
	s, _ := counted(t)
	ctx := t.Context()
	kept := rowsTable(t, s)
	insert := func(tx sqlstore.DB, id string) {
		_, err := tx.Exec(ctx, `INSERT INTO rows (id) VALUES ($1)`, id)
		require.NoError(t, err)
	}
	mine := errors.New("the deferred insert failed")
	as := func(error) error { return mine }

	err := runPipeTx(ctx, s.pool, func(ctx context.Context, tx sqlstore.DB) error {
		insert(tx, "kept-only-if-committed")
		tx.(sqlstore.Deferrer).Defer(as, `INSERT INTO rows (id) VALUES ($1)`, "kept-only-if-committed")
		_, err := tx.Exec(ctx, `SELECT 1`)
		require.ErrorIs(t, err, mine, "the next statement reports the deferred write's error, as fail maps it")
		var one int
		require.ErrorIs(t, tx.QueryRow(ctx, `SELECT 1`).Scan(&one), err, "and so does every later one")
		return nil // a caller that ignored it
	})
	require.ErrorIs(t, err, mine, "the commit reports it")
	require.Zero(t, kept(), "nothing of the transaction is kept")

	err = runPipeTx(ctx, s.pool, func(ctx context.Context, tx sqlstore.DB) error {
		insert(tx, "rolled-back")
		tx.(sqlstore.Deferrer).Defer(func(err error) error { return err }, `INSERT INTO no_such_table (id) VALUES ($1)`, "x")
		return nil
	})
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr, "a deferred write the server will not prepare, sent with the COMMIT, fails it")
	require.Equal(t, "42P01", pgErr.Code)
	require.Zero(t, kept(), "nothing of the batch ran")

	err = runPipeTx(ctx, s.pool, func(ctx context.Context, tx sqlstore.DB) error {
		insert(tx, "rolled-back")
		tx.(sqlstore.Deferrer).Defer(as, `INSERT INTO rows (id) VALUES ($1)`, "rolled-back")
		rows, err := tx.Query(ctx, `SELECT 1`)
		require.Nil(t, rows)
		return err
	})
	require.ErrorIs(t, err, mine, "a query after it reports it too")
	require.Zero(t, kept())

	// Reads sent with BEGIN, and deferred writes sent with a query, come back whole.
	require.NoError(t, runPipeTx(ctx, s.pool, func(ctx context.Context, tx sqlstore.DB) error {
		var none int
		require.ErrorIs(t, tx.QueryRow(ctx, `SELECT 1 WHERE false`).Scan(&none), pgx.ErrNoRows)
		insert(tx, "a")
		tx.(sqlstore.Deferrer).Defer(as, `INSERT INTO rows (id) VALUES ($1)`, "b")
		rows, err := tx.Query(ctx, `SELECT id FROM rows ORDER BY id`)
		require.NoError(t, err)
		defer rows.Close()
		var ids []string
		for rows.Next() {
			var id string
			require.NoError(t, rows.Scan(&id))
			ids = append(ids, id)
		}
		require.NoError(t, rows.Err())
		require.Equal(t, []string{"a", "b"}, ids)
		return nil
	}))
	require.Equal(t, 2, kept(), "the connection was left ready for the next transaction")
}

// rowsTable makes a table rows (id TEXT PRIMARY KEY) in s's schema and returns a count of its rows.
func rowsTable(t *testing.T, s *Store) func() int {
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
func TestDeferredWriteFailingInTheCommitBatchFailsTheTransaction(t *testing.T) {
	s, _ := counted(t)
	ctx := t.Context()
	kept := rowsTable(t, s)
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
func TestDeferredRetryErrorIsClassifiedRetry(t *testing.T) {
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
func TestCancelledBeforeCommitKeepsNothing(t *testing.T) {
	s, _ := counted(t)
	kept := rowsTable(t, s)
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
func TestUnscannedRowFailsTheCommit(t *testing.T) {
	s, _ := counted(t)
	ctx := t.Context()
	kept := rowsTable(t, s)
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
func TestBatchedStatementErrorIsReportedOnce(t *testing.T) {
	s, _ := counted(t)
	ctx := t.Context()
	rowsTable(t, s)
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
func TestAStatementsOwnErrorIsNotBlamedOnADeferredWrite(t *testing.T) {
	s, _ := counted(t)
	ctx := t.Context()
	rowsTable(t, s)
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
