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
			"ListChannels": func() error { _, err := fx.s.ListChannels(ctx); return err },
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
			"FirstSeen":     func() error { _, err := fx.s.FirstSeen(ctx, "k", time.Hour); return err },
			"NextCursor":    func() error { _, err := fx.s.NextCursor(ctx, "p"); return err },
			"AssignConversation": func() error {
				_, err := fx.s.AssignConversation(ctx, store.Assignment{ConversationID: c.ID, To: "u"})
				return err
			},
			"ListAssignments": func() error { _, err := fx.s.ListAssignments(ctx, c.ID); return err },
			"UserLoads":       func() error { _, err := fx.s.UserLoads(ctx, []string{"u"}); return err },
			"EnqueueOutbox": func() error {
				_, err := fx.s.EnqueueOutbox(ctx, store.OutboxItem{ChannelID: c.ChannelID, ConversationID: c.ID, To: c.Peer})
				return err
			},
			"GetOutbox":      func() error { _, err := fx.s.GetOutbox(ctx, "o"); return err },
			"ClaimOutbox":    func() error { _, err := fx.s.ClaimOutbox(ctx, 1, time.Minute); return err },
			"CompleteOutbox": func() error { return fx.s.CompleteOutbox(ctx, "o", "l") },
			"RetryOutbox":    func() error { return fx.s.RetryOutbox(ctx, "o", "l", T0, "r") },
			"FailOutbox":     func() error { return fx.s.FailOutbox(ctx, "o", "l", "r") },
			"GetNotificationState": func() error {
				_, err := fx.s.GetNotificationState(ctx, c.ID, "u")
				return err
			},
			"PutNotificationState": func() error {
				_, err := fx.s.PutNotificationState(ctx, store.NotificationState{ConversationID: c.ID, UserID: "u"})
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
		if tr, ok := fx.s.(store.Transactor); ok {
			calls["RunInTx"] = func() error {
				return tr.RunInTx(ctx, func(context.Context, store.Store) error { return nil })
			}
		}
		for name, call := range calls {
			require.ErrorIs(t, call(), context.Canceled, "%s must return the context's error when ctx is cancelled", name)
		}
		got, err := fx.s.ListChannels(t.Context())
		require.NoError(t, err)
		require.Len(t, got, 1, "a call with a cancelled context must not write")
	})
}
