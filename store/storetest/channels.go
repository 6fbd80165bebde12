package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// RunChannels checks store.Channels.
func RunChannels(t *testing.T, h Harness) {
	full := func() store.Channel {
		return store.Channel{
			Name: "Tokyo shop", Kind: "line", ExternalID: "1650000000",
			Credentials: map[string]string{"secret": "s3cret", "token": "t0ken"},
			Account: channel.AccountInfo{UserID: "Ubot", BasicID: "@shop", DisplayName: "Shop",
				PictureURL: "https://example.com/p.png", ChatMode: "bot"},
			Active:     true,
			Assignment: store.AssignmentRule{Strategy: "round_robin", Pool: store.PoolUsers, PoolIDs: []string{"u1", "u2"}, MaxOpen: 3},
			Health: store.ChannelHealth{CheckedAt: T0.Add(-time.Hour), QuotaExceededAt: T0.Add(-time.Minute),
				Checks: []channel.SettingCheck{{ID: "webhook.url", Title: "Webhook URL", Status: channel.CheckProblem, Detail: "Set it."}}},
			DisconnectedAt: T0.Add(-time.Second),
		}
	}

	rule(t, h, "CreateAssignsIDVersionAndTimes", func(t *testing.T, fx fixture) {
		c, err := fx.s.CreateChannel(t.Context(), full())
		require.NoError(t, err)
		require.NotEmpty(t, c.ID, "create must assign an ID")
		require.Equal(t, int64(1), c.Version, "a new record has version 1")
		require.Equal(t, T0, c.CreatedAt, "CreatedAt comes from the store clock")
		require.Equal(t, T0, c.UpdatedAt, "UpdatedAt comes from the store clock")
	})

	rule(t, h, "GetReturnsWhatCreateStored", func(t *testing.T, fx fixture) {
		c, err := fx.s.CreateChannel(t.Context(), full())
		require.NoError(t, err)
		got, err := fx.s.GetChannel(t.Context(), c.ID)
		require.NoError(t, err)
		require.Equal(t, c, got, "get must return the record create returned")
		want := full()
		want.ID, want.CreatedAt, want.UpdatedAt, want.Version = c.ID, T0, T0, 1
		require.Equal(t, want, got, "every field must round-trip")
	})

	rule(t, h, "CreateKeepsACallerChosenID", func(t *testing.T, fx fixture) {
		c := full()
		c.ID = "my-channel"
		got, err := fx.s.CreateChannel(t.Context(), c)
		require.NoError(t, err)
		require.Equal(t, "my-channel", got.ID)
	})

	rule(t, h, "GetMissingIsErrNotFound", func(t *testing.T, fx fixture) {
		_, err := fx.s.GetChannel(t.Context(), "no-such-channel")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "CreateWithTakenIDIsErrAlreadyExists", func(t *testing.T, fx fixture) {
		c := full()
		c.ID = "dup"
		_, err := fx.s.CreateChannel(t.Context(), c)
		require.NoError(t, err)
		c.ExternalID = "other"
		_, err = fx.s.CreateChannel(t.Context(), c)
		require.ErrorIs(t, err, store.ErrAlreadyExists)
	})

	rule(t, h, "CreateWithTakenAccountIsErrAlreadyExists", func(t *testing.T, fx fixture) {
		_, err := fx.s.CreateChannel(t.Context(), full())
		require.NoError(t, err)
		_, err = fx.s.CreateChannel(t.Context(), full())
		require.ErrorIs(t, err, store.ErrAlreadyExists, "(Kind, ExternalID) is unique")
		other := full()
		other.Kind = "other-messenger"
		_, err = fx.s.CreateChannel(t.Context(), other)
		require.NoError(t, err, "the same external ID on another kind of channel is another account")
	})

	rule(t, h, "UpdateReplacesAndBumpsVersion", func(t *testing.T, fx fixture) {
		c, err := fx.s.CreateChannel(t.Context(), full())
		require.NoError(t, err)
		fx.clock.Advance(time.Minute)
		c.Name, c.Active = "Osaka shop", false
		c.Credentials = map[string]string{"secret": "rotated"}
		c.Assignment = store.AssignmentRule{Strategy: "round_robin", Pool: store.PoolRole, PoolIDs: []string{"sales"}}
		upd, err := fx.s.UpdateChannel(t.Context(), c)
		require.NoError(t, err)
		require.Equal(t, int64(2), upd.Version, "update increments the version")
		require.Equal(t, T0, upd.CreatedAt, "update keeps CreatedAt")
		require.Equal(t, T0.Add(time.Minute), upd.UpdatedAt, "update stamps UpdatedAt from the clock")
		got, err := fx.s.GetChannel(t.Context(), c.ID)
		require.NoError(t, err)
		require.Equal(t, upd, got)
		require.Equal(t, "Osaka shop", got.Name)
		require.False(t, got.Active)
		require.Equal(t, map[string]string{"secret": "rotated"}, got.Credentials)
		require.Equal(t, []string{"sales"}, got.Assignment.PoolIDs)
	})

	rule(t, h, "UpdateWithStaleVersionIsErrConflict", func(t *testing.T, fx fixture) {
		c, err := fx.s.CreateChannel(t.Context(), full())
		require.NoError(t, err)
		_, err = fx.s.UpdateChannel(t.Context(), c)
		require.NoError(t, err)
		c.Name = "lost update"
		_, err = fx.s.UpdateChannel(t.Context(), c)
		require.ErrorIs(t, err, store.ErrConflict, "an update from version 1 after version 2 exists must lose")
		got, err := fx.s.GetChannel(t.Context(), c.ID)
		require.NoError(t, err)
		require.NotEqual(t, "lost update", got.Name, "a conflicting update must change nothing")
	})

	rule(t, h, "UpdateMissingIsErrNotFound", func(t *testing.T, fx fixture) {
		_, err := fx.s.UpdateChannel(t.Context(), store.Channel{ID: "no-such-channel", Kind: "line", Version: 1})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "UpdateToTakenAccountIsErrAlreadyExists", func(t *testing.T, fx fixture) {
		a := fx.newChannel(t, "A")
		fx.newChannel(t, "B")
		a.ExternalID = "B"
		_, err := fx.s.UpdateChannel(t.Context(), a)
		require.ErrorIs(t, err, store.ErrAlreadyExists)
		a.ExternalID = "C"
		_, err = fx.s.UpdateChannel(t.Context(), a)
		require.NoError(t, err, "moving to a free external ID is allowed")
		_, err = fx.s.CreateChannel(t.Context(), store.Channel{Kind: "line", ExternalID: "A"})
		require.NoError(t, err, "the old external ID is free again")
	})

	rule(t, h, "ListReturnsAllOldestFirst", func(t *testing.T, fx fixture) {
		var want []string
		for _, ext := range []string{"3", "1", "2"} {
			want = append(want, fx.newChannel(t, ext).ID)
			fx.clock.Advance(time.Second)
		}
		got, err := fx.s.ListChannels(t.Context())
		require.NoError(t, err)
		var ids []string
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		require.Equal(t, want, ids, "channels are listed by creation time")
	})

	rule(t, h, "ReturnedValuesAreCopies", func(t *testing.T, fx fixture) {
		c, err := fx.s.CreateChannel(t.Context(), full())
		require.NoError(t, err)
		c.Credentials["secret"] = "changed by caller"
		c.Assignment.PoolIDs[0] = "changed by caller"
		got, err := fx.s.GetChannel(t.Context(), c.ID)
		require.NoError(t, err)
		require.Equal(t, "s3cret", got.Credentials["secret"], "changing a returned map must not change the store")
		require.Equal(t, "u1", got.Assignment.PoolIDs[0], "changing a returned slice must not change the store")
	})

	rule(t, h, "DeleteChannelErasesEverythingOfItAndNothingElse", func(t *testing.T, fx fixture) {
		ctx := t.Context()
		seed := func(ext string) (store.Channel, store.Conversation) {
			ch := fx.newChannel(t, ext)
			c := fx.conversationWith(t, ch, "U1")
			_, _, err := fx.s.AppendMessage(ctx, store.Message{ConversationID: c.ID, ChannelMessageID: "m1", Content: channel.Text("x")})
			require.NoError(t, err)
			_, err = fx.s.AssignConversation(ctx, store.Assignment{ConversationID: c.ID, To: "agent"})
			require.NoError(t, err)
			_, err = fx.s.PutNotificationState(ctx, store.NotificationState{ConversationID: c.ID, UserID: "agent", Ignored: true})
			require.NoError(t, err)
			_, _, err = fx.s.AddNotification(ctx, store.Notification{UserID: "agent", Key: "message:" + ext, Event: store.NotifyMessage,
				ChannelID: ch.ID, ConversationID: c.ID})
			require.NoError(t, err)
			_, err = fx.s.LinkContact(ctx, store.LinkChange{ContactID: c.ContactID, To: store.RecordRef{Kind: store.RecordLead, ID: "L-" + ext}})
			require.NoError(t, err)
			_, _, err = fx.s.AppendChannelEvent(ctx, store.ChannelEvent{ChannelID: ch.ID, Event: channel.Event{ID: "e1"}})
			require.NoError(t, err)
			_, err = fx.s.ArchiveWebhook(ctx, store.Webhook{ChannelID: ch.ID, Body: []byte("{}")})
			require.NoError(t, err)
			return ch, c
		}
		gone, goneConv := seed("gone")
		kept, keptConv := seed("kept")
		require.NoError(t, fx.s.DeleteChannel(ctx, gone.ID))

		_, err := fx.s.GetChannel(ctx, gone.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "the channel is gone")
		_, err = fx.s.GetConversation(ctx, goneConv.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "its conversations are gone")
		_, err = fx.s.GetContact(ctx, goneConv.ContactID)
		require.ErrorIs(t, err, store.ErrNotFound, "its contacts are gone")
		_, err = fx.s.FindMessage(ctx, gone.ID, "m1")
		require.ErrorIs(t, err, store.ErrNotFound, "its messages are gone")
		history, err := fx.s.ListAssignments(ctx, goneConv.ID)
		require.NoError(t, err)
		require.Empty(t, history, "its assignment history is gone")
		_, err = fx.s.GetNotificationState(ctx, goneConv.ID, "agent")
		require.ErrorIs(t, err, store.ErrNotFound, "its notification states are gone")
		notes, _, err := fx.s.ListNotifications(ctx, "agent", store.NotificationFilter{}, store.Page{})
		require.NoError(t, err)
		require.Len(t, notes, 1, "its conversations' notifications are gone, the other channel's kept")
		require.Equal(t, keptConv.ID, notes[0].ConversationID)
		_, created, err := fx.s.AddNotification(ctx, store.Notification{UserID: "agent", Key: "message:gone", ConversationID: keptConv.ID})
		require.NoError(t, err)
		require.True(t, created, "a deleted notification's key is free")
		links, err := fx.s.ListLinkChanges(ctx, goneConv.ContactID)
		require.NoError(t, err)
		require.Empty(t, links, "its link history is gone")
		linked, err := fx.s.ListContactsByRecord(ctx, store.RecordLead, "L-gone")
		require.NoError(t, err)
		require.Empty(t, linked)
		events, _, err := fx.s.ListChannelEvents(ctx, gone.ID, store.Page{})
		require.NoError(t, err)
		require.Empty(t, events, "its event log is gone")
		archived, _, err := fx.s.ListWebhooks(ctx, gone.ID, time.Time{}, time.Time{}, store.Page{})
		require.NoError(t, err)
		require.Empty(t, archived, "its archived webhooks are gone")
		inbox, _, err := fx.s.ListConversations(ctx, store.View{}, store.Page{})
		require.NoError(t, err)
		require.Equal(t, []string{keptConv.ID}, cursorIDs(inbox), "the inbox lists the other channel's only")

		_, err = fx.s.GetConversation(ctx, keptConv.ID)
		require.NoError(t, err, "another channel's data is kept")
		_, err = fx.s.FindMessage(ctx, kept.ID, "m1")
		require.NoError(t, err)
		history, err = fx.s.ListAssignments(ctx, keptConv.ID)
		require.NoError(t, err)
		require.Len(t, history, 1)
		events, _, err = fx.s.ListChannelEvents(ctx, kept.ID, store.Page{})
		require.NoError(t, err)
		require.Len(t, events, 1)

		again, err := fx.s.CreateChannel(ctx, store.Channel{Kind: "line", ExternalID: "gone"})
		require.NoError(t, err, "the deleted account can be connected again")
		require.NotEqual(t, gone.ID, again.ID)
		require.ErrorIs(t, fx.s.DeleteChannel(ctx, "no-such-channel"), store.ErrNotFound)
	})

	// An erase records, in DeleteChannel's transaction, the jobs that delete what the channel kept
	// outside the store (conversation.Service.EraseChannel): they must outlive the channel.
	rule(t, h, "DeleteChannelKeepsJobsThatNameIt", func(t *testing.T, fx fixture) {
		ctx := t.Context()
		ch := fx.newChannel(t, "erased")
		naming := json.RawMessage(`{"channelId":"` + ch.ID + `","keys":["inbound/m1"]}`)
		earlier, _, err := fx.s.EnqueueJob(ctx, store.Job{Kind: "send", Payload: naming})
		require.NoError(t, err)
		var recorded store.Job
		require.NoError(t, fx.s.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
			var err error
			if recorded, _, err = tx.EnqueueJob(ctx, store.Job{Kind: "erase", Payload: naming}); err != nil {
				return err
			}
			return tx.DeleteChannel(ctx, ch.ID)
		}))
		_, err = fx.s.GetChannel(ctx, ch.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "the channel is gone")
		for _, j := range []store.Job{earlier, recorded} {
			got, err := fx.s.GetJob(ctx, j.ID)
			require.NoError(t, err, "a %s job naming the deleted channel is kept", j.Kind)
			require.Equal(t, store.JobPending, got.Status, "a %s job naming the deleted channel is still to run", j.Kind)
			require.JSONEq(t, string(naming), string(got.Payload))
		}
		claimed, err := fx.s.ClaimJobs(ctx, 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, claimed, 2, "both jobs are due")
	})
}
