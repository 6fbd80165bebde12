package line_test

import (
	"cmp"
	"database/sql"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/msgkit/msgkit/store/sqlite"
)

// BenchmarkCostPages counts what one 1-event webhook writes to SQLite's write-ahead log, which is what
// its time follows (each page is a write system call at commit): the pages of msgkit's webhook answer
// (the ingest transaction), of its jobs (Flush), and of the peer's transaction, each named by the b-tree
// (table or index) it belongs to. Every step starts on an empty log (a TRUNCATE checkpoint from another
// connection; the store's own checkpointer is off), and the log's frames are read back after it. The
// per-b-tree breakdown is printed once, averaged over the iterations.
func BenchmarkCostPages(b *testing.B) {
	for _, newSenders := range []bool{true, false} {
		b.Run(map[bool]string{true: "new-sender", false: "returning-sender"}[newSenders], func(b *testing.B) {
			dir := b.TempDir()
			kitPath, peerPath := filepath.Join(dir, "msgkit.db"), filepath.Join(dir, "peer.db")
			s, err := sqlite.Open(b.Context(), kitPath, &sqlite.Options{CheckpointDelay: -1})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			k := newKit(b, s, true)
			p := openPeer(b, peerPath, secret, costAgents)
			kitLog, peerLog := openLog(b, kitPath), openLog(b, peerPath)
			bodies := newCostBodies(b)
			const returning = 50
			for u := range returning {
				body, sig := bodies.body(costUser(u))
				k.post(b, body, sig)
				serve(b, p, body, sig)
			}
			ingest, jobs, peer := map[string]int{}, map[string]int{}, map[string]int{}
			i, next := 0, returning
			for b.Loop() {
				user := costUser(i % returning)
				if newSenders {
					user, next = costUser(next), next+1
				}
				body, sig := bodies.body(user)
				kitLog.start(b)
				serve(b, k.h, body, sig)
				kitLog.count(b, ingest)
				if _, err := k.svc.Flush(b.Context()); err != nil {
					b.Fatal(err)
				}
				kitLog.count(b, jobs)
				peerLog.start(b)
				serve(b, p, body, sig)
				peerLog.count(b, peer)
				i++
			}
			k.settled(b)
			total := func(m map[string]int) float64 { return float64(sum(m)) / float64(i) }
			b.ReportMetric(total(ingest), "ingest-pages/op")
			b.ReportMetric(total(jobs), "jobs-pages/op")
			b.ReportMetric(total(peer), "peer-pages/op")
			b.ReportMetric((total(ingest)+total(jobs))/total(peer), "pages-ratio")
			fmt.Printf("--- %s: pages written per webhook, by b-tree:\n%s\n", b.Name(), pageTable(i, map[string]map[string]int{"ingest": ingest, "jobs": jobs, "peer": peer}))
		})
	}
}

// walLog reads what a step wrote to a database's write-ahead log.
type walLog struct {
	db   *sql.DB // its own connection, to checkpoint and to read dbstat
	path string
}

func openLog(b *testing.B, path string) *walLog {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	b.Cleanup(func() { db.Close() })
	return &walLog{db: db, path: path}
}

// start empties the log, so that what follows is the next step's.
func (l *walLog) start(b *testing.B) {
	var busy, frames, copied int
	if err := l.db.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied); err != nil || busy != 0 {
		b.Fatalf("checkpoint: busy %d, %v", busy, err)
	}
}

// count adds the log's frames, by the b-tree of their page, to into, and empties the log.
func (l *walLog) count(b *testing.B, into map[string]int) {
	wal, err := os.ReadFile(l.path + "-wal")
	if err != nil {
		b.Fatal(err)
	}
	owner := map[uint32]string{}
	rows, err := l.db.Query(`SELECT name, pageno FROM dbstat`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var name string
		var page uint32
		if err := rows.Scan(&name, &page); err != nil {
			b.Fatal(err)
		}
		owner[page] = name
	}
	if err := rows.Close(); err != nil {
		b.Fatal(err)
	}
	if len(wal) >= 32 {
		size := int(binary.BigEndian.Uint32(wal[8:12]))
		for off := 32; off+24+size <= len(wal); off += 24 + size {
			page := binary.BigEndian.Uint32(wal[off : off+4])
			into[cmp.Or(owner[page], "(free list)")]++
		}
	}
	l.start(b)
}

func sum(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// pageTable writes the pages per webhook of each step by b-tree, the b-trees with the most first.
func pageTable(n int, steps map[string]map[string]int) string {
	names := map[string]int{}
	for _, m := range steps {
		for k, v := range m {
			names[k] += v
		}
	}
	order := slices.SortedFunc(maps.Keys(names), func(a, b string) int { return cmp.Or(names[b]-names[a], strings.Compare(a, b)) })
	var out strings.Builder
	fmt.Fprintf(&out, "%-40s %8s %8s %8s\n", "b-tree", "ingest", "jobs", "peer")
	for _, name := range order {
		fmt.Fprintf(&out, "%-40s %8.2f %8.2f %8.2f\n", name, float64(steps["ingest"][name])/float64(n),
			float64(steps["jobs"][name])/float64(n), float64(steps["peer"][name])/float64(n))
	}
	fmt.Fprintf(&out, "%-40s %8.2f %8.2f %8.2f", "total", float64(sum(steps["ingest"]))/float64(n),
		float64(sum(steps["jobs"]))/float64(n), float64(sum(steps["peer"]))/float64(n))
	return out.String()
}
