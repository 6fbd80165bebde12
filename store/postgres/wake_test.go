package postgres_test

import (
	"context"
	"runtime"
	"strings"
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

// The rules every store.JobWaker follows (wakes across handles, only after commit, only for jobs due now,
// coalescing) are storetest's, run by TestConformance; these are the listener's own.

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
