package store_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

// Optimistic updates: the second writer from the same version gets ErrConflict and must re-read.
func ExampleErrConflict() {
	ctx := context.Background()
	s := memstore.New(nil)
	ch, _ := s.CreateChannel(ctx, store.Channel{Kind: "line", ExternalID: "1"})
	k, _, _ := s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: channel.User("U1")})

	a, b := k, k
	a.Record = store.RecordRef{Kind: store.RecordLead, ID: "lead-1", Owner: "alice"}
	b.Record = store.RecordRef{Kind: store.RecordContact, ID: "contact-7", Owner: "bob"}
	_, errA := s.UpdateContact(ctx, a)
	_, errB := s.UpdateContact(ctx, b)
	fmt.Println(errA == nil, errors.Is(errB, store.ErrConflict))
	// Output: true true
}

// Lists page with cursors; a cursor travels through an API as an opaque token.
func ExampleParseCursor() {
	ctx := context.Background()
	s := memstore.New(nil)
	ch, _ := s.CreateChannel(ctx, store.Channel{Kind: "line", ExternalID: "1"})
	for _, u := range []string{"U1", "U2", "U3"} {
		k, _, _ := s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: channel.User(u)})
		_, _, _ = s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: k.Peer})
	}
	var token string
	for page := 1; ; page++ {
		after, err := store.ParseCursor(token)
		if err != nil {
			panic(err)
		}
		entries, next, _ := s.ListConversations(ctx, store.View{Linkage: store.Unregistered}, store.Page{Limit: 2, After: after})
		fmt.Println("page", page, "holds", len(entries))
		if next.IsZero() {
			break
		}
		token = next.String()
	}
	// Output:
	// page 1 holds 2
	// page 2 holds 1
}
