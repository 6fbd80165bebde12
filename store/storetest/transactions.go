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

// RunTransactions checks RunInTx: atomic, isolated, and joined when nested. Every backend must pass it:
// msgkit records an event, its effects and the work it causes in one transaction.
func RunTransactions(t *testing.T, h Harness) {
	txRule := func(name string, f func(t *testing.T, fx fixture, tr store.Transactor)) {
		rule(t, h, name, func(t *testing.T, fx fixture) { f(t, fx, fx.s) })
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
		kept, _, err := fx.s.EnqueueJob(t.Context(), store.Job{Kind: "profile", Key: "kept"})
		require.NoError(t, err)
		keptNote, _, err := fx.s.AddNotification(t.Context(), note(before, "agent-9", "kept"))
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
			_, err = tx.RecordInbound(ctx, before.ID, store.InboundNote{At: T0.Add(2 * time.Hour), ReplyToken: "rt"})
			require.NoError(t, err)
			_, err = tx.NextCursor(ctx, "pool")
			require.NoError(t, err)
			_, _, err = tx.EnqueueJob(ctx, store.Job{Kind: "send"})
			require.NoError(t, err)
			claimed, err := tx.ClaimJob(ctx, kept.ID, time.Minute)
			require.NoError(t, err)
			require.NoError(t, tx.CompleteJob(ctx, kept.ID, claimed.Lease))
			_, _, err = tx.AppendChannelEvent(ctx, store.ChannelEvent{ChannelID: before.ChannelID, Event: channel.Event{ID: "ev-1"}})
			require.NoError(t, err)
			_, err = tx.ArchiveWebhook(ctx, store.Webhook{ChannelID: before.ChannelID, Body: []byte("{}")})
			require.NoError(t, err)
			_, _, err = tx.RememberRequest(ctx, store.Request{Scope: "reply", Key: "k", Result: []byte(`1`)})
			require.NoError(t, err)
			require.NoError(t, tx.DeleteChannel(ctx, newChannel))
			_, err = tx.PutNotificationState(ctx, store.NotificationState{ConversationID: before.ID, UserID: "agent-9", Ignored: true})
			require.NoError(t, err)
			_, _, err = tx.AddNotification(ctx, note(before, "agent-9", "rolled back"))
			require.NoError(t, err)
			marked, err := tx.MarkNotificationsRead(ctx, "agent-9", store.Cursor{Time: T0.Add(time.Hour), ID: "~"})
			require.NoError(t, err)
			require.Equal(t, 2, marked)
			_, err = tx.PutNotificationSettings(ctx, store.NotificationSettings{UserID: "agent-9", MutedChannels: []string{"c"}})
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
		require.Equal(t, []string{before.ID}, cursorIDs(inbox), "the inbox lists exactly what was there before")
		require.Equal(t, before, inbox[0].Conversation)
		msgs, _, err := fx.s.ListMessages(t.Context(), before.ID, store.Page{})
		require.NoError(t, err)
		require.Empty(t, msgs, "an appended message is rolled back")
		_, err = fx.s.FindMessage(t.Context(), before.ChannelID, "m1")
		require.ErrorIs(t, err, store.ErrNotFound, "the channel message ID of a rolled back message is free")
		events, _, err := fx.s.ListChannelEvents(t.Context(), before.ChannelID, store.Page{})
		require.NoError(t, err)
		require.Empty(t, events, "an appended channel event is rolled back")
		archived, _, err := fx.s.ListWebhooks(t.Context(), before.ChannelID, time.Time{}, time.Time{}, store.Page{})
		require.NoError(t, err)
		require.Empty(t, archived, "an archived webhook is rolled back")
		_, created, err := fx.s.RememberRequest(t.Context(), store.Request{Scope: "reply", Key: "k", Result: []byte(`2`)})
		require.NoError(t, err)
		require.True(t, created, "a remembered request is rolled back")
		n, err := fx.s.NextCursor(t.Context(), "pool")
		require.NoError(t, err)
		require.Equal(t, int64(1), n, "a cursor advance is rolled back")
		jobs, err := fx.s.ClaimJobs(t.Context(), 10, time.Minute)
		require.NoError(t, err)
		require.Equal(t, []string{kept.ID}, cursorIDs(jobs), "an enqueued job is rolled back, and a completed one is pending again")
		_, err = fx.s.GetNotificationState(t.Context(), before.ID, "agent-9")
		require.ErrorIs(t, err, store.ErrNotFound, "notification state is rolled back")
		notes, _, err := fx.s.ListNotifications(t.Context(), "agent-9", store.NotificationFilter{Unread: true}, store.Page{})
		require.NoError(t, err)
		require.Equal(t, []store.Notification{keptNote}, notes, "an added notification is rolled back, and a read one is unread again")
		_, created, err = fx.s.AddNotification(t.Context(), note(before, "agent-9", "rolled back"))
		require.NoError(t, err)
		require.True(t, created, "a rolled back notification's key is free")
		_, err = fx.s.GetNotificationSettings(t.Context(), "agent-9")
		require.ErrorIs(t, err, store.ErrNotFound, "settings are rolled back")
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

	txRule("UncommittedWritesAreInvisibleToOthers", func(t *testing.T, fx fixture, tr store.Transactor) {
		// Another caller, reading while the transaction is open, must not see its writes: it gets
		// ErrNotFound at once, or waits for the transaction, which then rolls back.
		outside := make(chan error, 1)
		boom := errors.New("boom")
		err := tr.RunInTx(t.Context(), func(ctx context.Context, tx store.Store) error {
			ch, err := tx.CreateChannel(ctx, store.Channel{ID: "uncommitted", Kind: "line"})
			if err != nil {
				return err
			}
			go func() {
				_, err := fx.s.GetChannel(context.WithoutCancel(t.Context()), ch.ID)
				outside <- err
			}()
			select {
			case err := <-outside:
				outside <- err
			case <-time.After(200 * time.Millisecond): // the reader waits for the transaction: fine
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.ErrorIs(t, <-outside, store.ErrNotFound, "a read outside an open transaction must not see its writes")
	})

	txRule("NestedRunInTxJoinsTheOuterTransaction", func(t *testing.T, fx fixture, tr store.Transactor) {
		boom := errors.New("boom")
		err := tr.RunInTx(t.Context(), func(ctx context.Context, tx store.Store) error {
			err := tx.RunInTx(ctx, func(ctx context.Context, inner store.Store) error {
				_, err := inner.CreateChannel(ctx, store.Channel{ID: "nested", Kind: "line"})
				return err
			})
			require.NoError(t, err, "a nested transaction commits into the outer one")
			_, err = tx.GetChannel(ctx, "nested")
			require.NoError(t, err, "the outer transaction sees the nested one's writes")
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = fx.s.GetChannel(t.Context(), "nested")
		require.ErrorIs(t, err, store.ErrNotFound, "rolling back the outer transaction rolls back the nested one")
	})
}
