package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// RunTransactions checks store.Transactor, for stores that implement it; it skips for those that do not.
func RunTransactions(t *testing.T, h Harness) {
	txRule := func(name string, f func(t *testing.T, fx fixture, tr store.Transactor)) {
		rule(t, h, name, func(t *testing.T, fx fixture) {
			tr, ok := fx.s.(store.Transactor)
			if !ok {
				t.Skip("the store is not a store.Transactor")
			}
			f(t, fx, tr)
		})
	}

	txRule("CommitKeepsEveryWrite", func(t *testing.T, fx fixture, tr store.Transactor) {
		var convID string
		err := tr.RunInTx(t.Context(), func(ctx context.Context, tx store.Store) error {
			ch, err := tx.CreateChannel(ctx, store.Channel{Kind: "line", ExternalID: "tx"})
			require.NoError(t, err)
			got, err := tx.GetChannel(ctx, ch.ID)
			require.NoError(t, err, "a transaction sees its own writes")
			require.Equal(t, ch, got)
			k, _, err := tx.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: channel.User("U1")})
			require.NoError(t, err)
			c, _, err := tx.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: k.Peer})
			require.NoError(t, err)
			convID = c.ID
			_, _, err = tx.AppendMessage(ctx, store.Message{ConversationID: c.ID, ChannelMessageID: "m1", Content: channel.Text("x")})
			return err
		})
		require.NoError(t, err)
		msgs, _, err := fx.s.ListMessages(t.Context(), convID, store.Page{})
		require.NoError(t, err)
		require.Len(t, msgs, 1, "writes of a committed transaction are kept")
	})

	txRule("ErrorRollsBackEveryWrite", func(t *testing.T, fx fixture, tr store.Transactor) {
		before := fx.newConversation(t)
		_, err := fx.s.FirstSeen(t.Context(), "kept", time.Hour)
		require.NoError(t, err)
		boom := errors.New("boom")
		var newChannel string
		err = tr.RunInTx(t.Context(), func(ctx context.Context, tx store.Store) error {
			ch, err := tx.CreateChannel(ctx, store.Channel{Kind: "line", ExternalID: "rolled-back"})
			require.NoError(t, err)
			newChannel = ch.ID
			_, _, err = tx.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: channel.User("U2")})
			require.NoError(t, err)
			c := before
			c.Assignee, c.Unreplied, c.LastInboundAt = "agent-9", true, T0.Add(time.Hour)
			_, err = tx.UpdateConversation(ctx, c)
			require.NoError(t, err)
			k2, _, err := tx.FindOrCreateContact(ctx, store.Contact{ChannelID: before.ChannelID, Peer: channel.User("U3")})
			require.NoError(t, err)
			_, _, err = tx.FindOrCreateConversation(ctx, store.Conversation{ChannelID: before.ChannelID, ContactID: k2.ID, Peer: k2.Peer})
			require.NoError(t, err)
			_, _, err = tx.AppendMessage(ctx, store.Message{ConversationID: before.ID, ChannelMessageID: "m1", Content: channel.Text("x")})
			require.NoError(t, err)
			_, err = tx.FirstSeen(ctx, "ev-1", time.Hour)
			require.NoError(t, err)
			_, err = tx.NextCursor(ctx, "pool")
			require.NoError(t, err)
			_, err = tx.EnqueueOutbox(ctx, store.OutboxItem{ChannelID: before.ChannelID, ConversationID: before.ID, To: before.Peer, RetryKey: "k"})
			require.NoError(t, err)
			_, err = tx.PutNotificationState(ctx, store.NotificationState{ConversationID: before.ID, UserID: "agent-9", Ignored: true})
			require.NoError(t, err)
			_, err = tx.CreateTemplate(ctx, store.Template{Name: "rolled back"})
			require.NoError(t, err)
			_, err = tx.AssignConversation(ctx, store.Assignment{ConversationID: before.ID, From: "agent-9", To: "agent-8"})
			require.NoError(t, err)
			_, err = tx.LinkContact(ctx, store.LinkChange{ContactID: before.ContactID, To: store.RecordRef{Kind: store.RecordLead, ID: "l"}})
			require.NoError(t, err)
			return boom
		})
		require.ErrorIs(t, err, boom, "RunInTx returns fn's error")

		_, err = fx.s.GetChannel(t.Context(), newChannel)
		require.ErrorIs(t, err, store.ErrNotFound, "a created channel is rolled back")
		got, err := fx.s.GetConversation(t.Context(), before.ID)
		require.NoError(t, err)
		require.Equal(t, before, got, "an updated conversation is rolled back")
		inbox, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{})
		require.NoError(t, err)
		require.Equal(t, []string{before.ID}, entryIDs(inbox), "the inbox lists exactly what was there before")
		require.Equal(t, before, inbox[0].Conversation)
		msgs, _, err := fx.s.ListMessages(t.Context(), before.ID, store.Page{})
		require.NoError(t, err)
		require.Empty(t, msgs, "an appended message is rolled back")
		_, err = fx.s.FindMessage(t.Context(), before.ChannelID, "m1")
		require.ErrorIs(t, err, store.ErrNotFound, "the channel message ID of a rolled back message is free")
		first, err := fx.s.FirstSeen(t.Context(), "ev-1", time.Hour)
		require.NoError(t, err)
		require.True(t, first, "a dedup key is rolled back")
		first, err = fx.s.FirstSeen(t.Context(), "kept", time.Hour)
		require.NoError(t, err)
		require.False(t, first, "what existed before the transaction is kept")
		n, err := fx.s.NextCursor(t.Context(), "pool")
		require.NoError(t, err)
		require.Equal(t, int64(1), n, "a cursor advance is rolled back")
		items, err := fx.s.ClaimOutbox(t.Context(), 10, time.Minute)
		require.NoError(t, err)
		require.Empty(t, items, "an enqueued send is rolled back")
		_, err = fx.s.GetNotificationState(t.Context(), before.ID, "agent-9")
		require.ErrorIs(t, err, store.ErrNotFound, "notification state is rolled back")
		templates, err := fx.s.ListTemplates(t.Context(), "")
		require.NoError(t, err)
		require.Empty(t, templates, "a created template is rolled back")
		history, err := fx.s.ListAssignments(t.Context(), before.ID)
		require.NoError(t, err)
		require.Empty(t, history, "assignment history is rolled back")
		loads, err := fx.s.UserLoads(t.Context(), []string{"agent-8"})
		require.NoError(t, err)
		require.True(t, loads[0].LastAssignedAt.IsZero(), "the last assignment time is rolled back")
		links, err := fx.s.ListLinkChanges(t.Context(), before.ContactID)
		require.NoError(t, err)
		require.Empty(t, links, "link history is rolled back")
		linked, err := fx.s.ListContactsByRecord(t.Context(), store.RecordLead, "l")
		require.NoError(t, err)
		require.Empty(t, linked, "a link is rolled back")
	})

	txRule("FailedStepInsideKeepsNothing", func(t *testing.T, fx fixture, tr store.Transactor) {
		c := fx.newConversation(t)
		err := tr.RunInTx(t.Context(), func(ctx context.Context, tx store.Store) error {
			if _, _, err := tx.AppendMessage(ctx, store.Message{ConversationID: c.ID, ChannelMessageID: "m1", Content: channel.Text("x")}); err != nil {
				return err
			}
			stale := c
			stale.Version = 99
			_, err := tx.UpdateConversation(ctx, stale)
			return err
		})
		require.ErrorIs(t, err, store.ErrConflict, "the failing step's sentinel reaches the caller")
		msgs, _, err := fx.s.ListMessages(t.Context(), c.ID, store.Page{})
		require.NoError(t, err)
		require.Empty(t, msgs, "steps before the failing one are rolled back")
	})
}
