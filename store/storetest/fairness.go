package storetest

import (
	"time"

	"context"
	"fmt"
	"github.com/msgkit/msgkit/channel"
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

		counts := roundRobinRun(t, hs, dir, ch, 8, per)
		requireFair(t, counts, []string{"alice", "bob", "carol"}, 8*per)

		// Mid-stream: dave joins the role, bob goes away. The rotation is fair among those eligible.
		dir.SetMembers(store.PoolRole, "sales", "alice", "bob", "carol", "dave")
		dir.SetAvailable("bob", false)
		counts = roundRobinRun(t, hs, dir, ch, 8, per/2)
		requireFair(t, counts, []string{"alice", "carol", "dave"}, 8*per/2)
		require.Zero(t, counts["bob"], "an unavailable member gets nothing")
	})

	rule(t, h, "RacingRoutesOfOneConversationTakeOneTurn", func(t *testing.T, fx fixture) {
		hs := handles(t, h, fx.clock, 4)
		ch, err := hs[0].CreateChannel(t.Context(), store.Channel{Kind: "line", ExternalID: "race", Active: true,
			Assignment: store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: []string{"alice", "bob"}}})
		require.NoError(t, err)
		rr, err := assign.NewRoundRobin(&slowDirectory{})
		require.NoError(t, err)
		const n = 20
		counts := racingRoutes(t, hs, rr, ch.ID, n, 6)
		requireFair(t, counts, []string{"alice", "bob"}, n)
		next, err := hs[0].NextCursor(t.Context(), "assign/round_robin/"+ch.ID)
		require.NoError(t, err)
		require.Equal(t, int64(n+1), next, "only the winning claims consumed a turn")
	})
}

// slowDirectory counts everyone available, after a pause that lets racing callers overlap.
type slowDirectory struct{ assign.MemoryDirectory }

func (d *slowDirectory) Available(ctx context.Context, user string) (bool, error) {
	time.Sleep(200 * time.Microsecond)
	return d.MemoryDirectory.Available(ctx, user)
}

// racingRoutes routes each of n new conversations from `racers` goroutines at once, spread over the
// handles, and returns how many conversations each member got.
func racingRoutes(t *testing.T, hs []store.Store, a assign.Assigner, channelID string, n, racers int) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for i := range n {
		k, _, err := hs[0].FindOrCreateContact(t.Context(), store.Contact{ChannelID: channelID, Peer: channel.User(fmt.Sprint("U", i))})
		require.NoError(t, err)
		c, _, err := hs[0].FindOrCreateConversation(t.Context(), store.Conversation{ChannelID: channelID, ContactID: k.ID, Peer: k.Peer})
		require.NoError(t, err)
		owners := make([]string, racers)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for r := range racers {
			wg.Go(func() {
				got, err := assign.Route(t.Context(), hs[r%len(hs)], a, c.ID)
				owners[r], errs[r] = got.Assignee, err
			})
		}
		wg.Wait()
		for r := range racers {
			require.NoError(t, errs[r], "racing Route %d of conversation %d", r, i)
			require.Equal(t, owners[0], owners[r], "every racing Route returns the one winner")
		}
		history, err := hs[0].ListAssignments(t.Context(), c.ID)
		require.NoError(t, err)
		require.Len(t, history, 1, "conversation %d was claimed once", i)
		counts[owners[0]]++
	}
	return counts
}

// roundRobinRun makes goroutines × per assignments through RoundRobins on the handles and counts them.
func roundRobinRun(t *testing.T, hs []store.Store, dir assign.Directory, ch store.Channel, goroutines, per int) map[string]int {
	t.Helper()
	results := make([]map[string]int, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			rr, err := assign.NewRoundRobin(dir)
			if err != nil {
				t.Error(err)
				return
			}
			counts := map[string]int{}
			conv := store.Conversation{ChannelID: ch.ID}
			for range per {
				u, err := rr.Assign(context.WithoutCancel(t.Context()), hs[g%len(hs)], ch, conv)
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
