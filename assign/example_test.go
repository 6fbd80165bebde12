package assign_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

// exampleConversation stores a new conversation with user on channel ch.
func exampleConversation(ctx context.Context, s store.Store, ch store.Channel, user string) store.Conversation {
	k, _, _ := s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: channel.User(user)})
	c, _, _ := s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: k.Peer})
	return c
}

// Conversations from unregistered senders go to the sales role in turn; an agent who is away is skipped.
func ExampleRoundRobin() {
	ctx := context.Background()
	s := memstore.New(nil)
	ch, _ := s.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1", Active: true,
		Assignment: store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolRole, PoolIDs: []string{"sales"}}})
	dir := &assign.MemoryDirectory{}
	dir.SetMembers(store.PoolRole, "sales", "aiko", "ben", "chika")
	dir.SetAvailable("ben", false)
	rr, _ := assign.NewRoundRobin(dir)

	for _, sender := range []string{"U1", "U2", "U3", "U4"} {
		c, _ := assign.Route(ctx, s, rr, exampleConversation(ctx, s, ch, sender).ID)
		fmt.Println(sender, "→", c.Assignee)
	}
	// Output:
	// U1 → aiko
	// U2 → chika
	// U3 → aiko
	// U4 → chika
}

// Each conversation goes to whoever has the fewest open ones; at the cap, conversations wait until Drain.
func ExampleBalanced() {
	ctx := context.Background()
	s := memstore.New(nil)
	ch, _ := s.CreateChannel(ctx, store.Channel{Name: "Support", Kind: "line", ExternalID: "2", Active: true,
		Assignment: store.AssignmentRule{Strategy: assign.StrategyBalanced, Pool: store.PoolUsers, PoolIDs: []string{"aiko", "ben"}, MaxOpen: 1}})
	bal, _ := assign.NewBalanced(&assign.MemoryDirectory{})

	for _, sender := range []string{"U1", "U2", "U3"} {
		c := exampleConversation(ctx, s, ch, sender)
		c.Unreplied = true
		c, _ = s.UpdateConversation(ctx, c)
		routed, err := assign.Route(ctx, s, bal, c.ID)
		if errors.Is(err, assign.ErrNoAgent) {
			fmt.Println(sender, "waits: everyone is at the cap")
			continue
		}
		fmt.Println(sender, "→", routed.Assignee)
	}

	// ben answers his conversation, which frees room under his cap: the waiting one is his.
	mine, _, _ := s.ListConversations(ctx, store.View{Assignee: "ben"}, store.Page{})
	done := mine[0].Conversation
	done.Unreplied = false
	_, _ = s.UpdateConversation(ctx, done)
	n, _ := assign.Drain(ctx, s, bal, ch.ID)
	fmt.Println("drained:", n)
	// Output:
	// U1 → aiko
	// U2 → ben
	// U3 waits: everyone is at the cap
	// drained: 1
}
