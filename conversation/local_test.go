package conversation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/storetest"
)

// countingStore counts the calls of each store method a Service makes.
func countingStore(s store.Store) (*storetest.Faults, map[string]int, func()) {
	calls := map[string]int{}
	var on bool
	f := storetest.NewFaults(s, func(c storetest.Call) error {
		if on {
			calls[c.Method]++
		}
		return nil
	})
	return f, calls, func() { on = true }
}

// A Service that runs jobs runs those its own webhooks cause without claiming them (the claim's write
// transaction is what it saves), and nothing is left pending.
func TestARunnerRunsItsOwnJobsWithoutClaims(t *testing.T) {
	fx := newFixture(t, nil)
	f, calls, start := countingStore(fx.s)
	svc, err := conversation.New(f, conversation.AdapterMap{fx.ch.ID: fx.fake}, fx.opts)
	require.NoError(t, err)
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako"})
	_, err = svc.Flush(t.Context()) // a Service that Flushes runs jobs
	require.NoError(t, err)

	start()
	require.NoError(t, svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))
	n, err := svc.Flush(t.Context())
	require.NoError(t, err)
	require.Equal(t, 2, n, "routing and the profile fetch")
	require.Equal(t, 1, calls["ClaimJobs"], "only Flush's last look for due jobs claims; the webhook's own jobs are not claimed")
	require.Zero(t, calls["ClaimJob"])

	c := fx.conversationWith(t, "U1")
	require.NotEmpty(t, c.Assignee, "routed")
	k, err := fx.s.GetContact(t.Context(), c.ContactID)
	require.NoError(t, err)
	require.Equal(t, "Hanako", k.Profile.DisplayName)
	pending, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Status: store.JobPending}, store.Page{})
	require.NoError(t, err)
	require.Empty(t, pending)
}

// The jobs a Service recorded for itself and never ran (it stopped) are run by another once their short
// lease lapses; until then nobody else runs them.
func TestJobsOfAStoppedRunnerAreRunByAnother(t *testing.T) {
	fx := newFixture(t, nil)
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako"})
	dead, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake}, fx.opts)
	require.NoError(t, err)
	_, err = dead.Flush(t.Context())
	require.NoError(t, err)
	require.NoError(t, dead.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))
	// dead stops here, its queue unrun.

	require.Zero(t, fx.flush(t), "claimed by the stopped Service: not run by another while its lease lasts")
	require.Empty(t, fx.conversationWith(t, "U1").Assignee)
	fx.clock.Advance(15 * time.Second)
	require.Equal(t, 2, fx.flush(t), "the lease lapsed: any Run claims them")
	require.NotEmpty(t, fx.conversationWith(t, "U1").Assignee)
	require.Empty(t, *fx.errs)
}

// A Service that only ingests (no Run, no Flush in its process) records its jobs due for every Run: none
// waits for a lease.
func TestAnIngestOnlyServiceLeavesItsJobsToEveryRun(t *testing.T) {
	fx := newFixture(t, nil)
	front, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake}, fx.opts)
	require.NoError(t, err)
	require.NoError(t, front.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))
	require.Equal(t, 2, fx.flush(t), "due at once for another Service's Run")
	require.NotEmpty(t, fx.conversationWith(t, "U1").Assignee)
}

// When Run stops, the jobs it had queued for itself are handed back, due at once, to every other Run.
func TestAStoppingRunHandsItsQueueBack(t *testing.T) {
	fx := newFixture(t, nil)
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	slow, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake}, withNotifier(fx.opts, notifierFunc(
		func(ctx context.Context, _ conversation.Notification) error {
			select {
			case entered <- struct{}{}:
			default:
			}
			select { // holds Run's only worker until the test lets go
			case <-release:
			case <-ctx.Done():
			}
			return nil
		})))
	require.NoError(t, err)
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- slow.Run(ctx) }()
	// Run starts on it and blocks.
	require.NoError(t, slow.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))
	// Run runs the first webhook's jobs, and is held there.
	<-entered
	// Queued behind it.
	require.NoError(t, slow.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U2", "hello")}))
	stop()
	close(release)
	require.ErrorIs(t, <-done, context.Canceled)

	u2 := fx.conversationWith(t, "U2")
	require.Empty(t, u2.Assignee)
	require.Positive(t, fx.flush(t), "handed back: due at once, no lease to wait for")
	require.NotEmpty(t, fx.conversationWith(t, "U2").Assignee)
}

// withNotifier returns a copy of o with n as its Notifier and a single worker.
func withNotifier(o *conversation.Options, n conversation.Notifier) *conversation.Options {
	c := *o
	c.Notifier = n
	c.Jobs.Workers = 1
	return &c
}

// With a Notifier, the work a new sender's message causes takes two write transactions after the
// webhook's: routing with the notification's listing, then the profile, which also records that the
// Notifier was told. No job is claimed or completed in a transaction of its own.
func TestANewSendersJobsCommitTwice(t *testing.T) {
	fx := newFixture(t, nil)
	var seq []string
	var on bool
	f := storetest.NewFaults(fx.s, func(c storetest.Call) error {
		if on {
			seq = append(seq, c.Method)
		}
		return nil
	})
	told := 0
	svc, err := conversation.New(f, conversation.AdapterMap{fx.ch.ID: fx.fake}, withNotifier(fx.opts, notifierFunc(
		func(context.Context, conversation.Notification) error { told++; return nil })))
	require.NoError(t, err)
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako"})
	_, err = svc.Flush(t.Context())
	require.NoError(t, err)
	require.NoError(t, svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))

	on = true
	_, err = svc.Flush(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, told)
	var txs, completions int
	inTx := false
	for _, m := range seq {
		switch m {
		case "RunInTx":
			inTx = true
		case "Committed":
			inTx, txs = false, txs+1
		case "CompleteJob":
			require.True(t, inTx, "a job completed outside a transaction of its batch: %v", seq)
			completions++
		case "ClaimJob", "RetryJob", "FailJob", "HoldJob":
			require.Fail(t, "unexpected "+m, "%v", seq)
		}
	}
	require.Equal(t, 2, txs, "routing and listing, then the profile: %v", seq)
	require.Equal(t, 2, completions)
	pending, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Status: store.JobPending}, store.Page{})
	require.NoError(t, err)
	require.Empty(t, pending)
}

// The jobs of a webhook's events run together, kind by kind: ten new senders' routing and notifications
// in one transaction, their ten profiles in another.
func TestAWebhooksEventsShareTheirJobTransactions(t *testing.T) {
	fx := newFixture(t, nil)
	var seq []string
	var on bool
	f := storetest.NewFaults(fx.s, func(c storetest.Call) error {
		if on {
			seq = append(seq, c.Method)
		}
		return nil
	})
	svc, err := conversation.New(f, conversation.AdapterMap{fx.ch.ID: fx.fake}, fx.opts)
	require.NoError(t, err)
	var events []channel.Event
	for i := range 10 {
		user := fmt.Sprint("U", i)
		fx.fake.SetProfile(channel.Profile{UserID: user, DisplayName: "name of " + user})
		events = append(events, fx.text(user, "hi"))
	}
	_, err = svc.Flush(t.Context())
	require.NoError(t, err)
	require.NoError(t, svc.Ingest(t.Context(), fx.ch.ID, events))

	on = true
	n, err := svc.Flush(t.Context())
	require.NoError(t, err)
	require.Equal(t, 20, n)
	txs := 0
	for _, m := range seq {
		if m == "Committed" {
			txs++
		}
	}
	require.Equal(t, 2, txs, "one transaction per kind: %v", seq)
	for i := range 10 {
		c := fx.conversationWith(t, fmt.Sprint("U", i))
		require.NotEmpty(t, c.Assignee)
		k, err := fx.s.GetContact(t.Context(), c.ContactID)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint("name of U", i), k.Profile.DisplayName)
	}
	require.Empty(t, *fx.errs)
}
