package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"

	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/internal/perf"
	"github.com/msgkit/msgkit/internal/perf/loadgen"
	"github.com/msgkit/msgkit/internal/perf/peer"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/sqlite"
)

// parseBodies are the parse figures' bodies: LINE's ~430-byte text webhook and 20 such events.
func parseBodies() (one, twenty []byte) {
	b := loadgen.NewBodies(bot)
	users := make([]string, 20)
	for i := range users {
		users[i] = loadgen.User(i)
	}
	return b.Next(users[0]), b.Next(users...)
}

// perOp runs op n times on requests made beforehand (so that making them is not counted) and returns the
// time per op in nanoseconds.
func perOp(n int, body []byte, op func(*http.Request) error) (float64, error) {
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = request(body)
	}
	t0 := time.Now()
	for _, r := range reqs {
		if err := op(r); err != nil {
			return 0, err
		}
	}
	return float64(time.Since(t0).Nanoseconds()) / float64(n), nil
}

// allocsPerOp is the heap allocations per op, requests made beforehand.
func allocsPerOp(n int, body []byte, op func(*http.Request) error) (float64, error) {
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = request(body)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, r := range reqs {
		if err := op(r); err != nil {
			return 0, err
		}
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(n), nil
}

// parseOps are the parse figure's subject (the LINE adapter's ParseWebhook) and baseline (the SDK's
// ParseRequest).
func parseOps() (adapter, sdk func(*http.Request) error, err error) {
	a, err := line.New(line.Config{ChannelSecret: secret, AccessToken: "t", BotUserID: bot}, nil)
	if err != nil {
		return nil, nil, err
	}
	adapter = func(r *http.Request) error { _, err := a.ParseWebhook(r); return err }
	sdk = func(r *http.Request) error { _, err := webhook.ParseRequest(secret, r); return err }
	return adapter, sdk, nil
}

// figParse: the LINE adapter's verify + parse + mapping against the SDK's webhook.ParseRequest on the same
// signed body, in time and in allocations, for 1 and 20 events.
func figParse(ctx context.Context, e *env) ([]perf.Line, error) {
	adapter, sdk, err := parseOps()
	if err != nil {
		return nil, err
	}
	one, twenty := parseBodies()
	var lines []perf.Line
	for _, c := range []struct {
		name string
		body []byte
		n    int
	}{{"parse, 1 event", one, e.scale(500, 3000)}, {"parse, 20 events", twenty, e.scale(40, 300)}} {
		_, _ = perOp(c.n/4+1, c.body, adapter) // warm-up
		_, _ = perOp(c.n/4+1, c.body, sdk)
		subj, base, err := perf.Rounds(e.rounds,
			func() (float64, error) { return perOp(c.n, c.body, adapter) },
			func() (float64, error) { return perOp(c.n, c.body, sdk) })
		if err != nil {
			return nil, err
		}
		sa, err := allocsPerOp(c.n, c.body, adapter)
		if err != nil {
			return nil, err
		}
		ba, err := allocsPerOp(c.n, c.body, sdk)
		if err != nil {
			return nil, err
		}
		lines = append(lines,
			perf.Line{Name: c.name + ": time", Subject: fmtNs(perf.Median(subj)), Baseline: fmtNs(perf.Median(base)),
				Ratio: perf.Ratio(subj, base), Target: perf.Le(0.35)},
			perf.Line{Name: c.name + ": allocs", Subject: fmt.Sprintf("%.0f allocs", sa), Baseline: fmt.Sprintf("%.0f allocs", ba),
				Ratio: sa / ba, Target: perf.Le(0.35)})
		if e.callgrind {
			l, err := e.instructions(ctx, c.name+": instructions", "parse-"+map[bool]string{true: "1", false: "20"}[len(c.body) == len(one)], perf.Le(0.35))
			if err != nil {
				return nil, err
			}
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// newBodies returns n single-event bodies, each from a new sender.
func newBodies(b *loadgen.Bodies, first *int, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = b.Next(loadgen.User(*first))
		*first++
	}
	return out
}

// figIngestMemory: msgkit's whole webhook path on memstore (Handler → LINE adapter → Receive → memstore,
// then Flush: the durable post-commit work, round robin included) against the SDK's ParseRequest on the
// same body.
func figIngestMemory(ctx context.Context, e *env) ([]perf.Line, error) {
	k, err := newKit(ctx, memstore.New(nil), kitOptions{roundRobin: true})
	if err != nil {
		return nil, err
	}
	_, sdk, err := parseOps()
	if err != nil {
		return nil, err
	}
	bodies, user := loadgen.NewBodies(bot), 0
	n := e.scale(300, 2000)
	var batches [][][]byte // each round's bodies, for both sides
	for range e.rounds + 1 {
		batches = append(batches, newBodies(bodies, &user, n))
	}
	for _, b := range batches[e.rounds] { // warm-up
		if _, _, err := k.post(ctx, b); err != nil {
			return nil, err
		}
	}
	si, bi := 0, 0
	subj, base, err := perf.Rounds(e.rounds,
		func() (float64, error) {
			var total time.Duration
			for _, b := range batches[si] {
				in, jobs, err := k.post(ctx, b)
				if err != nil {
					return 0, err
				}
				total += in + jobs
			}
			si++
			return float64(total.Nanoseconds()) / float64(n), nil
		},
		func() (float64, error) {
			var total time.Duration
			for _, b := range batches[bi] {
				r := request(b)
				t0 := time.Now()
				if err := sdk(r); err != nil {
					return 0, err
				}
				total += time.Since(t0)
			}
			bi++
			return float64(total.Nanoseconds()) / float64(n), nil
		})
	if err != nil {
		return nil, err
	}
	lines := []perf.Line{{Name: "ingest, memory", Subject: fmtNs(perf.Median(subj)), Baseline: fmtNs(perf.Median(base)),
		Ratio: perf.Ratio(subj, base), Target: perf.Le(0.6)}}
	if e.callgrind {
		l, err := e.instructions(ctx, "ingest, memory: instructions", "ingest-memory", perf.Le(0.6))
		if err != nil {
			return nil, err
		}
		lines = append(lines, l)
	}
	return lines, nil
}

func openSQLite(ctx context.Context, path string) (*sqlite.Store, error) {
	return sqlite.Open(ctx, path, nil)
}

// figIngestSQLite: msgkit's webhook path on SQLite with round robin (answer + Flush of the jobs it caused)
// against the hand-written peer (package peer) with its cursor, on the same bodies, each from a new
// sender; mean time per webhook and p99.
func figIngestSQLite(ctx context.Context, e *env) ([]perf.Line, error) {
	s, err := openSQLite(ctx, filepath.Join(e.dir, "ingest-msgkit.db"))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	k, err := newKit(ctx, s, kitOptions{roundRobin: true})
	if err != nil {
		return nil, err
	}
	p, err := peer.Open(ctx, filepath.Join(e.dir, "ingest-peer.db"), secret, agents)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	bodies, user := loadgen.NewBodies(bot), 0
	n := e.scale(120, 600)
	var batches [][][]byte
	for range e.rounds + 1 {
		batches = append(batches, newBodies(bodies, &user, n))
	}
	for _, b := range batches[e.rounds][:n/2] { // warm-up
		if _, _, err := k.post(ctx, b); err != nil {
			return nil, err
		}
		if _, err := serve(p, b); err != nil {
			return nil, err
		}
	}
	var kitAll, peerAll []time.Duration
	var ingest, jobs time.Duration
	si, bi := 0, 0
	subj, base, err := perf.Rounds(e.rounds,
		func() (float64, error) {
			var total time.Duration
			for _, b := range batches[si] {
				in, j, err := k.post(ctx, b)
				if err != nil {
					return 0, err
				}
				total += in + j
				ingest, jobs = ingest+in, jobs+j
				kitAll = append(kitAll, in+j)
			}
			si++
			return float64(total.Nanoseconds()) / float64(n), nil
		},
		func() (float64, error) {
			var total time.Duration
			for _, b := range batches[bi] {
				d, err := serve(p, b)
				if err != nil {
					return 0, err
				}
				total += d
				peerAll = append(peerAll, d)
			}
			bi++
			return float64(total.Nanoseconds()) / float64(n), nil
		})
	if err != nil {
		return nil, err
	}
	if got, err := p.Count(ctx, "messages"); err != nil || got != e.rounds*n+n/2 {
		return nil, fmt.Errorf("the peer stored %d messages, want %d (%v)", got, e.rounds*n+n/2, err)
	}
	kp99, pp99 := perf.Quantile(kitAll, 0.99), perf.Quantile(peerAll, 0.99)
	share := float64(ingest) / float64(ingest+jobs)
	return []perf.Line{
		{Name: "ingest, SQLite: time", Subject: fmtNs(perf.Median(subj)) + fmt.Sprintf(" (%.0f%% answer)", 100*share),
			Baseline: fmtNs(perf.Median(base)), Ratio: perf.Ratio(subj, base), Target: perf.Le(1)},
		{Name: "ingest, SQLite: p99", Subject: fmtDur(kp99), Baseline: fmtDur(pp99),
			Ratio: float64(kp99) / float64(pp99), Target: perf.Le(2)},
	}, nil
}

// figBatch: one 100-event webhook (100 new senders) against 100 1-event webhooks, per event, msgkit on
// SQLite with round robin, jobs included.
func figBatch(ctx context.Context, e *env) ([]perf.Line, error) {
	const batch = 100
	s, err := openSQLite(ctx, filepath.Join(e.dir, "batch-msgkit.db"))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	k, err := newKit(ctx, s, kitOptions{roundRobin: true})
	if err != nil {
		return nil, err
	}
	bodies, user := loadgen.NewBodies(bot), 0
	for _, b := range newBodies(bodies, &user, 50) { // warm-up
		if _, _, err := k.post(ctx, b); err != nil {
			return nil, err
		}
	}
	reps := e.scale(1, 2)
	subj, base, err := perf.Rounds(e.rounds,
		func() (float64, error) {
			var total time.Duration
			for range reps {
				users := make([]string, batch)
				for i := range users {
					users[i] = loadgen.User(user)
					user++
				}
				in, j, err := k.post(ctx, bodies.Next(users...))
				if err != nil {
					return 0, err
				}
				total += in + j
			}
			return float64(total.Nanoseconds()) / float64(reps*batch), nil
		},
		func() (float64, error) {
			var total time.Duration
			for _, b := range newBodies(bodies, &user, reps*batch) {
				in, j, err := k.post(ctx, b)
				if err != nil {
					return 0, err
				}
				total += in + j
			}
			return float64(total.Nanoseconds()) / float64(reps*batch), nil
		})
	if err != nil {
		return nil, err
	}
	return []perf.Line{{Name: "batch, 100 events: per event", Subject: fmtNs(perf.Median(subj)) + "/event",
		Baseline: fmtNs(perf.Median(base)) + "/event", Ratio: perf.Ratio(subj, base), Target: perf.Le(0.3)}}, nil
}

// conversationIDs lists the IDs of the channel's conversations, newest first.
func conversationIDs(ctx context.Context, s store.Store, channelID string) ([]string, error) {
	var ids []string
	var after store.Cursor
	for {
		page, next, err := s.ListConversations(ctx, store.View{ChannelID: channelID}, store.Page{Limit: store.MaxLimit, After: after})
		if err != nil {
			return nil, err
		}
		for _, c := range page {
			ids = append(ids, c.Conversation.ID)
		}
		if next == (store.Cursor{}) || len(page) == 0 {
			return ids, nil
		}
		after = next
	}
}

func fmtNs(ns float64) string { return fmtDur(time.Duration(ns)) }

// fmtDur writes d with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.3g s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.3g ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.3g µs", float64(d)/1e3)
	}
}
