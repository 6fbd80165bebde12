package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
)

// RunOutbox checks store.Outbox.
func RunOutbox(t *testing.T, h Harness) {
	item := func(c store.Conversation, key string) store.OutboxItem {
		return store.OutboxItem{ChannelID: c.ChannelID, ConversationID: c.ID, To: c.Peer,
			MessageIDs: []string{"m1", "m2"}, ReplyToken: "rt", RetryKey: key}
	}
	const lease = time.Minute

	rule(t, h, "EnqueueStoresAPendingItemDueNow", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		in := item(c, "k1")
		it, err := fx.s.EnqueueOutbox(t.Context(), in)
		require.NoError(t, err)
		require.NotEmpty(t, it.ID)
		require.Equal(t, store.OutboxPending, it.Status)
		require.Equal(t, T0, it.NextAttemptAt, "a zero NextAttemptAt means now")
		require.Zero(t, it.Attempts)
		got, err := fx.s.GetOutbox(t.Context(), it.ID)
		require.NoError(t, err)
		require.Equal(t, it, got)
		in.ID, in.Status, in.NextAttemptAt, in.CreatedAt, in.UpdatedAt = it.ID, store.OutboxPending, T0, T0, T0
		require.Equal(t, in, got, "every field must round-trip")
	})

	rule(t, h, "EnqueueWithTakenIDIsErrAlreadyExists", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		in := item(c, "k1")
		in.ID = "fixed"
		_, err := fx.s.EnqueueOutbox(t.Context(), in)
		require.NoError(t, err)
		_, err = fx.s.EnqueueOutbox(t.Context(), in)
		require.ErrorIs(t, err, store.ErrAlreadyExists)
	})

	rule(t, h, "GetMissingIsErrNotFound", func(t *testing.T, fx fixture) {
		_, err := fx.s.GetOutbox(t.Context(), "no-such-item")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "ClaimTakesDueItemsOldestFirstUpToLimit", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		var ids []string
		for i, d := range []time.Duration{-time.Second, -3 * time.Second, time.Hour, -2 * time.Second} {
			in := item(c, fmt.Sprint("k", i))
			in.NextAttemptAt = T0.Add(d)
			it, err := fx.s.EnqueueOutbox(t.Context(), in)
			require.NoError(t, err)
			ids = append(ids, it.ID)
		}
		long := 2 * time.Hour
		got, err := fx.s.ClaimOutbox(t.Context(), 2, long)
		require.NoError(t, err)
		require.Equal(t, []string{ids[1], ids[3]}, outboxIDs(got), "claims take the items due longest, up to the limit")
		for _, it := range got {
			require.NotEmpty(t, it.Lease, "a claim sets a lease")
			require.Equal(t, T0.Add(long), it.LeaseUntil)
			require.Equal(t, 1, it.Attempts, "a claim counts an attempt")
		}
		got, err = fx.s.ClaimOutbox(t.Context(), 10, long)
		require.NoError(t, err)
		require.Equal(t, []string{ids[0]}, outboxIDs(got), "an item due in the future is not claimed, nor are claimed ones")
		fx.clock.Advance(time.Hour)
		got, err = fx.s.ClaimOutbox(t.Context(), 10, long)
		require.NoError(t, err)
		require.Equal(t, []string{ids[2]}, outboxIDs(got), "an item is claimed once due; unexpired leases are kept")
	})

	rule(t, h, "ExpiredLeaseIsClaimedAgain", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		it, err := fx.s.EnqueueOutbox(t.Context(), item(c, "k"))
		require.NoError(t, err)
		first, err := fx.s.ClaimOutbox(t.Context(), 1, lease)
		require.NoError(t, err)
		require.Len(t, first, 1)
		fx.clock.Advance(lease)
		second, err := fx.s.ClaimOutbox(t.Context(), 1, lease)
		require.NoError(t, err)
		require.Equal(t, []string{it.ID}, outboxIDs(second), "a lapsed lease makes the item claimable (the worker may have crashed)")
		require.Equal(t, 2, second[0].Attempts)
		require.Equal(t, "k", second[0].RetryKey, "the retry key survives every claim")
		require.NotEqual(t, first[0].Lease, second[0].Lease, "each claim has its own lease")
		err = fx.s.CompleteOutbox(t.Context(), it.ID, first[0].Lease)
		require.ErrorIs(t, err, store.ErrConflict, "the first worker's lease is no longer valid")
		require.NoError(t, fx.s.CompleteOutbox(t.Context(), it.ID, second[0].Lease))
	})

	rule(t, h, "CompleteNeedsTheCurrentUnexpiredLease", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		it, err := fx.s.EnqueueOutbox(t.Context(), item(c, "k"))
		require.NoError(t, err)
		require.ErrorIs(t, fx.s.CompleteOutbox(t.Context(), it.ID, ""), store.ErrConflict, "an unclaimed item cannot be completed")
		claimed, err := fx.s.ClaimOutbox(t.Context(), 1, lease)
		require.NoError(t, err)
		require.ErrorIs(t, fx.s.CompleteOutbox(t.Context(), it.ID, "not-the-lease"), store.ErrConflict)
		require.ErrorIs(t, fx.s.CompleteOutbox(t.Context(), "no-such-item", claimed[0].Lease), store.ErrNotFound)
		fx.clock.Advance(lease)
		require.ErrorIs(t, fx.s.CompleteOutbox(t.Context(), it.ID, claimed[0].Lease), store.ErrConflict, "an expired lease is not held")
	})

	rule(t, h, "CompleteIsFinal", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		it, err := fx.s.EnqueueOutbox(t.Context(), item(c, "k"))
		require.NoError(t, err)
		claimed, err := fx.s.ClaimOutbox(t.Context(), 1, lease)
		require.NoError(t, err)
		require.NoError(t, fx.s.CompleteOutbox(t.Context(), it.ID, claimed[0].Lease))
		got, err := fx.s.GetOutbox(t.Context(), it.ID)
		require.NoError(t, err)
		require.Equal(t, store.OutboxDone, got.Status)
		require.Empty(t, got.Lease, "a completed item holds no lease")
		require.ErrorIs(t, fx.s.CompleteOutbox(t.Context(), it.ID, claimed[0].Lease), store.ErrConflict, "completing twice is a conflict")
		fx.clock.Advance(24 * time.Hour)
		again, err := fx.s.ClaimOutbox(t.Context(), 10, lease)
		require.NoError(t, err)
		require.Empty(t, again, "a delivered item is never claimed again")
	})

	rule(t, h, "RetryReschedulesWithReason", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		it, err := fx.s.EnqueueOutbox(t.Context(), item(c, "k"))
		require.NoError(t, err)
		claimed, err := fx.s.ClaimOutbox(t.Context(), 1, lease)
		require.NoError(t, err)
		at := T0.Add(10 * time.Second)
		require.NoError(t, fx.s.RetryOutbox(t.Context(), it.ID, claimed[0].Lease, at, "rate limited"))
		got, err := fx.s.GetOutbox(t.Context(), it.ID)
		require.NoError(t, err)
		require.Equal(t, store.OutboxPending, got.Status)
		require.Equal(t, at, got.NextAttemptAt)
		require.Equal(t, "rate limited", got.LastError)
		require.Empty(t, got.Lease, "a retried item holds no lease")
		none, err := fx.s.ClaimOutbox(t.Context(), 1, lease)
		require.NoError(t, err)
		require.Empty(t, none, "a retried item waits for its next attempt time")
		fx.clock.Advance(10 * time.Second)
		again, err := fx.s.ClaimOutbox(t.Context(), 1, lease)
		require.NoError(t, err)
		require.Equal(t, []string{it.ID}, outboxIDs(again))
		require.Equal(t, 2, again[0].Attempts)
	})

	rule(t, h, "FailIsFinal", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		it, err := fx.s.EnqueueOutbox(t.Context(), item(c, "k"))
		require.NoError(t, err)
		claimed, err := fx.s.ClaimOutbox(t.Context(), 1, lease)
		require.NoError(t, err)
		require.NoError(t, fx.s.FailOutbox(t.Context(), it.ID, claimed[0].Lease, "quota exceeded"))
		got, err := fx.s.GetOutbox(t.Context(), it.ID)
		require.NoError(t, err)
		require.Equal(t, store.OutboxFailed, got.Status)
		require.Equal(t, "quota exceeded", got.LastError)
		fx.clock.Advance(24 * time.Hour)
		again, err := fx.s.ClaimOutbox(t.Context(), 10, lease)
		require.NoError(t, err)
		require.Empty(t, again, "a failed item is never claimed again")
	})

	rule(t, h, "ConcurrentClaimersNeverShareAnItem", func(t *testing.T, fx fixture) {
		hs := handles(t, h, fx.clock, 4)
		c := fixture{s: hs[0], clock: fx.clock}.newConversation(t) // seeded through one handle, claimed on all
		const items = 60
		for i := range items {
			_, err := hs[0].EnqueueOutbox(t.Context(), item(c, fmt.Sprint("k", i)))
			require.NoError(t, err)
		}
		var mu sync.Mutex
		claims := map[string]int{}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for {
					got, err := hs[w%len(hs)].ClaimOutbox(t.Context(), 3, time.Hour)
					if err != nil {
						t.Errorf("claim: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, it := range got {
						claims[it.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Len(t, claims, items, "every due item is claimed")
		for id, n := range claims {
			require.Equal(t, 1, n, "item %s was claimed by two workers under one lease", id)
		}
	})
}

func outboxIDs(items []store.OutboxItem) []string {
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}
