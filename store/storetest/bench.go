package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// Benchmark measures a backend on msgkit's hot paths, the same way for every backend:
//
//	Ingest      the write transaction of one inbound message (find-or-create contact and conversation,
//	            append, record the inbound message on the conversation)
//	InboxPage   the second 50-row page of an agent's unreplied view at 10,000 conversations
//	RoundRobin  one round-robin assignment (channel rule, pool, atomic cursor), from 1 and 8 goroutines
//	ClaimJobs   a claim of 16 jobs, handed back due, while 10,000 are due (a burst's backlog)
//
// newStore returns a fresh, empty store for each sub-benchmark.
func Benchmark(b *testing.B, newStore func(b *testing.B) store.Store) {
	b.Run("Ingest", func(b *testing.B) {
		s := newStore(b)
		ch, err := s.CreateChannel(b.Context(), store.Channel{Kind: "line", ExternalID: "1"})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			if err := ingest(b.Context(), s, ch.ID, i); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("InboxPage", func(b *testing.B) {
		s := newStore(b)
		v, after := seedInbox(b, s, 10_000)
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := s.ListConversations(b.Context(), v, store.Page{After: after}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, goroutines := range []int{1, 8} {
		b.Run(fmt.Sprintf("RoundRobin/goroutines=%d", goroutines), func(b *testing.B) {
			s := newStore(b)
			ch, err := s.CreateChannel(b.Context(), store.Channel{Kind: "line", ExternalID: "1",
				Assignment: store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: []string{"a", "b", "c"}}})
			if err != nil {
				b.Fatal(err)
			}
			rr, err := assign.NewRoundRobin(&assign.MemoryDirectory{})
			if err != nil {
				b.Fatal(err)
			}
			conv := store.Conversation{ChannelID: ch.ID}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for g := range goroutines {
				n := b.N / goroutines
				if g == 0 {
					n += b.N % goroutines
				}
				wg.Go(func() {
					for range n {
						if _, err := rr.Assign(context.Background(), s, ch, conv); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "assignments/s")
		})
	}
	b.Run("ClaimJobs", func(b *testing.B) {
		ctx := b.Context()
		s := newStore(b)
		err := s.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
			for range 10_000 {
				if _, _, err := tx.EnqueueJob(ctx, store.Job{Kind: "bench", Payload: []byte("{}")}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			jobs, err := s.ClaimJobs(ctx, 16, time.Minute)
			if err != nil || len(jobs) != 16 {
				b.Fatalf("claimed %d jobs: %v", len(jobs), err)
			}
			for _, j := range jobs {
				if err := s.RetryJob(ctx, j.ID, j.Lease, time.Now(), "bench"); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// ingest stores inbound message i as one transaction.
func ingest(ctx context.Context, s store.Store, channelID string, i int) error {
	return s.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
		peer := channel.User(fmt.Sprint("U", i%1000))
		k, _, err := tx.FindOrCreateContact(ctx, store.Contact{ChannelID: channelID, Peer: peer})
		if err != nil {
			return err
		}
		c, _, err := tx.FindOrCreateConversation(ctx, store.Conversation{ChannelID: channelID, ContactID: k.ID, Peer: peer})
		if err != nil {
			return err
		}
		now := time.Now()
		if _, _, err := tx.AppendMessage(ctx, store.Message{ConversationID: c.ID, Direction: store.Inbound, Kind: channel.EventMessage,
			ChannelMessageID: fmt.Sprint("m-", i), Content: channel.Text("Is the blue one in stock?"), Status: store.StatusReceived, Time: now}); err != nil {
			return err
		}
		_, err = tx.RecordInbound(ctx, c.ID, store.InboundNote{At: now})
		return err
	})
}

// seedInbox stores n conversations over 10 agents and returns an agent's unreplied view and the cursor of
// its second page.
func seedInbox(b *testing.B, s store.Store, n int) (store.View, store.Cursor) {
	ctx := b.Context()
	ch, err := s.CreateChannel(ctx, store.Channel{Kind: "line", ExternalID: "1"})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		peer := channel.User(fmt.Sprint("U", i))
		k, _, err := s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: peer})
		if err != nil {
			b.Fatal(err)
		}
		c, _, err := s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: peer})
		if err != nil {
			b.Fatal(err)
		}
		c.Assignee, c.Unreplied, c.LastInboundAt = fmt.Sprint("agent-", i%10), i%3 == 0, time.Unix(int64(i), 0)
		if _, err := s.UpdateConversation(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	v := store.View{Assignee: "agent-3", Unreplied: true}
	first, next, err := s.ListConversations(ctx, v, store.Page{})
	if err != nil || len(first) != store.DefaultLimit || next.IsZero() {
		b.Fatalf("seeding the inbox: %d rows, %v", len(first), err)
	}
	return v, next
}
