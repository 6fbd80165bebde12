package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlstore"
	"github.com/msgkit/msgkit/store/storetest"
)

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) store.Store { return open(b, newSchema(b), nil) })
}

// BenchmarkViews measures the inbox views at 1,000 and 100,000 conversations, each population
// bulk-loaded into a fresh schema (then ANALYZEd, as autovacuum would soon do) and dropped afterwards.
func BenchmarkViews(b *testing.B) {
	storetest.BenchmarkViews(b, func(b *testing.B, p *storetest.Population) store.Store {
		schema := newSchema(b)
		s := open(b, schema, nil)
		start := time.Now()
		if err := p.CreateChannels(b.Context(), s); err != nil {
			b.Fatal(err)
		}
		if err := bulkLoad(b.Context(), b, schema, p); err != nil {
			b.Fatal(err)
		}
		b.Logf("loaded %d conversations, %d messages in %v", p.Size, p.MessageCount, time.Since(start).Round(time.Millisecond))
		return s
	}, &storetest.ViewsOptions{Server: true})
}

// bulkLoad writes p's contacts, conversations and messages into schema in multi-row INSERTs, in one
// transaction, then analyzes the tables.
func bulkLoad(ctx context.Context, tb testing.TB, schema string, p *storetest.Population) error {
	conn, err := pgx.Connect(ctx, dsn(tb))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `SET search_path TO `+schema); err != nil {
		return err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // after Commit it does nothing
	bulk := &sqlstore.Bulk{MaxArgs: 65535, Exec: func(query string, args []any) error {
		_, err := tx.Exec(ctx, query, args...)
		return err
	}}
	if err := p.Feed(bulk); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `ANALYZE`)
	return err
}

// Issue 18: what waking other instances costs the transaction that enqueues a job. Each op is one
// transaction that enqueues one job, from 8 goroutines on one pool while another Store listens: due now
// (after the commit, the Store sends pg_notify in a transaction of its own) or due in an hour (no
// notification); the two differ in nothing else.
//
//	MSGKIT_POSTGRES_DSN=… go test ./store/postgres -run '^$' -bench '^BenchmarkEnqueueNotify$' -benchtime 2000x -count 5
func BenchmarkEnqueueNotify(b *testing.B) {
	schema := newSchema(b)
	s := open(b, schema, nil)
	wake, stop := open(b, schema, nil).WatchJobs()
	defer stop()
	go func() {
		for range wake { // drain: never closed; ends with the process
		}
	}()
	for _, due := range []struct {
		name  string
		after time.Duration
	}{{"due=now", 0}, {"due=later", time.Hour}} {
		b.Run(due.name, func(b *testing.B) {
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					j := store.Job{Kind: "send"}
					if due.after > 0 {
						j.NextAttemptAt = time.Now().Add(due.after)
					}
					err := s.RunInTx(b.Context(), func(ctx context.Context, tx store.Store) error {
						_, _, err := tx.EnqueueJob(ctx, j)
						return err
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
