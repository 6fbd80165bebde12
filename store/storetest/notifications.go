package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
)

// RunNotifications checks store.Notifications.
func RunNotifications(t *testing.T, h Harness) {
	rule(t, h, "GetBeforePutIsErrNotFound", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		_, err := fx.s.GetNotificationState(t.Context(), c.ID, "agent-1")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "PutThenGetPerUser", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		in := store.NotificationState{ConversationID: c.ID, UserID: "agent-1", SnoozedUntil: T0.Add(time.Hour)}
		put, err := fx.s.PutNotificationState(t.Context(), in)
		require.NoError(t, err)
		in.UpdatedAt = T0
		require.Equal(t, in, put)
		got, err := fx.s.GetNotificationState(t.Context(), c.ID, "agent-1")
		require.NoError(t, err)
		require.Equal(t, in, got)
		_, err = fx.s.GetNotificationState(t.Context(), c.ID, "agent-2")
		require.ErrorIs(t, err, store.ErrNotFound, "state is per user")
	})

	rule(t, h, "PutReplaces", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		_, err := fx.s.PutNotificationState(t.Context(), store.NotificationState{ConversationID: c.ID, UserID: "agent-1", SnoozedUntil: T0.Add(time.Hour)})
		require.NoError(t, err)
		fx.clock.Advance(time.Minute)
		_, err = fx.s.PutNotificationState(t.Context(), store.NotificationState{ConversationID: c.ID, UserID: "agent-1", Ignored: true})
		require.NoError(t, err)
		got, err := fx.s.GetNotificationState(t.Context(), c.ID, "agent-1")
		require.NoError(t, err)
		require.Equal(t, store.NotificationState{ConversationID: c.ID, UserID: "agent-1", Ignored: true, UpdatedAt: T0.Add(time.Minute)}, got)
	})

	rule(t, h, "PutOnUnknownConversationIsErrNotFound", func(t *testing.T, fx fixture) {
		_, err := fx.s.PutNotificationState(t.Context(), store.NotificationState{ConversationID: "no-such-conversation", UserID: "agent-1"})
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
