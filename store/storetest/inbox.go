package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
)

// RunInbox checks what the inbox views read from a conversation row: the linked record mirrored from its
// contact, the preview of its latest message, its place in the order before any message, the viewer's
// notification state, and bounded counts.
func RunInbox(t *testing.T, h Harness) {
	lead := store.RecordRef{Kind: store.RecordLead, ID: "L1", Owner: "agent-1", Name: "Acme Co."}

	rule(t, h, "ConversationsMirrorTheirContactsRecord", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		k := fx.newContact(t, ch, "U1")
		_, err := fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: k.ID, To: lead, Reason: store.LinkLinked})
		require.NoError(t, err)
		c, _, err := fx.s.FindOrCreateConversation(t.Context(), store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: k.Peer})
		require.NoError(t, err)
		require.Equal(t, lead, c.Record, "a conversation opened for a linked contact carries its record")

		moved := store.RecordRef{Kind: store.RecordContact, ID: "C9", Owner: "agent-2", Name: "Bob"}
		_, err = fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: k.ID, From: lead, To: moved, Reason: store.LinkRelink})
		require.NoError(t, err)
		got, err := fx.s.GetConversation(t.Context(), c.ID)
		require.NoError(t, err)
		require.Equal(t, moved, got.Record, "relinking the contact moves its conversation")
		require.Greater(t, got.Version, c.Version, "the mirror bumps the conversation's version")

		got.Record = store.RecordRef{}
		upd, err := fx.s.UpdateConversation(t.Context(), got)
		require.NoError(t, err)
		require.Equal(t, moved, upd.Record, "an update keeps the stored mirror")
		requireView(t, fx, store.View{RecordOwner: "agent-2"}, c.ID)
		requireView(t, fx, store.View{RecordOwner: "agent-1"})

		_, err = fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: k.ID, From: moved, Reason: store.LinkUnlink})
		require.NoError(t, err)
		requireView(t, fx, store.View{Linkage: store.Unregistered}, c.ID)
	})

	rule(t, h, "PreviewFollowsTheLatestMessage", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		require.Empty(t, c.Preview)
		got, err := fx.s.RecordInbound(t.Context(), c.ID, store.InboundNote{At: T0, Preview: "hello"})
		require.NoError(t, err)
		require.Equal(t, "hello", got.Preview)
		got, err = fx.s.RecordInbound(t.Context(), c.ID, store.InboundNote{At: T0, Preview: "hello again"})
		require.NoError(t, err)
		require.Equal(t, "hello again", got.Preview, "of messages sent at the same time (WhatsApp's times are whole seconds), the one recorded last is the latest")
		got, err = fx.s.RecordInbound(t.Context(), c.ID, store.InboundNote{At: T0.Add(-time.Minute), Preview: "older"})
		require.NoError(t, err)
		require.Equal(t, "hello again", got.Preview, "a message delivered late does not replace a newer preview")

		got.Preview, got.LastOutboundAt = "our answer", T0.Add(time.Minute)
		got, err = fx.s.UpdateConversation(t.Context(), got)
		require.NoError(t, err)
		require.Equal(t, "our answer", got.Preview, "UpdateConversation stores the preview as given")
		got, err = fx.s.RecordInbound(t.Context(), c.ID, store.InboundNote{At: T0.Add(30 * time.Second), Preview: "crossed"})
		require.NoError(t, err)
		require.Equal(t, "our answer", got.Preview, "an inbound message older than our reply does not replace it")
		got, err = fx.s.RecordInbound(t.Context(), c.ID, store.InboundNote{At: T0.Add(2 * time.Minute), Preview: "thanks"})
		require.NoError(t, err)
		require.Equal(t, "thanks", got.Preview)
		e := requireView(t, fx, store.View{}, c.ID)
		require.Equal(t, "thanks", e[0].Conversation.Preview, "the list carries the preview")
	})

	rule(t, h, "AConversationWithoutMessagesSortsByItsCreation", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		first := fx.conversationWith(t, ch, "U1")
		require.Equal(t, first.CreatedAt, first.LastMessageAt)
		fx.clock.Advance(time.Minute)
		second := fx.conversationWith(t, ch, "U2")
		requireView(t, fx, store.View{}, second.ID, first.ID)
		upd, err := fx.s.UpdateConversation(t.Context(), first)
		require.NoError(t, err)
		require.Equal(t, first.CreatedAt, upd.LastMessageAt, "an update without messages keeps the creation time")
		got, err := fx.s.RecordInbound(t.Context(), first.ID, store.InboundNote{At: T0.Add(2 * time.Minute)})
		require.NoError(t, err)
		require.Equal(t, T0.Add(2*time.Minute), got.LastMessageAt)
		requireView(t, fx, store.View{}, first.ID, second.ID)
	})

	rule(t, h, "ListCarriesTheViewersNotificationState", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		a, b := fx.conversationWith(t, ch, "U1"), fx.conversationWith(t, ch, "U2")
		put, err := fx.s.PutNotificationState(t.Context(), store.NotificationState{ConversationID: a.ID, UserID: "agent-1",
			SnoozedUntil: T0.Add(time.Hour), SnoozedUntilInbound: true, Ignored: true, Through: T0.Add(-time.Minute)})
		require.NoError(t, err)
		_, err = fx.s.PutNotificationState(t.Context(), store.NotificationState{ConversationID: b.ID, UserID: "agent-2", Ignored: true})
		require.NoError(t, err)

		got, _, err := fx.s.ListConversations(t.Context(), store.View{Viewer: "agent-1"}, store.Page{})
		require.NoError(t, err)
		require.Len(t, got, 2)
		for _, e := range got {
			if e.Conversation.ID == a.ID {
				require.NotNil(t, e.Notification)
				require.Equal(t, put, *e.Notification)
			} else {
				require.Nil(t, e.Notification, "another user's state is not the viewer's")
			}
		}
		got, _, err = fx.s.ListConversations(t.Context(), store.View{}, store.Page{})
		require.NoError(t, err)
		for _, e := range got {
			require.Nil(t, e.Notification, "no viewer, no state")
		}
	})

	rule(t, h, "CountStopsAtItsLimit", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		for _, u := range []string{"U1", "U2", "U3", "U4", "U5"} {
			fx.conversationWith(t, ch, u)
		}
		for limit, want := range map[int]int{0: 5, -1: 5, 1: 1, 3: 3, 5: 5, 6: 5} {
			n, err := fx.s.CountConversations(t.Context(), store.View{ChannelID: ch.ID}, limit)
			require.NoError(t, err)
			require.Equal(t, want, n, "count with limit %d", limit)
		}
		n, err := fx.s.CountConversations(t.Context(), store.View{ChannelID: "no-such-channel"}, 10)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}

// requireView requires that v lists exactly the conversations ids, newest first, and returns the entries.
func requireView(t *testing.T, fx fixture, v store.View, ids ...string) []store.InboxEntry {
	t.Helper()
	got, _, err := fx.s.ListConversations(t.Context(), v, store.Page{})
	require.NoError(t, err)
	require.Equal(t, ids, cursorIDs(got), "view %+v", v)
	return got
}
