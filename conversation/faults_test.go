package conversation_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/sqlite"
	"github.com/msgkit/msgkit/store/storetest"
)

// The inbound pipeline survives a store fault at every single call of a full flow — two webhook
// batches with new and returning senders, a follow, a postback, an unsend and a media message, then the
// work they cause: routing, notifying, profile fetches, the media hook. Each run fails one call N (the
// process goes on), or crashes at call N (every later call fails; a new process takes over on the same
// store, as after a restart), then redelivers every webhook that got no 200, as LINE does, and lets the
// jobs run until none is pending. The final state must be the fault-free run's: every message stored
// once, every contact and conversation once, every conversation assigned once and the round robin even,
// every message notified and every profile fetched, no job left pending or failed.
func TestInboundSurvivesAFaultAtEveryStoreCall(t *testing.T) {
	t.Parallel()
	for name, open := range faultBackends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, calls := runInboundFlow(t, open, 0, false)
			require.Greater(t, calls, int64(100), "the flow makes the store calls of a real one")
			for _, crash := range []bool{false, true} {
				mode := map[bool]string{false: "error", true: "crash"}[crash]
				t.Run(mode, func(t *testing.T) {
					t.Parallel()
					for n := int64(1); n <= calls; n++ {
						got, _ := runInboundFlow(t, open, n, crash)
						if !assert.Equal(t, want, got, "%s at call %d of %d", mode, n, calls) {
							return // the first failure says enough
						}
					}
				})
			}
		})
	}
}

// faultBackends returns the stores the fault-injection tests run on, each opening a fresh, empty store.
func faultBackends(t *testing.T) map[string]func(t *testing.T, now func() time.Time) store.Store {
	// Each SQLite run starts from a copy of one migrated database: creating the schema hundreds of times
	// would cost more than the runs.
	template := filepath.Join(t.TempDir(), "template.db")
	s, err := sqlite.Open(t.Context(), template, nil)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	empty, err := os.ReadFile(template)
	require.NoError(t, err)
	return map[string]func(t *testing.T, now func() time.Time) store.Store{
		"memstore": func(_ *testing.T, now func() time.Time) store.Store { return memstore.New(&memstore.Options{Now: now}) },
		"sqlite": func(t *testing.T, now func() time.Time) store.Store {
			path := filepath.Join(t.TempDir(), "faults.db")
			require.NoError(t, os.WriteFile(path, empty, 0o600))
			s, err := sqlite.Open(t.Context(), path, &sqlite.Options{Now: now})
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
}

// flowState is what the inbound flow leaves, in terms that do not depend on IDs or on the order in which
// retried jobs ran.
type flowState struct {
	Contacts      map[string]string   // peer → follow state and profile
	Conversations map[string]string   // peer → unreplied, last inbound, reply token, assigned
	Messages      map[string][]string // peer → its entries in order
	PerAgent      map[string]int      // agent → conversations assigned to them automatically, once each
	Notified      []string            // channel message IDs of the messages notified, sorted
	MisNotified   int                 // notifications sent to someone other than the assignee
	Listed        []string            // "agent channel-message-ID" of every listed notification, sorted
	Media         []string            // channel message IDs the media hook saw, sorted
	Jobs          map[string]int      // kind/status → count
}

var errInjected = errors.New("injected store fault")

// faultPlan is the fault of one run of a fault-injection test: it fails the store call numbered at;
// with crash, the process is dead from then on (every later call fails) until the test notices (died)
// and starts a new one on the same store.
type faultPlan struct {
	at    int64
	crash bool
	mu    sync.Mutex
	dead  bool
}

// fail is the storetest.Faults function.
func (p *faultPlan) fail(c storetest.Call) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.N == p.at || p.dead {
		p.dead = p.crash
		return errInjected
	}
	return nil
}

// died reports whether the process crashed since died last said so.
func (p *faultPlan) died() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	dead := p.dead
	p.dead = false
	return dead
}

// runInboundFlow runs the flow on a fresh store, failing store call failAt (none when 0), and returns
// the final state and how many store calls the first process made.
func runInboundFlow(t *testing.T, open func(*testing.T, func() time.Time) store.Store, failAt int64, crash bool) (flowState, int64) {
	t.Helper()
	clock := &clock{now: t0}
	raw := open(t, clock.Now)
	ctx := context.WithoutCancel(t.Context())
	ch, err := raw.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1", Active: true,
		Assignment: store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: []string{"alice", "bob"}}})
	require.NoError(t, err)
	fake := channeltest.NewFake(nil)
	for _, u := range []string{"U1", "U2", "U3"} {
		fake.SetProfile(channel.Profile{UserID: u, DisplayName: "name of " + u})
	}
	rr, err := assign.NewRoundRobin(&assign.MemoryDirectory{})
	require.NoError(t, err)

	var mu sync.Mutex
	notified := map[string]string{} // message ID → user
	media := map[string]bool{}
	var first *storetest.Faults
	plan := &faultPlan{at: failAt, crash: crash}
	type process struct {
		svc *conversation.Service
		h   http.Handler
	}
	start := func(fail func(storetest.Call) error) process {
		faults := storetest.NewFaults(raw, fail)
		if first == nil {
			first = faults
		}
		svc, err := conversation.New(faults, conversation.AdapterMap{ch.ID: fake}, &conversation.Options{
			Now:      clock.Now,
			Assigner: assign.Strategies{assign.StrategyRoundRobin: rr},
			Notifier: notifierFunc(func(_ context.Context, n conversation.Notification) error {
				mu.Lock()
				defer mu.Unlock()
				notified[n.MessageID] = n.UserID
				return nil
			}),
			Media: func(_ context.Context, m store.Message) error {
				mu.Lock()
				defer mu.Unlock()
				media[m.ChannelMessageID] = true
				return nil
			},
			OnError: func(error) {},
			Jobs:    conversation.JobOptions{Lease: time.Minute, MaxBackoff: time.Minute},
		})
		require.NoError(t, err)
		h, err := channel.NewHandler(ch.ID, fake, svc.Receive, nil)
		require.NoError(t, err)
		return process{svc, h}
	}
	p := start(plan.fail)
	restartIfCrashed := func() {
		if plan.died() {
			p = start(nil) // one crash per run; the new process's store works
		}
	}
	deliver := func(events ...channel.Event) {
		body := fake.Body(events...)
		for attempt := 0; ; attempt++ {
			require.Less(t, attempt, 10, "a webhook must be accepted once the fault is over")
			w := httptest.NewRecorder()
			p.h.ServeHTTP(w, fake.SignedRequest(body))
			restartIfCrashed()
			if w.Code == http.StatusOK {
				return
			}
		}
	}
	runJobs := func() {
		for round := 0; ; round++ {
			require.Less(t, round, 20, "the jobs must all finish once the fault is over")
			_, _ = p.svc.Flush(ctx)
			restartIfCrashed()
			pending, _, err := raw.ListJobs(ctx, store.JobFilter{Status: store.JobPending}, store.Page{})
			require.NoError(t, err)
			if len(pending) == 0 {
				return
			}
			clock.Advance(2 * time.Minute) // past any lease and backoff
		}
	}

	seq := 0
	at := t0 // event times follow the script, not the clock, which retries move on
	text := func(user, body string) channel.Event {
		seq++
		m := channel.Text(body)
		m.ID = fmt.Sprint("m", seq)
		return channel.Event{ID: fmt.Sprint("ev", seq), Kind: channel.EventMessage, Time: at, Mode: channel.ModeActive,
			Source: channel.User(user), ReplyToken: fmt.Sprint("rt", seq), Message: &m}
	}
	other := func(user string, kind channel.EventKind, fill func(*channel.Event)) channel.Event {
		seq++
		e := channel.Event{ID: fmt.Sprint("ev", seq), Kind: kind, Time: at, Mode: channel.ModeActive, Source: channel.User(user)}
		if fill != nil {
			fill(&e)
		}
		return e
	}

	deliver(text("U1", "hi"), text("U2", "hello"), text("U1", "more"))
	runJobs()
	at = at.Add(time.Minute)
	img := text("U3", "")
	photo := channel.Image("https://example.com/p.jpg", "https://example.com/p-small.jpg")
	photo.ID = img.Message.ID
	img.Message = &photo
	deliver(img, text("U2", "again"),
		other("U1", channel.EventPostback, func(e *channel.Event) { e.Postback = &channel.Postback{Data: "buy=1"} }),
		other("U1", channel.EventUnsend, func(e *channel.Event) { e.UnsentMessageID = "m3" }),
		other("U2", channel.EventUnfollow, nil))
	runJobs()

	calls := int64(0)
	if first != nil {
		calls = first.Calls()
	}
	return snapshotFlow(t, raw, ch.ID, notified, media), calls
}

func snapshotFlow(t *testing.T, s store.Store, channelID string, notified map[string]string, media map[string]bool) flowState {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	st := flowState{Contacts: map[string]string{}, Conversations: map[string]string{}, Messages: map[string][]string{},
		PerAgent: map[string]int{}, Jobs: map[string]int{}}
	convs, _, err := s.ListConversations(ctx, store.View{ChannelID: channelID}, store.Page{Limit: store.MaxLimit})
	require.NoError(t, err)
	messageIDs := map[string]string{} // store ID → channel message ID
	assignees := map[string]string{}  // channel message ID → the assignee of its conversation
	for _, e := range convs {
		c, k := e.Conversation, e.Contact
		peer := c.Peer.String()
		st.Contacts[peer] = fmt.Sprintf("followed=%t profile=%s/%s", k.Followed, k.ProfileStatus, k.Profile.DisplayName)
		st.Conversations[peer] = fmt.Sprintf("unreplied=%t in=%s token=%s assigned=%t", c.Unreplied,
			c.LastInboundAt.Format(time.RFC3339), c.ReplyToken, c.Assignee != "")
		msgs, _, err := s.ListMessages(ctx, c.ID, store.Page{Limit: store.MaxLimit, Order: store.OldestFirst})
		require.NoError(t, err)
		for _, m := range msgs {
			st.Messages[peer] = append(st.Messages[peer], fmt.Sprintf("%s %s %q unsent=%t", m.ChannelMessageID, m.Kind, m.Content.Text, m.Unsent))
			messageIDs[m.ID] = m.ChannelMessageID
			assignees[m.ChannelMessageID] = c.Assignee
		}
		history, err := s.ListAssignments(ctx, c.ID)
		require.NoError(t, err)
		for _, a := range history {
			st.PerAgent[a.To]++
		}
	}
	for id, user := range notified {
		st.Notified = append(st.Notified, messageIDs[id])
		if assignees[messageIDs[id]] != user {
			st.MisNotified++
		}
	}
	slices.Sort(st.Notified)
	for agent := range st.PerAgent {
		listed, _, err := s.ListNotifications(ctx, agent, store.NotificationFilter{}, store.Page{Limit: store.MaxLimit})
		require.NoError(t, err)
		for _, n := range listed {
			st.Listed = append(st.Listed, agent+" "+messageIDs[n.MessageID])
		}
	}
	slices.Sort(st.Listed)
	for id := range media {
		st.Media = append(st.Media, id)
	}
	slices.Sort(st.Media)
	jobs, _, err := s.ListJobs(ctx, store.JobFilter{}, store.Page{Limit: store.MaxLimit})
	require.NoError(t, err)
	for _, j := range jobs {
		st.Jobs[j.Kind+"/"+string(j.Status)]++
	}
	return st
}
