package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
)

// RunNotifications checks store.Notifications: per-conversation state, the users' notification lists
// (idempotent adds, newest-first keyset paging, unread counts with a limit, marking read) and settings.
func RunNotifications(t *testing.T, h Harness) {
	rule(t, h, "GetBeforePutIsErrNotFound", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		_, err := fx.s.GetNotificationState(t.Context(), c.ID, "agent-1")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "PutThenGetPerUser", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		in := store.NotificationState{ConversationID: c.ID, UserID: "agent-1", SnoozedUntil: T0.Add(time.Hour),
			SnoozedUntilInbound: true, Ignored: true, Through: T0.Add(-time.Minute + time.Microsecond)}
		put, err := fx.s.PutNotificationState(t.Context(), in)
		require.NoError(t, err)
		in.UpdatedAt = T0
		require.Equal(t, in, put)
		got, err := fx.s.GetNotificationState(t.Context(), c.ID, "agent-1")
		require.NoError(t, err)
		require.Equal(t, in, got, "every field is kept")
		_, err = fx.s.GetNotificationState(t.Context(), c.ID, "agent-2")
		require.ErrorIs(t, err, store.ErrNotFound, "state is per user")
	})

	rule(t, h, "PutReplaces", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		_, err := fx.s.PutNotificationState(t.Context(), store.NotificationState{ConversationID: c.ID, UserID: "agent-1",
			SnoozedUntil: T0.Add(time.Hour), SnoozedUntilInbound: true, Through: T0})
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

	rule(t, h, "AddKeepsEveryFieldAndListsIt", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		in := store.Notification{UserID: "agent-1", Key: "message:m1", Event: store.NotifyMessage, ChannelID: c.ChannelID,
			ConversationID: c.ID, MessageID: "m1", At: T0.Add(-time.Second + time.Microsecond)}
		got, created, err := fx.s.AddNotification(t.Context(), in)
		require.NoError(t, err)
		require.True(t, created)
		require.NotEmpty(t, got.ID, "the store assigns an ID")
		in.ID, in.CreatedAt = got.ID, T0
		require.Equal(t, in, got)
		list, next, err := fx.s.ListNotifications(t.Context(), "agent-1", store.NotificationFilter{}, store.Page{})
		require.NoError(t, err)
		require.Equal(t, []store.Notification{in}, list)
		require.True(t, next.IsZero())
	})

	rule(t, h, "AddIsIdempotentOnTheUserAndKey", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		first, created, err := fx.s.AddNotification(t.Context(), note(c, "agent-1", "message:m1"))
		require.NoError(t, err)
		require.True(t, created)
		fx.clock.Advance(time.Minute)
		again := note(c, "agent-1", "message:m1")
		again.Event, again.MessageID = store.NotifyAssigned, "other"
		got, created, err := fx.s.AddNotification(t.Context(), again)
		require.NoError(t, err)
		require.False(t, created, "the same key for the same user adds nothing")
		require.Equal(t, first, got, "and returns the notification stored first")
		other, created, err := fx.s.AddNotification(t.Context(), note(c, "agent-2", "message:m1"))
		require.NoError(t, err)
		require.True(t, created, "another user's notification with the same key is another notification")
		require.NotEqual(t, first.ID, other.ID)
		n, err := fx.s.CountNotifications(t.Context(), "agent-1", store.NotificationFilter{}, 0)
		require.NoError(t, err)
		require.Equal(t, 1, n, "one notification listed for the repeated key")
	})

	rule(t, h, "ConcurrentAddsWithOneKeyCreateOnce", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		requireOneCreator(t, "notification", func() (string, bool, error) {
			n, created, err := fx.s.AddNotification(t.Context(), note(c, "agent-1", "message:m1"))
			return n.ID, created, err
		})
	})

	rule(t, h, "AddNeedsAKnownConversationAUserAndAKey", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		_, _, err := fx.s.AddNotification(t.Context(), store.Notification{UserID: "agent-1", Key: "k", ConversationID: "no-such-conversation"})
		require.ErrorIs(t, err, store.ErrNotFound, "an unknown conversation")
		_, _, err = fx.s.AddNotification(t.Context(), note(c, "", "k"))
		require.Error(t, err, "no user")
		_, _, err = fx.s.AddNotification(t.Context(), note(c, "agent-1", ""))
		require.Error(t, err, "no key")
		n, err := fx.s.CountNotifications(t.Context(), "agent-1", store.NotificationFilter{}, 0)
		require.NoError(t, err)
		require.Zero(t, n)
	})

	rule(t, h, "ListIsPerUserNewestFirstAndPagesBothWays", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		var added []store.Notification
		for i, d := range []time.Duration{0, time.Second, 0, 0, time.Second, time.Second, 0} {
			fx.clock.Advance(d) // several at one time: the ID breaks the tie
			n, _, err := fx.s.AddNotification(t.Context(), note(c, "agent-1", fmt.Sprint("k", i)))
			require.NoError(t, err)
			added = append(added, n)
			_, _, err = fx.s.AddNotification(t.Context(), note(c, "agent-2", fmt.Sprint("k", i)))
			require.NoError(t, err)
		}
		slices.SortFunc(added, func(a, b store.Notification) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		})
		want := cursorIDs(added) // oldest first
		for _, order := range []store.Order{store.NewestFirst, store.OldestFirst} {
			exp := want
			if order == store.NewestFirst {
				exp = reversed(want)
			}
			var got []string
			var after store.Cursor
			for pages := 0; ; pages++ {
				require.Less(t, pages, 5, "paging must end")
				page, next, err := fx.s.ListNotifications(t.Context(), "agent-1", store.NotificationFilter{}, store.Page{Limit: 2, After: after, Order: order})
				require.NoError(t, err)
				require.LessOrEqual(t, len(page), 2)
				got = append(got, cursorIDs(page)...)
				if next.IsZero() {
					break
				}
				after = next
			}
			require.Equal(t, exp, got, "notifications in order %d are listed by (CreatedAt, ID), each once", order)
		}
		first, _, err := fx.s.ListNotifications(t.Context(), "agent-1", store.NotificationFilter{}, store.Page{Limit: 1})
		require.NoError(t, err)
		require.Equal(t, want[6:], cursorIDs(first), "the zero Page lists the newest first")
		mid := added[3].Cursor()
		back, _, err := fx.s.ListNotifications(t.Context(), "agent-1", store.NotificationFilter{}, store.Page{After: mid})
		require.NoError(t, err)
		require.Equal(t, reversed(want[:3]), cursorIDs(back), "listing the other way from a cursor pages back")
		none, next, err := fx.s.ListNotifications(t.Context(), "nobody", store.NotificationFilter{}, store.Page{})
		require.NoError(t, err)
		require.Empty(t, none)
		require.True(t, next.IsZero())
	})

	rule(t, h, "UnreadFilterSelectsTheUnreadOnes", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		var ids []string
		for i := range 5 {
			n, _, err := fx.s.AddNotification(t.Context(), note(c, "agent-1", fmt.Sprint("k", i)))
			require.NoError(t, err)
			ids = append(ids, n.ID)
			fx.clock.Advance(time.Second)
		}
		for _, i := range []int{1, 3} {
			_, err := fx.s.MarkNotificationRead(t.Context(), "agent-1", ids[i])
			require.NoError(t, err)
		}
		unread, next, err := fx.s.ListNotifications(t.Context(), "agent-1", store.NotificationFilter{Unread: true}, store.Page{Limit: 2})
		require.NoError(t, err)
		require.Equal(t, []string{ids[4], ids[2]}, cursorIDs(unread))
		rest, next, err := fx.s.ListNotifications(t.Context(), "agent-1", store.NotificationFilter{Unread: true}, store.Page{Limit: 2, After: next})
		require.NoError(t, err)
		require.Equal(t, []string{ids[0]}, cursorIDs(rest), "unread pages continue past read ones")
		require.True(t, next.IsZero())
		n, err := fx.s.CountNotifications(t.Context(), "agent-1", store.NotificationFilter{Unread: true}, 0)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		n, err = fx.s.CountNotifications(t.Context(), "agent-1", store.NotificationFilter{}, 0)
		require.NoError(t, err)
		require.Equal(t, 5, n, "without the filter, read ones count too")
	})

	rule(t, h, "CountStopsAtItsLimit", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		for i := range 5 {
			_, _, err := fx.s.AddNotification(t.Context(), note(c, "agent-1", fmt.Sprint("k", i)))
			require.NoError(t, err)
			_, _, err = fx.s.AddNotification(t.Context(), note(c, "agent-2", fmt.Sprint("k", i)))
			require.NoError(t, err)
		}
		for limit, want := range map[int]int{0: 5, -1: 5, 1: 1, 3: 3, 5: 5, 6: 5} {
			n, err := fx.s.CountNotifications(t.Context(), "agent-1", store.NotificationFilter{Unread: true}, limit)
			require.NoError(t, err)
			require.Equal(t, want, n, "unread count with limit %d", limit)
		}
		n, err := fx.s.CountNotifications(t.Context(), "nobody", store.NotificationFilter{Unread: true}, 10)
		require.NoError(t, err)
		require.Zero(t, n)
	})

	rule(t, h, "MarkReadIsPerUserAndKeepsTheFirstReadTime", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		n, _, err := fx.s.AddNotification(t.Context(), note(c, "agent-1", "k"))
		require.NoError(t, err)
		_, err = fx.s.MarkNotificationRead(t.Context(), "agent-2", n.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "another user's notification is not found")
		_, err = fx.s.MarkNotificationRead(t.Context(), "agent-1", "no-such-notification")
		require.ErrorIs(t, err, store.ErrNotFound)
		fx.clock.Advance(time.Minute)
		read, err := fx.s.MarkNotificationRead(t.Context(), "agent-1", n.ID)
		require.NoError(t, err)
		n.ReadAt = T0.Add(time.Minute)
		require.Equal(t, n, read)
		fx.clock.Advance(time.Minute)
		again, err := fx.s.MarkNotificationRead(t.Context(), "agent-1", n.ID)
		require.NoError(t, err)
		require.Equal(t, n, again, "marking it again keeps when it was first read")
		list, _, err := fx.s.ListNotifications(t.Context(), "agent-1", store.NotificationFilter{}, store.Page{})
		require.NoError(t, err)
		require.Equal(t, []store.Notification{n}, list)
	})

	rule(t, h, "MarkReadThroughACursorLeavesLaterOnesUnread", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		for i, d := range []time.Duration{0, time.Second, 0, time.Second, time.Second} {
			fx.clock.Advance(d) // two at one time: the cursor's ID decides between them
			_, _, err := fx.s.AddNotification(t.Context(), note(c, "agent-1", fmt.Sprint("k", i)))
			require.NoError(t, err)
			_, _, err = fx.s.AddNotification(t.Context(), note(c, "agent-2", fmt.Sprint("k", i)))
			require.NoError(t, err)
		}
		all, _, err := fx.s.ListNotifications(t.Context(), "agent-1", store.NotificationFilter{}, store.Page{Order: store.OldestFirst})
		require.NoError(t, err)
		require.Len(t, all, 5)
		marked, err := fx.s.MarkNotificationsRead(t.Context(), "agent-1", store.Cursor{})
		require.NoError(t, err)
		require.Zero(t, marked, "the zero cursor marks none")
		first, err := fx.s.MarkNotificationRead(t.Context(), "agent-1", all[0].ID)
		require.NoError(t, err)
		fx.clock.Advance(time.Minute)
		marked, err = fx.s.MarkNotificationsRead(t.Context(), "agent-1", all[1].Cursor())
		require.NoError(t, err)
		require.Equal(t, 1, marked, "only unread ones up to the cursor count")
		unread, _, err := fx.s.ListNotifications(t.Context(), "agent-1", store.NotificationFilter{Unread: true}, store.Page{Order: store.OldestFirst})
		require.NoError(t, err)
		require.Equal(t, cursorIDs(all[2:]), cursorIDs(unread), "those after the cursor stay unread, even one at the same time")
		list, _, err := fx.s.ListNotifications(t.Context(), "agent-1", store.NotificationFilter{}, store.Page{Order: store.OldestFirst})
		require.NoError(t, err)
		require.Equal(t, first.ReadAt, list[0].ReadAt, "one read before keeps its time")
		require.Equal(t, fx.clock.Now(), list[1].ReadAt)
		marked, err = fx.s.MarkNotificationsRead(t.Context(), "agent-1", all[4].Cursor())
		require.NoError(t, err)
		require.Equal(t, 3, marked)
		n, err := fx.s.CountNotifications(t.Context(), "agent-2", store.NotificationFilter{Unread: true}, 0)
		require.NoError(t, err)
		require.Equal(t, 5, n, "another user's are untouched")
	})

	rule(t, h, "SettingsRoundTripAndReplace", func(t *testing.T, fx fixture) {
		_, err := fx.s.GetNotificationSettings(t.Context(), "agent-1")
		require.ErrorIs(t, err, store.ErrNotFound, "a user who saved none")
		events := []store.NotificationEvent{store.NotifySnoozeEnded, store.NotifyAssigned}
		in := store.NotificationSettings{UserID: "agent-1", MutedEvents: events, MutedChannels: []string{"ch-2", "ch-1"}}
		put, err := fx.s.PutNotificationSettings(t.Context(), in)
		require.NoError(t, err)
		events[0] = store.NotifyMessage // the caller's slice is not the store's
		want := store.NotificationSettings{UserID: "agent-1", MutedEvents: []store.NotificationEvent{store.NotifySnoozeEnded, store.NotifyAssigned},
			MutedChannels: []string{"ch-2", "ch-1"}, UpdatedAt: T0}
		require.Equal(t, want, put)
		got, err := fx.s.GetNotificationSettings(t.Context(), "agent-1")
		require.NoError(t, err)
		require.Equal(t, want, got, "lists are kept in order")
		_, err = fx.s.GetNotificationSettings(t.Context(), "agent-2")
		require.ErrorIs(t, err, store.ErrNotFound, "settings are per user")

		fx.clock.Advance(time.Minute)
		_, err = fx.s.PutNotificationSettings(t.Context(), store.NotificationSettings{UserID: "agent-1", MutedEvents: []store.NotificationEvent{},
			MutedChannels: []string{"ch-3"}})
		require.NoError(t, err)
		got, err = fx.s.GetNotificationSettings(t.Context(), "agent-1")
		require.NoError(t, err)
		require.Equal(t, store.NotificationSettings{UserID: "agent-1", MutedChannels: []string{"ch-3"}, UpdatedAt: T0.Add(time.Minute)}, got,
			"a put replaces; an empty list is nil")
	})
}

// note is a new-message notification for user about conversation c.
func note(c store.Conversation, user, key string) store.Notification {
	return store.Notification{UserID: user, Key: key, Event: store.NotifyMessage, ChannelID: c.ChannelID, ConversationID: c.ID,
		MessageID: key, At: T0}
}
