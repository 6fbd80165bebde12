package conversation_test

import (
	"context"
	"fmt"
	"time"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

// pushNotifier stands in for the host's push to an agent's phone.
type pushNotifier struct{}

func (pushNotifier) NewMessage(_ context.Context, n conversation.Notification) error {
	fmt.Printf("push to %s: %s at %s\n", n.UserID, n.Event, n.At.Format("15:04"))
	return nil
}

// An agent snoozes a conversation for an hour: the customer's next message signals nothing, and at the
// end of the hour Run (here Flush, with a fixed clock moved by hand) signals the agent again.
func ExampleService_Snooze() {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db := memstore.New(&memstore.Options{Now: clock})
	ch, _ := db.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1", Active: true,
		Assignment: store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: []string{"aiko"}}})
	rr, _ := assign.NewRoundRobin(&assign.MemoryDirectory{})
	svc, _ := conversation.New(db, conversation.AdapterMap{ch.ID: channeltest.NewFake(nil)}, &conversation.Options{
		Now: clock, Assigner: assign.Strategies{assign.StrategyRoundRobin: rr}, Notifier: pushNotifier{},
	})
	write := func(id, text string) {
		msg := channel.Text(text)
		msg.ID = id
		_ = svc.Ingest(ctx, ch.ID, []channel.Event{{ID: "ev-" + id, Kind: channel.EventMessage, Time: now, Mode: channel.ModeActive,
			Source: channel.User("U1"), Message: &msg}})
		_, _ = svc.Flush(ctx) // in production, svc.Run(ctx) runs in the background
	}

	write("m1", "Is the blue one in stock?")
	inbox, _, _ := db.ListConversations(ctx, store.View{Assignee: "aiko"}, store.Page{})
	st, _ := svc.Snooze(ctx, inbox[0].Conversation.ID, "aiko", conversation.SnoozeOptions{Until: now.Add(time.Hour)})
	fmt.Println("snoozed until", st.SnoozedUntil.Format("15:04"))

	now = now.Add(10 * time.Minute)
	write("m2", "Hello?") // snoozed: no push

	now = now.Add(50 * time.Minute)
	_, _ = svc.Flush(ctx)
	// Output:
	// push to aiko: message at 09:00
	// snoozed until 10:00
	// push to aiko: snooze_ended at 10:00
}

// An agent's notification list: the unread count for the badge, the newest first, and "mark all read"
// up to the newest one shown, so what arrives meanwhile stays unread.
func ExampleService_Notifications() {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db := memstore.New(&memstore.Options{Now: clock})
	ch, _ := db.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1", Active: true,
		Assignment: store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: []string{"aiko"}}})
	rr, _ := assign.NewRoundRobin(&assign.MemoryDirectory{})
	svc, _ := conversation.New(db, conversation.AdapterMap{ch.ID: channeltest.NewFake(nil)}, &conversation.Options{
		Now: clock, Assigner: assign.Strategies{assign.StrategyRoundRobin: rr}, // no Notifier: the list is kept anyway
	})
	for i, user := range []string{"U1", "U2", "U1"} {
		msg := channel.Text("hello")
		msg.ID = fmt.Sprint("m", i)
		_ = svc.Ingest(ctx, ch.ID, []channel.Event{{ID: fmt.Sprint("ev", i), Kind: channel.EventMessage, Time: now,
			Mode: channel.ModeActive, Source: channel.User(user), Message: &msg}})
		_, _ = svc.Flush(ctx)
		now = now.Add(time.Minute)
	}

	badge, _ := svc.UnreadNotifications(ctx, "aiko", 100) // "99+" from 100 on
	fmt.Println("unread:", badge)
	shown, _, _ := svc.Notifications(ctx, "aiko", store.NotificationFilter{Unread: true}, store.Page{Limit: 20})
	for _, n := range shown {
		fmt.Println(n.Event, n.MessageID != "", n.At.Format("15:04"))
	}
	read, _ := svc.MarkNotificationsRead(ctx, "aiko", shown[0].Cursor())
	badge, _ = svc.UnreadNotifications(ctx, "aiko", 100)
	fmt.Println("marked read:", read, "unread:", badge)
	// Output:
	// unread: 3
	// message true 09:02
	// message true 09:01
	// message true 09:00
	// marked read: 3 unread: 0
}
