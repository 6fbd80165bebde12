package storetest

import (
	"context"
	"fmt"
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
// ten standard views, with and without a channel filter: page 1 and page 2 of 50 rows (page 2 starts
// after page 1's last row), and the view's count up to ViewsCountLimit; then a record's timeline page.
// Each sub-benchmark runs the query on both sizes alternately and reports both p50s and p99s and the
// ratios large/small; a table at the end says which queries meet ViewsTarget.
//
// open returns a store holding p, however the backend loads it fastest (Population.Feed into a bulk
// writer, a copy cached on disk, or Population.Load); loading is not measured.
func BenchmarkViews(b *testing.B, open func(b *testing.B, p *Population) store.Store) {
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
	for _, q := range viewsQueries(b, pops, stores) {
		b.Run(q.name, func(b *testing.B) {
			r := viewsResult{name: q.name}
			var lat [2][]time.Duration
			ctx := b.Context()
			i := 0
			for b.Loop() {
				for k := range 2 {
					k ^= i & 1 // alternate which size goes first
					start := time.Now()
					if err := q.run[k](ctx); err != nil {
						b.Fatal(err)
					}
					lat[k] = append(lat[k], time.Since(start))
				}
				i++
			}
			for k := range 2 {
				r.p50[k], r.p99[k] = percentile(lat[k], 0.50), percentile(lat[k], 0.99)
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(micros(r.p99[0]), "small-p99-µs")
			b.ReportMetric(micros(r.p99[1]), "large-p99-µs")
			b.ReportMetric(float64(r.p50[1])/float64(r.p50[0]), "p50-ratio")
			b.ReportMetric(r.ratio(), "p99-ratio")
			results = append(results, r)
		})
	}
	b.Logf("inbox views, %d vs %d conversations (%d vs %d messages), p99 in µs, target ≤ %.0f×:\n%s", pops[1].Size,
		pops[0].Size, pops[1].MessageCount, pops[0].MessageCount, ViewsTarget, viewsTable(results))
}

// viewsQuery is one measured query, run on each size's store.
type viewsQuery struct {
	name string
	run  [2]func(ctx context.Context) error
}

// viewsQueries returns the queries BenchmarkViews measures, their cursors taken from each store.
func viewsQueries(b *testing.B, pops [2]*Population, stores [2]store.Store) []viewsQuery {
	var out []viewsQuery
	for _, v := range scaleViews() {
		for _, filtered := range []bool{false, true} {
			name := v.name
			var page1, page2, count viewsQuery
			for k, p := range pops {
				view := v.view(p.Viewer, p.Now)
				view.Viewer = p.Viewer
				if filtered {
					view.ChannelID = p.Channel
				}
				s := stores[k]
				page1.run[k] = func(ctx context.Context) error {
					_, _, err := s.ListConversations(ctx, view, store.Page{})
					return err
				}
				first, next, err := s.ListConversations(b.Context(), view, store.Page{})
				if err != nil {
					b.Fatal(err)
				}
				if next.IsZero() && len(first) > 0 { // fewer than a page: what comes after its last row
					next = first[len(first)-1].Cursor()
				}
				page2.run[k] = func(ctx context.Context) error {
					_, _, err := s.ListConversations(ctx, view, store.Page{After: next})
					return err
				}
				count.run[k] = func(ctx context.Context) error {
					_, err := s.CountConversations(ctx, view, ViewsCountLimit)
					return err
				}
			}
			if filtered {
				name += "+channel"
			}
			page1.name, page2.name, count.name = name+"/page1", name+"/page2", name+"/count"
			out = append(out, page1, page2, count)
		}
	}
	timeline := viewsQuery{name: "record-timeline/page1"}
	for k, p := range pops {
		s := stores[k]
		timeline.run[k] = func(ctx context.Context) error {
			msgs, _, err := s.ListRecordMessages(ctx, p.Timeline.Kind, p.Timeline.ID, store.Page{})
			if err == nil && len(msgs) != 30 {
				err = fmt.Errorf("record %s's timeline has %d messages, want 30", p.Timeline.ID, len(msgs))
			}
			return err
		}
	}
	return append(out, timeline)
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

// viewsResult is one query's latencies at the small [0] and large [1] size.
type viewsResult struct {
	name     string
	p50, p99 [2]time.Duration
}

func (r viewsResult) ratio() float64 { return float64(r.p99[1]) / float64(r.p99[0]) }

// viewsTable formats results as a Markdown table.
func viewsTable(results []viewsResult) string {
	var t strings.Builder
	t.WriteString("| query | p99 small | p99 large | ratio | target |\n|---|---|---|---|---|\n")
	for _, r := range results {
		met := "met"
		if r.ratio() > ViewsTarget {
			met = "**missed**"
		}
		fmt.Fprintf(&t, "| %s | %.0f | %.0f | %.2f | %s |\n", r.name, micros(r.p99[0]), micros(r.p99[1]), r.ratio(), met)
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
