package conversation_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/storetest"
)

// claimCounter is a store that counts the jobs its ClaimJobs returned.
type claimCounter struct {
	store.Store
	claimed int
}

func (c *claimCounter) ClaimJobs(ctx context.Context, limit int, lease time.Duration) ([]store.Job, error) {
	jobs, err := c.Store.ClaimJobs(ctx, limit, lease)
	c.claimed += len(jobs)
	return jobs, err
}

// A Service that runs jobs runs those its own webhooks cause without claiming them (the claim's write
// transaction is what it saves), and nothing is left pending.
func TestARunnerRunsItsOwnJobsWithoutClaims(t *testing.T) {
	fx := newFixture(t, nil)
	c := &claimCounter{Store: fx.s}
	svc, err := conversation.New(c, conversation.AdapterMap{fx.ch.ID: fx.fake}, fx.opts)
	require.NoError(t, err)
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako"})
	_, err = svc.Flush(t.Context()) // a Service that Flushes runs jobs
	require.NoError(t, err)

	require.NoError(t, svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))
	n, err := svc.Flush(t.Context())
	require.NoError(t, err)
	require.Equal(t, 2, n, "routing and the profile fetch")
	require.Zero(t, c.claimed, "the webhook's own jobs are not claimed")

	conv := fx.conversationWith(t, "U1")
	require.NotEmpty(t, conv.Assignee, "routed")
	k, err := fx.s.GetContact(t.Context(), conv.ContactID)
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

// The jobs of a webhook's events run together, whatever their kind: ten new senders' routing,
// notifications and profiles in one transaction after the webhook's; with a Notifier, one more
// completes the jobs whose Notifier call followed the commit. So do the same jobs claimed by a Service
// that did not record them.
func TestAWebhooksEventsShareTheirJobTransactions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		notifier conversation.Notifier
		commits  int
	}{
		{"no notifier", nil, 1},
		{"a notifier", notifierFunc(func(context.Context, conversation.Notification) error { return nil }), 2},
	} {
		for _, claimed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, claimed %v", tc.name, claimed), func(t *testing.T) {
				fx := newFixture(t, nil)
				opts := *fx.opts
				opts.Notifier = tc.notifier
				commits, seq := countJobCommits(t, fx, &opts, 10, claimed)
				require.Equal(t, tc.commits, commits, "store calls: %v", seq)
				// Each channel, user's settings and contact is read once, not once per job: the channel by
				// the profile fetches (the shared transaction uses what they read), the settings of each
				// assignee in the shared transaction, and every contact (for its routing and its profile)
				// in one call as it begins.
				assignees := map[string]bool{}
				for i := range 10 {
					assignees[fx.conversationWith(t, fmt.Sprint("U", i)).Assignee] = true
				}
				require.Equal(t, 1, count(seq, "GetChannel"), "store calls: %v", seq)
				require.Equal(t, len(assignees), count(seq, "GetNotificationSettings"), "store calls: %v", seq)
				require.Equal(t, 1, count(seq, "GetContacts"), "store calls: %v", seq)
				require.Zero(t, count(seq, "GetContact"), "store calls: %v", seq)
			})
		}
	}
}

// A new sender's message causes two jobs of two kinds (routing, its profile): they share one transaction.
func TestOneNewSendersJobsShareATransaction(t *testing.T) {
	fx := newFixture(t, nil)
	commits, seq := countJobCommits(t, fx, fx.opts, 1, false)
	require.Equal(t, 1, commits, "store calls: %v", seq)
}

// While nobody is available for some conversations (here: a second channel whose only agent is away),
// the other jobs of the batch still share one transaction: the shared transaction runs once more without
// the conversations that wait, and completes their jobs, instead of each of the batch's jobs then
// running alone. Round robin, notifications and jobs end as they would alone.
func TestNobodyAvailableForSomeConversationsKeepsTheOthersJobsTogether(t *testing.T) {
	fx := newFixture(t, nil)
	away, err := fx.s.CreateChannel(t.Context(), store.Channel{Name: "Osaka shop", Kind: "line", ExternalID: "1650000001",
		Active: true, Assignment: store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: []string{"carol"}}})
	require.NoError(t, err)
	fx.dir.SetAvailable("carol", false)
	awayFake := channeltest.NewFake(nil)
	told := map[string]int{} // user → times told
	opts := withNotifier(fx.opts, notifierFunc(func(_ context.Context, n conversation.Notification) error {
		told[n.UserID]++
		return nil
	}))
	calls := &callLog{}
	f := calls.wrap(fx.s)
	svc, err := conversation.New(f, conversation.AdapterMap{fx.ch.ID: fx.fake, away.ID: awayFake}, opts)
	require.NoError(t, err)
	_, err = svc.Flush(t.Context()) // the Service now records jobs for itself
	require.NoError(t, err)
	for ch, users := range map[string][]string{fx.ch.ID: {"U0", "U1", "U2", "U3", "U4", "U5"}, away.ID: {"V0", "V1", "V2", "V3"}} {
		var events []channel.Event
		for _, u := range users {
			fx.fake.SetProfile(channel.Profile{UserID: u, DisplayName: "name of " + u})
			awayFake.SetProfile(channel.Profile{UserID: u, DisplayName: "name of " + u})
			events = append(events, fx.text(u, "hi"))
		}
		require.NoError(t, svc.Ingest(t.Context(), ch, events))
	}

	calls.on = true
	n, err := svc.Flush(t.Context())
	require.NoError(t, err)
	require.Equal(t, 20, n)
	// The shared transaction that found nobody for V0–V3, rolled back; the one without them; the one that
	// completes the jobs whose Notifier was told.
	require.Equal(t, 3, count(calls.seq, "RunInTx"), "store calls: %v", calls.seq)
	require.Equal(t, 2, count(calls.seq, "Committed"), "store calls: %v", calls.seq)

	list, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{Limit: store.MaxLimit})
	require.NoError(t, err)
	assigned := map[string]int{}
	for _, e := range list {
		c := e.Conversation
		assigned[c.Assignee]++
		require.Equal(t, c.ChannelID == away.ID, c.Assignee == "", "conversation with %s", c.Peer.ID)
		k, err := fx.s.GetContact(t.Context(), c.ContactID)
		require.NoError(t, err)
		require.Equal(t, "name of "+c.Peer.ID, k.Profile.DisplayName)
	}
	require.Equal(t, map[string]int{"alice": 3, "bob": 3, "": 4}, assigned)
	require.Equal(t, map[string]int{"alice": 3, "bob": 3}, told)
	for _, user := range []string{"alice", "bob"} {
		notes, _, err := fx.s.ListNotifications(t.Context(), user, store.NotificationFilter{}, store.Page{})
		require.NoError(t, err)
		require.Len(t, notes, 3, user)
	}
	pending, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Status: store.JobPending}, store.Page{})
	require.NoError(t, err)
	require.Empty(t, pending)
	require.Empty(t, *fx.errs)
}

// callLog records the methods of the store calls made through the store wrap returns, while on.
type callLog struct {
	on  bool
	seq []string
}

func (l *callLog) wrap(s store.Store) store.Store {
	return storetest.NewFaults(s, func(c storetest.Call) error {
		if l.on {
			l.seq = append(l.seq, c.Method)
		}
		return nil
	})
}

// count returns how often method is in seq.
func count(seq []string, method string) int {
	n := 0
	for _, m := range seq {
		if m == method {
			n++
		}
	}
	return n
}

// countJobCommits ingests one webhook of new senders' messages through a Service with opts (with
// claimed, through another one that runs no jobs, so that the first claims them), runs their jobs,
// checks what they did, and returns the commits the jobs took and the store calls they made.
func countJobCommits(t *testing.T, fx fixture, opts *conversation.Options, senders int, claimed bool) (int, []string) {
	t.Helper()
	calls := &callLog{}
	f := calls.wrap(fx.s)
	o := *opts
	o.Jobs.Batch = max(o.Jobs.Batch, 2*senders) // one claim takes them all
	svc, err := conversation.New(f, conversation.AdapterMap{fx.ch.ID: fx.fake}, &o)
	require.NoError(t, err)
	ingester := svc
	if claimed { // a Service that runs no jobs records them due, for any Run to claim
		ingester, err = conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake}, &o)
		require.NoError(t, err)
	}
	var events []channel.Event
	for i := range senders {
		user := fmt.Sprint("U", i)
		fx.fake.SetProfile(channel.Profile{UserID: user, DisplayName: "name of " + user})
		events = append(events, fx.text(user, "hi"))
	}
	_, err = svc.Flush(t.Context())
	require.NoError(t, err)
	require.NoError(t, ingester.Ingest(t.Context(), fx.ch.ID, events))

	calls.on = true
	n, err := svc.Flush(t.Context())
	require.NoError(t, err)
	require.Equal(t, 2*senders, n)
	commits, open := 0, 0 // a write outside a transaction commits on its own
	for _, m := range calls.seq {
		switch {
		case m == "RunInTx":
			open++
		case m == "Committed":
			open, commits = open-1, commits+1
		case m == "CompleteJob" && open == 0:
			commits++
		}
	}
	for i := range senders {
		c := fx.conversationWith(t, fmt.Sprint("U", i))
		require.NotEmpty(t, c.Assignee)
		k, err := fx.s.GetContact(t.Context(), c.ContactID)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint("name of U", i), k.Profile.DisplayName)
	}
	require.Empty(t, *fx.errs)
	return commits, calls.seq
}

// Jobs of its own whose lease ran short before the Service got to them (here: the clock moved past half
// of it) are handed back and claimed at once, in the same Flush, not left to their lease.
func TestOwnJobsWhoseLeaseRanShortAreClaimed(t *testing.T) {
	fx := newFixture(t, nil)
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako"})
	fx.flush(t) // the Service now records jobs for itself
	require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))
	fx.clock.Advance(8 * time.Second)
	require.Equal(t, 2, fx.flush(t), "Flush runs the jobs that are due")
	require.NotEmpty(t, fx.conversationWith(t, "U1").Assignee)
	require.Empty(t, *fx.errs)
}

// A job whose lease lapsed before its turn came is not started: another Run may hold it by then. Here
// the claim before the Service's own jobs run takes 16 s, past their 15 s lease, and another instance
// claims and runs them meanwhile; the Service then passes them over instead of running them a second
// time (the Notifier told twice, the outcome unrecordable), whether a job runs alone (a returning
// sender's routing) or with others (two new senders' routing and profiles).
func TestAJobWhoseLeaseLapsedIsNotStarted(t *testing.T) {
	for _, tc := range []struct {
		name  string
		users []string
		jobs  int
	}{
		{"alone", []string{"U0"}, 1},
		{"together", []string{"U1", "U2"}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, nil)
			var mu sync.Mutex
			told := map[string]int{} // message ID → times told
			opts := withNotifier(fx.opts, notifierFunc(func(_ context.Context, n conversation.Notification) error {
				mu.Lock()
				defer mu.Unlock()
				told[n.MessageID]++
				return nil
			}))
			opts.Jobs.Poll = time.Nanosecond // the Service claims before it runs its own jobs
			other, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake}, opts)
			require.NoError(t, err)
			slow, ranByOther := false, 0
			var otherErr error
			f := storetest.NewFaults(fx.s, func(c storetest.Call) error {
				if slow && c.Method == "ClaimJobs" {
					slow = false
					fx.clock.Advance(16 * time.Second)
					ranByOther, otherErr = other.Flush(t.Context())
				}
				return nil
			})
			svc, err := conversation.New(f, conversation.AdapterMap{fx.ch.ID: fx.fake}, opts)
			require.NoError(t, err)
			queueOwnJobs(t, fx, svc, "U0", tc.users)
			slow = true
			_, err = svc.Flush(t.Context())
			require.NoError(t, err)
			require.NoError(t, otherErr)
			require.Equal(t, tc.jobs, ranByOther, "the other instance claims the jobs once their lease lapsed")
			require.Len(t, told, 1+len(tc.users))
			for id, n := range told {
				require.Equal(t, 1, n, "message %s told", id)
			}
			pending, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Status: store.JobPending}, store.Page{})
			require.NoError(t, err)
			require.Empty(t, pending)
			require.Empty(t, *fx.errs)
		})
	}
}

// A job whose lease lapsed after it ran but before its outcome was recorded (on a loaded machine, a
// batch's outcomes are recorded one by one after its work, and the last wait their turn past the lease)
// is left to the claim that follows: its outcome's refusal (store.ErrConflict) is no failure, and is
// not reported to OnError. Here the lease lapses as the outcome is recorded, and another instance
// claims and runs the job first, as multiinstance_test.go saw under CPU load; the job ends done, by the
// other instance, whether this one's outcome was its completion or a retry after the Notifier failed,
// and whether the job ran alone (a returning sender's routing) or with others (two new senders').
func TestAnOutcomeRecordedAfterTheLeaseLapsedIsNotReported(t *testing.T) {
	for _, tc := range []struct {
		name   string
		users  []string
		method string // the outcome recorded late: "CompleteJob" or "RetryJob"
		jobs   int    // the jobs the other instance runs
	}{
		{"alone, its completion", []string{"U1"}, "CompleteJob", 1},
		{"alone, its retry", []string{"U1"}, "RetryJob", 1},
		{"together, their retries", []string{"U2", "U3"}, "RetryJob", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, nil)
			told := map[string]int{} // message ID → times told, successfully
			fails := false           // this instance's Notifier fails
			notifier := func(fail *bool) conversation.Notifier {
				return notifierFunc(func(_ context.Context, n conversation.Notification) error {
					if fail != nil && *fail {
						return errors.New("the notifier is down")
					}
					told[n.MessageID]++
					return nil
				})
			}
			other, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake}, withNotifier(fx.opts, notifier(nil)))
			require.NoError(t, err)
			late, ranByOther := false, 0
			var otherErr error
			f := storetest.NewFaults(fx.s, func(c storetest.Call) error {
				if late && c.Method == tc.method {
					late = false
					fx.clock.Advance(16 * time.Second) // past the 15 s lease of the Service's own jobs
					ranByOther, otherErr = other.Flush(t.Context())
				}
				return nil
			})
			svc, err := conversation.New(f, conversation.AdapterMap{fx.ch.ID: fx.fake}, withNotifier(fx.opts, notifier(&fails)))
			require.NoError(t, err)
			queueOwnJobs(t, fx, svc, "U1", tc.users)
			late, fails = true, tc.method == "RetryJob"
			_, err = svc.Flush(t.Context())
			require.NoError(t, err)
			require.False(t, late, "the outcome was recorded")
			require.NoError(t, otherErr)
			require.Equal(t, tc.jobs, ranByOther, "the other instance claims and runs the jobs once their lease lapsed")
			require.Empty(t, *fx.errs, "errors reported to OnError")
			require.Len(t, told, 1+len(tc.users), "every message told")
			for _, status := range []store.JobStatus{store.JobPending, store.JobFailed} {
				jobs, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Status: status}, store.Page{})
				require.NoError(t, err)
				require.Empty(t, jobs, status)
			}
		})
	}
}

// A stream of the Service's own jobs never keeps a job due for any Run waiting: here a Notifier that
// ingests a new message each time it is told keeps the local queue full for 30 rounds. A job recorded
// through this Service (a reply, delivered by Run) is claimed with the next batch; one it was not told
// of (another instance's, without a wake) within Jobs.Poll, here a nanosecond.
func TestOwnJobsDoNotStarveClaimedOnes(t *testing.T) {
	for _, tc := range []struct {
		name string
		poll time.Duration
		// record records the job due for any Run, at round 0 (before the stream) or later.
		record func(t *testing.T, fx fixture, svc *conversation.Service) string
		round  int
	}{
		{"unannounced, within Poll", time.Nanosecond, func(t *testing.T, fx fixture, _ *conversation.Service) string {
			// A malformed snooze: it ends at once, visibly.
			j, _, err := fx.s.EnqueueJob(t.Context(), store.Job{Kind: "snooze", Payload: []byte(`"x"`)})
			require.NoError(t, err)
			return j.ID
		}, 0},
		{"recorded by this Service, at once", time.Hour, func(t *testing.T, fx fixture, svc *conversation.Service) string {
			c := fx.conversationWith(t, "U1")
			_, err := svc.Reply(t.Context(), c.ID, "aiko", conversation.Reply{Text: "on it"})
			require.NoError(t, err)
			jobs, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Kind: "send"}, store.Page{Limit: 10})
			require.NoError(t, err)
			require.Len(t, jobs, 1)
			return jobs[0].ID
		}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, func(o *conversation.Options) {
				o.Jobs.Poll = tc.poll
				o.DeferDelivery = true
			})
			var svc *conversation.Service
			told, ranAt := 0, -1
			var due string
			svc, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake}, withNotifier(fx.opts, notifierFunc(
				func(ctx context.Context, _ conversation.Notification) error {
					told++
					if told == tc.round {
						due = tc.record(t, fx, svc)
					}
					if j, err := fx.s.GetJob(ctx, due); err == nil && j.Status != store.JobPending && ranAt < 0 {
						ranAt = told
					}
					if told < 30 {
						return svc.Ingest(ctx, fx.ch.ID, []channel.Event{fx.text("U1", "more")})
					}
					return nil
				})))
			require.NoError(t, err)
			_, err = svc.Flush(t.Context())
			require.NoError(t, err)
			if tc.round == 0 {
				due = tc.record(t, fx, svc)
			}
			require.NoError(t, svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))
			_, err = svc.Flush(t.Context())
			require.NoError(t, err)
			require.Equal(t, 30, told)
			require.True(t, ranAt > tc.round && ranAt < tc.round+3, "the due job ran after %d of %d notifications", ranAt, told)
		})
	}
}

// A batch that records more jobs than the Service's queue holds records the rest due for any Run: none
// waits for a lease.
func TestJobsBeyondTheQueueAreDueForAnyRun(t *testing.T) {
	fx := newFixture(t, func(o *conversation.Options) { o.Batch = 600 })
	fx.flush(t)
	var events []channel.Event
	for i := range 600 {
		events = append(events, fx.text(fmt.Sprint("U", i), "hi"))
	}
	require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, events))
	require.Equal(t, 1200, fx.flush(t))
	pending, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Status: store.JobPending}, store.Page{Limit: store.MaxLimit})
	require.NoError(t, err)
	require.Empty(t, pending)
}

// A media job is not recorded for the Service itself: it gets the time budget of a claim
// (Options.Jobs.Lease), which a slow copy or hook may need, not a local lease's.
func TestMediaJobsGetAClaimsTimeBudget(t *testing.T) {
	var budget time.Duration
	fx := newFixture(t, func(o *conversation.Options) {
		o.Jobs.Lease = 10 * time.Minute
		o.Media = func(ctx context.Context, m store.Message) error {
			dl, _ := ctx.Deadline()
			budget = time.Until(dl)
			return nil
		}
	})
	fx.flush(t)
	img := fx.text("U1", "")
	m := channel.Message{Type: channel.TypeImage, ID: "img-1", Media: &channel.Media{}}
	img.Message = &m
	fx.ingest(t, img)
	require.Greater(t, budget, 5*time.Minute)
}

// A job that finished as its Run was stopping is recorded done, not handed back to run again: the
// Notifier is told once.
func TestAJobDoneAsRunStopsIsNotRunAgain(t *testing.T) {
	fx := newFixture(t, nil)
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako"})
	ctx, stop := context.WithCancel(t.Context())
	told := 0
	notifier := notifierFunc(func(context.Context, conversation.Notification) error {
		told++
		stop() // the Run stops while this job ends well
		return nil
	})
	svc, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake}, withNotifier(fx.opts, notifier))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	require.NoError(t, svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))
	require.ErrorIs(t, <-done, context.Canceled)

	other, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake}, withNotifier(fx.opts, notifier))
	require.NoError(t, err)
	_, err = other.Flush(t.Context())
	require.NoError(t, err)
	fx.clock.Advance(time.Minute) // past every lease
	_, err = other.Flush(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, told)
}

// hangingProfiles is a Fake whose profile lookups hang until their context ends.
type hangingProfiles struct{ *channeltest.Fake }

func (hangingProfiles) Profile(ctx context.Context, _ channel.Peer) (channel.Profile, error) {
	<-ctx.Done()
	return channel.Profile{}, ctx.Err()
}

// A profile lookup that hangs until its job's time is up costs its own job a retry, not the routing and
// notification of the message that shares its batch: those are recorded all the same.
func TestAHangingProfileFetchDoesNotFailTheRoutingBesideIt(t *testing.T) {
	fx := newFixture(t, func(o *conversation.Options) { o.Jobs.Lease = 400 * time.Millisecond })
	svc, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: hangingProfiles{fx.fake}}, fx.opts)
	require.NoError(t, err)
	_, err = svc.Flush(t.Context()) // runs jobs: a new sender's routing and profile run together
	require.NoError(t, err)
	require.NoError(t, svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))
	_, err = svc.Flush(t.Context())
	require.NoError(t, err)

	require.NotEmpty(t, fx.conversationWith(t, "U1").Assignee, "errors: %v", *fx.errs)
	inbound, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Kind: "inbound"}, store.Page{Limit: 10})
	require.NoError(t, err)
	require.Len(t, inbound, 1)
	require.Equal(t, store.JobDone, inbound[0].Status, inbound[0].LastError)
	profile, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Kind: "profile"}, store.Page{Limit: 10})
	require.NoError(t, err)
	require.Len(t, profile, 1)
	require.Equal(t, store.JobPending, profile[0].Status) // retried later
}

// A batch's one job of its own runs before the jobs it claimed, as its own jobs do: its lease is the
// short one. Here the media hook the batch claimed takes 20s (the clock moves): run after it, the
// routing job's 15s lease had lapsed, its completion was refused, and it ran, and told, again.
func TestALoneJobOfItsOwnRunsBeforeTheClaimedOnes(t *testing.T) {
	var fx fixture
	told := 0
	fx = newFixture(t, func(o *conversation.Options) {
		o.Notifier = notifierFunc(func(context.Context, conversation.Notification) error { told++; return nil })
		o.Media = func(context.Context, store.Message) error {
			fx.clock.Advance(20 * time.Second) // a slow hook
			return nil
		}
	})
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako"})
	fx.ingest(t, fx.text("U1", "hi")) // U1 is known, and the Service runs jobs
	require.Equal(t, 1, told)
	img := fx.text("U1", "")
	m := channel.Message{Type: channel.TypeImage, ID: "img-1", Media: &channel.Media{}}
	img.Message = &m
	fx.ingest(t, img)             // its routing is the Service's own, its media job is claimed
	fx.clock.Advance(time.Minute) // past every lease
	fx.flush(t)
	require.Equal(t, 2, told, "errors: %v", *fx.errs)
	pending, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Status: store.JobPending}, store.Page{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, pending)
}

// queueOwnJobs has svc take a message from known (and run its jobs: from then on svc records the jobs of
// its own webhooks for itself), then a webhook with a message from each of users, whose jobs wait in
// svc's queue.
func queueOwnJobs(t *testing.T, fx fixture, svc *conversation.Service, known string, users []string) {
	t.Helper()
	fx.fake.SetProfile(channel.Profile{UserID: known, DisplayName: "returning"})
	require.NoError(t, svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text(known, "hi")}))
	_, err := svc.Flush(t.Context())
	require.NoError(t, err)
	var events []channel.Event
	for _, u := range users {
		fx.fake.SetProfile(channel.Profile{UserID: u, DisplayName: "name of " + u})
		events = append(events, fx.text(u, "hello"))
	}
	require.NoError(t, svc.Ingest(t.Context(), fx.ch.ID, events))
}
