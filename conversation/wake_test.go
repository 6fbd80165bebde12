package conversation_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/postgres"
)

// wakeInstances opens two stores on the same data, as two instances of the application would: two
// PostgreSQL pools on one schema, or one memstore shared by two services in one process. On PostgreSQL,
// kill terminates the backend of every listener on the schema, and reports how many it found.
func wakeInstances() map[string]func(t *testing.T) (a, b store.Store, kill func() int) {
	return map[string]func(t *testing.T) (store.Store, store.Store, func() int){
		"memstore": func(*testing.T) (store.Store, store.Store, func() int) { s := memstore.New(nil); return s, s, nil },
		"postgres": func(t *testing.T) (store.Store, store.Store, func() int) {
			dsn := multiDSN(t)
			schema := multiSchema(t, dsn)
			var ss [2]store.Store
			for i := range ss {
				s, err := postgres.Open(t.Context(), dsn, &postgres.Options{Schema: schema})
				require.NoError(t, err)
				t.Cleanup(func() { s.Close() })
				ss[i] = s
			}
			kill := func() int {
				conn, err := pgx.Connect(t.Context(), dsn)
				require.NoError(t, err)
				defer conn.Close(context.Background())
				var n int
				require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
					WHERE application_name = 'msgkit job listener' AND query = $1`, `LISTEN "msgkit_jobs.`+schema+`"`).Scan(&n))
				return n
			}
			return ss[0], ss[1], kill
		},
	}
}

// Issue 18: work recorded by one instance is done at once by another instance's idle Run, woken by the
// store (LISTEN/NOTIFY on PostgreSQL), not by its poll: Poll is an hour here, so only a wake explains a
// delivery within seconds. Instance A records; it runs no Run at all. On PostgreSQL, B's listener is then
// killed: a reply recorded while it reconnects is delivered as promptly, by the wake its reconnection gives.
func TestRunIsWokenByAnotherInstance(t *testing.T) {
	for name, open := range wakeInstances() {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			sa, sb, kill := open(t)
			ch, err := sa.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1650000000", Active: true})
			require.NoError(t, err)
			var mu sync.Mutex
			var bgErrs []error
			opts := func(deferDelivery bool) *conversation.Options {
				return &conversation.Options{DeferDelivery: deferDelivery, Jobs: conversation.JobOptions{Poll: time.Hour},
					OnError: func(err error) { mu.Lock(); defer mu.Unlock(); bgErrs = append(bgErrs, err) }}
			}
			fakeA, fakeB := channeltest.NewFake(nil), channeltest.NewFake(nil)
			fakeB.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Customer"})
			a, err := conversation.New(sa, conversation.AdapterMap{ch.ID: fakeA}, opts(true))
			require.NoError(t, err)
			b, err := conversation.New(sb, conversation.AdapterMap{ch.ID: fakeB}, opts(false))
			require.NoError(t, err)
			runCtx, stop := context.WithCancel(ctx)
			ran := make(chan error, 1)
			go func() { ran <- b.Run(runCtx) }()
			t.Cleanup(func() { stop(); <-ran })

			// A customer writes to instance A; B routes it (its inbound job).
			m := channel.Text("hello")
			m.ID = "line-msg-1"
			require.NoError(t, a.Ingest(ctx, ch.ID, []channel.Event{{ID: "ev-1", Kind: channel.EventMessage, Type: "message",
				Time: time.Now(), Mode: channel.ModeActive, Source: channel.User("U1"), Message: &m}}))
			require.Eventually(t, func() bool { return pending(t, sa) == 0 }, 10*time.Second, 5*time.Millisecond,
				"instance B did not do the work instance A recorded")
			list, _, err := sa.ListConversations(ctx, store.View{}, store.Page{Limit: 1})
			require.NoError(t, err)
			require.Len(t, list, 1)
			conv := list[0].Conversation

			// Each reply A records is delivered by B, promptly.
			for i := range 3 {
				start := time.Now()
				_, err := a.Reply(ctx, conv.ID, "alice", conversation.Reply{Text: "reply"})
				require.NoError(t, err)
				require.Eventually(t, func() bool { return len(fakeB.Delivered()) == i+1 }, 10*time.Second, time.Millisecond,
					"reply %d was not delivered by instance B", i)
				t.Logf("reply %d delivered by B after %v", i, time.Since(start))
			}
			if kill != nil {
				require.Equal(t, 1, kill(), "B's listener")
				_, err := a.Reply(ctx, conv.ID, "alice", conversation.Reply{Text: "reply"})
				require.NoError(t, err)
				require.Eventually(t, func() bool { return len(fakeB.Delivered()) == 4 }, 10*time.Second, time.Millisecond,
					"the reply recorded while B's listener was down was not delivered")
			}
			// A Reply that delivers at once (B's) does so itself, though its commit wakes Runs (B's own
			// among them): its send job is not theirs to take, so it answers sent, not queued.
			for range 5 {
				sent, err := b.Reply(ctx, conv.ID, "alice", conversation.Reply{Text: "at once"})
				require.NoError(t, err)
				require.Equal(t, store.StatusSent, sent.Parts[0].Status)
			}
			require.Empty(t, fakeA.Sends())
			mu.Lock()
			defer mu.Unlock()
			require.Empty(t, bgErrs)
		})
	}
}

// pending counts the store's pending jobs.
func pending(t *testing.T, s store.Store) int {
	t.Helper()
	jobs, _, err := s.ListJobs(t.Context(), store.JobFilter{Status: store.JobPending}, store.Page{Limit: 100})
	require.NoError(t, err)
	return len(jobs)
}
