package line_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/msgkit/msgkit/internal/perf/peer"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/postgres"
	"github.com/msgkit/msgkit/store/storetest"
)

// sqlCounter counts, while on, the store calls msgkit makes (through a storetest.Faults wrapper that
// lets every call through) and, on PostgreSQL, the statements pgx sends (as the pool's tracer: every
// Query, QueryRow and Exec, BEGIN and COMMIT included, and every statement of a pgx.Batch), each
// attributed to the store call that sent it. A statement sent alone is a round trip, and so is a batch.
// The flow it watches runs in one goroutine (Receive, then Flush with one worker).
type sqlCounter struct {
	mu         sync.Mutex
	on         bool
	call       string         // the store method running now
	calls      map[string]int // store calls by method
	stmts      map[string]int // statements by normalised SQL
	pairs      map[[2]string]int
	order      map[[2]string]int // when each (call, statement) was first seen
	total      int               // statements
	roundTrips int
	prepares   int
	commits    int                // commits of transactions (or single statements) that wrote
	wrote      map[*pgx.Conn]bool // connections in a transaction: whether it wrote
	trace      [][2]string        // the (call, statement) pairs since the last reset, and a mark where each round trip starts
}

func newSQLCounter() *sqlCounter {
	return &sqlCounter{calls: map[string]int{}, stmts: map[string]int{}, pairs: map[[2]string]int{}, order: map[[2]string]int{},
		wrote: map[*pgx.Conn]bool{}}
}

func (c *sqlCounter) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = true
}

// sent returns how many round trips were counted so far.
func (c *sqlCounter) sent() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.roundTrips
}

// fault is the storetest.Faults function: it lets the call through and notes it.
func (c *sqlCounter) fault(call storetest.Call) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.call = call.Method
	if c.on && call.Method != "Commit" && call.Method != "Committed" { // moments of RunInTx, not calls
		c.calls[call.Method]++
	}
	return nil
}

// TraceQueryStart implements pgx.QueryTracer: a statement sent on its own is a round trip.
func (c *sqlCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on {
		c.roundTrips++
		c.trace = append(c.trace, [2]string{"· round trip", ""})
		c.record(d.SQL, "")
	}
	return ctx
}

// TraceBatchStart implements pgx.BatchTracer: a batch is sent in one round trip, however many
// statements it holds.
func (c *sqlCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on {
		c.roundTrips++
		c.trace = append(c.trace, [2]string{"· round trip (batch)", ""})
	}
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer.
func (c *sqlCounter) TraceBatchQuery(_ context.Context, conn *pgx.Conn, d pgx.TraceBatchQueryData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on {
		c.record(d.SQL, "(batched) ")
	}
	c.ended(conn, d.CommandTag)
}

// TraceBatchEnd implements pgx.BatchTracer.
func (c *sqlCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// record notes a statement sent by the current store call; c.mu is held.
func (c *sqlCounter) record(sql, note string) {
	sql = strings.Join(strings.Fields(sql), " ")
	if len(sql) > 60 {
		sql = sql[:60] + "…"
	}
	sql = note + sql
	pair := [2]string{c.call, sql}
	c.total++
	c.stmts[sql]++
	if _, seen := c.order[pair]; !seen {
		c.order[pair] = len(c.order)
	}
	c.pairs[pair]++
	c.trace = append(c.trace, pair)
}

// TraceQueryEnd implements pgx.QueryTracer.
func (c *sqlCounter) TraceQueryEnd(_ context.Context, conn *pgx.Conn, d pgx.TraceQueryEndData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended(conn, d.CommandTag)
}

// ended counts the commits that must reach the disk: those of transactions that wrote, and statements
// outside transactions that wrote. c.mu is held.
func (c *sqlCounter) ended(conn *pgx.Conn, tag pgconn.CommandTag) {
	wrote := (tag.Insert() || tag.Update() || tag.Delete()) && tag.RowsAffected() > 0
	_, inTx := c.wrote[conn]
	switch tag.String() {
	case "BEGIN":
		c.wrote[conn] = false
	case "COMMIT", "ROLLBACK":
		if c.on && c.wrote[conn] && tag.String() == "COMMIT" {
			c.commits++
		}
		delete(c.wrote, conn)
	default:
		if inTx {
			c.wrote[conn] = c.wrote[conn] || wrote
		} else if wrote && c.on {
			c.commits++
		}
	}
}

// TracePrepareStart implements pgx.PrepareTracer: a statement pgx had not prepared on that connection
// yet costs a round trip more (none should, once the benchmark warmed the pool up).
func (c *sqlCounter) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on {
		c.prepares++
	}
	return ctx
}

// TracePrepareEnd implements pgx.PrepareTracer.
func (c *sqlCounter) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

// report reports the counts per event, and prints the breakdown.
func (c *sqlCounter) report(b *testing.B, events int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	per := func(n int) float64 { return float64(n) / float64(events) }
	calls := 0
	for _, n := range c.calls {
		calls += n
	}
	b.ReportMetric(per(calls), "store-calls/event")
	var log strings.Builder
	fmt.Fprintf(&log, "per event: %.2f store calls", per(calls))
	if c.total > 0 {
		b.ReportMetric(per(c.roundTrips), "round-trips/event")
		b.ReportMetric(per(c.total), "statements/event")
		control := 0 // BEGIN, COMMIT and ROLLBACK, alone or batched
		for sql, n := range c.stmts {
			switch strings.ToLower(strings.TrimPrefix(sql, "(batched) ")) {
			case "begin", "commit", "rollback":
				control += n
			}
		}
		b.ReportMetric(per(control), "begin+commit/event")
		b.ReportMetric(per(c.prepares), "prepares/event")
		b.ReportMetric(per(c.commits), "commits/event")
		fmt.Fprintf(&log, ", %.2f round trips, %.2f statements, %.2f prepares, %.2f commits that wrote\n",
			per(c.roundTrips), per(c.total), per(c.prepares), per(c.commits))
		fmt.Fprintf(&log, "%8s  %-25s %s\n", "per event", "store call", "statement")
		pairs := slices.Collect(maps.Keys(c.pairs))
		slices.SortFunc(pairs, func(x, y [2]string) int { return cmp.Compare(c.order[x], c.order[y]) })
		for _, p := range pairs {
			fmt.Fprintf(&log, "%8.2f  %-25s %s\n", per(c.pairs[p]), p[0], p[1])
		}
		fmt.Fprintf(&log, "one iteration, in order:\n")
		for i, p := range c.trace {
			fmt.Fprintf(&log, "%3d  %-25s %s\n", i+1, p[0], p[1])
		}
	} else {
		log.WriteString("\n")
	}
	fmt.Fprintf(&log, "%8s  %s\n", "per event", "store call")
	for _, m := range slices.Sorted(maps.Keys(c.calls)) {
		fmt.Fprintf(&log, "%8.2f  %s\n", per(c.calls[m]), m)
	}
	// Printed, not logged: the testing package keeps only 10 lines of a benchmark's log.
	fmt.Printf("--- %s\n%s", b.Name(), log.String())
}

// postgresStore returns a store in a fresh schema of MSGKIT_POSTGRES_DSN's database (dropped at the
// end), on a pool built with tracer as its pgx tracer; it skips without a database (fails in CI).
func postgresStore(b testing.TB, tracer pgx.QueryTracer) *postgres.Store {
	dsn := os.Getenv("MSGKIT_POSTGRES_DSN")
	if dsn == "" {
		msg := "MSGKIT_POSTGRES_DSN is not set, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		if os.Getenv("CI") != "" {
			b.Fatal(msg)
		}
		b.Skip(msg)
	}
	ctx := b.Context()
	name := make([]byte, 6)
	_, _ = rand.Read(name)
	schema := "msgkit_bench_" + hex.EncodeToString(name)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			b.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		b.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	s, err := postgres.New(ctx, pool, &postgres.Options{Schema: schema})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkCostRoundTrips counts what one 1-event webhook costs msgkit in store calls and, on PostgreSQL,
// in statements sent, round trips and commits that wrote, with round robin and the jobs the event caused
// run by Flush, for a new sender and for one of 64 who wrote before. On SQLite the same shared SQL layer
// runs, so a store call sends the same statements there; it counts the calls, and the bytes msgkit and
// the peer (on the same bodies) write to their files. The breakdown by store call and statement, and one
// iteration's statements in order, are printed to standard output.
func BenchmarkCostRoundTrips(b *testing.B) {
	const returning = 64
	for _, backend := range []string{"postgres", "sqlite"} {
		for _, newSender := range []bool{true, false} {
			b.Run(backend+"/"+map[bool]string{true: "new-sender", false: "returning-sender"}[newSender], func(b *testing.B) {
				c := newSQLCounter()
				var s store.Store
				var p *peer.Peer
				if backend == "postgres" {
					s = postgresStore(b, c)
				} else {
					dir := b.TempDir()
					s = openSQLite(b, filepath.Join(dir, "msgkit.db"))
					p = openPeer(b, filepath.Join(dir, "peer.db"), secret, costAgents)
				}
				k := newKit(b, storetest.NewFaults(s, c.fault), true)
				bodies := newCostBodies(b)
				for _, u := range costUsers(0, returning) { // the senders who wrote before; every statement prepared
					body, sig := bodies.body(u)
					k.post(b, body, sig)
					if p != nil {
						serve(b, p, body, sig)
					}
				}
				c.start()
				var kitBytes, peerBytes int64
				i := 0
				for b.Loop() {
					user := costUser(i % returning)
					if newSender {
						user = costUser(returning + i)
					}
					body, sig := bodies.body(user)
					c.mu.Lock()
					c.trace = c.trace[:0]
					c.mu.Unlock()
					w0 := written(b)
					k.post(b, body, sig)
					if p != nil {
						w1 := written(b)
						serve(b, p, body, sig)
						kitBytes, peerBytes = kitBytes+w1-w0, peerBytes+written(b)-w1
					}
					i++
				}
				c.report(b, i)
				if p != nil {
					b.ReportMetric(float64(kitBytes)/float64(i), "msgkit-written-B/event")
					b.ReportMetric(float64(peerBytes)/float64(i), "peer-written-B/event")
				}
				k.settled(b)
			})
		}
	}
}

// written returns how many bytes the process has written so far (write system calls, to any file: WAL
// frames and checkpoints), from /proc/self/io; 0 where there is none.
func written(b *testing.B) int64 {
	io, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(io)) {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	return 0
}

// BenchmarkCostRoundTripsBatch counts, on PostgreSQL, the round trips of a 100-event webhook of new
// senders with round robin, and of its jobs (run by Flush), per event: what batching saves over 100
// 1-event webhooks (BenchmarkCostRoundTrips).
func BenchmarkCostRoundTripsBatch(b *testing.B) {
	const batch = 100
	c := newSQLCounter()
	k := newKit(b, postgresStore(b, c), true)
	bodies := newCostBodies(b)
	body, sig := bodies.body(costUsers(0, batch)...) // every statement prepared
	k.post(b, body, sig)
	c.start()
	var webhook, jobs int
	next := batch
	for b.Loop() {
		body, sig := bodies.body(costUsers(next, batch)...)
		next += batch
		before := c.sent()
		serve(b, k.h, body, sig)
		answered := c.sent()
		if _, err := k.svc.Flush(b.Context()); err != nil {
			b.Fatal(err)
		}
		webhook, jobs = webhook+answered-before, jobs+c.sent()-answered
	}
	events := float64(b.N * batch)
	b.ReportMetric(float64(webhook)/events, "webhook-round-trips/event")
	b.ReportMetric(float64(jobs)/events, "jobs-round-trips/event")
	k.settled(b)
}
