package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlite"
)

// BenchmarkIngest measures the write transaction of one inbound message as the conversation service runs
// it: dedup the event, find the contact and conversation, append the message, update the conversation.
func BenchmarkIngest(b *testing.B) {
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
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
}

func ingest(ctx context.Context, s store.Store, channelID string, i int) error {
	return store.InTx(ctx, s, func(ctx context.Context, tx store.Store) error {
		if _, err := tx.FirstSeen(ctx, fmt.Sprint("ev-", i), 24*time.Hour); err != nil {
			return err
		}
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
		msg := channel.Text("Is the blue one in stock?")
		if _, _, err := tx.AppendMessage(ctx, store.Message{ConversationID: c.ID, Direction: store.Inbound, Kind: channel.EventMessage,
			ChannelMessageID: fmt.Sprint("m-", i), Content: msg, Status: store.StatusReceived, Time: now}); err != nil {
			return err
		}
		c.Unreplied, c.LastInboundAt = true, now
		_, err = tx.UpdateConversation(ctx, c)
		return err
	})
}

// BenchmarkInboxPage measures one page (50 rows) of an agent's unreplied view at 10,000 conversations.
func BenchmarkInboxPage(b *testing.B) {
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ch, _ := s.CreateChannel(b.Context(), store.Channel{Kind: "line", ExternalID: "1"})
	for i := range 10_000 {
		peer := channel.User(fmt.Sprint("U", i))
		k, _, _ := s.FindOrCreateContact(b.Context(), store.Contact{ChannelID: ch.ID, Peer: peer})
		c, _, _ := s.FindOrCreateConversation(b.Context(), store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: peer})
		c.Assignee, c.Unreplied, c.LastInboundAt = fmt.Sprint("agent-", i%10), i%3 == 0, time.Unix(int64(i), 0)
		if _, err := s.UpdateConversation(b.Context(), c); err != nil {
			b.Fatal(err)
		}
	}
	v := store.View{Assignee: "agent-3", Unreplied: true}
	first, next, err := s.ListConversations(b.Context(), v, store.Page{})
	if err != nil || len(first) != 50 || next.IsZero() {
		b.Fatalf("setup: %d rows, %v", len(first), err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.ListConversations(b.Context(), v, store.Page{After: next}); err != nil {
			b.Fatal(err)
		}
	}
}
