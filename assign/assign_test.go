package assign_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/mocks/assignmock"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// fixture is a memstore with one channel whose pool is rule, and a directory.
type fixture struct {
	s     *memstore.Store
	dir   *assign.MemoryDirectory
	ch    store.Channel
	clock *time.Time
}

func newFixture(t *testing.T, rule store.AssignmentRule) fixture {
	t.Helper()
	now := t0
	s := memstore.New(&memstore.Options{Now: func() time.Time { return now }})
	ch, err := s.CreateChannel(t.Context(), store.Channel{Kind: "line", ExternalID: "1", Active: true, Assignment: rule})
	require.NoError(t, err)
	return fixture{s: s, dir: &assign.MemoryDirectory{}, ch: ch, clock: &now}
}

// conversation creates a waiting conversation with user, its last message at the current clock.
func (fx fixture) conversation(t *testing.T, user string) store.Conversation {
	t.Helper()
	k, _, err := fx.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: fx.ch.ID, Peer: channel.User(user)})
	require.NoError(t, err)
	c, _, err := fx.s.FindOrCreateConversation(t.Context(), store.Conversation{ChannelID: fx.ch.ID, ContactID: k.ID, Peer: k.Peer})
	require.NoError(t, err)
	c.LastInboundAt, c.Unreplied = *fx.clock, true
	c, err = fx.s.UpdateConversation(t.Context(), c)
	require.NoError(t, err)
	return c
}

// channel reads the fixture's channel as it is now.
func (fx fixture) channel(t *testing.T) store.Channel {
	t.Helper()
	ch, err := fx.s.GetChannel(t.Context(), fx.ch.ID)
	require.NoError(t, err)
	return ch
}

func (fx fixture) advance(d time.Duration) { *fx.clock = fx.clock.Add(d) }

func users(pool ...string) store.AssignmentRule {
	return store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: pool}
}

func TestRoundRobinRotatesAndSkipsTheUnavailable(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, users("carol", "alice", "bob"))
	rr, err := assign.NewRoundRobin(fx.dir)
	require.NoError(t, err)
	next := func() string {
		u, err := rr.Assign(t.Context(), fx.s, fx.channel(t), store.Conversation{ChannelID: fx.ch.ID})
		require.NoError(t, err)
		return u
	}
	require.Equal(t, []string{"alice", "bob", "carol", "alice"}, []string{next(), next(), next(), next()}, "members in ID order, in turn")
	fx.dir.SetAvailable("bob", false)
	require.Equal(t, []string{"carol", "alice", "carol"}, []string{next(), next(), next()}, "bob's turns are skipped while he is away")
	fx.dir.SetAvailable("bob", true)
	require.Equal(t, []string{"alice", "bob", "carol"}, []string{next(), next(), next()}, "bob is back at his place in the rotation")
}

func TestRoundRobinResolvesRolesAndGroups(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolGroup, PoolIDs: []string{"tokyo", "osaka"}})
	fx.dir.SetMembers(store.PoolGroup, "tokyo", "alice", "bob")
	fx.dir.SetMembers(store.PoolGroup, "osaka", "bob", "dave")
	rr, err := assign.NewRoundRobin(fx.dir)
	require.NoError(t, err)
	got := map[string]int{}
	for range 9 {
		u, err := rr.Assign(t.Context(), fx.s, fx.channel(t), store.Conversation{ChannelID: fx.ch.ID})
		require.NoError(t, err)
		got[u]++
	}
	require.Equal(t, map[string]int{"alice": 3, "bob": 3, "dave": 3}, got, "members of several groups, each once")
}

func TestRoundRobinNobodyAvailable(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, users("alice"))
	fx.dir.SetAvailable("alice", false)
	rr, _ := assign.NewRoundRobin(fx.dir)
	_, err := rr.Assign(t.Context(), fx.s, fx.channel(t), store.Conversation{ChannelID: fx.ch.ID})
	require.ErrorIs(t, err, assign.ErrNoAgent)
	fx2 := newFixture(t, store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolRole, PoolIDs: []string{"empty"}})
	rr2, _ := assign.NewRoundRobin(fx2.dir)
	_, err = rr2.Assign(t.Context(), fx2.s, fx2.channel(t), store.Conversation{ChannelID: fx2.ch.ID})
	require.ErrorIs(t, err, assign.ErrNoAgent, "a role without members")
}

func TestRuleChangeAppliesFromTheNextAssignment(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, users("alice"))
	rr, _ := assign.NewRoundRobin(fx.dir)
	u, err := rr.Assign(t.Context(), fx.s, fx.channel(t), store.Conversation{ChannelID: fx.ch.ID})
	require.NoError(t, err)
	require.Equal(t, "alice", u)
	ch, err := fx.s.GetChannel(t.Context(), fx.ch.ID)
	require.NoError(t, err)
	ch.Assignment = users("zed")
	_, err = fx.s.UpdateChannel(t.Context(), ch)
	require.NoError(t, err)
	u, err = rr.Assign(t.Context(), fx.s, fx.channel(t), store.Conversation{ChannelID: fx.ch.ID})
	require.NoError(t, err)
	require.Equal(t, "zed", u)
}

func TestRouteClaimsOnceAndRecordsHistory(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, users("alice", "bob"))
	rr, _ := assign.NewRoundRobin(fx.dir)
	c := fx.conversation(t, "U1")

	var wg sync.WaitGroup
	owners := make([]string, 8)
	errs := make([]error, len(owners))
	for i := range owners {
		wg.Go(func() {
			var got store.Conversation
			got, errs[i] = assign.Route(t.Context(), fx.s, rr, c.ID)
			owners[i] = got.Assignee
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "Route %d", i)
	}
	for _, o := range owners {
		require.Equal(t, owners[0], o, "every concurrent Route sees the one winner")
	}
	history, err := fx.s.ListAssignments(t.Context(), c.ID)
	require.NoError(t, err)
	require.Len(t, history, 1, "the conversation was assigned once")
	require.Equal(t, store.Assignment{ID: history[0].ID, ConversationID: c.ID, To: owners[0], Reason: store.AssignAuto, At: t0}, history[0])
}

func TestRouteIsStickyAndMovesOnlyAutomaticAssignments(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, users("alice", "bob", "carol"))
	rr, _ := assign.NewRoundRobin(fx.dir)
	c := fx.conversation(t, "U1")
	c, err := assign.Route(t.Context(), fx.s, rr, c.ID)
	require.NoError(t, err)
	first := c.Assignee
	for range 3 {
		c, err = assign.Route(t.Context(), fx.s, rr, c.ID)
		require.NoError(t, err)
		require.Equal(t, first, c.Assignee, "a returning sender keeps their assignee while eligible")
	}
	fx.dir.SetAvailable(first, false)
	c, err = assign.Route(t.Context(), fx.s, rr, c.ID)
	require.NoError(t, err)
	require.NotEqual(t, first, c.Assignee, "an assignee who is gone is replaced")
	history, _ := fx.s.ListAssignments(t.Context(), c.ID)
	require.Equal(t, first, history[len(history)-1].From)

	manual, err := assign.Reassign(t.Context(), fx.s, c.ID, c.Assignee, "outsider", "manager")
	require.NoError(t, err)
	require.Equal(t, "outsider", manual.Assignee)
	c, err = assign.Route(t.Context(), fx.s, rr, c.ID)
	require.NoError(t, err)
	require.Equal(t, "outsider", c.Assignee, "a manual assignment is never undone by routing")
	history, _ = fx.s.ListAssignments(t.Context(), c.ID)
	last := history[len(history)-1]
	require.Equal(t, store.AssignManual, last.Reason)
	require.Equal(t, "manager", last.By)

	_, err = assign.Reassign(t.Context(), fx.s, c.ID, "someone-else", "bob", "manager")
	require.ErrorIs(t, err, store.ErrConflict, "a reassignment from a stale owner cannot bounce the conversation")
}

func TestRouteKeepsTheAssigneeWhenNobodyElseIsAvailable(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, users("alice"))
	rr, _ := assign.NewRoundRobin(fx.dir)
	c := fx.conversation(t, "U1")
	c, err := assign.Route(t.Context(), fx.s, rr, c.ID)
	require.NoError(t, err)
	fx.dir.SetAvailable("alice", false)
	c, err = assign.Route(t.Context(), fx.s, rr, c.ID)
	require.NoError(t, err)
	require.Equal(t, "alice", c.Assignee)

	waiting := fx.conversation(t, "U2")
	_, err = assign.Route(t.Context(), fx.s, rr, waiting.ID)
	require.ErrorIs(t, err, assign.ErrNoAgent, "a new conversation waits")
}

// Interaction check: Route asks the assigner once for an unassigned conversation, and never for a
// conversation assigned by hand.
func TestRouteAsksTheAssignerOnlyWhenItMayMove(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, users("alice"))
	a := assignmock.NewMockAssigner(gomock.NewController(t))
	c := fx.conversation(t, "U1")
	a.EXPECT().Assign(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return("alice", nil).Times(1)
	_, err := assign.Route(t.Context(), fx.s, a, c.ID)
	require.NoError(t, err)
	_, err = assign.Reassign(t.Context(), fx.s, c.ID, "alice", "bob", "manager")
	require.NoError(t, err)
	_, err = assign.Route(t.Context(), fx.s, a, c.ID) // no further call expected
	require.NoError(t, err)
}

func TestDrainAssignsWaitingConversationsOldestFirst(t *testing.T) {
	t.Parallel()
	rule := store.AssignmentRule{Strategy: assign.StrategyBalanced, Pool: store.PoolUsers, PoolIDs: []string{"alice", "bob"}, MaxOpen: 1}
	fx := newFixture(t, rule)
	bal, _ := assign.NewBalanced(fx.dir)
	fx.dir.SetAvailable("alice", false)
	fx.dir.SetAvailable("bob", false)
	var convs []store.Conversation
	for i := range 3 {
		convs = append(convs, fx.conversation(t, fmt.Sprint("U", i)))
		fx.advance(time.Minute)
	}
	n, err := assign.Drain(t.Context(), fx.s, bal, fx.ch.ID)
	require.NoError(t, err)
	require.Zero(t, n, "nobody is available: everything waits")

	fx.dir.SetAvailable("alice", true)
	fx.dir.SetAvailable("bob", true)
	n, err = assign.Drain(t.Context(), fx.s, bal, fx.ch.ID)
	require.NoError(t, err)
	require.Equal(t, 2, n, "each member takes one, up to the cap")
	for i, want := range []bool{true, true, false} {
		c, err := fx.s.GetConversation(t.Context(), convs[i].ID)
		require.NoError(t, err)
		require.Equal(t, want, c.Assignee != "", "conversation %d: the oldest are assigned first", i)
	}
}

func TestBalancedPicksTheLeastLoaded(t *testing.T) {
	t.Parallel()
	rule := store.AssignmentRule{Strategy: assign.StrategyBalanced, Pool: store.PoolUsers, PoolIDs: []string{"alice", "bob", "carol"}}
	fx := newFixture(t, rule)
	bal, _ := assign.NewBalanced(fx.dir)
	route := func(user string) string {
		t.Helper()
		c, err := assign.Route(t.Context(), fx.s, bal, fx.conversation(t, user).ID)
		require.NoError(t, err)
		fx.advance(time.Minute)
		return c.Assignee
	}
	require.Equal(t, []string{"alice", "bob", "carol"}, []string{route("U1"), route("U2"), route("U3")}, "equal loads: least recently assigned, then by ID")
	// carol answers her conversation: she now has the fewest open.
	list, _, err := fx.s.ListConversations(t.Context(), store.View{Assignee: "carol"}, store.Page{})
	require.NoError(t, err)
	c := list[0].Conversation
	c.Unreplied = false
	_, err = fx.s.UpdateConversation(t.Context(), c)
	require.NoError(t, err)
	require.Equal(t, "carol", route("U4"))
	require.Equal(t, "alice", route("U5"), "a tie between alice and bob goes to who was assigned least recently")
}

func TestBalancedCapMakesConversationsWait(t *testing.T) {
	t.Parallel()
	rule := store.AssignmentRule{Strategy: assign.StrategyBalanced, Pool: store.PoolUsers, PoolIDs: []string{"alice"}, MaxOpen: 2}
	fx := newFixture(t, rule)
	bal, _ := assign.NewBalanced(fx.dir)
	for i := range 2 {
		_, err := assign.Route(t.Context(), fx.s, bal, fx.conversation(t, fmt.Sprint("U", i)).ID)
		require.NoError(t, err)
	}
	_, err := assign.Route(t.Context(), fx.s, bal, fx.conversation(t, "U9").ID)
	require.ErrorIs(t, err, assign.ErrNoAgent, "everyone is at the cap")
}

func TestStrategiesFollowTheChannelRule(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, users("alice"))
	rr, _ := assign.NewRoundRobin(fx.dir)
	s := assign.Strategies{assign.StrategyRoundRobin: rr}
	u, err := s.Assign(t.Context(), fx.s, fx.channel(t), store.Conversation{ChannelID: fx.ch.ID})
	require.NoError(t, err)
	require.Equal(t, "alice", u)

	for strategy, check := range map[string]func(error){
		"":        func(err error) { require.ErrorIs(t, err, assign.ErrNoAgent, "no strategy: nobody is assigned") },
		"lottery": func(err error) { require.Error(t, err); require.NotErrorIs(t, err, assign.ErrNoAgent) },
	} {
		ch, err := fx.s.GetChannel(t.Context(), fx.ch.ID)
		require.NoError(t, err)
		ch.Assignment.Strategy = strategy
		_, err = fx.s.UpdateChannel(t.Context(), ch)
		require.NoError(t, err)
		_, err = s.Assign(t.Context(), fx.s, fx.channel(t), store.Conversation{ChannelID: fx.ch.ID})
		check(err)
	}
}

func TestDirectoryErrorsPropagate(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolRole, PoolIDs: []string{"sales"}})
	dir := assignmock.NewMockDirectory(gomock.NewController(t))
	dir.EXPECT().Members(gomock.Any(), store.PoolRole, "sales").Return(nil, context.DeadlineExceeded)
	rr, _ := assign.NewRoundRobin(dir)
	_, err := rr.Assign(t.Context(), fx.s, fx.channel(t), store.Conversation{ChannelID: fx.ch.ID})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	_, err = assign.NewRoundRobin(nil)
	require.Error(t, err)
}
