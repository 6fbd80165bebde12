package conversation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/storetest"
)

// The reply path survives a store fault at every single call — a free reply with the token, a two-part
// push, each sent with an idempotency key that the client repeats until it gets an answer, as a client
// must, and the jobs that deliver them. With a fault that the process survives, the final state is the
// fault-free run's: every part sent, the reply free and the push billable, each delivered exactly once.
// With a crash at call N and a restart, every part is sent and delivered exactly once, or uncertain and
// delivered at most once — never twice.
func TestReplySurvivesAFaultAtEveryStoreCall(t *testing.T) {
	t.Parallel()
	for name, open := range faultBackends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, calls := runReplyFlow(t, open, 0, false)
			require.Greater(t, calls, int64(30), "the flow makes the store calls of a real one")
			for _, crash := range []bool{false, true} {
				mode := map[bool]string{false: "error", true: "crash"}[crash]
				t.Run(mode, func(t *testing.T) {
					t.Parallel()
					for n := int64(1); n <= calls; n++ {
						got, _ := runReplyFlow(t, open, n, crash)
						if crash {
							if !assertAtMostOnce(t, got, "crash at call %d of %d", n, calls) {
								return
							}
							continue
						}
						if !assert.Equal(t, want, got, "error at call %d of %d", n, calls) {
							return
						}
					}
				})
			}
		})
	}
}

// replyState is what the reply flow leaves: per part, its text, status, billing and how often the
// channel delivered it.
type replyState map[string]string

// assertAtMostOnce checks the crash rule: sent parts were delivered once, uncertain ones at most once,
// and nothing is left unsettled.
func assertAtMostOnce(t *testing.T, st replyState, msgAndArgs ...any) bool {
	t.Helper()
	ok := assert.Len(t, st, 3, msgAndArgs...)
	for text, s := range st {
		var status string
		var billable bool
		var delivered int
		_, err := fmt.Sscanf(s, "%s billable=%t delivered=%d", &status, &billable, &delivered)
		ok = ok && assert.NoError(t, err)
		switch store.MessageStatus(status) {
		case store.StatusSent:
			ok = ok && assert.Equal(t, 1, delivered, append([]any{"sent part %q delivered once: %s"}, text, msgAndArgs)...)
		case store.StatusUncertain:
			ok = ok && assert.LessOrEqual(t, delivered, 1, append([]any{"uncertain part %q delivered at most once"}, text)...)
		default:
			ok = ok && assert.Fail(t, "a part is left unsettled", "%q is %s; %v", text, status, msgAndArgs)
		}
	}
	return ok
}

// runReplyFlow runs the reply flow on a fresh store, failing store call failAt (none when 0) or crashing
// there, and returns the final state and how many store calls the first process made.
func runReplyFlow(t *testing.T, open func(*testing.T, func() time.Time) store.Store, failAt int64, crash bool) (replyState, int64) {
	t.Helper()
	clock := &clock{now: t0}
	raw := open(t, clock.Now)
	ctx := context.WithoutCancel(t.Context())
	ch, err := raw.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1", Active: true})
	require.NoError(t, err)
	fake := channeltest.NewFake(nil)
	// Outcomes are recorded through a passing fault (Persist, long enough under load); a dead process
	// gives up at once. A lease shorter than the reply token's life: a crashed process's claim lapses
	// while the token is fresh, so the retry after a lost outcome meets LINE's refusal of a used token.
	persist := map[bool]time.Duration{false: 2 * time.Second, true: 10 * time.Millisecond}[crash]
	quiet := &conversation.Options{Now: clock.Now, OnError: func(error) {}, Assigner: assign.Strategies{},
		Jobs: conversation.JobOptions{Lease: 10 * time.Second, MaxBackoff: time.Second, Persist: persist}}

	// The customer writes; this part is not under test.
	setup, err := conversation.New(raw, conversation.AdapterMap{ch.ID: fake}, quiet)
	require.NoError(t, err)
	m := channel.Text("Is the blue one in stock?")
	m.ID = "m1"
	require.NoError(t, setup.Ingest(ctx, ch.ID, []channel.Event{{ID: "ev1", Kind: channel.EventMessage, Time: t0,
		Mode: channel.ModeActive, Source: channel.User("U1"), ReplyToken: "rt1", Message: &m}}))
	_, err = setup.Flush(ctx)
	require.NoError(t, err)
	list, _, err := raw.ListConversations(ctx, store.View{}, store.Page{})
	require.NoError(t, err)
	convID := list[0].Conversation.ID

	plan := &faultPlan{at: failAt, crash: crash}
	var first *storetest.Faults
	start := func(fail func(storetest.Call) error) *conversation.Service {
		faults := storetest.NewFaults(raw, fail)
		if first == nil {
			first = faults
		}
		svc, err := conversation.New(faults, conversation.AdapterMap{ch.ID: fake}, quiet)
		require.NoError(t, err)
		return svc
	}
	svc := start(plan.fail)
	restartIfCrashed := func() {
		if plan.died() {
			svc = start(nil)
		}
	}
	reply := func(key string, r conversation.Reply) {
		r.IdempotencyKey = key
		for attempt := 0; ; attempt++ {
			require.Less(t, attempt, 10, "a reply must go through once the fault is over")
			_, err := svc.Reply(ctx, convID, "alice", r)
			restartIfCrashed()
			if err == nil {
				return
			}
		}
	}
	runJobs := func() {
		for round := 0; ; round++ {
			require.Less(t, round, 20, "the jobs must all finish once the fault is over")
			_, _ = svc.Flush(ctx)
			restartIfCrashed()
			pending, _, err := raw.ListJobs(ctx, store.JobFilter{Status: store.JobPending}, store.Page{})
			require.NoError(t, err)
			if len(pending) == 0 {
				return
			}
			clock.Advance(2 * time.Second) // past any backoff; a crashed process's lease lapses in 5 rounds
		}
	}

	clock.Advance(5 * time.Second)
	reply("a", conversation.Reply{Text: "Yes, it is."})
	runJobs()
	clock.Advance(time.Minute) // the token has expired: pushes
	reply("b", conversation.Reply{Text: "It ships tomorrow.", Messages: []channel.Message{channel.StickerMessage("446", "1988")}})
	runJobs()

	calls := int64(0)
	if first != nil {
		calls = first.Calls()
	}
	return snapshotReplies(t, raw, convID, fake), calls
}

func snapshotReplies(t *testing.T, s store.Store, convID string, fake *channeltest.Fake) replyState {
	t.Helper()
	delivered := map[string]int{}
	for _, m := range fake.Delivered() {
		delivered[partName(m)]++
	}
	msgs, _, err := s.ListMessages(context.WithoutCancel(t.Context()), convID, store.Page{Limit: store.MaxLimit, Order: store.OldestFirst})
	require.NoError(t, err)
	st := replyState{}
	for _, m := range msgs {
		if m.Direction == store.Outbound {
			st[partName(m.Content)] = fmt.Sprintf("%s billable=%t delivered=%d", m.Status, m.Billable, delivered[partName(m.Content)])
		}
	}
	return st
}

func partName(m channel.Message) string {
	if m.Type == channel.TypeSticker {
		return "sticker"
	}
	return m.Text
}
