package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
)

// Bounds of the wake rules: a wake must come within wakeSoon, and none may come within wakeQuiet when no
// committed change made a job due. Nothing in them polls, so only the store can explain a wake.
const (
	wakeSoon  = 5 * time.Second
	wakeQuiet = 300 * time.Millisecond
)

// RunJobWakes checks store.JobWaker, for a store that implements it (the rules skip otherwise): a
// watcher on one handle is woken by jobs made due, and committed, through another handle (as another
// process would hold it, with Harness.Handles), and by nothing else.
func RunJobWakes(t *testing.T, h Harness) {
	wakeRule(t, h, "AJobEnqueuedDueNowWakesAWatcherOfAnotherHandle", func(t *testing.T, a store.Store, w store.JobWaker, wake <-chan struct{}) {
		_, _, err := a.EnqueueJob(t.Context(), store.Job{Kind: "send"})
		require.NoError(t, err)
		woken(t, wake, "a job was enqueued")
	})

	wakeRule(t, h, "AJobDueLaterOrCoalescedWakesNobody", func(t *testing.T, a store.Store, w store.JobWaker, wake <-chan struct{}) {
		_, _, err := a.EnqueueJob(t.Context(), store.Job{Kind: "snooze", NextAttemptAt: T0.Add(time.Hour)})
		require.NoError(t, err)
		notWoken(t, wake, "a job due in an hour was enqueued")
		// A pending job already woke everyone; its twin adds no work.
		_, _, err = a.EnqueueJob(t.Context(), store.Job{Kind: "send", Key: "k"})
		require.NoError(t, err)
		woken(t, wake, "a job was enqueued")
		_, created, err := a.EnqueueJob(t.Context(), store.Job{Kind: "send", Key: "k"})
		require.NoError(t, err)
		require.False(t, created)
		notWoken(t, wake, "a job was coalesced with a pending one")
	})

	wakeRule(t, h, "AJobEnqueuedClaimedWakesNobody", func(t *testing.T, a store.Store, w store.JobWaker, wake <-chan struct{}) {
		// Its enqueuer runs it: no one else can claim it until its lease lapses, and nothing announces that.
		_, created, err := a.EnqueueJob(t.Context(), store.Job{Kind: "send", Lease: "L", LeaseUntil: T0.Add(time.Minute), Attempts: 1})
		require.NoError(t, err)
		require.True(t, created)
		notWoken(t, wake, "a job was enqueued claimed")
	})

	wakeRule(t, h, "AJobEnqueuedInATransactionWakesOnlyOnceItCommits", func(t *testing.T, a store.Store, w store.JobWaker, wake <-chan struct{}) {
		errRollback := errors.New("roll back")
		err := a.RunInTx(t.Context(), func(ctx context.Context, tx store.Store) error {
			if _, _, err := tx.EnqueueJob(ctx, store.Job{Kind: "send"}); err != nil {
				return err
			}
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)
		notWoken(t, wake, "a transaction that enqueued a job rolled back")

		enqueued, commit := make(chan struct{}), make(chan struct{})
		release := sync.OnceFunc(func() { close(commit) })
		defer release() // should the rule fail while the transaction waits
		done := make(chan error, 1)
		go func() {
			done <- a.RunInTx(t.Context(), func(ctx context.Context, tx store.Store) error {
				if _, _, err := tx.EnqueueJob(ctx, store.Job{Kind: "send"}); err != nil {
					return err
				}
				close(enqueued)
				<-commit
				return nil
			})
		}()
		<-enqueued
		select {
		case <-wake:
			t.Fatal("woken before the transaction that enqueued a job committed")
		case <-time.After(wakeQuiet):
		}
		release()
		require.NoError(t, <-done)
		woken(t, wake, "the transaction committed")
	})

	wakeRule(t, h, "AJobReleasedToRunNowWakesOneRetriedLaterDoesNot", func(t *testing.T, a store.Store, w store.JobWaker, wake <-chan struct{}) {
		ctx := t.Context()
		later := func() store.Job {
			j, _, err := a.EnqueueJob(ctx, store.Job{Kind: "send", NextAttemptAt: T0.Add(time.Minute)})
			require.NoError(t, err)
			j, err = a.ClaimJob(ctx, j.ID, time.Hour)
			require.NoError(t, err)
			return j
		}
		j := later()
		require.NoError(t, a.RetryJob(ctx, j.ID, j.Lease, T0.Add(time.Hour), "backoff"))
		j = later()
		require.NoError(t, a.HoldJob(ctx, j.ID, j.Lease, T0.Add(time.Hour), "held"))
		notWoken(t, wake, "jobs were released to run in an hour")
		j = later()
		require.NoError(t, a.RetryJob(ctx, j.ID, j.Lease, T0, "interrupted"))
		woken(t, wake, "a job was released to run now")
	})

	wakeRule(t, h, "ABurstCoalescesIntoOneWakeAndStopEndsTheSubscription", func(t *testing.T, a store.Store, w store.JobWaker, wake <-chan struct{}) {
		other, stop := w.WatchJobs()
		for range 20 {
			_, _, err := a.EnqueueJob(t.Context(), store.Job{Kind: "send"})
			require.NoError(t, err)
		}
		woken(t, wake, "20 jobs were enqueued")
		woken(t, other, "20 jobs were enqueued")
		stop()
		stop() // twice is allowed
		// Late notices of the burst may still come (a loaded machine delivers them in several
		// batches), but far fewer than one per job.
		late := settle(wake, 20)
		require.Less(t, late, 10, "a burst of 20 jobs woke the watcher %d more times", late)
		notWoken(t, wake, "the burst was over")
		_, _, err := a.EnqueueJob(t.Context(), store.Job{Kind: "send"})
		require.NoError(t, err)
		woken(t, wake, "a job was enqueued")
		notWoken(t, other, "a job was enqueued after the subscription stopped")
	})
}

// wakeRule runs a wake rule, in parallel, on two handles of a new store: a records, and f gets b's
// JobWaker and a subscription to it that is known to be live (a job due now, kind "probe", was enqueued
// through a to check it). It skips when the store is not a JobWaker.
func wakeRule(t *testing.T, h Harness, name string, f func(t *testing.T, a store.Store, w store.JobWaker, wake <-chan struct{})) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		hs := handles(t, h, NewClock(T0), 2)
		w, ok := hs[1].(store.JobWaker)
		if !ok {
			t.Skip("the store is not a store.JobWaker")
		}
		wake, stop := w.WatchJobs()
		t.Cleanup(stop)
		// A watcher may start listening after WatchJobs returns (a connection to open), and must then wake
		// (it may have missed jobs): a job enqueued now wakes it either way. Then let wakes in flight arrive.
		_, _, err := hs[0].EnqueueJob(t.Context(), store.Job{Kind: "probe"})
		require.NoError(t, err)
		woken(t, wake, "a job was enqueued")
		settle(wake, 10) // a loaded machine may deliver the probe's notice late
		f(t, hs[0], w, wake)
	})
}

// settle takes the wakes c delivers until a quiet spell of wakeQuiet (at most limit of them), and
// returns how many it took.
func settle(c <-chan struct{}, limit int) int {
	for n := 0; n < limit; n++ {
		select {
		case <-c:
		case <-time.After(wakeQuiet):
			return n
		}
	}
	return limit
}

// woken waits for a wake on c, failing after wakeSoon.
func woken(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(wakeSoon):
		t.Fatalf("no wake within %v after %s", wakeSoon, what)
	}
}

// notWoken fails if c wakes within wakeQuiet.
func notWoken(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
		t.Fatalf("woken after %s", what)
	case <-time.After(wakeQuiet):
	}
}
