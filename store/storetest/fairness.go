package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/store"
)

// RunFairness checks the round-robin fairness guarantee package assign makes on top of the store: with
// k eligible members and N assignments by concurrent callers on independent handles, each member gets
// ⌊N/k⌋ or ⌈N/k⌉, also after the membership changes mid-stream. It runs 8 goroutines ×
// Harness.FairnessAssignments.
func RunFairness(t *testing.T, h Harness) {
	rule(t, h, "RoundRobinIsFairUnderConcurrency", func(t *testing.T, fx fixture) {
		hs := handles(t, h, fx.clock, 4)
		ch, err := hs[0].CreateChannel(t.Context(), store.Channel{Kind: "line", ExternalID: "fair", Active: true,
			Assignment: store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolRole, PoolIDs: []string{"sales"}}})
		require.NoError(t, err)
		dir := &assign.MemoryDirectory{}
		dir.SetMembers(store.PoolRole, "sales", "alice", "bob", "carol")
		per := h.FairnessAssignments
		switch {
		case per > 0:
		case testing.Short():
			per = 1_000
		default:
			per = 10_000
		}

		counts := roundRobinRun(t, hs, dir, ch.ID, 8, per)
		requireFair(t, counts, []string{"alice", "bob", "carol"}, 8*per)

		// Mid-stream: dave joins the role, bob goes away. The rotation is fair among those eligible.
		dir.SetMembers(store.PoolRole, "sales", "alice", "bob", "carol", "dave")
		dir.SetAvailable("bob", false)
		counts = roundRobinRun(t, hs, dir, ch.ID, 8, per/2)
		requireFair(t, counts, []string{"alice", "carol", "dave"}, 8*per/2)
		require.Zero(t, counts["bob"], "an unavailable member gets nothing")
	})
}

// roundRobinRun makes goroutines × per assignments through RoundRobins on the handles and counts them.
func roundRobinRun(t *testing.T, hs []store.Store, dir assign.Directory, channelID string, goroutines, per int) map[string]int {
	t.Helper()
	results := make([]map[string]int, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			rr, err := assign.NewRoundRobin(hs[g%len(hs)], dir)
			if err != nil {
				t.Error(err)
				return
			}
			counts := map[string]int{}
			conv := store.Conversation{ChannelID: channelID}
			for range per {
				u, err := rr.Assign(context.WithoutCancel(t.Context()), conv)
				if err != nil {
					t.Errorf("assign: %v", err)
					return
				}
				counts[u]++
			}
			results[g] = counts
		})
	}
	wg.Wait()
	total := map[string]int{}
	for _, r := range results {
		for u, n := range r {
			total[u] += n
		}
	}
	return total
}

func requireFair(t *testing.T, counts map[string]int, members []string, n int) {
	t.Helper()
	k := len(members)
	lo, hi := n/k, (n+k-1)/k
	sum := 0
	for _, m := range members {
		require.True(t, counts[m] == lo || counts[m] == hi,
			"member %s got %d of %d assignments; fairness allows only %d or %d (counts %v)", m, counts[m], n, lo, hi, counts)
		sum += counts[m]
	}
	require.Equal(t, n, sum, fmt.Sprintf("every assignment goes to an eligible member (counts %v)", counts))
}
