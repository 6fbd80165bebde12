package conversation_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/postgres"
)

// Issue 12: several instances of the service on one PostgreSQL database, each with its own connection
// pool, webhook endpoint and Run loop, take a flood of webhooks in which one sender's messages arrive at
// different instances at the same moment and a tenth of the webhooks are delivered twice, to another
// instance. The test proves that
//
//   - no webhook is refused (every delivery, first or repeated, is answered 200): an optimistic conflict
//     between instances never reaches the channel;
//   - every sender gets exactly one contact and one conversation, and every event exactly one message,
//     in its sender's conversation: nothing lost, nothing doubled;
//   - every conversation is assigned exactly once (one entry in its history, by the round robin), the
//     round-robin counts are within one of each other, and the rotation's cursor advanced exactly once
//     per conversation: racing routes consume a turn only when their claim wins;
//   - the work the events cause is done, once the queue is empty: every message notified, every profile
//     fetched, no job failed, nothing reported to OnError.
func TestInstancesShareOnePostgreSQLDatabase(t *testing.T) {
	const (
		instances       = 4
		senders         = 240
		eventsPerSender = 10 // 2,400 events
		sendersPerWave  = 8  // senders whose events are sent at about the same time
		posters         = 16 // concurrent webhook deliveries
	)
	agents := []string{"agent-a", "agent-b", "agent-c"}
	dsn := multiDSN(t)
	schema := multiSchema(t, dsn)
	ctx := t.Context()
	seed := mrand.Uint64()
	t.Logf("seed %d", seed)
	rnd := mrand.New(mrand.NewPCG(seed, 0))

	// The instances: one schema, a store (and so a pool) each, a service, a webhook server and a Run loop.
	stores := make([]*postgres.Store, instances)
	for i := range stores {
		s, err := postgres.Open(ctx, dsn, &postgres.Options{Schema: schema})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	ch, err := stores[0].CreateChannel(ctx, store.Channel{Name: "Osaka shop", Kind: "fake", ExternalID: "1650000001", Active: true,
		Assignment: store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: agents}})
	require.NoError(t, err)
	user := func(n int) string { return fmt.Sprintf("U%04d", n) }

	var mu sync.Mutex
	var bgErrs []error
	notified := map[string]int{} // message ID → notifications
	fakes := make([]*channeltest.Fake, instances)
	servers := make([]*httptest.Server, instances)
	runCtx, stopRuns := context.WithCancel(ctx)
	runErrs := make([]error, instances)
	var runs sync.WaitGroup
	stop := sync.OnceFunc(func() { stopRuns(); runs.Wait() })
	t.Cleanup(stop) // before the stores close: cleanups run last registered first
	for i := range instances {
		fake := channeltest.NewFake(nil) // the same (default) secret as every other instance's
		for n := range senders {
			fake.SetProfile(channel.Profile{UserID: user(n), DisplayName: "Customer " + user(n)})
		}
		rr, err := assign.NewRoundRobin(&assign.MemoryDirectory{})
		require.NoError(t, err)
		svc, err := conversation.New(stores[i], conversation.AdapterMap{ch.ID: fake}, &conversation.Options{
			Assigner: assign.Strategies{assign.StrategyRoundRobin: rr},
			Notifier: notifierFunc(func(_ context.Context, n conversation.Notification) error {
				mu.Lock()
				defer mu.Unlock()
				notified[n.MessageID]++
				return nil
			}),
			OnError: func(err error) { mu.Lock(); defer mu.Unlock(); bgErrs = append(bgErrs, err) },
			Jobs:    conversation.JobOptions{Poll: 20 * time.Millisecond, BaseBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond},
		})
		require.NoError(t, err)
		h, err := channel.NewHandler(ch.ID, fake, svc.Receive, nil)
		require.NoError(t, err)
		fakes[i], servers[i] = fake, httptest.NewServer(h)
		t.Cleanup(servers[i].Close)
		runs.Go(func() { runErrs[i] = svc.Run(runCtx) })
	}

	// The traffic, in waves of a few senders: each wave's events are shuffled and cut into webhooks of
	// 1–5 events, each posted to a random instance, so one sender's messages are stored by several
	// instances at once; a tenth of the webhooks are posted again, soon after, to another instance.
	type post struct {
		instance int
		body     []byte
		repeat   bool
	}
	var waves [][]post
	var all []channel.Event
	for group := range slices.Chunk(rnd.Perm(senders), sendersPerWave) {
		var events []channel.Event
		for _, n := range group {
			for range eventsPerSender {
				seq := len(all) + len(events)
				m := channel.Text(fmt.Sprintf("message %d", seq))
				m.ID = fmt.Sprintf("line-msg-%d", seq)
				events = append(events, channel.Event{ID: fmt.Sprintf("ev-%d", seq), Kind: channel.EventMessage, Type: "message",
					Time: t0.Add(time.Duration(seq) * time.Millisecond), Mode: channel.ModeActive, Source: channel.User(user(n)),
					ReplyToken: fmt.Sprintf("rt-%d", seq), Message: &m})
			}
		}
		all = append(all, events...)
		rnd.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
		var wave []post
		for len(events) > 0 {
			k := min(1+rnd.IntN(5), len(events))
			wave = append(wave, post{instance: rnd.IntN(instances), body: fakes[0].Body(events[:k]...)})
			events = events[k:]
		}
		waves = append(waves, wave)
	}
	// The repeats: a tenth of the webhooks, each posted again a few places after its original, so that it
	// races the original or follows it closely.
	var firsts int
	for _, w := range waves {
		firsts += len(w)
	}
	repeats := firsts / 10
	picked := map[int]bool{}
	for _, n := range rnd.Perm(firsts)[:repeats] {
		picked[n] = true
	}
	type slot struct {
		at float64
		p  post
	}
	var queue []post
	n := 0
	for _, wave := range waves {
		var slots []slot
		for j, p := range wave {
			slots = append(slots, slot{float64(j), p})
			if picked[n] {
				p.instance, p.repeat = (p.instance+1+rnd.IntN(instances-1))%instances, true
				slots = append(slots, slot{float64(j) + 0.5 + 6*rnd.Float64(), p})
			}
			n++
		}
		slices.SortStableFunc(slots, func(a, b slot) int { return cmp.Compare(a.at, b.at) })
		for _, s := range slots {
			queue = append(queue, s.p)
		}
	}
	require.Len(t, queue, firsts+repeats)

	// Post it all from posters goroutines; they only record outcomes, which this goroutine checks.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: posters}}
	t.Cleanup(client.CloseIdleConnections)
	status := make([]int, len(queue))
	postErrs := make([]error, len(queue))
	next := make(chan int)
	start := time.Now()
	var posting sync.WaitGroup
	for range posters {
		posting.Go(func() {
			for i := range next {
				p := queue[i] // each poster writes only the outcomes of the posts it took
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, servers[p.instance].URL, bytes.NewReader(p.body))
				if err != nil {
					postErrs[i] = err
					continue
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(channeltest.SignatureHeader, fakes[p.instance].Sign(p.body))
				res, err := client.Do(req)
				if err != nil {
					postErrs[i] = err
					continue
				}
				res.Body.Close()
				status[i] = res.StatusCode
			}
		})
	}
	for i := range queue {
		next <- i
	}
	close(next)
	posting.Wait()
	ingested := time.Since(start)
	require.NoError(t, errors.Join(postErrs...))
	refused := map[bool]int{}
	for i, code := range status {
		if code != http.StatusOK {
			refused[queue[i].repeat]++
		}
	}
	require.Zero(t, refused[false], "webhooks refused on their first delivery, of %d", firsts)
	require.Zero(t, refused[true], "repeated webhooks refused, of %d", repeats)

	// Let the instances' Run loops finish the work, then stop them.
	for deadline := time.Now().Add(time.Minute); ; {
		pending, _, err := stores[0].ListJobs(ctx, store.JobFilter{Status: store.JobPending}, store.Page{Limit: 1})
		require.NoError(t, err)
		if len(pending) == 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "jobs still pending after a minute")
		time.Sleep(20 * time.Millisecond)
	}
	drained := time.Since(start)
	stop()
	for _, err := range runErrs {
		require.ErrorIs(t, err, context.Canceled)
	}

	// The Run loops have stopped: notified and bgErrs are read without the lock from here on.
	//
	// One contact and one conversation per sender; one message per event, in its sender's conversation.
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	count := func(table string) (n int) {
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{schema, table}.Sanitize()).Scan(&n))
		return n
	}
	require.Equal(t, senders, count("contacts"), "contacts")
	require.Equal(t, senders, count("conversations"), "conversations")
	require.Equal(t, len(all), count("messages"), "messages")
	want := map[string]string{} // channel message ID → sender
	for _, e := range all {
		want[e.Message.ID] = e.Source.UserID
	}
	got := map[string]string{}
	perAgent := map[string]int{}
	var convs []store.InboxEntry
	for after := (store.Cursor{}); ; {
		page, next, err := stores[1].ListConversations(ctx, store.View{ChannelID: ch.ID}, store.Page{Limit: store.MaxLimit, After: after})
		require.NoError(t, err)
		convs = append(convs, page...)
		if next.IsZero() {
			break
		}
		after = next
	}
	require.Len(t, convs, senders)
	for _, e := range convs {
		c := e.Conversation
		msgs, _, err := stores[2].ListMessages(ctx, c.ID, store.Page{Limit: store.MaxLimit})
		require.NoError(t, err)
		require.Len(t, msgs, eventsPerSender, "messages of %s", c.Peer.ID)
		for _, m := range msgs {
			require.NotContains(t, got, m.ChannelMessageID, "stored twice")
			got[m.ChannelMessageID] = c.Peer.ID
			require.Positive(t, notified[m.ID], "notifications of message %s", m.ChannelMessageID)
		}
		history, err := stores[3].ListAssignments(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, history, 1, "assignments of %s", c.Peer.ID)
		require.Equal(t, []string{"", c.Assignee, string(store.AssignAuto)}, []string{history[0].From, history[0].To, string(history[0].Reason)},
			"the assignment of %s: from, to, reason", c.Peer.ID)
		perAgent[c.Assignee]++
		require.Equal(t, store.ProfileFetched, e.Contact.ProfileStatus, "profile of %s", c.Peer.ID)
		require.True(t, c.Unreplied)
	}
	require.Equal(t, want, got, "one message per event, in its sender's conversation")

	// Round robin: ⌊N/k⌋ or ⌈N/k⌉ each, and the cursor took exactly one turn per conversation.
	lo, hi := senders/len(agents), (senders+len(agents)-1)/len(agents)
	for _, a := range agents {
		require.True(t, perAgent[a] >= lo && perAgent[a] <= hi, "%s has %d conversations, want %d–%d: %v", a, perAgent[a], lo, hi, perAgent)
	}
	turn, err := stores[0].NextCursor(ctx, "assign/round_robin/"+ch.ID)
	require.NoError(t, err)
	require.Equal(t, int64(senders+1), turn, "round-robin turns taken for %d conversations, plus this one", senders)

	// The background work ended well.
	failed, _, err := stores[0].ListJobs(ctx, store.JobFilter{Status: store.JobFailed}, store.Page{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, failed, "failed jobs")
	require.NoError(t, errors.Join(bgErrs...), "errors reported to OnError")
	t.Logf("%d events from %d senders in %d webhooks (+%d repeated) over %d instances: ingested in %v, all work done in %v; conversations per agent %v",
		len(all), senders, firsts, repeats, instances, ingested.Round(time.Millisecond), drained.Round(time.Millisecond), perAgent)
}

// multiDSN returns the PostgreSQL test database from MSGKIT_POSTGRES_DSN; without it the test is skipped,
// except in CI, where it fails.
func multiDSN(t *testing.T) string {
	d := os.Getenv("MSGKIT_POSTGRES_DSN")
	if d == "" {
		msg := "MSGKIT_POSTGRES_DSN is not set: the multi-instance test needs PostgreSQL, e.g.\n" +
			"  MSGKIT_POSTGRES_DSN='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test ./conversation"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return d
}

// multiSchema returns a fresh schema name, dropped with everything in it when the test ends.
func multiSchema(t *testing.T, dsn string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "msgkit_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return schema
}
