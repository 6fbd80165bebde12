package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// RunDedup checks store.Dedup.
func RunDedup(t *testing.T, h Harness) {
	rule(t, h, "FirstCallIsFirstSeenLaterCallsAreNot", func(t *testing.T, fx fixture) {
		first, err := fx.s.FirstSeen(t.Context(), "ev-1", time.Hour)
		require.NoError(t, err)
		require.True(t, first, "a key never seen is new")
		for range 3 {
			again, err := fx.s.FirstSeen(t.Context(), "ev-1", time.Hour)
			require.NoError(t, err)
			require.False(t, again, "a key seen before is not new")
		}
		other, err := fx.s.FirstSeen(t.Context(), "ev-2", time.Hour)
		require.NoError(t, err)
		require.True(t, other, "keys are independent")
	})

	rule(t, h, "KeyExpiresAfterTTLByTheStoreClock", func(t *testing.T, fx fixture) {
		_, err := fx.s.FirstSeen(t.Context(), "ev-1", time.Hour)
		require.NoError(t, err)
		fx.clock.Advance(time.Hour - time.Microsecond)
		seen, err := fx.s.FirstSeen(t.Context(), "ev-1", time.Hour)
		require.NoError(t, err)
		require.False(t, seen, "a key is remembered until its TTL has passed")
		fx.clock.Advance(time.Microsecond)
		seen, err = fx.s.FirstSeen(t.Context(), "ev-1", time.Hour)
		require.NoError(t, err)
		require.True(t, seen, "a key is new again once its TTL has passed")
	})

	rule(t, h, "SeenAgainBeforeExpiryDoesNotExtendIt", func(t *testing.T, fx fixture) {
		_, err := fx.s.FirstSeen(t.Context(), "ev-1", time.Hour)
		require.NoError(t, err)
		fx.clock.Advance(30 * time.Minute)
		_, err = fx.s.FirstSeen(t.Context(), "ev-1", time.Hour)
		require.NoError(t, err)
		fx.clock.Advance(30 * time.Minute)
		seen, err := fx.s.FirstSeen(t.Context(), "ev-1", time.Hour)
		require.NoError(t, err)
		require.True(t, seen, "a repeat that was not first must not extend the key's life")
	})

	rule(t, h, "ConcurrentFirstCallsHaveExactlyOneWinner", func(t *testing.T, fx fixture) {
		hs := handles(t, h, fx.clock, 4)
		for k := range 20 {
			key := fmt.Sprint("ev-", k)
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					first, err := hs[i%len(hs)].FirstSeen(t.Context(), key, time.Hour)
					if err != nil {
						t.Errorf("FirstSeen: %v", err)
					}
					if first {
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			require.Equal(t, int32(1), wins.Load(), "exactly one of concurrent first calls for %s may see it as new", key)
		}
	})
}
