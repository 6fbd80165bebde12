package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/internal/perf"
	"github.com/msgkit/msgkit/internal/perf/loadgen"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/postgres"
)

var errNoPG = errors.New("no PostgreSQL: set MSGKIT_POSTGRES_DSN or -pg")

// pgSchema makes a fresh schema name and returns a function that drops it.
func pgSchema(dsn, prefix string) (string, func()) {
	name := fmt.Sprintf("perfsuite_%s_%d", prefix, time.Now().UnixNano())
	drop := func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
	}
	return name, drop
}

// concurrently runs op(i) for i in [0, n) on 8 goroutines and returns the wall time.
func concurrently(n int, op func(i int) error) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	t0 := time.Now()
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := op(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(t0), first
}

// figPGIngest: 8 concurrent webhooks through msgkit's webhook path on PostgreSQL (the answer: the ingest
// transaction with the jobs it records; the jobs are not run) against 8 concurrent one-row INSERT
// transactions on a pool of the same default size; wall time per webhook against per transaction.
func figPGIngest(ctx context.Context, e *env) ([]perf.Line, error) {
	if e.pgDSN == "" {
		return []perf.Line{{Name: "PostgreSQL ingest, 8 concurrent", Target: perf.Le(3), NotMeasured: errNoPG.Error()}}, nil
	}
	schema, drop := pgSchema(e.pgDSN, "ingest")
	defer drop()
	s, err := postgres.Open(ctx, e.pgDSN, &postgres.Options{Schema: schema})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	k, err := newKit(ctx, s, kitOptions{roundRobin: true})
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, e.pgDSN)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	table := pgx.Identifier{schema, "rows"}.Sanitize()
	if _, err := pool.Exec(ctx, "CREATE TABLE "+table+" (id bigserial PRIMARY KEY, event_id text NOT NULL UNIQUE, body text NOT NULL)"); err != nil {
		return nil, err
	}
	n := e.scale(200, 1000)
	bodies, user := loadgen.NewBodies(bot), 0
	var rows atomic.Int64
	msgkit := func() (float64, error) {
		bs := newBodies(bodies, &user, n)
		d, err := concurrently(n, func(i int) error { _, err := serve(k.h, bs[i]); return err })
		return float64(d.Nanoseconds()) / float64(n), err
	}
	insert := func() (float64, error) {
		d, err := concurrently(n, func(i int) error {
			return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, "INSERT INTO "+table+" (event_id, body) VALUES ($1, $2)",
					fmt.Sprintf("%d-%d", time.Now().UnixNano(), rows.Add(1)), "Hello, world")
				return err
			})
		})
		return float64(d.Nanoseconds()) / float64(n), err
	}
	if _, err := msgkit(); err != nil { // warm-up: pools, prepared statements
		return nil, err
	}
	if _, err := insert(); err != nil {
		return nil, err
	}
	subj, base, err := perf.Rounds(e.rounds, msgkit, insert)
	if err != nil {
		return nil, err
	}
	return []perf.Line{{Name: "PostgreSQL ingest, 8 concurrent", Subject: fmtNs(perf.Median(subj)) + "/webhook",
		Baseline: fmtNs(perf.Median(base)) + "/tx", Ratio: perf.Ratio(subj, base), Target: perf.Le(3)}}, nil
}

// figScaleOut: n services, each with its own pool and one Run with 1 worker, on one PostgreSQL
// database; K webhooks from new senders posted by 8 goroutines, spread over the instances; ingest is
// webhooks answered per second, round robin is assignments per second until every conversation has its
// owner, and fairness the spread of the agents' counts. 4 instances against 1, alternately in rounds.
func figScaleOut(ctx context.Context, e *env) ([]perf.Line, error) {
	if e.pgDSN == "" {
		return []perf.Line{
			{Name: "scale-out ×4: ingest", Target: perf.Ge(2), NotMeasured: errNoPG.Error()},
			{Name: "scale-out ×4: round robin", Target: perf.Ge(2), NotMeasured: errNoPG.Error()},
			{Name: "scale-out ×4: round robin fairness", Target: perf.Le(1), NotMeasured: errNoPG.Error()}}, nil
	}
	schema, drop := pgSchema(e.pgDSN, "scale")
	defer drop()
	stores := make([]*postgres.Store, 4)
	var err error
	for i := range stores {
		if stores[i], err = postgres.Open(ctx, e.pgDSN, &postgres.Options{Schema: schema}); err != nil {
			return nil, err
		}
		defer stores[i].Close()
	}
	k := e.scale(240, 1200)
	bodies, user := loadgen.NewBodies(bot), 0
	type trial struct {
		ingest, rr float64 // per second
		counts     []int
	}
	var trials4 []trial
	run := func(instances int) (trial, error) {
		tctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var kits []*kit
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		for i := range instances {
			o := kitOptions{roundRobin: true, jobs: conversation.JobOptions{Workers: 1}}
			if i > 0 {
				o.channel = &kits[0].ch
			}
			kt, err := newKit(ctx, stores[i], o)
			if err != nil {
				return trial{}, err
			}
			kits = append(kits, kt)
			wg.Go(func() { _ = kt.svc.Run(tctx) })
		}
		bs := newBodies(bodies, &user, k)
		t0 := time.Now()
		d, err := concurrently(k, func(i int) error { _, err := serve(kits[i%instances].h, bs[i]); return err })
		if err != nil {
			return trial{}, err
		}
		ch := kits[0].ch.ID
		for {
			left, _, err := stores[0].ListConversations(ctx, store.View{ChannelID: ch, Unassigned: true}, store.Page{Limit: 1})
			if err != nil {
				return trial{}, err
			}
			if len(left) == 0 {
				break
			}
			if time.Since(t0) > 3*time.Minute {
				return trial{}, errors.New("conversations still unassigned after 3 minutes")
			}
			time.Sleep(20 * time.Millisecond)
		}
		all := time.Since(t0)
		for _, kt := range kits {
			if err := kt.failed(); err != nil {
				return trial{}, err
			}
		}
		t := trial{ingest: float64(k) / d.Seconds(), rr: float64(k) / all.Seconds()}
		for _, a := range agents {
			n, err := countConversations(ctx, stores[0], store.View{ChannelID: ch, Assignee: a})
			if err != nil {
				return trial{}, err
			}
			t.counts = append(t.counts, n)
		}
		if instances == 4 {
			trials4 = append(trials4, t)
		}
		return t, nil
	}
	var ingest4, ingest1, rr4, rr1 []float64
	subj, base, err := perf.Rounds(e.rounds,
		func() (float64, error) {
			t, err := run(4)
			ingest4, rr4 = append(ingest4, t.ingest), append(rr4, t.rr)
			return t.ingest, err
		},
		func() (float64, error) {
			t, err := run(1)
			ingest1, rr1 = append(ingest1, t.ingest), append(rr1, t.rr)
			return t.ingest, err
		})
	if err != nil {
		return nil, err
	}
	worst, counts := -1, ""
	for _, t := range trials4 {
		if s := slices.Max(t.counts) - slices.Min(t.counts); s > worst {
			worst = s
			counts = strings.Trim(strings.Join(strings.Fields(fmt.Sprint(t.counts)), "/"), "[]")
		}
	}
	return []perf.Line{
		{Name: "scale-out ×4: ingest", Subject: fmt.Sprintf("%.0f/s", perf.Median(subj)), Baseline: fmt.Sprintf("%.0f/s", perf.Median(base)),
			Ratio: perf.Ratio(subj, base), Target: perf.Ge(2)},
		{Name: "scale-out ×4: round robin", Subject: fmt.Sprintf("%.0f/s", perf.Median(rr4)), Baseline: fmt.Sprintf("%.0f/s", perf.Median(rr1)),
			Ratio: perf.Ratio(rr4, rr1), Target: perf.Ge(2)},
		{Name: "scale-out ×4: round robin fairness", Subject: "worst " + counts, Baseline: "±1", Ratio: float64(worst), Target: perf.Le(1), Plain: true},
	}, nil
}

// countConversations counts the conversations v selects.
func countConversations(ctx context.Context, s store.Store, v store.View) (int, error) {
	n := 0
	var after store.Cursor
	for {
		page, next, err := s.ListConversations(ctx, v, store.Page{Limit: store.MaxLimit, After: after})
		if err != nil {
			return 0, err
		}
		n += len(page)
		if len(page) == 0 || next == (store.Cursor{}) {
			return n, nil
		}
		after = next
	}
}
