package conversation

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/msgkit/msgkit/store"
)

// ErrUnknownEvent: notification settings name an event that is not one of the store.Notify… events.
var ErrUnknownEvent = errors.New("conversation: unknown notification event")

// signal gives n.UserID the signal n, keyed by key (what it is about, unique per user):
//
//   - a new message (store.NotifyMessage) in a conversation the user snoozed (until a time, or until the
//     customer writes) or ignored gives none; a message sent after the snooze-until-the-customer-writes
//     or the ignore began ends it, and signals;
//   - the user's settings (store.NotificationSettings) mute events and channels;
//   - otherwise the signal is added to the user's notification list, once per key however often this
//     runs, and the Notifier is told (at least once: again when this runs again).
//
// A muted or silenced signal is neither listed nor told: the list is the history of the signals the
// user was given. It is safe to repeat.
func (s *Service) signal(ctx context.Context, n Notification, key string) error {
	if n.UserID == "" {
		return nil
	}
	if n.Event == store.NotifyMessage {
		quiet, err := s.silenced(ctx, n)
		if err != nil || quiet {
			return err
		}
	}
	settings, err := s.NotificationSettings(ctx, n.UserID)
	if err != nil {
		return err
	}
	if !settings.Signals(n.Event, n.ChannelID) {
		return nil
	}
	stored, _, err := s.store.AddNotification(ctx, store.Notification{UserID: n.UserID, Key: key, Event: n.Event,
		ChannelID: n.ChannelID, ConversationID: n.ConversationID, MessageID: n.MessageID, At: n.At})
	if errors.Is(err, store.ErrNotFound) {
		return nil // the conversation is gone (its channel was deleted): nobody needs telling
	}
	if err != nil {
		return fmt.Errorf("conversation: listing a notification: %w", err)
	}
	if s.o.Notifier == nil {
		return nil
	}
	n.ID = stored.ID
	if err := s.o.Notifier.NewMessage(ctx, n); err != nil {
		return fmt.Errorf("conversation: notifying: %w", err)
	}
	return nil
}

// silenced reports whether the user snoozed or ignored the conversation of the new message n. A message
// sent after a snooze until the customer writes, or an ignore, began ends it.
func (s *Service) silenced(ctx context.Context, n Notification) (bool, error) {
	st, err := s.store.GetNotificationState(ctx, n.ConversationID, n.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if quiet, ends := s.silence(st, n); !ends {
		return quiet, nil
	}
	// The customer wrote again: the silence ends. Decide again on the state as it is now, in case the
	// user changed it meanwhile.
	quiet := false
	err = s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		st, err := tx.GetNotificationState(ctx, n.ConversationID, n.UserID)
		if err != nil {
			return err
		}
		var ends bool
		if quiet, ends = s.silence(st, n); !ends {
			return nil
		}
		st.Ignored, st.SnoozedUntilInbound = false, false
		_, err = tx.PutNotificationState(ctx, st)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return quiet, err
}

// silence reports whether st silences the new message n, and whether n ends st's silence instead.
func (s *Service) silence(st store.NotificationState, n Notification) (quiet, ends bool) {
	if st.Ignored || st.SnoozedUntilInbound {
		if n.At.After(st.Through) {
			return false, true
		}
		return true, false
	}
	return st.SnoozedUntil.After(s.o.Now()), false
}

// Notifications returns one page of userID's notifications that f selects (f.Unread: the unread ones),
// ordered by when they were added (the zero Page: newest first, store.DefaultLimit of them), and the
// cursor of the next page (zero when there is none).
func (s *Service) Notifications(ctx context.Context, userID string, f store.NotificationFilter, p store.Page) ([]store.Notification, store.Cursor, error) {
	return s.store.ListNotifications(ctx, userID, f, p)
}

// UnreadNotifications counts userID's unread notifications, up to limit: with limit 100, a badge shows
// "99+" when it gets 100, however many there are. limit ≤ 0 counts them all.
func (s *Service) UnreadNotifications(ctx context.Context, userID string, limit int) (int, error) {
	return s.store.CountNotifications(ctx, userID, store.NotificationFilter{Unread: true}, limit)
}

// MarkNotificationRead marks userID's notification id read. A notification that does not exist or is
// another user's returns store.ErrNotFound.
func (s *Service) MarkNotificationRead(ctx context.Context, userID, id string) (store.Notification, error) {
	return s.store.MarkNotificationRead(ctx, userID, id)
}

// MarkNotificationsRead marks read userID's notifications up to through, the cursor of the newest one
// the user was shown (the first of a newest-first list): those that arrived since stay unread. It
// returns how many it marked.
func (s *Service) MarkNotificationsRead(ctx context.Context, userID string, through store.Cursor) (int, error) {
	return s.store.MarkNotificationsRead(ctx, userID, through)
}

// NotificationSettings returns userID's notification settings; a user who saved none gets every signal
// (the zero settings, with UserID set).
func (s *Service) NotificationSettings(ctx context.Context, userID string) (store.NotificationSettings, error) {
	st, err := s.store.GetNotificationSettings(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return store.NotificationSettings{UserID: userID}, nil
	}
	return st, err
}

// SetNotificationSettings saves a user's notification settings, which apply from the next signal:
// muted events and channels are neither signalled nor listed. An event that is not a store.Notify…
// event returns ErrUnknownEvent.
func (s *Service) SetNotificationSettings(ctx context.Context, st store.NotificationSettings) (store.NotificationSettings, error) {
	if st.UserID == "" {
		return store.NotificationSettings{}, errors.New("conversation: notification settings need a user")
	}
	for _, e := range st.MutedEvents {
		if !slices.Contains([]store.NotificationEvent{store.NotifyMessage, store.NotifyAssigned, store.NotifySnoozeEnded}, e) {
			return store.NotificationSettings{}, fmt.Errorf("%w %q", ErrUnknownEvent, e)
		}
	}
	return s.store.PutNotificationSettings(ctx, st)
}
