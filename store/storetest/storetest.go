package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// Harness makes the stores the suite tests.
type Harness struct {
	// New returns a new, empty store whose clock is now: every time the store stamps, and every expiry or
	// due time it decides, must come from now. The suite calls New once per test, from parallel tests;
	// release what it opens with t.Cleanup.
	New func(t *testing.T, now func() time.Time) store.Store

	// Handles, when set, returns n independent handles on one new, empty store, as n processes would hold
	// them (for a SQL backend, n connection pools to one database). The multi-instance tests use them.
	// When nil they use one handle n times, which is right for a store that lives in one process.
	Handles func(t *testing.T, now func() time.Time, n int) []store.Store

	// FairnessAssignments is how many assignments each of the fairness rule's 8 goroutines makes; 0 means
	// 10,000 (1,000 with -short). Backends whose writes cost milliseconds across handles (SQLite) may
	// choose fewer: the rule's bound is exact at any size.
	FairnessAssignments int
}

// Run runs the whole suite: every per-interface runner below. Subtest names state the rule they check,
// so a failure reads as the rule the backend broke.
func Run(t *testing.T, h Harness) {
	t.Run("Channels", func(t *testing.T) { RunChannels(t, h) })
	t.Run("Contacts", func(t *testing.T) { RunContacts(t, h) })
	t.Run("Conversations", func(t *testing.T) { RunConversations(t, h) })
	t.Run("Inbox", func(t *testing.T) { RunInbox(t, h) })
	t.Run("Messages", func(t *testing.T) { RunMessages(t, h) })
	t.Run("Assignments", func(t *testing.T) { RunAssignments(t, h) })
	t.Run("Jobs", func(t *testing.T) { RunJobs(t, h) })
	t.Run("JobWakes", func(t *testing.T) { RunJobWakes(t, h) })
	t.Run("Notifications", func(t *testing.T) { RunNotifications(t, h) })
	t.Run("Templates", func(t *testing.T) { RunTemplates(t, h) })
	t.Run("Links", func(t *testing.T) { RunLinks(t, h) })
	t.Run("ChannelEvents", func(t *testing.T) { RunChannelEvents(t, h) })
	t.Run("Webhooks", func(t *testing.T) { RunWebhooks(t, h) })
	t.Run("Requests", func(t *testing.T) { RunRequests(t, h) })
	t.Run("Text", func(t *testing.T) { RunText(t, h) })
	t.Run("Ownership", func(t *testing.T) { RunOwnership(t, h) })
	t.Run("Fairness", func(t *testing.T) { RunFairness(t, h) })
	t.Run("Transactions", func(t *testing.T) { RunTransactions(t, h) })
	t.Run("Context", func(t *testing.T) { RunContext(t, h) })
}

// T0 is the time every suite clock starts at.
var T0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// Clock is a manual clock for tests, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a fresh store with its clock.
type fixture struct {
	s     store.Store
	clock *Clock
}

// rule runs the subtest named after the rule it checks, in parallel, with a fresh store.
func rule(t *testing.T, h Harness, name string, f func(t *testing.T, fx fixture)) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		clock := NewClock(T0)
		s := h.New(t, clock.Now)
		require.NotNil(t, s, "Harness.New returned nil")
		f(t, fixture{s: s, clock: clock})
	})
}

// handles returns n handles on one new store for the multi-instance rules.
func handles(t *testing.T, h Harness, clock *Clock, n int) []store.Store {
	if h.Handles != nil {
		hs := h.Handles(t, clock.Now, n)
		require.Len(t, hs, n, "Harness.Handles returned the wrong number of handles")
		return hs
	}
	s := h.New(t, clock.Now)
	hs := make([]store.Store, n)
	for i := range hs {
		hs[i] = s
	}
	return hs
}

// newChannel creates a channel with a unique external ID.
func (fx fixture) newChannel(t *testing.T, ext string) store.Channel {
	t.Helper()
	c, err := fx.s.CreateChannel(t.Context(), store.Channel{Name: "Shop " + ext, Kind: "line", ExternalID: ext, Active: true})
	require.NoError(t, err, "creating a channel")
	return c
}

// newContact creates a user contact on ch.
func (fx fixture) newContact(t *testing.T, ch store.Channel, user string) store.Contact {
	t.Helper()
	c, created, err := fx.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: ch.ID, Peer: channel.User(user), Followed: true})
	require.NoError(t, err, "creating a contact")
	require.True(t, created, "a new peer must create a contact")
	return c
}

// newConversation creates a channel, a contact and their conversation.
func (fx fixture) newConversation(t *testing.T) store.Conversation {
	t.Helper()
	ch := fx.newChannel(t, "chan-1")
	return fx.conversationWith(t, ch, "U1")
}

// conversationWith creates a contact for user on ch and its conversation.
func (fx fixture) conversationWith(t *testing.T, ch store.Channel, user string) store.Conversation {
	t.Helper()
	k := fx.newContact(t, ch, user)
	c, created, err := fx.s.FindOrCreateConversation(t.Context(), store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: k.Peer})
	require.NoError(t, err, "creating a conversation")
	require.True(t, created, "a new peer must create a conversation")
	return c
}

// requireOneCreator calls findOrCreate from 16 goroutines at once and requires that all get the same
// record and exactly one created it.
func requireOneCreator(t *testing.T, what string, findOrCreate func() (id string, created bool, err error)) {
	t.Helper()
	const n = 16
	ids := make([]string, n)
	made := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			ids[i], made[i], err = findOrCreate()
			if err != nil {
				t.Errorf("call %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	creators := 0
	for i := range n {
		require.Equal(t, ids[0], ids[i], "every concurrent caller must get the same %s", what)
		if made[i] {
			creators++
		}
	}
	require.Equal(t, 1, creators, "exactly one concurrent caller creates the %s", what)
}

// requireOneWinner runs attempt(0..7) at once and requires that exactly one succeeds and every other fails
// with store.ErrConflict: the rule of every compare-and-set in the contract.
func requireOneWinner(t *testing.T, what string, attempt func(i int) error) {
	t.Helper()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = attempt(i) })
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		require.ErrorIs(t, err, store.ErrConflict, "the losers of a concurrent %s get ErrConflict", what)
	}
	require.Equal(t, 1, wins, "exactly one concurrent %s wins", what)
}

// cursorIDs lists the IDs of a page's items, in order.
func cursorIDs[T interface{ Cursor() store.Cursor }](items []T) []string {
	var ids []string
	for _, it := range items {
		ids = append(ids, it.Cursor().ID)
	}
	return ids
}
