package memstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

func ExampleNew() {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s := memstore.New(&memstore.Options{Now: func() time.Time { return now }})

	ch, _ := s.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1650000000", Active: true})
	contact, _, _ := s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: channel.User("U1")})
	conv, created, _ := s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: contact.ID, Peer: contact.Peer})
	fmt.Println(created, conv.Version, conv.CreatedAt.Format(time.Kitchen))

	// Appends are idempotent on the channel's message ID: a redelivered webhook stores nothing new.
	for range 2 {
		_, created, _ = s.AppendMessage(ctx, store.Message{ConversationID: conv.ID, Direction: store.Inbound,
			ChannelMessageID: "line-1", Content: channel.Text("hello")})
		fmt.Println("appended:", created)
	}
	// Output:
	// true 1 9:00AM
	// appended: true
	// appended: false
}

// RunInTx undoes everything when the function fails.
func ExampleStore_RunInTx() {
	ctx := context.Background()
	s := memstore.New(nil)
	err := s.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
		if _, err := tx.CreateChannel(ctx, store.Channel{ID: "c1", Kind: "line"}); err != nil {
			return err
		}
		return fmt.Errorf("something later failed")
	})
	_, getErr := s.GetChannel(ctx, "c1")
	fmt.Println(err, "|", getErr)
	// Output: something later failed | channel c1: store: not found
}
