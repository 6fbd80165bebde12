package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// RunContext checks that every method honours a cancelled context.
func RunContext(t *testing.T, h Harness) {
	rule(t, h, "CancelledContextIsHonoured", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		calls := map[string]func() error{
			"CreateChannel": func() error {
				_, err := fx.s.CreateChannel(ctx, store.Channel{Kind: "line", ExternalID: "new"})
				return err
			},
			"GetChannel": func() error { _, err := fx.s.GetChannel(ctx, c.ChannelID); return err },
			"UpdateChannel": func() error {
				_, err := fx.s.UpdateChannel(ctx, store.Channel{ID: c.ChannelID, Version: 1})
				return err
			},
			"ListChannels":  func() error { _, err := fx.s.ListChannels(ctx); return err },
			"DeleteChannel": func() error { return fx.s.DeleteChannel(ctx, c.ChannelID) },
			"CountSent":     func() error { _, err := fx.s.CountSent(ctx, c.ChannelID, T0); return err },
			"FindOrCreateContact": func() error {
				_, _, err := fx.s.FindOrCreateContact(ctx, store.Contact{ChannelID: c.ChannelID, Peer: channel.User("U2")})
				return err
			},
			"GetContact": func() error { _, err := fx.s.GetContact(ctx, c.ContactID); return err },
			"UpdateContact": func() error {
				_, err := fx.s.UpdateContact(ctx, store.Contact{ID: c.ContactID, Version: 1})
				return err
			},
			"FindOrCreateConversation": func() error {
				_, _, err := fx.s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: c.ChannelID, ContactID: c.ContactID, Peer: c.Peer})
				return err
			},
			"GetConversation":    func() error { _, err := fx.s.GetConversation(ctx, c.ID); return err },
			"UpdateConversation": func() error { _, err := fx.s.UpdateConversation(ctx, c); return err },
			"ListConversations":  func() error { _, _, err := fx.s.ListConversations(ctx, store.View{}, store.Page{}); return err },
			"AppendMessage": func() error {
				_, _, err := fx.s.AppendMessage(ctx, store.Message{ConversationID: c.ID, Content: channel.Text("x")})
				return err
			},
			"GetMessage":    func() error { _, err := fx.s.GetMessage(ctx, "m"); return err },
			"FindMessage":   func() error { _, err := fx.s.FindMessage(ctx, c.ChannelID, "m"); return err },
			"UpdateMessage": func() error { _, err := fx.s.UpdateMessage(ctx, store.Message{ID: "m", Version: 1}); return err },
			"ListMessages":  func() error { _, _, err := fx.s.ListMessages(ctx, c.ID, store.Page{}); return err },
			"NextCursor":    func() error { _, err := fx.s.NextCursor(ctx, "p"); return err },
			"AssignConversation": func() error {
				_, err := fx.s.AssignConversation(ctx, store.Assignment{ConversationID: c.ID, To: "u"})
				return err
			},
			"ListAssignments": func() error { _, err := fx.s.ListAssignments(ctx, c.ID); return err },
			"UserLoads":       func() error { _, err := fx.s.UserLoads(ctx, []string{"u"}); return err },
			"RecordInbound": func() error {
				_, err := fx.s.RecordInbound(ctx, c.ID, store.InboundNote{At: T0})
				return err
			},
			"EnqueueJob":  func() error { _, _, err := fx.s.EnqueueJob(ctx, store.Job{Kind: "k"}); return err },
			"GetJob":      func() error { _, err := fx.s.GetJob(ctx, "j"); return err },
			"ClaimJobs":   func() error { _, err := fx.s.ClaimJobs(ctx, 1, time.Minute); return err },
			"ClaimJob":    func() error { _, err := fx.s.ClaimJob(ctx, "j", time.Minute); return err },
			"CompleteJob": func() error { return fx.s.CompleteJob(ctx, "j", "l") },
			"RetryJob":    func() error { return fx.s.RetryJob(ctx, "j", "l", T0, "r") },
			"FailJob":     func() error { return fx.s.FailJob(ctx, "j", "l", "r") },
			"HoldJob":     func() error { return fx.s.HoldJob(ctx, "j", "l", T0, "r") },
			"RememberRequest": func() error {
				_, _, err := fx.s.RememberRequest(ctx, store.Request{Scope: "s", Key: "k"})
				return err
			},
			"DeleteExpiredRequests": func() error { _, err := fx.s.DeleteExpiredRequests(ctx, 1); return err },
			"GetRequest":            func() error { _, err := fx.s.GetRequest(ctx, "s", "k"); return err },
			"ListJobs":              func() error { _, _, err := fx.s.ListJobs(ctx, store.JobFilter{}, store.Page{}); return err },
			"DeleteFinishedJobs":    func() error { _, err := fx.s.DeleteFinishedJobs(ctx, T0, 1); return err },
			"AppendChannelEvent": func() error {
				_, _, err := fx.s.AppendChannelEvent(ctx, store.ChannelEvent{ChannelID: c.ChannelID})
				return err
			},
			"ListChannelEvents": func() error { _, _, err := fx.s.ListChannelEvents(ctx, c.ChannelID, store.Page{}); return err },
			"ArchiveWebhook": func() error {
				_, err := fx.s.ArchiveWebhook(ctx, store.Webhook{ChannelID: c.ChannelID, Body: []byte("{}")})
				return err
			},
			"ListWebhooks": func() error {
				_, _, err := fx.s.ListWebhooks(ctx, c.ChannelID, time.Time{}, time.Time{}, store.Page{})
				return err
			},
			"DeleteExpiredWebhooks": func() error { _, err := fx.s.DeleteExpiredWebhooks(ctx, 1); return err },
			"GetNotificationState": func() error {
				_, err := fx.s.GetNotificationState(ctx, c.ID, "u")
				return err
			},
			"PutNotificationState": func() error {
				_, err := fx.s.PutNotificationState(ctx, store.NotificationState{ConversationID: c.ID, UserID: "u"})
				return err
			},
			"AddNotification": func() error {
				_, _, err := fx.s.AddNotification(ctx, store.Notification{UserID: "u", Key: "k", ConversationID: c.ID})
				return err
			},
			"ListNotifications": func() error {
				_, _, err := fx.s.ListNotifications(ctx, "u", store.NotificationFilter{}, store.Page{})
				return err
			},
			"CountNotifications": func() error {
				_, err := fx.s.CountNotifications(ctx, "u", store.NotificationFilter{Unread: true}, 1)
				return err
			},
			"MarkNotificationRead": func() error { _, err := fx.s.MarkNotificationRead(ctx, "u", "n"); return err },
			"MarkNotificationsRead": func() error {
				_, err := fx.s.MarkNotificationsRead(ctx, "u", store.Cursor{Time: T0, ID: "n"})
				return err
			},
			"GetNotificationSettings": func() error { _, err := fx.s.GetNotificationSettings(ctx, "u"); return err },
			"PutNotificationSettings": func() error {
				_, err := fx.s.PutNotificationSettings(ctx, store.NotificationSettings{UserID: "u"})
				return err
			},
			"CreateTemplate": func() error { _, err := fx.s.CreateTemplate(ctx, store.Template{Name: "t"}); return err },
			"GetTemplate":    func() error { _, err := fx.s.GetTemplate(ctx, "t"); return err },
			"UpdateTemplate": func() error { _, err := fx.s.UpdateTemplate(ctx, store.Template{ID: "t", Version: 1}); return err },
			"ListTemplates":  func() error { _, err := fx.s.ListTemplates(ctx, ""); return err },
			"DeleteTemplate": func() error { return fx.s.DeleteTemplate(ctx, "t", 1) },
			"LinkContact": func() error {
				_, err := fx.s.LinkContact(ctx, store.LinkChange{ContactID: c.ContactID, To: store.RecordRef{Kind: store.RecordLead, ID: "l"}})
				return err
			},
			"ListLinkChanges":      func() error { _, err := fx.s.ListLinkChanges(ctx, c.ContactID); return err },
			"ListContactsByRecord": func() error { _, err := fx.s.ListContactsByRecord(ctx, store.RecordLead, "l"); return err },
			"ListRecordMessages": func() error {
				_, _, err := fx.s.ListRecordMessages(ctx, store.RecordLead, "l", store.Page{})
				return err
			},
		}
		calls["RunInTx"] = func() error {
			return fx.s.RunInTx(ctx, func(context.Context, store.Store) error { return nil })
		}
		for name, call := range calls {
			require.ErrorIs(t, call(), context.Canceled, "%s must return the context's error when ctx is cancelled", name)
		}
		got, err := fx.s.ListChannels(t.Context())
		require.NoError(t, err)
		require.Len(t, got, 1, "a call with a cancelled context must not write")
	})
}
