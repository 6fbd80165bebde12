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
	var tell bool
	err := s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		var err error
		n, tell, err = s.listSignal(ctx, tx, n, key)
		return err
	})
	if err != nil || !tell {
		return err
	}
	return s.tell(ctx, n)
}

// listSignal is signal's part in the transaction tx: it decides whether n is given and lists it. It
// returns n with its ID and whether the Notifier is to be told.
func (s *Service) listSignal(ctx context.Context, tx store.Store, n Notification, key string) (Notification, bool, error) {
	if n.UserID == "" {
		return n, false, nil
	}
	if n.Event == store.NotifyMessage {
		quiet, err := s.silenced(ctx, tx, n)
		if err != nil || quiet {
			return n, false, err
		}
	}
	settings, err := notificationSettings(ctx, tx, n.UserID)
	if err != nil {
		return n, false, err
	}
	if !settings.Signals(n.Event, n.ChannelID) {
		return n, false, nil
	}
	stored, _, err := tx.AddNotification(ctx, store.Notification{UserID: n.UserID, Key: key, Event: n.Event,
		ChannelID: n.ChannelID, ConversationID: n.ConversationID, MessageID: n.MessageID, At: n.At})
	if errors.Is(err, store.ErrNotFound) {
		return n, false, nil // the conversation is gone (its channel was deleted): nobody needs telling
	}
	if err != nil {
		return n, false, fmt.Errorf("conversation: listing a notification: %w", err)
	}
	n.ID = stored.ID
	return n, s.o.Notifier != nil, nil
}

// tell passes a listed signal to the Notifier.
func (s *Service) tell(ctx context.Context, n Notification) error {
	if err := s.o.Notifier.NewMessage(ctx, n); err != nil {
		return fmt.Errorf("conversation: notifying: %w", err)
	}
	return nil
}

// silenced reports whether the user snoozed or ignored the conversation of the new message n. A message
// sent after a snooze until the customer writes, or an ignore, began ends it, in tx.
func (s *Service) silenced(ctx context.Context, tx store.Store, n Notification) (bool, error) {
	st, err := tx.GetNotificationState(ctx, n.ConversationID, n.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	quiet, ends := s.silence(st, n)
	if !ends {
		return quiet, nil
	}
	// The customer wrote again: the silence ends.
	st.Ignored, st.SnoozedUntilInbound = false, false
	_, err = tx.PutNotificationState(ctx, st)
	return false, err
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
	return notificationSettings(ctx, s.store, userID)
}

func notificationSettings(ctx context.Context, st store.Notifications, userID string) (store.NotificationSettings, error) {
	settings, err := st.GetNotificationSettings(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return store.NotificationSettings{UserID: userID}, nil
	}
	return settings, err
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
