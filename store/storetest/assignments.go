package storetest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// RunAssignments checks store.Assignments.
func RunAssignments(t *testing.T, h Harness) {
	rule(t, h, "CursorStartsAtOneAndCountsUp", func(t *testing.T, fx fixture) {
		for want := int64(1); want <= 5; want++ {
			got, err := fx.s.NextCursor(t.Context(), "pool-a")
			require.NoError(t, err)
			require.Equal(t, want, got)
		}
		got, err := fx.s.NextCursor(t.Context(), "pool-b")
		require.NoError(t, err)
		require.Equal(t, int64(1), got, "pools have independent cursors")
	})

	rule(t, h, "ConcurrentCallersNeverShareAValue", func(t *testing.T, fx fixture) {
		const goroutines, each = 16, 100
		hs := handles(t, h, fx.clock, 4)
		values := make([][]int64, goroutines)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				s := hs[g%len(hs)]
				for range each {
					v, err := s.NextCursor(t.Context(), "pool")
					if err != nil {
						t.Errorf("NextCursor: %v", err)
						return
					}
					values[g] = append(values[g], v)
				}
			})
		}
		wg.Wait()
		seen := make(map[int64]int, goroutines*each)
		for _, vs := range values {
			for _, v := range vs {
				seen[v]++
			}
		}
		for v := int64(1); v <= goroutines*each; v++ {
			require.Equal(t, 1, seen[v], "cursor value %d must be handed out exactly once", v)
		}
		require.Len(t, seen, goroutines*each, "no value beyond the number of calls may be handed out")
	})
}
