package linking_test

import (
	"context"
	"fmt"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

// The [+] flow: suggest records for an unregistered sender, link one, and undo a mistaken relink.
func ExampleLinker() {
	ctx := context.Background()
	s := memstore.New(nil)
	crm := &linking.MemoryRecords{}
	crm.Add(linking.Record{Kind: store.RecordLead, ID: "L-17", DisplayName: "Hanako Yamada", Owner: "aiko"})
	crm.Add(linking.Record{Kind: store.RecordContact, ID: "C-4", DisplayName: "Hanako Sato", Owner: "ben"})
	l, _ := linking.New(s, crm)

	ch, _ := s.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1"})
	contact, _, _ := s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: channel.User("U1"),
		Profile: channel.Profile{DisplayName: "Hanako"}})

	candidates, _ := l.Suggest(ctx, contact.ID, "", 5)
	fmt.Println("candidates:", len(candidates))

	contact, _ = l.Link(ctx, contact.ID, store.RecordLead, "L-17", "aiko")
	fmt.Println("linked to", contact.Record.ID, "owned by", contact.Record.Owner)

	contact, _ = l.Relink(ctx, contact.ID, contact.Record, store.RecordContact, "C-4", "ben")
	history, _ := l.History(ctx, contact.ID)
	contact, _ = l.Undo(ctx, contact.ID, history[len(history)-1].ID, "aiko")
	fmt.Println("after undo:", contact.Record.ID)
	// Output:
	// candidates: 2
	// linked to L-17 owned by aiko
	// after undo: L-17
}

// Suggestions for an unregistered sender, ranked by how their names match; nothing is linked until the
// agent picks one.
func ExampleSuggest() {
	ctx := context.Background()
	crm := &linking.MemoryRecords{}
	crm.Add(linking.Record{Kind: store.RecordLead, ID: "L-1", DisplayName: "Hanako Yamada", Owner: "aiko"})
	crm.Add(linking.Record{Kind: store.RecordContact, ID: "C-1", DisplayName: "Yamada Hanako", Owner: "ben"})
	crm.Add(linking.Record{Kind: store.RecordLead, ID: "L-2", DisplayName: "Hanako Sato", Owner: "aiko"})
	crm.Add(linking.Record{Kind: store.RecordLead, ID: "L-3", DisplayName: "Hanako Yamada-Sato", Owner: "ben"})
	crm.Add(linking.Record{Kind: store.RecordContact, ID: "C-2", DisplayName: "Taro Yamada", Owner: "aiko"})
	crm.Add(linking.Record{Kind: store.RecordContact, ID: "C-3", DisplayName: "Kenji Mori", Owner: "ben"})

	sender := store.Contact{ID: "k1", Peer: channel.User("U1"), Profile: channel.Profile{DisplayName: "Hanako Yamada"}}
	suggestions, _ := linking.Suggest(ctx, crm, sender, 5)
	for _, s := range suggestions {
		fmt.Printf("%-9s %.2f  %s %s %s\n", s.Match, s.Overlap, s.Record.Kind, s.Record.ID, s.Record.DisplayName)
	}
	// Output:
	// exact     1.00  lead L-1 Hanako Yamada
	// reordered 1.00  contact C-1 Yamada Hanako
	// prefix    0.67  lead L-3 Hanako Yamada-Sato
	// tokens    0.33  lead L-2 Hanako Sato
	// tokens    0.33  contact C-2 Taro Yamada
}
