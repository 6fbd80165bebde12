package conversation_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/postgres"
)

// signalingFake is a Fake that tells sent about every send.
type signalingFake struct {
	*channeltest.Fake
	sent chan struct{}
}

func (f signalingFake) Send(ctx context.Context, to channel.Peer, msgs []channel.Message, opt channel.SendOptions) (channel.SendResult, error) {
	r, err := f.Fake.Send(ctx, to, msgs, opt)
	f.sent <- struct{}{}
	return r, err
}

// noWaker hides a store's store.JobWaker, so Run only polls.
type noWaker struct{ store.Store }

// twoInstances is instance A, which records replies, and instance B, whose Run delivers them, on one
// PostgreSQL schema with a pool each.
type twoInstances struct {
	a    *conversation.Service
	conv string
	sent chan struct{}
}

func newTwoInstances(b *testing.B, dsn string, poll time.Duration, wake bool) twoInstances {
	ctx := b.Context()
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	schema := "msgkit_bench_" + hex.EncodeToString(buf)
	b.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			_, _ = conn.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
			conn.Close(context.Background())
		}
	})
	var ss [2]store.Store
	for i := range ss {
		s, err := postgres.Open(ctx, dsn, &postgres.Options{Schema: schema})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		ss[i] = s
	}
	if !wake {
		ss[1] = noWaker{ss[1]}
	}
	ch, err := ss[0].CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1650000000", Active: true})
	if err != nil {
		b.Fatal(err)
	}
	onErr := func(err error) { b.Error(err) }
	a, err := conversation.New(ss[0], conversation.AdapterMap{ch.ID: channeltest.NewFake(nil)},
		&conversation.Options{DeferDelivery: true, OnError: onErr, Jobs: conversation.JobOptions{Poll: poll}})
	if err != nil {
		b.Fatal(err)
	}
	fakeB := signalingFake{channeltest.NewFake(nil), make(chan struct{}, 1)}
	fakeB.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Customer"})
	svcB, err := conversation.New(ss[1], conversation.AdapterMap{ch.ID: fakeB},
		&conversation.Options{OnError: onErr, Jobs: conversation.JobOptions{Poll: poll}})
	if err != nil {
		b.Fatal(err)
	}
	m := channel.Text("hello")
	m.ID = "line-msg-1"
	if err := a.Ingest(ctx, ch.ID, []channel.Event{{ID: "ev-1", Kind: channel.EventMessage, Type: "message",
		Time: time.Now(), Mode: channel.ModeActive, Source: channel.User("U1"), Message: &m}}); err != nil {
		b.Fatal(err)
	}
	list, _, err := ss[0].ListConversations(ctx, store.View{}, store.Page{Limit: 1})
	if err != nil || len(list) != 1 {
		b.Fatal("no conversation", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- svcB.Run(runCtx) }()
	b.Cleanup(func() { stop(); <-ran })
	return twoInstances{a: a, conv: list[0].Conversation.ID, sent: fakeB.sent}
}

// deliver records a reply on A and returns how long Reply took, and how long until B's Run sent it.
func (ti twoInstances) deliver(b *testing.B) (reply, delivered time.Duration) {
	start := time.Now()
	if _, err := ti.a.Reply(b.Context(), ti.conv, "alice", conversation.Reply{Text: "reply"}); err != nil {
		b.Fatal(err)
	}
	reply = time.Since(start)
	select {
	case <-ti.sent:
		return reply, time.Since(start)
	case <-time.After(10 * time.Second):
		b.Fatal("instance B did not deliver the reply")
		return 0, 0
	}
}

// Issue 18: the latency from Reply on instance A (DeferDelivery: it only records the send job) to the
// delivery by instance B's idle Run, on PostgreSQL, when B is woken by LISTEN/NOTIFY and when it only
// polls every 250ms. Each iteration measures one reply of each, interleaved, each after a random pause
// shorter than the poll interval (so replies fall anywhere in B's polling cycle, as they would in
// production, not just after its last delivery); the metrics are medians and 90th percentiles in
// milliseconds, and reply-p50-ms is the Reply call alone, the floor of both.
//
//	MSGKIT_POSTGRES_DSN=… go test ./conversation -run '^$' -bench '^BenchmarkReplyDeliveredByAnotherInstance$' -benchtime 40x
func BenchmarkReplyDeliveredByAnotherInstance(b *testing.B) {
	dsn := os.Getenv("MSGKIT_POSTGRES_DSN")
	if dsn == "" {
		b.Skip("MSGKIT_POSTGRES_DSN is not set")
	}
	const poll = 250 * time.Millisecond
	notify, polling := newTwoInstances(b, dsn, poll, true), newTwoInstances(b, dsn, poll, false)
	// The first replies warm the pools and the listener.
	notify.deliver(b)
	polling.deliver(b)
	var replies, withNotify, withPoll []time.Duration
	pause := func() {
		b.StopTimer()
		time.Sleep(mrand.N(poll))
		b.StartTimer()
	}
	for b.Loop() {
		pause()
		r, d := notify.deliver(b)
		replies, withNotify = append(replies, r), append(withNotify, d)
		pause()
		_, d = polling.deliver(b)
		withPoll = append(withPoll, d)
	}
	q := func(ds []time.Duration, p float64) float64 {
		slices.Sort(ds)
		return float64(ds[int(p*float64(len(ds)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(replies, 0.5), "reply-p50-ms")
	b.ReportMetric(q(withNotify, 0.5), "notify-p50-ms")
	b.ReportMetric(q(withNotify, 0.9), "notify-p90-ms")
	b.ReportMetric(q(withPoll, 0.5), "poll-p50-ms")
	b.ReportMetric(q(withPoll, 0.9), "poll-p90-ms")
	b.ReportMetric(q(withNotify, 0.5)/q(withPoll, 0.5), "p50-ratio")
}
