package msgkit_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

// The path of one inbound message: a signed webhook reaches the channel's Handler, the adapter verifies
// and parses it, and a sink stores each message once, even when the channel delivers it twice.
func Example() {
	ctx := context.Background()
	db := memstore.New(nil)
	ch, _ := db.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "fake", ExternalID: "1", Active: true})
	adapter := channeltest.NewFake(nil) // the LINE adapter in production

	sink := func(ctx context.Context, d channel.Delivery) error {
		channelID := d.ChannelID
		for _, e := range d.Events {
			if e.Kind != channel.EventMessage {
				continue
			}
			contact, _, err := db.FindOrCreateContact(ctx, store.Contact{ChannelID: channelID, Peer: e.Source})
			if err != nil {
				return err
			}
			conv, _, err := db.FindOrCreateConversation(ctx, store.Conversation{ChannelID: channelID, ContactID: contact.ID, Peer: e.Source})
			if err != nil {
				return err
			}
			if _, _, err := db.AppendMessage(ctx, store.Message{ConversationID: conv.ID, Direction: store.Inbound,
				Kind: e.Kind, ChannelMessageID: e.Message.ID, Content: *e.Message, Time: e.Time}); err != nil {
				return err
			}
		}
		return nil
	}
	h, _ := channel.NewHandler(ch.ID, adapter, sink, nil)

	msg := channel.Text("Is the blue one in stock?")
	msg.ID = "line-msg-1"
	webhook := channel.Event{ID: "ev-1", Kind: channel.EventMessage, Source: channel.User("U1"), Message: &msg}
	for range 2 { // LINE redelivers
		w := httptest.NewRecorder()
		h.ServeHTTP(w, adapter.Request(webhook))
		fmt.Println("answered", w.Code)
	}

	inbox, _, _ := db.ListConversations(ctx, store.View{Linkage: store.Unregistered, ChannelID: ch.ID}, store.Page{})
	msgs, _, _ := db.ListMessages(ctx, inbox[0].Conversation.ID, store.Page{})
	fmt.Println(len(inbox), "unregistered conversation with", len(msgs), "message:", msgs[0].Content.Text)
	// Output:
	// answered 200
	// answered 200
	// 1 unregistered conversation with 1 message: Is the blue one in stock?
}
