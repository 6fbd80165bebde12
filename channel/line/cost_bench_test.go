package line_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlite"
)

// The cost benchmarks of issue 12 compare msgkit's webhook path with the hand-written peer
// (peer_bench_test.go) on the same bodies, in the same loop, and report ratios. msgkit's time includes
// the durable work each webhook causes: after every webhook the benchmark runs Service.Flush, which
// claims and runs the jobs the events recorded (routing with the round-robin cursor and notifying;
// fetching a new sender's profile from an adapter that answers at once, so that no network time is
// counted) and records their outcome.

// costAgents is the round-robin pool of msgkit and of the peer.
var costAgents = []string{"agent-1", "agent-2", "agent-3"}

// costBodies makes webhook bodies of the ~430-byte benchmark text event, each event with new IDs and the
// current time.
type costBodies struct {
	prefix, event, suffix []byte
	n                     int
}

func newCostBodies(b testing.TB) *costBodies {
	one := readWebhook(b, "bench-text-user.synthetic.json")
	start, end := bytes.Index(one, []byte(`"events":[`))+len(`"events":[`), bytes.LastIndex(one, []byte(`]`))
	if start < len(`"events":[`) || end <= start {
		b.Fatal("unexpected benchmark body")
	}
	return &costBodies{prefix: one[:start], event: one[start:end], suffix: one[end:]}
}

// body returns a signed webhook body with one text message event from each user.
func (c *costBodies) body(users ...string) ([]byte, string) {
	var out bytes.Buffer
	out.Write(c.prefix)
	now := time.Now().UnixMilli()
	for i, u := range users {
		c.n++
		if i > 0 {
			out.WriteByte(',')
		}
		e := bytes.Replace(c.event, []byte("U4af4980629f0a8c3e43ac0f5e0a3ba1a"), []byte(u), 1)
		e = bytes.Replace(e, []byte("01FZ74A0TDDPYRVKNK77XKC3ZR"), fmt.Appendf(nil, "%026d", c.n), 1)
		e = bytes.Replace(e, []byte(`"444573844083572737"`), fmt.Appendf(nil, `"%018d"`, c.n), 1)
		e = bytes.Replace(e, []byte("1462629479859"), strconv.AppendInt(nil, now, 10), 1)
		out.Write(e)
	}
	out.Write(c.suffix)
	return out.Bytes(), signature(secret, out.Bytes())
}

// costUser is the LINE user ID of sender n (same length as LINE's).
func costUser(n int) string { return fmt.Sprintf("U%032x", n) }

// costUsers returns n senders from first on.
func costUsers(first, n int) []string {
	u := make([]string, n)
	for i := range u {
		u[i] = costUser(first + i)
	}
	return u
}

// kit is msgkit's webhook path on a store: channel.Handler, the LINE adapter, Service.Receive, and
// Service.Flush for the jobs.
type kit struct {
	s    store.Store
	svc  *conversation.Service
	h    http.Handler
	errs []error // from Options.OnError: jobs that failed
}

// instantProfiles is the LINE adapter with a profile lookup that answers at once: the benchmarks count
// what msgkit does around the fetch, not LINE's API.
type instantProfiles struct{ *line.Adapter }

func (instantProfiles) Profile(_ context.Context, p channel.Peer) (channel.Profile, error) {
	return channel.Profile{UserID: p.UserID, DisplayName: "Customer"}, nil
}

type nopNotifier struct{}

func (nopNotifier) NewMessage(context.Context, conversation.Notification) error { return nil }

// newKit connects a LINE channel on s, assigning round robin over costAgents when roundRobin is set,
// with a Notifier that does nothing.
func newKit(b testing.TB, s store.Store, roundRobin bool) *kit {
	b.Helper()
	ch := store.Channel{Kind: "line", ExternalID: "1650000000", Active: true}
	k := &kit{s: s}
	o := &conversation.Options{Notifier: nopNotifier{}, OnError: func(err error) { k.errs = append(k.errs, err) }}
	if roundRobin {
		ch.Assignment = store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: costAgents}
		rr, err := assign.NewRoundRobin(&assign.MemoryDirectory{})
		if err != nil {
			b.Fatal(err)
		}
		o.Assigner = assign.Strategies{assign.StrategyRoundRobin: rr}
	}
	ch, err := s.CreateChannel(b.Context(), ch)
	if err != nil {
		b.Fatal(err)
	}
	a, err := line.New(line.Config{ChannelSecret: secret, AccessToken: "t"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if k.svc, err = conversation.New(s, conversation.AdapterMap{ch.ID: instantProfiles{a}}, o); err != nil {
		b.Fatal(err)
	}
	if k.h, err = channel.NewHandler(ch.ID, a, k.svc.Receive, nil); err != nil {
		b.Fatal(err)
	}
	return k
}

// post delivers a webhook and then runs the jobs it caused, and returns the time of each.
func (k *kit) post(b testing.TB, body []byte, sig string) (ingest, jobs time.Duration) {
	ingest = serve(b, k.h, body, sig)
	t0 := time.Now()
	_, err := k.svc.Flush(b.Context())
	jobs = time.Since(t0)
	if err != nil {
		b.Fatal(err)
	}
	if len(k.errs) > 0 {
		b.Fatalf("a job failed: %v", k.errs[0])
	}
	return ingest, jobs
}

// settled fails unless every job msgkit recorded is done.
func (k *kit) settled(b testing.TB) {
	pending, _, err := k.s.ListJobs(b.Context(), store.JobFilter{Status: store.JobPending}, store.Page{Limit: 1})
	if err != nil {
		b.Fatal(err)
	}
	if len(pending) > 0 {
		b.Fatalf("%d jobs still pending", len(pending))
	}
}

// serve delivers a webhook to h and returns how long h took to answer it.
func serve(b testing.TB, h http.Handler, body []byte, sig string) time.Duration {
	w, r := httptest.NewRecorder(), newBenchRequest(body, sig)
	t0 := time.Now()
	h.ServeHTTP(w, r)
	d := time.Since(t0)
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	return d
}

func openSQLite(b *testing.B, path string) *sqlite.Store {
	s, err := sqlite.Open(b.Context(), path, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// durations are per-iteration times.
type durations []time.Duration

func (d durations) sum() (t time.Duration) {
	for _, x := range d {
		t += x
	}
	return t
}

func (d durations) mean() float64 { return float64(d.sum().Nanoseconds()) / float64(len(d)) }

// quantile returns the q-quantile (nearest rank).
func (d durations) quantile(q float64) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	i := max(int(float64(len(s))*q+0.999999)-1, 0)
	return float64(s[min(i, len(s)-1)].Nanoseconds())
}

// alternate runs f and g, in turns in either order, so that neither always runs on the other's warm caches
// or pays for the other's garbage.
func alternate(i int, f, g func()) {
	if i%2 == 0 {
		f()
		g()
	} else {
		g()
		f()
	}
}

// BenchmarkCostVsPeer measures one 1-event webhook on SQLite through msgkit (Handler, LINE adapter,
// Receive, then Flush of the jobs it caused) and through the peer, alternately on the same bodies: a new
// sender each time, or one of 64 senders who wrote before; with round robin (the peer with its cursor) and
// without (the peer without). time-ratio is msgkit's total time over the peer's, p50-ratio and p99-ratio
// the ratios of their medians and 99th percentiles; ingest-ns/op and jobs-ns/op split msgkit's time into
// the webhook's answer and the jobs.
func BenchmarkCostVsPeer(b *testing.B) {
	for _, rr := range []bool{true, false} {
		for _, newSender := range []bool{true, false} {
			name := map[bool]string{true: "round-robin", false: "no-round-robin"}[rr] + "/" +
				map[bool]string{true: "new-sender", false: "returning-sender"}[newSender]
			b.Run(name, func(b *testing.B) {
				vsPeer(b, rr, newSender, func(b *testing.B, path string) store.Store { return openSQLite(b, path) })
			})
		}
	}
}

// vsPeer runs one BenchmarkCostVsPeer case, with msgkit on the store open makes at path.
func vsPeer(b *testing.B, rr, newSender bool, open func(b *testing.B, path string) store.Store) {
	const returning = 64
	dir := b.TempDir()
	k := newKit(b, open(b, filepath.Join(dir, "msgkit.db")), rr)
	var agents []string
	if rr {
		agents = costAgents
	}
	p := openPeer(b, filepath.Join(dir, "peer.db"), secret, agents)
	bodies := newCostBodies(b)
	for _, u := range costUsers(0, returning) { // the senders who wrote before
		body, sig := bodies.body(u)
		k.post(b, body, sig)
		serve(b, p, body, sig)
	}
	var ingest, jobs, kitTime, peerTime durations
	i := 0
	for b.Loop() {
		user := costUser(i % returning)
		if newSender {
			user = costUser(returning + i)
		}
		body, sig := bodies.body(user)
		alternate(i,
			func() {
				in, j := k.post(b, body, sig)
				ingest, jobs, kitTime = append(ingest, in), append(jobs, j), append(kitTime, in+j)
			},
			func() { peerTime = append(peerTime, serve(b, p, body, sig)) })
		i++
	}
	k.settled(b)
	if n, err := p.Count(b.Context(), "messages"); err != nil || n != returning+i {
		b.Fatalf("the peer stored %d messages of %d (%v)", n, returning+i, err)
	}
	b.ReportMetric(kitTime.mean(), "msgkit-ns/op")
	b.ReportMetric(ingest.mean(), "ingest-ns/op")
	b.ReportMetric(jobs.mean(), "jobs-ns/op")
	b.ReportMetric(peerTime.mean(), "peer-ns/op")
	b.ReportMetric(float64(kitTime.sum())/float64(peerTime.sum()), "time-ratio")
	b.ReportMetric(kitTime.quantile(0.5)/peerTime.quantile(0.5), "p50-ratio")
	b.ReportMetric(kitTime.quantile(0.99), "msgkit-p99-ns")
	b.ReportMetric(peerTime.quantile(0.99), "peer-p99-ns")
	b.ReportMetric(kitTime.quantile(0.99)/peerTime.quantile(0.99), "p99-ratio")
}

// BenchmarkCostBatch measures, on SQLite with round robin, one 100-event webhook (100 senders, new or
// returning) and the same number of events as 100 1-event webhooks, through msgkit (each webhook
// followed by Flush) and through the peer, alternately. per-event-ratio is msgkit's time per event in the
// 100-event webhook over its time per 1-event webhook, jobs included; ingest-per-event-ratio the same for
// the webhooks' answers alone; peer-per-event-ratio the same for the peer; x-peer-100 msgkit's time for
// the 100-event webhook, jobs included, over the peer's.
func BenchmarkCostBatch(b *testing.B) {
	const batch, returning = 100, 400
	for _, newSenders := range []bool{true, false} {
		b.Run(map[bool]string{true: "new-senders", false: "returning-senders"}[newSenders], func(b *testing.B) {
			dir := b.TempDir()
			k := newKit(b, openSQLite(b, filepath.Join(dir, "msgkit.db")), true)
			p := openPeer(b, filepath.Join(dir, "peer.db"), secret, costAgents)
			bodies := newCostBodies(b)
			for u := 0; u < returning; u += batch {
				body, sig := bodies.body(costUsers(u, batch)...)
				k.post(b, body, sig)
				serve(b, p, body, sig)
			}
			type signed struct {
				body []byte
				sig  string
			}
			var in100, all100, in1, all1, peer100, peer1 time.Duration
			i, next := 0, returning
			for b.Loop() {
				var users []string
				if newSenders {
					users, next = costUsers(next, 2*batch), next+2*batch
				} else {
					for j := range 2 * batch {
						users = append(users, costUser((i*2*batch+j)%returning))
					}
				}
				big, bigSig := bodies.body(users[:batch]...)
				var ones []signed
				for _, u := range users[batch:] {
					body, sig := bodies.body(u)
					ones = append(ones, signed{body, sig})
				}
				alternate(i,
					func() {
						in, j := k.post(b, big, bigSig)
						in100, all100 = in100+in, all100+in+j
						for _, one := range ones {
							in, j = k.post(b, one.body, one.sig)
							in1, all1 = in1+in, all1+in+j
						}
					},
					func() {
						peer100 += serve(b, p, big, bigSig)
						for _, one := range ones {
							peer1 += serve(b, p, one.body, one.sig)
						}
					})
				i++
			}
			k.settled(b)
			perEvent := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(i*batch) }
			b.ReportMetric(perEvent(all100), "msgkit-100-ns/event")
			b.ReportMetric(perEvent(all1), "msgkit-1-ns/event")
			b.ReportMetric(float64(all100)/float64(all1), "per-event-ratio")
			b.ReportMetric(float64(in100)/float64(in1), "ingest-per-event-ratio")
			b.ReportMetric(float64(peer100)/float64(peer1), "peer-per-event-ratio")
			b.ReportMetric(float64(all100)/float64(peer100), "x-peer-100")
		})
	}
}
