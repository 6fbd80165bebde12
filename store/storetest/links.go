package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// RunLinks checks store.Links.
func RunLinks(t *testing.T, h Harness) {
	leadA := store.RecordRef{Kind: store.RecordLead, ID: "lead-a", Owner: "alice", Name: "Acme Co. — Ōsaka"}
	contactB := store.RecordRef{Kind: store.RecordContact, ID: "contact-b", Owner: "bob", Name: "Bob's contact"}

	rule(t, h, "LinkIsCompareAndSet", func(t *testing.T, fx fixture) {
		k := fx.newContact(t, fx.newChannel(t, "c"), "U1")
		got, err := fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: k.ID, To: leadA, By: "agent", Reason: store.LinkLinked})
		require.NoError(t, err)
		require.Equal(t, leadA, got.Record)
		require.Equal(t, k.Version+1, got.Version)
		stored, err := fx.s.GetContact(t.Context(), k.ID)
		require.NoError(t, err)
		require.Equal(t, got, stored)

		_, err = fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: k.ID, To: contactB, Reason: store.LinkLinked})
		require.ErrorIs(t, err, store.ErrConflict, "linking a contact that is already linked")
		_, err = fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: k.ID, From: contactB, To: leadA, Reason: store.LinkRelink})
		require.ErrorIs(t, err, store.ErrConflict, "moving from a record the contact is not linked to")

		newOwner := leadA
		newOwner.Owner = "carol"
		stale := leadA
		stale.Owner, stale.Name = "someone who left", "an old name"
		got, err = fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: k.ID, From: stale, To: newOwner, Reason: store.LinkOwner})
		require.NoError(t, err, "the record is compared by kind and ID, not owner or name")
		require.Equal(t, "carol", got.Record.Owner)

		got, err = fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: k.ID, From: leadA, To: contactB, Reason: store.LinkRelink})
		require.NoError(t, err)
		require.Equal(t, contactB, got.Record)
		got, err = fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: k.ID, From: contactB, Reason: store.LinkUnlink})
		require.NoError(t, err)
		require.True(t, got.Record.IsZero(), "To zero unlinks")

		_, err = fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: "no-such-contact", To: leadA})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "ConcurrentLinksHaveOneWinner", func(t *testing.T, fx fixture) {
		hs := handles(t, h, fx.clock, 4)
		shared := fixture{s: hs[0], clock: fx.clock} // seeded through one handle, raced on all
		k := shared.newContact(t, shared.newChannel(t, "x"), "U1")
		requireOneWinner(t, "link", func(i int) error {
			_, err := hs[i%len(hs)].LinkContact(t.Context(), store.LinkChange{ContactID: k.ID,
				To: store.RecordRef{Kind: store.RecordLead, ID: fmt.Sprint("lead-", i)}, Reason: store.LinkLinked})
			return err
		})
		history, err := hs[0].ListLinkChanges(t.Context(), k.ID)
		require.NoError(t, err)
		require.Len(t, history, 1)
	})

	rule(t, h, "HistoryIsKeptOldestFirst", func(t *testing.T, fx fixture) {
		k := fx.newContact(t, fx.newChannel(t, "c"), "U1")
		steps := []store.LinkChange{
			{ContactID: k.ID, To: leadA, By: "alice", Reason: store.LinkCreated},
			{ContactID: k.ID, From: leadA, To: contactB, By: "bob", Reason: store.LinkRelink},
			{ContactID: k.ID, From: contactB, To: leadA, By: "bob", Reason: store.LinkUndo},
			{ContactID: k.ID, From: leadA, By: "", Reason: store.LinkUnlink},
		}
		for _, s := range steps {
			_, err := fx.s.LinkContact(t.Context(), s)
			require.NoError(t, err)
			fx.clock.Advance(time.Minute)
		}
		history, err := fx.s.ListLinkChanges(t.Context(), k.ID)
		require.NoError(t, err)
		require.Len(t, history, len(steps))
		for i, c := range history {
			require.NotEmpty(t, c.ID)
			require.Equal(t, T0.Add(time.Duration(i)*time.Minute), c.At)
			c.ID, c.At = "", time.Time{}
			require.Equal(t, steps[i], c, "every field of the link history round-trips, in order")
		}
	})

	rule(t, h, "ContactsByRecordSpanChannels", func(t *testing.T, fx fixture) {
		a, b := fx.newChannel(t, "a"), fx.newChannel(t, "b")
		var want []string
		for i, ch := range []store.Channel{a, b, a} {
			fx.clock.Advance(time.Second)
			k := fx.newContact(t, ch, fmt.Sprint("U", i))
			if i == 2 {
				continue // stays unregistered
			}
			_, err := fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: k.ID, To: leadA, Reason: store.LinkLinked})
			require.NoError(t, err)
			want = append(want, k.ID)
		}
		got, err := fx.s.ListContactsByRecord(t.Context(), store.RecordLead, "lead-a")
		require.NoError(t, err)
		var ids []string
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		require.Equal(t, want, ids, "several contacts, on several channels, may link to one record")
		none, err := fx.s.ListContactsByRecord(t.Context(), store.RecordContact, "lead-a")
		require.NoError(t, err)
		require.Empty(t, none, "the record kind is part of its identity")
	})

	rule(t, h, "TimelineInterleavesChannelsAndPagesBothWays", func(t *testing.T, fx fixture) {
		line, other := fx.newChannel(t, "line"), fx.newChannel(t, "other")
		c1 := fx.conversationWith(t, line, "U1")
		c2 := fx.conversationWith(t, other, "U1")
		stranger := fx.conversationWith(t, line, "U9")
		for _, c := range []store.Conversation{c1, c2} {
			_, err := fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: c.ContactID, To: leadA, Reason: store.LinkLinked})
			require.NoError(t, err)
		}
		// Interleaved times across the two channels; two at the same instant.
		plan := []struct {
			conv store.Conversation
			at   time.Duration
		}{{c1, 1}, {c2, 2}, {c1, 3}, {c2, 3}, {c2, 5}, {c1, 4}, {stranger, 2}}
		var want []store.Message
		for i, p := range plan {
			m, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: p.conv.ID, Direction: store.Inbound,
				Content: channel.Text(fmt.Sprint(i)), Time: T0.Add(p.at * time.Minute)})
			require.NoError(t, err)
			if p.conv.ID != stranger.ID {
				want = append(want, m)
			}
		}
		wantIDs := cursorIDs(sortMessages(want))
		for _, order := range []store.Order{store.OldestFirst, store.NewestFirst} {
			exp := wantIDs
			if order == store.NewestFirst {
				exp = reversed(wantIDs)
			}
			var all []string
			var after store.Cursor
			for pages := 0; ; pages++ {
				require.Less(t, pages, 5)
				got, next, err := fx.s.ListRecordMessages(t.Context(), store.RecordLead, "lead-a", store.Page{Limit: 2, After: after, Order: order})
				require.NoError(t, err)
				all = append(all, cursorIDs(got)...)
				if next.IsZero() {
					break
				}
				after = next
			}
			require.Equal(t, exp, all, "the timeline holds every message of the record's contacts, across channels, in order %d", order)
		}

		_, err := fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: c2.ContactID, From: leadA, Reason: store.LinkUnlink})
		require.NoError(t, err)
		got, _, err := fx.s.ListRecordMessages(t.Context(), store.RecordLead, "lead-a", store.Page{})
		require.NoError(t, err)
		for _, m := range got {
			require.Equal(t, c1.ID, m.ConversationID, "an unlinked contact's messages leave the timeline")
		}
	})
}
