package conversation_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

// A webhook arrives and is stored once (LINE redelivers); the work it causes (assigning the sender in
// turn, fetching their profile) is done by Run, here by Flush.
func ExampleService_Ingest() {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	db := memstore.New(&memstore.Options{Now: func() time.Time { return now }})
	ch, _ := db.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1", Active: true,
		Assignment: store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: []string{"aiko", "ben"}}})
	line := channeltest.NewFake(nil) // the LINE adapter in production
	rr, _ := assign.NewRoundRobin(&assign.MemoryDirectory{})
	svc, _ := conversation.New(db, conversation.AdapterMap{ch.ID: line}, &conversation.Options{
		Now:      func() time.Time { return now },
		Assigner: assign.Strategies{assign.StrategyRoundRobin: rr},
	})
	webhooks, _ := channel.NewHandler(ch.ID, line, svc.Receive, nil)

	msg := channel.Text("Is the blue one in stock?")
	msg.ID = "line-1"
	event := channel.Event{ID: "ev-1", Kind: channel.EventMessage, Time: now, Mode: channel.ModeActive,
		Source: channel.User("U1"), ReplyToken: "rt-1", Message: &msg}
	for range 2 {
		webhooks.ServeHTTP(httptest.NewRecorder(), line.Request(event))
	}
	_, _ = svc.Flush(ctx) // in production, svc.Run(ctx) runs in the background

	inbox, _, _ := db.ListConversations(ctx, store.View{Linkage: store.Unregistered, Unreplied: true}, store.Page{})
	c := inbox[0].Conversation
	msgs, _, _ := db.ListMessages(ctx, c.ID, store.Page{})
	fmt.Println(len(inbox), "unregistered, unreplied conversation, assigned to", c.Assignee, "with", len(msgs), "message")
	// Output: 1 unregistered, unreplied conversation, assigned to aiko with 1 message
}

// An agent replies: free with the reply token while it is fresh, a billable push afterwards.
func ExampleService_Reply() {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	db := memstore.New(&memstore.Options{Now: func() time.Time { return now }})
	ch, _ := db.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1", Active: true})
	line := channeltest.NewFake(nil)
	svc, _ := conversation.New(db, conversation.AdapterMap{ch.ID: line}, &conversation.Options{Now: func() time.Time { return now }})

	msg := channel.Text("Do you ship to Osaka?")
	msg.ID = "line-1"
	_ = svc.Ingest(ctx, ch.ID, []channel.Event{{ID: "ev-1", Kind: channel.EventMessage, Time: now, Mode: channel.ModeActive,
		Source: channel.User("U1"), ReplyToken: "rt-1", Message: &msg}})
	inbox, _, _ := db.ListConversations(ctx, store.View{}, store.Page{})
	id := inbox[0].Conversation.ID

	sent, _ := svc.Reply(ctx, id, "aiko", conversation.Reply{Text: "Yes, in two days."})
	fmt.Println(sent.Parts[0].Status, "billable:", sent.Parts[0].Billable, "unreplied:", sent.Conversation.Unreplied)

	now = now.Add(8 * 24 * time.Hour)
	_, err := svc.Reply(ctx, id, "aiko", conversation.Reply{Text: "Still interested?"})
	fmt.Println(err)
	// Output:
	// sent billable: false unreplied: false
	// conversation: the reply window closed at 2026-12-03T09:00:00Z; the customer must write again before you can reply
}
