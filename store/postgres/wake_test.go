package postgres_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/postgres"
)

// Bounds of the wake tests: a wake must come within soon (a notification takes milliseconds), and none
// may come within quiet when nothing that commits made a job due. No test polls: only a notification (or
// the listener's reconnection) can explain a wake.
const (
	soon  = 5 * time.Second
	quiet = 300 * time.Millisecond
)

// woken waits for a wake on c, failing after soon.
func woken(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(soon):
		t.Fatalf("no wake within %v after %s", soon, what)
	}
}

// notWoken fails if c wakes within quiet.
func notWoken(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
		t.Fatalf("woken after %s", what)
	case <-time.After(quiet):
	}
}

// listening subscribes to s's wakes and waits for the wake its listener gives once it listens.
func listening(t *testing.T, s *postgres.Store) <-chan struct{} {
	t.Helper()
	c, stop := s.WatchJobs()
	t.Cleanup(stop)
	woken(t, c, "subscribing")
	return c
}

// listenerPIDs returns the backends listening for the jobs of schema.
func listenerPIDs(t *testing.T, schema string) []int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn(t))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT pid FROM pg_stat_activity WHERE application_name = 'msgkit job listener'
		AND query = $1`, `LISTEN "msgkit_jobs.`+schema+`"`)
	require.NoError(t, err)
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	require.NoError(t, err)
	return pids
}

// Issue 18: a job enqueued due now by one Store wakes another on the schema (as another process would be),
// whether enqueued alone or in a transaction, once it commits; a job due later, a coalesced one, and one
// rolled back wake nobody.
func TestJobEnqueuedElsewhereWakes(t *testing.T) {
	schema := newSchema(t)
	a, b := open(t, schema, nil), open(t, schema, nil)
	ctx := t.Context()
	wake := listening(t, b)

	_, _, err := a.EnqueueJob(ctx, store.Job{Kind: "send", Key: "k"})
	require.NoError(t, err)
	woken(t, wake, "a job was enqueued")

	_, created, err := a.EnqueueJob(ctx, store.Job{Kind: "send", Key: "k"})
	require.NoError(t, err)
	require.False(t, created)
	notWoken(t, wake, "a job was coalesced with a pending one")

	_, _, err = a.EnqueueJob(ctx, store.Job{Kind: "snooze", NextAttemptAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	notWoken(t, wake, "a job due in an hour was enqueued")

	errRollback := errors.New("roll back")
	err = a.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
		if _, _, err := tx.EnqueueJob(ctx, store.Job{Kind: "send"}); err != nil {
			return err
		}
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	notWoken(t, wake, "a transaction that enqueued a job rolled back")

	enqueued := make(chan struct{})
	commit := make(chan struct{})
	release := sync.OnceFunc(func() { close(commit) })
	defer release() // should the test fail while the transaction waits
	done := make(chan error, 1)
	go func() {
		done <- a.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
			if _, _, err := tx.EnqueueJob(ctx, store.Job{Kind: "send"}); err != nil {
				return err
			}
			close(enqueued)
			<-commit
			return nil
		})
	}()
	<-enqueued
	notWoken(t, wake, "a job was enqueued in a transaction that has not committed")
	release()
	require.NoError(t, <-done)
	woken(t, wake, "the transaction committed")
}

// Issue 18: a job released to run now (a worker shutting down hands it back) wakes the other instances;
// one retried later does not.
func TestJobReleasedNowWakes(t *testing.T) {
	schema := newSchema(t)
	a, b := open(t, schema, nil), open(t, schema, nil)
	ctx := t.Context()
	_, _, err := a.EnqueueJob(ctx, store.Job{Kind: "send"})
	require.NoError(t, err)
	_, _, err = a.EnqueueJob(ctx, store.Job{Kind: "send"})
	require.NoError(t, err)
	wake := listening(t, b)
	jobs, err := a.ClaimJobs(ctx, 2, time.Minute)
	require.NoError(t, err)
	require.Len(t, jobs, 2)

	require.NoError(t, a.RetryJob(ctx, jobs[0].ID, jobs[0].Lease, time.Now().Add(time.Hour), "backoff"))
	notWoken(t, wake, "a job was retried in an hour")
	require.NoError(t, a.RetryJob(ctx, jobs[1].ID, jobs[1].Lease, time.Now(), "interrupted"))
	woken(t, wake, "a job was released to run now")
}

// Issue 18: when the listener's connection is killed, the Store reconnects, wakes its subscribers (jobs
// may have become due while it did not listen) and is woken by notifications again.
func TestListenerReconnects(t *testing.T) {
	schema := newSchema(t)
	a, b := open(t, schema, nil), open(t, schema, nil)
	ctx := t.Context()
	wake := listening(t, b)
	pids := listenerPIDs(t, schema)
	require.Len(t, pids, 1)

	for round := range 3 {
		conn, err := pgx.Connect(ctx, dsn(t))
		require.NoError(t, err)
		var killed bool
		require.NoError(t, conn.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pids[0]).Scan(&killed))
		conn.Close(ctx)
		require.True(t, killed)
		_, _, err = a.EnqueueJob(ctx, store.Job{Kind: "send"}) // while nobody listens, perhaps
		require.NoError(t, err)
		woken(t, wake, "the listener was killed and a job enqueued")
		require.Eventually(t, func() bool {
			now := listenerPIDs(t, schema)
			if len(now) == 1 && now[0] != pids[0] {
				pids = now
				return true
			}
			return false
		}, soon, 10*time.Millisecond, "round %d: no new listener", round)
		select { // the reconnection's wake and the notification may have been one, or two
		case <-wake:
		case <-time.After(quiet):
		}
		_, _, err = a.EnqueueJob(ctx, store.Job{Kind: "send"})
		require.NoError(t, err)
		woken(t, wake, "a job was enqueued after the listener reconnected")
	}
}

// Issue 18: Close stops the listener: its connection ends, its goroutine returns, and subscribers are
// woken no more.
func TestCloseStopsListener(t *testing.T) {
	schema := newSchema(t)
	a := open(t, schema, nil)
	b, err := postgres.Open(t.Context(), dsn(t), &postgres.Options{Schema: schema})
	require.NoError(t, err)
	wake, stop := b.WatchJobs()
	defer stop()
	woken(t, wake, "subscribing")
	require.Len(t, listenerPIDs(t, schema), 1)

	require.NoError(t, b.Close())
	require.False(t, listenerRuns(), "the listener's goroutine outlived Close")
	require.Eventually(t, func() bool { return len(listenerPIDs(t, schema)) == 0 }, soon, 10*time.Millisecond,
		"the listener's connection outlived Close")
	_, _, err = a.EnqueueJob(t.Context(), store.Job{Kind: "send"})
	require.NoError(t, err)
	notWoken(t, wake, "a job was enqueued after Close")

	// A Store closed before anyone subscribed never listens; one subscribing after Close is never woken.
	c := open(t, schema, nil)
	require.NoError(t, c.Close())
	wake, stop = c.WatchJobs()
	defer stop()
	require.False(t, listenerRuns(), "a closed Store started a listener")
	notWoken(t, wake, "subscribing to a closed Store")
}

// listenerRuns reports whether a Store's listener goroutine is running.
func listenerRuns() bool {
	buf := make([]byte, 1<<20)
	return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "postgres.(*waker).listen")
}
