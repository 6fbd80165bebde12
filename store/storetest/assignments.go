package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
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

	rule(t, h, "AssignIsCompareAndSet", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		got, err := fx.s.AssignConversation(t.Context(), store.Assignment{ConversationID: c.ID, To: "alice", Reason: store.AssignAuto})
		require.NoError(t, err, "claiming an unassigned conversation")
		require.Equal(t, "alice", got.Assignee)
		require.Equal(t, c.Version+1, got.Version, "an assignment is an update")
		stored, err := fx.s.GetConversation(t.Context(), c.ID)
		require.NoError(t, err)
		require.Equal(t, got, stored)

		_, err = fx.s.AssignConversation(t.Context(), store.Assignment{ConversationID: c.ID, To: "bob", Reason: store.AssignAuto})
		require.ErrorIs(t, err, store.ErrConflict, "a claim of a conversation someone owns must fail")
		_, err = fx.s.AssignConversation(t.Context(), store.Assignment{ConversationID: c.ID, From: "bob", To: "carol", Reason: store.AssignManual})
		require.ErrorIs(t, err, store.ErrConflict, "a reassignment from someone who is not the assignee must fail")
		got, err = fx.s.AssignConversation(t.Context(), store.Assignment{ConversationID: c.ID, From: "alice", To: "bob", By: "manager", Reason: store.AssignManual})
		require.NoError(t, err)
		require.Equal(t, "bob", got.Assignee)
		_, err = fx.s.AssignConversation(t.Context(), store.Assignment{ConversationID: "no-such-conversation", To: "x"})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "ConcurrentClaimsHaveOneWinner", func(t *testing.T, fx fixture) {
		hs := handles(t, h, fx.clock, 4)
		shared := fixture{s: hs[0], clock: fx.clock} // seeded through one handle, raced on all
		ch := shared.newChannel(t, "x")
		k := shared.newContact(t, ch, "U1")
		for round := range 10 {
			c, _, err := hs[0].FindOrCreateConversation(t.Context(), store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: channel.User(fmt.Sprint("U", round))})
			require.NoError(t, err)
			requireOneWinner(t, "claim (a conversation is never assigned twice)", func(i int) error {
				_, err := hs[i%len(hs)].AssignConversation(t.Context(), store.Assignment{ConversationID: c.ID, To: fmt.Sprint("agent-", i), Reason: store.AssignAuto})
				return err
			})
			history, err := hs[0].ListAssignments(t.Context(), c.ID)
			require.NoError(t, err)
			require.Len(t, history, 1, "only the winning claim is recorded")
		}
	})

	rule(t, h, "HistoryIsKeptOldestFirst", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		steps := []store.Assignment{
			{ConversationID: c.ID, To: "alice", Reason: store.AssignAuto},
			{ConversationID: c.ID, From: "alice", To: "bob", By: "manager", Reason: store.AssignManual},
			{ConversationID: c.ID, From: "bob", To: "", By: "bob", Reason: store.AssignManual},
		}
		for _, a := range steps {
			_, err := fx.s.AssignConversation(t.Context(), a)
			require.NoError(t, err)
			fx.clock.Advance(time.Minute)
		}
		history, err := fx.s.ListAssignments(t.Context(), c.ID)
		require.NoError(t, err)
		require.Len(t, history, 3)
		for i, a := range history {
			require.NotEmpty(t, a.ID)
			require.Equal(t, T0.Add(time.Duration(i)*time.Minute), a.At, "At comes from the store clock")
			a.ID, a.At = "", time.Time{}
			require.Equal(t, steps[i], a, "every field of the history round-trips, in order")
		}
		got, err := fx.s.GetConversation(t.Context(), c.ID)
		require.NoError(t, err)
		require.Empty(t, got.Assignee, "To empty unassigns")
		none, err := fx.s.ListAssignments(t.Context(), "no-such-conversation")
		require.NoError(t, err)
		require.Empty(t, none)
	})

	rule(t, h, "UserLoadsCountOpenUnrepliedAndLastAssignment", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "a")
		other := fx.newChannel(t, "b")
		assign := func(c store.Conversation, to string, unreplied bool) {
			t.Helper()
			c, err := fx.s.AssignConversation(t.Context(), store.Assignment{ConversationID: c.ID, To: to, Reason: store.AssignAuto})
			require.NoError(t, err)
			c.Unreplied = unreplied
			_, err = fx.s.UpdateConversation(t.Context(), c)
			require.NoError(t, err)
		}
		assign(fx.conversationWith(t, ch, "U1"), "alice", true)
		fx.clock.Advance(time.Minute)
		assign(fx.conversationWith(t, other, "U2"), "alice", true)
		fx.clock.Advance(time.Minute)
		assign(fx.conversationWith(t, ch, "U3"), "alice", false)
		fx.clock.Advance(time.Minute)
		assign(fx.conversationWith(t, ch, "U4"), "bob", true)
		loads, err := fx.s.UserLoads(t.Context(), []string{"bob", "alice", "carol"})
		require.NoError(t, err)
		require.Equal(t, []store.UserLoad{
			{User: "bob", Open: 1, LastAssignedAt: T0.Add(3 * time.Minute)},
			{User: "alice", Open: 2, LastAssignedAt: T0.Add(2 * time.Minute)},
			{User: "carol"},
		}, loads, "open unreplied conversations on every channel, and the last assignment time, in the order asked")
	})
}
