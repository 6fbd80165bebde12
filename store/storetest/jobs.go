package storetest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
)

// RunJobs checks store.Jobs.
func RunJobs(t *testing.T, h Harness) {
	job := func(key string) store.Job {
		return store.Job{Kind: "send", Payload: json.RawMessage(`{"retryKey":"` + key + `","messageIds":["m1","m2"]}`)}
	}
	enqueue := func(t *testing.T, s store.Store, j store.Job) store.Job {
		t.Helper()
		got, created, err := s.EnqueueJob(t.Context(), j)
		require.NoError(t, err)
		require.True(t, created, "a job without a pending twin is created")
		return got
	}
	const lease = time.Minute

	rule(t, h, "EnqueueStoresAPendingJobDueNow", func(t *testing.T, fx fixture) {
		in := job("k1")
		in.Key, in.LastError = "conv-1", "carried over"
		j := enqueue(t, fx.s, in)
		require.NotEmpty(t, j.ID)
		require.Equal(t, store.JobPending, j.Status)
		require.Equal(t, T0, j.NextAttemptAt, "a zero NextAttemptAt means now")
		require.Zero(t, j.Attempts)
		got, err := fx.s.GetJob(t.Context(), j.ID)
		require.NoError(t, err)
		require.Equal(t, j, got)
		in.ID, in.Status, in.NextAttemptAt, in.RetrySince, in.CreatedAt, in.UpdatedAt = j.ID, store.JobPending, T0, T0, T0, T0
		require.Equal(t, in, got, "every field must round-trip")
		require.JSONEq(t, string(in.Payload), string(got.Payload))
	})

	rule(t, h, "EnqueueInATransactionReturnsTheJobAsStored", func(t *testing.T, fx fixture) {
		// As msgkit records the work of an event: no ID or key of the caller's, in the event's
		// transaction. A backend may send such an insert later (sqlstore.Deferrer); what it returns must
		// still be the row it stores.
		plain := job("k1")
		plain.LastError = "carried over"
		leased := job("k2")
		leased.Lease, leased.LeaseUntil, leased.Attempts = "L", T0.Add(lease), 1
		later := job("k3")
		later.NextAttemptAt = T0.Add(time.Hour)
		for _, in := range []store.Job{plain, leased, later, {Kind: "send"}} {
			var j store.Job
			require.NoError(t, fx.s.RunInTx(t.Context(), func(ctx context.Context, tx store.Store) error {
				var created bool
				var err error
				j, created, err = tx.EnqueueJob(ctx, in)
				require.NoError(t, err)
				require.True(t, created)
				got, err := tx.GetJob(ctx, j.ID)
				require.NoError(t, err, "the transaction reads its own job")
				require.Equal(t, j, got, "the job returned is the job stored")
				return nil
			}))
			got, err := fx.s.GetJob(t.Context(), j.ID)
			require.NoError(t, err)
			require.Equal(t, j, got, "the job returned is the job committed")
		}
	})

	rule(t, h, "EnqueueWithALeaseStoresItClaimed", func(t *testing.T, fx fixture) {
		claimed := func(key, l string) store.Job {
			in := job(key)
			in.Lease, in.LeaseUntil, in.Attempts = l, T0.Add(lease), 1
			return in
		}
		run := enqueue(t, fx.s, claimed("k1", "L"))
		require.Equal(t, store.JobPending, run.Status)
		require.Equal(t, "L", run.Lease, "the enqueuer's lease is stored")
		require.Equal(t, T0.Add(lease), run.LeaseUntil)
		require.Equal(t, 1, run.Attempts, "Attempts is stored as given")
		require.Equal(t, T0, run.NextAttemptAt)
		got, err := fx.s.GetJob(t.Context(), run.ID)
		require.NoError(t, err)
		require.Equal(t, run, got)
		lapse := enqueue(t, fx.s, claimed("k2", "L2"))
		none, err := fx.s.ClaimJobs(t.Context(), 10, lease)
		require.NoError(t, err)
		require.Empty(t, none, "jobs enqueued claimed are not claimed by others while their lease lasts")
		_, err = fx.s.ClaimJob(t.Context(), run.ID, lease)
		require.ErrorIs(t, err, store.ErrConflict, "nor can ClaimJob take one")
		require.NoError(t, fx.s.CompleteJob(t.Context(), run.ID, "L"), "the enqueuer completes it with its lease")
		got, err = fx.s.GetJob(t.Context(), run.ID)
		require.NoError(t, err)
		require.Equal(t, store.JobDone, got.Status)

		fx.clock.Advance(lease) // the enqueuer died without finishing
		taken, err := fx.s.ClaimJobs(t.Context(), 10, lease)
		require.NoError(t, err)
		require.Equal(t, []string{lapse.ID}, cursorIDs(taken), "once the enqueuer's lease lapses, any worker claims the job")
		require.NotEqual(t, "L2", taken[0].Lease, "the claim has a fresh lease")
		require.Equal(t, T0.Add(2*lease), taken[0].LeaseUntil)
		require.Equal(t, 2, taken[0].Attempts, "the claim at enqueue counted as the first attempt")
		require.ErrorIs(t, fx.s.CompleteJob(t.Context(), lapse.ID, "L2"), store.ErrConflict, "the lapsed lease is not held")

		in := job("k3")
		in.Kind, in.Key = "profile", "contact-1"
		pending := enqueue(t, fx.s, in)
		in.Lease, in.LeaseUntil, in.Attempts = "L3", fx.clock.Now().Add(lease), 1
		again, created, err := fx.s.EnqueueJob(t.Context(), in)
		require.NoError(t, err)
		require.False(t, created, "a claimed enqueue coalesces with a pending job like any other")
		require.Equal(t, pending, again, "the pending job is returned as it is, not under the caller's lease")
		require.ErrorIs(t, fx.s.CompleteJob(t.Context(), pending.ID, "L3"), store.ErrConflict, "the caller did not claim the job it coalesced with")
	})

	rule(t, h, "EnqueueWithOnlyOneOfLeaseAndLeaseUntilIsAnError", func(t *testing.T, fx fixture) {
		half := job("k1")
		half.Lease = "L"
		_, _, err := fx.s.EnqueueJob(t.Context(), half)
		require.Error(t, err, "a lease without LeaseUntil")
		require.NotErrorIs(t, err, store.ErrConflict, "a malformed job is not a conflict")
		half = job("k2")
		half.LeaseUntil = T0.Add(lease)
		_, _, err = fx.s.EnqueueJob(t.Context(), half)
		require.Error(t, err, "a LeaseUntil without a lease")
		require.NotErrorIs(t, err, store.ErrConflict, "a malformed job is not a conflict")
		all, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{}, store.Page{})
		require.NoError(t, err)
		require.Empty(t, all, "nothing is stored")
	})

	rule(t, h, "EnqueueWithTakenIDIsErrAlreadyExists", func(t *testing.T, fx fixture) {
		in := job("k1")
		in.ID = "fixed"
		enqueue(t, fx.s, in)
		_, _, err := fx.s.EnqueueJob(t.Context(), in)
		require.ErrorIs(t, err, store.ErrAlreadyExists)
	})

	rule(t, h, "EnqueueCoalescesOnAPendingJobWithTheSameKindAndKey", func(t *testing.T, fx fixture) {
		in := job("a")
		in.Kind, in.Key = "profile", "contact-1"
		first := enqueue(t, fx.s, in)
		again, created, err := fx.s.EnqueueJob(t.Context(), in)
		require.NoError(t, err)
		require.False(t, created, "a pending job with the same kind and key absorbs the new one")
		require.Equal(t, first, again, "the pending job is returned")
		other := in
		other.Kind = "media"
		enqueue(t, fx.s, other) // the same key under another kind is another job
		claimed, err := fx.s.ClaimJob(t.Context(), first.ID, lease)
		require.NoError(t, err)
		again, created, err = fx.s.EnqueueJob(t.Context(), in)
		require.NoError(t, err)
		require.False(t, created, "a claimed job is still pending: it absorbs new ones")
		require.Equal(t, first.ID, again.ID)
		require.NoError(t, fx.s.CompleteJob(t.Context(), first.ID, claimed.Lease))
		next, created, err := fx.s.EnqueueJob(t.Context(), in)
		require.NoError(t, err)
		require.True(t, created, "once the job is finished, the key is free again")
		require.NotEqual(t, first.ID, next.ID)
		plain := job("b")
		enqueue(t, fx.s, plain)
		enqueue(t, fx.s, plain) // jobs without a key never coalesce
	})

	rule(t, h, "ConcurrentEnqueuesWithOneKeyCreateOnce", func(t *testing.T, fx fixture) {
		hs := handles(t, h, fx.clock, 4)
		var n int
		var mu sync.Mutex
		requireOneCreator(t, "job", func() (string, bool, error) {
			mu.Lock()
			s := hs[n%len(hs)]
			n++
			mu.Unlock()
			j, created, err := s.EnqueueJob(t.Context(), store.Job{Kind: "profile", Key: "contact-1"})
			return j.ID, created, err
		})
	})

	rule(t, h, "GetMissingIsErrNotFound", func(t *testing.T, fx fixture) {
		_, err := fx.s.GetJob(t.Context(), "no-such-job")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "ClaimTakesDueJobsOldestFirstUpToLimit", func(t *testing.T, fx fixture) {
		var ids []string
		for i, d := range []time.Duration{-time.Second, -3 * time.Second, time.Hour, -2 * time.Second} {
			in := job(fmt.Sprint("k", i))
			in.NextAttemptAt = T0.Add(d)
			ids = append(ids, enqueue(t, fx.s, in).ID)
		}
		long := 2 * time.Hour
		got, err := fx.s.ClaimJobs(t.Context(), 2, long)
		require.NoError(t, err)
		require.Equal(t, []string{ids[1], ids[3]}, cursorIDs(got), "claims take the jobs due longest, up to the limit")
		for _, j := range got {
			require.NotEmpty(t, j.Lease, "a claim sets a lease")
			require.Equal(t, T0.Add(long), j.LeaseUntil)
			require.Equal(t, 1, j.Attempts, "a claim counts an attempt")
		}
		got, err = fx.s.ClaimJobs(t.Context(), 10, long)
		require.NoError(t, err)
		require.Equal(t, []string{ids[0]}, cursorIDs(got), "a job due in the future is not claimed, nor are claimed ones")
		fx.clock.Advance(time.Hour)
		got, err = fx.s.ClaimJobs(t.Context(), 10, long)
		require.NoError(t, err)
		require.Equal(t, []string{ids[2]}, cursorIDs(got), "a job is claimed once due; unexpired leases are kept")
	})

	rule(t, h, "ClaimJobTakesOneJobWhetherOrNotDue", func(t *testing.T, fx fixture) {
		in := job("k")
		in.NextAttemptAt = T0.Add(time.Hour)
		j := enqueue(t, fx.s, in)
		claimed, err := fx.s.ClaimJob(t.Context(), j.ID, lease)
		require.NoError(t, err)
		require.Equal(t, j.ID, claimed.ID)
		require.NotEmpty(t, claimed.Lease)
		require.Equal(t, T0.Add(lease), claimed.LeaseUntil)
		require.Equal(t, 1, claimed.Attempts)
		require.JSONEq(t, string(in.Payload), string(claimed.Payload))
		_, err = fx.s.ClaimJob(t.Context(), j.ID, lease)
		require.ErrorIs(t, err, store.ErrConflict, "a job under an unexpired lease cannot be claimed")
		none, err := fx.s.ClaimJobs(t.Context(), 10, lease)
		require.NoError(t, err)
		require.Empty(t, none, "nor can ClaimJobs take it")
		require.NoError(t, fx.s.CompleteJob(t.Context(), j.ID, claimed.Lease))
		_, err = fx.s.ClaimJob(t.Context(), j.ID, lease)
		require.ErrorIs(t, err, store.ErrConflict, "a finished job cannot be claimed")
		_, err = fx.s.ClaimJob(t.Context(), "no-such-job", lease)
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "ExpiredLeaseIsClaimedAgain", func(t *testing.T, fx fixture) {
		j := enqueue(t, fx.s, job("k"))
		first, err := fx.s.ClaimJobs(t.Context(), 1, lease)
		require.NoError(t, err)
		require.Len(t, first, 1)
		fx.clock.Advance(lease)
		second, err := fx.s.ClaimJobs(t.Context(), 1, lease)
		require.NoError(t, err)
		require.Equal(t, []string{j.ID}, cursorIDs(second), "a lapsed lease makes the job claimable (the worker may have crashed)")
		require.Equal(t, 2, second[0].Attempts)
		require.JSONEq(t, string(j.Payload), string(second[0].Payload), "the payload survives every claim")
		require.NotEqual(t, first[0].Lease, second[0].Lease, "each claim has its own lease")
		err = fx.s.CompleteJob(t.Context(), j.ID, first[0].Lease)
		require.ErrorIs(t, err, store.ErrConflict, "the first worker's lease is no longer valid")
		require.NoError(t, fx.s.CompleteJob(t.Context(), j.ID, second[0].Lease))
	})

	rule(t, h, "CompleteNeedsTheCurrentUnexpiredLease", func(t *testing.T, fx fixture) {
		j := enqueue(t, fx.s, job("k"))
		require.ErrorIs(t, fx.s.CompleteJob(t.Context(), j.ID, ""), store.ErrConflict, "an unclaimed job cannot be completed")
		claimed, err := fx.s.ClaimJobs(t.Context(), 1, lease)
		require.NoError(t, err)
		require.ErrorIs(t, fx.s.CompleteJob(t.Context(), j.ID, "not-the-lease"), store.ErrConflict)
		require.ErrorIs(t, fx.s.CompleteJob(t.Context(), "no-such-job", claimed[0].Lease), store.ErrNotFound)
		fx.clock.Advance(lease)
		require.ErrorIs(t, fx.s.CompleteJob(t.Context(), j.ID, claimed[0].Lease), store.ErrConflict, "an expired lease is not held")
	})

	rule(t, h, "CompleteIsFinal", func(t *testing.T, fx fixture) {
		j := enqueue(t, fx.s, job("k"))
		claimed, err := fx.s.ClaimJobs(t.Context(), 1, lease)
		require.NoError(t, err)
		require.NoError(t, fx.s.CompleteJob(t.Context(), j.ID, claimed[0].Lease))
		got, err := fx.s.GetJob(t.Context(), j.ID)
		require.NoError(t, err)
		require.Equal(t, store.JobDone, got.Status)
		require.Empty(t, got.Lease, "a completed job holds no lease")
		require.ErrorIs(t, fx.s.CompleteJob(t.Context(), j.ID, claimed[0].Lease), store.ErrConflict, "completing twice is a conflict")
		fx.clock.Advance(24 * time.Hour)
		again, err := fx.s.ClaimJobs(t.Context(), 10, lease)
		require.NoError(t, err)
		require.Empty(t, again, "a finished job is never claimed again")
	})

	// CompleteHeldJob (store.HeldJobCompleter, or CompleteJob through the helper) completes a job whose
	// lease is held, and leaves every other job as it is without an error; in a transaction, what it did
	// commits or rolls back with the rest.
	rule(t, h, "CompleteHeldJobCompletesOnlyAHeldLease", func(t *testing.T, fx fixture) {
		ctx := t.Context()
		held, lapsed, other := enqueue(t, fx.s, job("held")), enqueue(t, fx.s, job("lapsed")), enqueue(t, fx.s, job("other"))
		claimedLapsed, err := fx.s.ClaimJob(ctx, lapsed.ID, time.Second)
		require.NoError(t, err)
		fx.clock.Advance(time.Second)
		claimedHeld, err := fx.s.ClaimJob(ctx, held.ID, lease)
		require.NoError(t, err)
		claimedOther, err := fx.s.ClaimJob(ctx, other.ID, lease)
		require.NoError(t, err)

		nothingToDo := func(ctx context.Context, s store.Store) error {
			return cmp.Or(store.CompleteHeldJob(ctx, s, lapsed.ID, claimedLapsed.Lease), // a lapsed lease
				store.CompleteHeldJob(ctx, s, other.ID, "not-the-lease"), // someone else's job
				store.CompleteHeldJob(ctx, s, "no-such-job", "L"))        // a missing job
		}
		require.NoError(t, nothingToDo(ctx, fx.s))
		require.NoError(t, fx.s.RunInTx(ctx, nothingToDo),
			"in a transaction, where a backend may defer them, they fail neither the call nor the commit")
		rolledBack := errors.New("rolled back")
		require.ErrorIs(t, fx.s.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
			return cmp.Or(store.CompleteHeldJob(ctx, tx, other.ID, claimedOther.Lease), rolledBack)
		}), rolledBack)
		require.NoError(t, fx.s.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
			return store.CompleteHeldJob(ctx, tx, held.ID, claimedHeld.Lease)
		}))

		for _, c := range []struct {
			name, id string
			want     store.JobStatus
		}{{"held", held.ID, store.JobDone}, {"lapsed", lapsed.ID, store.JobPending}, {"other", other.ID, store.JobPending}} {
			got, err := fx.s.GetJob(ctx, c.id)
			require.NoError(t, err)
			require.Equal(t, c.want, got.Status, "the %s job", c.name)
		}
		got, err := fx.s.GetJob(ctx, other.ID)
		require.NoError(t, err)
		require.Equal(t, claimedOther.Lease, got.Lease, "the rolled-back completion left the claim as it was")
		got, err = fx.s.GetJob(ctx, lapsed.ID)
		require.NoError(t, err)
		require.Equal(t, claimedLapsed.Lease, got.Lease, "a lapsed claim is left for the next claimer")
	})

	rule(t, h, "RetryReschedulesWithReason", func(t *testing.T, fx fixture) {
		j := enqueue(t, fx.s, job("k"))
		claimed, err := fx.s.ClaimJobs(t.Context(), 1, lease)
		require.NoError(t, err)
		at := T0.Add(10 * time.Second)
		require.NoError(t, fx.s.RetryJob(t.Context(), j.ID, claimed[0].Lease, at, "rate limited"))
		got, err := fx.s.GetJob(t.Context(), j.ID)
		require.NoError(t, err)
		require.Equal(t, store.JobPending, got.Status)
		require.Equal(t, at, got.NextAttemptAt)
		require.Equal(t, "rate limited", got.LastError)
		require.Empty(t, got.Lease, "a retried job holds no lease")
		none, err := fx.s.ClaimJobs(t.Context(), 1, lease)
		require.NoError(t, err)
		require.Empty(t, none, "a retried job waits for its next attempt time")
		fx.clock.Advance(10 * time.Second)
		again, err := fx.s.ClaimJobs(t.Context(), 1, lease)
		require.NoError(t, err)
		require.Equal(t, []string{j.ID}, cursorIDs(again))
		require.Equal(t, 2, again[0].Attempts)
	})

	rule(t, h, "HoldReschedulesAndRestartsTheRetryBudget", func(t *testing.T, fx fixture) {
		in := job("k")
		in.NextAttemptAt = T0.Add(-time.Minute)
		j := enqueue(t, fx.s, in)
		require.Equal(t, T0.Add(-time.Minute), j.RetrySince, "the budget starts when the job is first due")
		claimed, err := fx.s.ClaimJobs(t.Context(), 1, lease)
		require.NoError(t, err)
		until := T0.Add(time.Hour)
		require.NoError(t, fx.s.HoldJob(t.Context(), j.ID, claimed[0].Lease, until, "held: the channel is deactivated"))
		got, err := fx.s.GetJob(t.Context(), j.ID)
		require.NoError(t, err)
		require.Equal(t, store.JobPending, got.Status)
		require.Equal(t, until, got.NextAttemptAt)
		require.Equal(t, until, got.RetrySince, "a hold restarts the retry budget when it ends")
		require.Equal(t, "held: the channel is deactivated", got.LastError)
		require.Empty(t, got.Lease, "a held job holds no lease")
		require.ErrorIs(t, fx.s.HoldJob(t.Context(), j.ID, claimed[0].Lease, until, "again"), store.ErrConflict, "lease rules as Complete")
		fx.clock.Advance(time.Hour)
		again, err := fx.s.ClaimJobs(t.Context(), 1, lease)
		require.NoError(t, err)
		require.Equal(t, []string{j.ID}, cursorIDs(again), "a held job is claimed once its hold ends")
		require.NoError(t, fx.s.RetryJob(t.Context(), j.ID, again[0].Lease, T0.Add(2*time.Hour), "rate limited"))
		got, err = fx.s.GetJob(t.Context(), j.ID)
		require.NoError(t, err)
		require.Equal(t, until, got.RetrySince, "a retry keeps the budget running")
	})

	rule(t, h, "FailIsFinal", func(t *testing.T, fx fixture) {
		j := enqueue(t, fx.s, job("k"))
		claimed, err := fx.s.ClaimJobs(t.Context(), 1, lease)
		require.NoError(t, err)
		require.NoError(t, fx.s.FailJob(t.Context(), j.ID, claimed[0].Lease, "quota exceeded"))
		got, err := fx.s.GetJob(t.Context(), j.ID)
		require.NoError(t, err)
		require.Equal(t, store.JobFailed, got.Status)
		require.Equal(t, "quota exceeded", got.LastError)
		fx.clock.Advance(24 * time.Hour)
		again, err := fx.s.ClaimJobs(t.Context(), 10, lease)
		require.NoError(t, err)
		require.Empty(t, again, "a failed job is never claimed again")
	})

	rule(t, h, "ConcurrentClaimersNeverShareAJob", func(t *testing.T, fx fixture) {
		hs := handles(t, h, fx.clock, 4)
		const jobs = 60
		for i := range jobs {
			enqueue(t, hs[0], job(fmt.Sprint("k", i)))
		}
		var mu sync.Mutex
		claims := map[string]int{}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for {
					got, err := hs[w%len(hs)].ClaimJobs(t.Context(), 3, time.Hour)
					if err != nil {
						t.Errorf("claim: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, j := range got {
						claims[j.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Len(t, claims, jobs, "every due job is claimed")
		for id, n := range claims {
			require.Equal(t, 1, n, "job %s was claimed by two workers under one lease", id)
		}
	})

	rule(t, h, "ListFiltersByKindAndStatusAndPagesBothWays", func(t *testing.T, fx fixture) {
		var sends []string
		for i := range 5 {
			sends = append(sends, enqueue(t, fx.s, job(fmt.Sprint("k", i))).ID)
			fx.clock.Advance(time.Second)
			enqueue(t, fx.s, store.Job{Kind: "profile"})
		}
		claimed, err := fx.s.ClaimJob(t.Context(), sends[2], lease)
		require.NoError(t, err)
		require.NoError(t, fx.s.FailJob(t.Context(), sends[2], claimed.Lease, "gone"))
		all, next, err := fx.s.ListJobs(t.Context(), store.JobFilter{}, store.Page{Limit: 100})
		require.NoError(t, err)
		require.Len(t, all, 10)
		require.True(t, next.IsZero())
		first, next, err := fx.s.ListJobs(t.Context(), store.JobFilter{Kind: "send"}, store.Page{Limit: 3, Order: store.OldestFirst})
		require.NoError(t, err)
		require.Equal(t, sends[:3], cursorIDs(first), "oldest first, by creation")
		rest, next2, err := fx.s.ListJobs(t.Context(), store.JobFilter{Kind: "send"}, store.Page{Limit: 3, Order: store.OldestFirst, After: next})
		require.NoError(t, err)
		require.Equal(t, sends[3:], cursorIDs(rest), "the next page starts after the cursor")
		require.True(t, next2.IsZero())
		newest, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Kind: "send"}, store.Page{Limit: 2})
		require.NoError(t, err)
		require.Equal(t, []string{sends[4], sends[3]}, cursorIDs(newest), "newest first by default")
		failed, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Status: store.JobFailed}, store.Page{})
		require.NoError(t, err)
		require.Equal(t, []string{sends[2]}, cursorIDs(failed), "the status filter applies")
	})

	rule(t, h, "DeleteFinishedJobsKeepsPendingAndRecentOnes", func(t *testing.T, fx fixture) {
		pending := enqueue(t, fx.s, job("pending"))
		var finished []string
		for i := range 3 {
			j := enqueue(t, fx.s, job(fmt.Sprint("done", i)))
			claimed, err := fx.s.ClaimJob(t.Context(), j.ID, lease)
			require.NoError(t, err)
			require.NoError(t, fx.s.CompleteJob(t.Context(), j.ID, claimed.Lease))
			finished = append(finished, j.ID)
		}
		fx.clock.Advance(time.Hour)
		recent := enqueue(t, fx.s, job("recent"))
		claimed, err := fx.s.ClaimJob(t.Context(), recent.ID, lease)
		require.NoError(t, err)
		require.NoError(t, fx.s.FailJob(t.Context(), recent.ID, claimed.Lease, "no"))
		n, err := fx.s.DeleteFinishedJobs(t.Context(), T0.Add(time.Minute), 2)
		require.NoError(t, err)
		require.Equal(t, 2, n, "at most limit jobs are deleted")
		n, err = fx.s.DeleteFinishedJobs(t.Context(), T0.Add(time.Minute), 10)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		for _, id := range finished {
			_, err := fx.s.GetJob(t.Context(), id)
			require.ErrorIs(t, err, store.ErrNotFound, "old finished jobs are deleted")
		}
		_, err = fx.s.GetJob(t.Context(), pending.ID)
		require.NoError(t, err, "pending jobs are kept, however old")
		_, err = fx.s.GetJob(t.Context(), recent.ID)
		require.NoError(t, err, "jobs finished after the cut-off are kept")
	})
}
