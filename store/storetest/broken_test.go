package storetest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/storetest"
)

// The suite must be able to fail: each broken store below breaks one rule, and running the suite against
// it must fail exactly that rule's subtest while an unrelated rule of the same runner still passes.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	cases := []struct{ broken, runner, fails, passes string }{
		{"duplicate-appends", "Messages", "AppendIsIdempotentOnChannelMessageID", "GetMissingIsErrNotFound"},
		{"reversed-messages", "Messages", "ListOrdersByTimeThenIDAndPagesBothWays", "AppendIsIdempotentOnChannelMessageID"},
		{"blind-updates", "Conversations", "UpdateWithStaleVersionIsErrConflict", "ListFiltersByView"},
		{"missing-is-zero", "Channels", "GetMissingIsErrNotFound", "ListReturnsAllOldestFirst"},
		{"racy-cursor", "Assignments", "ConcurrentCallersNeverShareAValue", "CursorStartsAtOneAndCountsUp"},
		{"eternal-dedup", "Dedup", "KeyExpiresAfterTTLByTheStoreClock", "FirstCallIsFirstSeenLaterCallsAreNot"},
		{"no-rollback", "Transactions", "ErrorRollsBackEveryWrite", "CommitKeepsEveryWrite"},
		{"racy-cursor", "Fairness", "RoundRobinIsFairUnderConcurrency", ""},
		{"blind-claims", "Assignments", "AssignIsCompareAndSet", "ConcurrentCallersNeverShareAValue"},
		{"racy-claims", "Assignments", "ConcurrentClaimsHaveOneWinner", "AssignIsCompareAndSet"},
	}
	for _, tc := range cases {
		t.Run(tc.broken, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBrokenStoreFixture$/^"+tc.runner+"$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "STORETEST_BROKEN="+tc.broken)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the suite must fail against the %s store; output:\n%s", tc.broken, out)
			prefix := "TestBrokenStoreFixture/" + tc.runner + "/"
			require.Contains(t, string(out), "--- FAIL: "+prefix+tc.fails+" ", "the broken rule must fail")
			if tc.passes != "" {
				require.Contains(t, string(out), "--- PASS: "+prefix+tc.passes+" ", "an unrelated rule must still pass")
			}
		})
	}
}

// TestBrokenStoreFixture runs the suite against the broken store STORETEST_BROKEN names; it only runs as
// the child process of TestSuiteCatchesBrokenStores.
func TestBrokenStoreFixture(t *testing.T) {
	which := os.Getenv("STORETEST_BROKEN")
	if which == "" {
		t.Skip("runs only as a child of TestSuiteCatchesBrokenStores")
	}
	storetest.Run(t, storetest.Harness{New: func(t *testing.T, now func() time.Time) store.Store {
		return brokenStore{Store: memstore.New(&memstore.Options{Now: now}), which: which, cursors: &racyCursors{m: map[string]int64{}}}
	}})
}

// brokenStore is a memstore with one deliberate bug, chosen by which.
type brokenStore struct {
	*memstore.Store
	which   string
	cursors *racyCursors
}

type racyCursors struct {
	mu sync.Mutex
	m  map[string]int64
}

func (b brokenStore) AppendMessage(ctx context.Context, m store.Message) (store.Message, bool, error) {
	if b.which == "duplicate-appends" {
		m.ChannelMessageID = "" // forgets the idempotency key
	}
	return b.Store.AppendMessage(ctx, m)
}

func (b brokenStore) ListMessages(ctx context.Context, conv string, p store.Page) ([]store.Message, store.Cursor, error) {
	if b.which == "reversed-messages" {
		p.Order = 1 - p.Order
	}
	return b.Store.ListMessages(ctx, conv, p)
}

func (b brokenStore) UpdateConversation(ctx context.Context, c store.Conversation) (store.Conversation, error) {
	if b.which == "blind-updates" {
		if cur, err := b.Store.GetConversation(ctx, c.ID); err == nil {
			c.Version = cur.Version // last writer wins
		}
	}
	return b.Store.UpdateConversation(ctx, c)
}

func (b brokenStore) GetChannel(ctx context.Context, id string) (store.Channel, error) {
	c, err := b.Store.GetChannel(ctx, id)
	if b.which == "missing-is-zero" && errors.Is(err, store.ErrNotFound) {
		return store.Channel{}, nil
	}
	return c, err
}

func (b brokenStore) NextCursor(ctx context.Context, pool string) (int64, error) {
	if b.which != "racy-cursor" {
		return b.Store.NextCursor(ctx, pool)
	}
	// Read, then write: two callers can read the same value.
	b.cursors.mu.Lock()
	v := b.cursors.m[pool] + 1
	b.cursors.mu.Unlock()
	runtime.Gosched()
	b.cursors.mu.Lock()
	b.cursors.m[pool] = v
	b.cursors.mu.Unlock()
	return v, nil
}

func (b brokenStore) AssignConversation(ctx context.Context, a store.Assignment) (store.Conversation, error) {
	switch b.which {
	case "blind-claims": // last writer wins
		if cur, err := b.Store.GetConversation(ctx, a.ConversationID); err == nil {
			a.From = cur.Assignee
		}
	case "racy-claims": // check, then act: concurrent claimers can all pass the check
		cur, err := b.Store.GetConversation(ctx, a.ConversationID)
		if err != nil {
			return store.Conversation{}, err
		}
		if cur.Assignee != a.From {
			return store.Conversation{}, store.ErrConflict
		}
		time.Sleep(time.Millisecond)
		if cur, err = b.Store.GetConversation(ctx, a.ConversationID); err == nil {
			a.From = cur.Assignee
		}
	}
	return b.Store.AssignConversation(ctx, a)
}

func (b brokenStore) FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if b.which == "eternal-dedup" {
		ttl = 1000 * time.Hour
	}
	return b.Store.FirstSeen(ctx, key, ttl)
}

func (b brokenStore) RunInTx(ctx context.Context, fn func(context.Context, store.Store) error) error {
	if b.which == "no-rollback" {
		return fn(ctx, b) // no transaction at all
	}
	return b.Store.RunInTx(ctx, fn)
}
