package storetest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msgkit/msgkit/store"
)

// ViewsTarget is the issue-15 target of BenchmarkViews: each query's p99 at the large size at most this
// many times its p99 at the small size.
const ViewsTarget = 2.0

// ViewsCountLimit is where the benchmarked view counts stop, as an inbox's badges do.
const ViewsCountLimit = 100

// BenchmarkViews measures what an inbox reads, at 1,000 conversations / ~10,000 messages and at 100,000
// / ~1,000,000 (10,000 / ~100,000 with -short), the same Populations for every backend. For each of the
// ten standard views, with and without a channel filter: pages 1, 2 and 20 of 50 rows (page n starts
// after page n-1's last row; where the small size has fewer pages, the large size's page n is compared with
// the small size's last page), and the view's count up to ViewsCountLimit; then a record's timeline page.
//
// Each sub-benchmark runs the query on both sizes in turn and reports p50 and p99 of each, and the ratios
// large/small. Where the small population has fewer rows for the query than the large one (a user's
// unreplied conversations among 1,000 fill less than a page), it also runs the large query asked for
// only as many rows ("eq": the same page at equal rows; not when the small size returns none), which separates what the table's size costs
// from what the rows cost. Every time is taken twice: wall clock, and the CPU time of the benchmark's
// thread (for an in-process backend all of the query, without the time other processes held the
// core; for a server only the client's share). A Markdown table of every query is printed at the end,
// with a verdict against ViewsTarget: met (wall-clock p99), met at equal rows, met in CPU time (the
// wall-clock tail was other processes), missed, or n/a for a view with no rows at the small size.
//
// open returns a store holding p, however the backend loads it fastest (Population.Feed into a bulk
// writer, a copy cached on disk, or Population.Load); loading is not measured.
func BenchmarkViews(b *testing.B, open func(b *testing.B, p *Population) store.Store, o *ViewsOptions) {
	if o == nil {
		o = &ViewsOptions{}
	}
	large := 100_000
	if testing.Short() {
		large = 10_000
	}
	pops := [2]*Population{NewPopulation(1_000), NewPopulation(large)}
	var stores [2]store.Store
	for i, p := range pops {
		stores[i] = open(b, p)
		n, err := stores[i].CountConversations(b.Context(), store.View{}, 0)
		if err != nil || n != p.Size {
			b.Fatalf("the store holds %d conversations of the population's %d: %v", n, p.Size, err)
		}
	}
	var results []viewsResult
	for _, q := range viewsQueries(pops, stores) {
		b.Run(q.name, func(b *testing.B) {
			r := measure(b, q)
			r.server = o.Server
			results = append(results, r)
		})
	}
	fmt.Printf("inbox views, %d vs %d conversations (%d vs %d messages), times in µs, target ≤ %.0f×:\n%s", pops[1].Size,
		pops[0].Size, pops[1].MessageCount, pops[0].MessageCount, ViewsTarget, viewsTable(results))
}

// ViewsOptions describes the backend BenchmarkViews measures.
type ViewsOptions struct {
	// Server is set for a backend that runs queries in another process: the benchmark thread's CPU
	// time is then only the client's share, and verdicts leave it out.
	Server bool
}

// Series of a viewsResult.
const (
	small = iota
	large
	equal // large, asked for as many rows as small returned
)

// measure runs q in turns on each series until b.Loop stops, and reports.
func measure(b *testing.B, q viewsQuery) viewsResult {
	ctx := b.Context()
	r := viewsResult{name: q.name}
	runs := [3]func() (int, error){
		func() (int, error) { return q.run[small](ctx, 0) },
		func() (int, error) { return q.run[large](ctx, 0) },
	}
	for k := range 2 {
		n, err := runs[k]()
		if err != nil {
			b.Fatal(err)
		}
		r.rows[k] = n
	}
	if q.smallPage != nil && *q.smallPage > 0 {
		r.name += fmt.Sprintf(" (small size: its last, page %d)", *q.smallPage)
	}
	if 0 < r.rows[small] && r.rows[small] < r.rows[large] {
		r.equal = true
		runs[equal] = func() (int, error) { return q.run[large](ctx, r.rows[small]+q.countExtra) }
	}
	runtime.LockOSThread() // the thread's CPU clock follows this goroutine
	defer runtime.UnlockOSThread()
	var wall, cpu [3][]time.Duration
	i := 0
	for b.Loop() {
		for j := range 3 {
			k := (i + j) % 3 // each series goes first in turn
			if runs[k] == nil {
				continue
			}
			c0, _ := threadCPU()
			w0 := time.Now()
			if _, err := runs[k](); err != nil {
				b.Fatal(err)
			}
			wall[k] = append(wall[k], time.Since(w0))
			if c1, ok := threadCPU(); ok {
				cpu[k] = append(cpu[k], c1-c0)
			}
		}
		i++
	}
	for k := range 3 {
		r.p50[k], r.p99[k] = percentile(wall[k], 0.50), percentile(wall[k], 0.99)
		r.cpu99[k] = percentile(cpu[k], 0.99)
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(micros(r.p99[small]), "small-p99-µs")
	b.ReportMetric(micros(r.p99[large]), "large-p99-µs")
	b.ReportMetric(ratio(r.p50, large), "p50-ratio")
	b.ReportMetric(ratio(r.p99, large), "p99-ratio")
	b.ReportMetric(ratio(r.cpu99, large), "cpu-p99-ratio")
	if r.equal {
		b.ReportMetric(ratio(r.p99, equal), "eq-p99-ratio")
		b.ReportMetric(ratio(r.cpu99, equal), "eq-cpu-p99-ratio")
	}
	return r
}

// viewsQuery is one measured query, run on each size's store.
type viewsQuery struct {
	name string
	// run runs the query asking for limit rows (a page's size, or a count's limit; 0 for the
	// benchmark's), and returns how many rows it returned (or counted).
	run [2]func(ctx context.Context, limit int) (int, error)
	// countExtra is 1 for a count: a page of n rows looks for n+1, a count limited to n+1 looks as far.
	countExtra int
	// smallPage is, for page n of a view that has fewer pages at the small size, where laterPage notes
	// the page the small size reads instead (its last); it stays 0 otherwise.
	smallPage *int
}

// viewsQueries returns the queries BenchmarkViews measures.
func viewsQueries(pops [2]*Population, stores [2]store.Store) []viewsQuery {
	var out []viewsQuery
	for _, v := range scaleViews() {
		for _, filtered := range []bool{false, true} {
			name := v.name
			var page1, count viewsQuery
			page2, page20 := viewsQuery{smallPage: new(int)}, viewsQuery{smallPage: new(int)}
			for k, p := range pops {
				view := v.view(p.Viewer, p.Now)
				view.Viewer = p.Viewer
				if filtered {
					view.ChannelID = p.Channel
				}
				s := stores[k]
				page1.run[k] = func(ctx context.Context, limit int) (int, error) {
					rows, _, err := s.ListConversations(ctx, view, store.Page{Limit: limit})
					return len(rows), err
				}
				page2.run[k] = laterPage(s, view, 2, k == small, page2.smallPage)
				page20.run[k] = laterPage(s, view, 20, k == small, page20.smallPage)
				count.run[k] = func(ctx context.Context, limit int) (int, error) {
					if limit == 0 {
						limit = ViewsCountLimit
					}
					return s.CountConversations(ctx, view, limit)
				}
			}
			if filtered {
				name += "+channel"
			}
			page1.name, page2.name, page20.name = name+"/page1", name+"/page2", name+"/page20"
			count.name, count.countExtra = name+"/count", 1
			out = append(out, page1, page2, page20, count)
		}
	}
	timeline := viewsQuery{name: "record-timeline/page1"}
	for k, p := range pops {
		s := stores[k]
		timeline.run[k] = func(ctx context.Context, limit int) (int, error) {
			msgs, _, err := s.ListRecordMessages(ctx, p.Timeline.Kind, p.Timeline.ID, store.Page{Limit: limit})
			if err == nil && limit == 0 && len(msgs) != 30 {
				err = fmt.Errorf("record %s's timeline has %d messages, want 30", p.Timeline.ID, len(msgs))
			}
			return len(msgs), err
		}
	}
	return append(out, timeline)
}

// laterPage returns a query of page n (from 2) of view on s. Its first run pages there once to find
// where page n starts. When the view has fewer pages: with orLast (the small size), the query reads the
// view's last page instead, the deepest there is, and reached says which; without, it reads what comes
// after the view's last row (nothing).
func laterPage(s store.Store, view store.View, n int, orLast bool, reached *int) func(ctx context.Context, limit int) (int, error) {
	var after *store.Cursor // found on the first run
	return func(ctx context.Context, limit int) (int, error) {
		if after == nil {
			var start store.Cursor // where page `page` starts; zero for page 1
			page := 1
			for page < n {
				rows, next, err := s.ListConversations(ctx, view, store.Page{After: start})
				if err != nil {
					return 0, err
				}
				if next.IsZero() { // page is the last
					if !orLast || len(rows) == 0 {
						if len(rows) > 0 {
							start = rows[len(rows)-1].Cursor()
						}
						page = n
					}
					break
				}
				start, page = next, page+1
			}
			after = &start
			if page < n && reached != nil {
				*reached = page
			}
		}
		rows, _, err := s.ListConversations(ctx, view, store.Page{After: *after, Limit: limit})
		return len(rows), err
	}
}

// scaleView is a standard inbox view as conversation.StoreView defines it (storetest does not import
// conversation; a test checks that the two agree).
type scaleView struct {
	name string
	view func(user string, now time.Time) store.View
}

// scaleViews returns the ten standard views, "today" starting at midnight UTC.
func scaleViews() []scaleView {
	today := func(now time.Time) time.Time { return now.Truncate(24 * time.Hour) }
	return []scaleView{
		{"all", func(string, time.Time) store.View { return store.View{} }},
		{"unregistered", func(string, time.Time) store.View { return store.View{Linkage: store.Unregistered} }},
		{"unregistered_unreplied", func(string, time.Time) store.View {
			return store.View{Linkage: store.Unregistered, Unreplied: true}
		}},
		{"unregistered_today", func(_ string, now time.Time) store.View {
			return store.View{Linkage: store.Unregistered, InboundSince: today(now)}
		}},
		{"mine", func(u string, _ time.Time) store.View { return store.View{Assignee: u} }},
		{"mine_unreplied", func(u string, _ time.Time) store.View { return store.View{Assignee: u, Unreplied: true} }},
		{"mine_today", func(u string, now time.Time) store.View { return store.View{Assignee: u, InboundSince: today(now)} }},
		{"my_records", func(u string, _ time.Time) store.View { return store.View{RecordOwner: u} }},
		{"my_records_unreplied", func(u string, _ time.Time) store.View { return store.View{RecordOwner: u, Unreplied: true} }},
		{"my_records_today", func(u string, now time.Time) store.View {
			return store.View{RecordOwner: u, InboundSince: today(now)}
		}},
	}
}

// viewsResult is one query's latencies in the small, large and equal series.
type viewsResult struct {
	name string
	rows [2]int // returned (or counted) at the small and the large size
	// equal is set when the equal series ran (the small size returned fewer rows).
	equal bool
	// server is set when CPU times are only the client's (ViewsOptions.Server).
	server          bool
	p50, p99, cpu99 [3]time.Duration
}

// ratio returns series k's value over small's.
func ratio(d [3]time.Duration, k int) float64 { return float64(d[k]) / float64(d[small]) }

// verdict says whether r meets ViewsTarget: outright, at equal rows, or only in CPU time.
func (r viewsResult) verdict() string {
	switch {
	case strings.Contains(r.name, "/page") && r.rows[small] == 0 && r.rows[large] > 0:
		return "n/a: no rows at the small size"
	case strings.Contains(r.name, "(small size: its last") && r.rows[large] == 0:
		return "n/a: no such page at either size"
	case ratio(r.p99, large) <= ViewsTarget:
		return "met"
	case r.equal && ratio(r.p99, equal) <= ViewsTarget:
		return "met at equal rows"
	case !r.server && (ratio(r.cpu99, large) <= ViewsTarget || r.equal && ratio(r.cpu99, equal) <= ViewsTarget):
		return "met in CPU time"
	}
	return "**missed**"
}

// viewsTable formats results as a Markdown table.
func viewsTable(results []viewsResult) string {
	var t strings.Builder
	t.WriteString("| query | rows small / large | p50 small | p50 large | p50 ratio | p99 small | p99 large | p99 ratio |" +
		" p99 ratio at equal rows | CPU p99 ratio | CPU at equal rows | target |\n")
	t.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		eq, cpuEq := "", ""
		if r.equal {
			eq, cpuEq = fmt.Sprintf("%.2f", ratio(r.p99, equal)), fmt.Sprintf("%.2f", ratio(r.cpu99, equal))
		}
		fmt.Fprintf(&t, "| %s | %d / %d | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f | %s | %.2f | %s | %s |\n", r.name,
			r.rows[small], r.rows[large], micros(r.p50[small]), micros(r.p50[large]), ratio(r.p50, large),
			micros(r.p99[small]), micros(r.p99[large]), ratio(r.p99, large), eq, ratio(r.cpu99, large), cpuEq, r.verdict())
	}
	return t.String()
}

// percentile returns the q-quantile of d (nearest rank).
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
