package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/msgkit/msgkit/store"
)

// ErrInvalidSnooze: a snooze needs exactly one of SnoozeOptions.Until, in the future, and
// SnoozeOptions.UntilCustomerWrites.
var ErrInvalidSnooze = errors.New("conversation: a snooze needs exactly one of a future Until and UntilCustomerWrites")

// jobSnooze ends a snooze at its time: the snoozed conversation signals its user again.
const jobSnooze = "snooze"

// SnoozeOptions says when a snooze ends (FEATURES F13). Set exactly one field.
type SnoozeOptions struct {
	// Until ends the snooze at this time: then the user is signalled again (store.NotifySnoozeEnded),
	// by Run in whichever instance, whether or not the customer wrote meanwhile. New messages before it
	// signal nothing.
	Until time.Time
	// UntilCustomerWrites ends the snooze with the customer's next message, which signals as new
	// messages do. Messages up to the latest one stored when the snooze began signal nothing.
	UntilCustomerWrites bool
}

// snoozeJob is the end of a snooze until a time.
type snoozeJob struct {
	ConversationID string    `json:"conversationId"`
	UserID         string    `json:"userId"`
	Until          time.Time `json:"until"`
}

// Snooze silences the new-message signals of a conversation for one user until o says, and returns the
// user's notification state for it. It replaces any snooze or ignore the user had on it: snoozing again
// moves the end, and the earlier end passes without a signal. A snooze until a time is recorded with
// the job that ends it, in one transaction, so it ends in any instance, after any restart. An Until that
// is not in the future, or both or neither of o's fields, return ErrInvalidSnooze; an unknown
// conversation store.ErrNotFound. A snooze does not silence assignments.
func (s *Service) Snooze(ctx context.Context, conversationID, userID string, o SnoozeOptions) (store.NotificationState, error) {
	if userID == "" {
		return store.NotificationState{}, errors.New("conversation: Snooze needs a user")
	}
	if o.UntilCustomerWrites == !o.Until.IsZero() {
		return store.NotificationState{}, ErrInvalidSnooze
	}
	if !o.UntilCustomerWrites && !o.Until.After(s.o.Now()) {
		return store.NotificationState{}, fmt.Errorf("%w: the end is not in the future", ErrInvalidSnooze)
	}
	var st store.NotificationState
	err := s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		conv, err := tx.GetConversation(ctx, conversationID)
		if err != nil {
			return err
		}
		st = store.NotificationState{ConversationID: conv.ID, UserID: userID, SnoozedUntil: o.Until}
		if o.UntilCustomerWrites {
			st.SnoozedUntilInbound, st.Through = true, conv.LastInboundAt
		}
		if st, err = tx.PutNotificationState(ctx, st); err != nil || o.UntilCustomerWrites {
			return err
		}
		// Keyed by the end as stored: snoozing to the same end again coalesces with its job; another
		// end makes another job, and the earlier one finds the state changed and does nothing.
		b, err := json.Marshal(snoozeJob{ConversationID: conv.ID, UserID: userID, Until: st.SnoozedUntil})
		if err != nil {
			return err
		}
		_, _, err = tx.EnqueueJob(ctx, store.Job{Kind: jobSnooze, Key: snoozeKey(conv.ID, userID, st.SnoozedUntil), Payload: b,
			NextAttemptAt: st.SnoozedUntil})
		return err
	})
	if err != nil {
		return store.NotificationState{}, fmt.Errorf("conversation: snoozing conversation %s: %w", conversationID, err)
	}
	return st, nil
}

// snoozeKey names the end of one snooze: as the key of the job that ends it, and of the notification
// that says it ended.
func snoozeKey(conversationID, userID string, until time.Time) string {
	return "snooze:" + conversationID + ":" + userID + ":" + strconv.FormatInt(until.UnixMicro(), 10)
}

// Unsnooze ends the user's snooze of a conversation now, without a signal: new messages signal again
// from the next one. It returns the user's notification state; without a snooze, it changes nothing.
func (s *Service) Unsnooze(ctx context.Context, conversationID, userID string) (store.NotificationState, error) {
	return s.changeState(ctx, conversationID, userID, func(st *store.NotificationState) bool {
		if st.SnoozedUntil.IsZero() && !st.SnoozedUntilInbound {
			return false
		}
		st.SnoozedUntil, st.SnoozedUntilInbound = time.Time{}, false
		return true
	})
}

// Ignore is "reply later" (FEATURES F13): the conversation stays unreplied in the views, but its new
// messages stop signalling the user until the customer writes again (the next message ends it and
// signals) or the user replies. It replaces any snooze the user had on it, and returns the user's
// notification state. An unknown conversation returns store.ErrNotFound.
func (s *Service) Ignore(ctx context.Context, conversationID, userID string) (store.NotificationState, error) {
	if userID == "" {
		return store.NotificationState{}, errors.New("conversation: Ignore needs a user")
	}
	var st store.NotificationState
	err := s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		conv, err := tx.GetConversation(ctx, conversationID)
		if err != nil {
			return err
		}
		st, err = tx.PutNotificationState(ctx, store.NotificationState{ConversationID: conv.ID, UserID: userID, Ignored: true,
			Through: conv.LastInboundAt})
		return err
	})
	if err != nil {
		return store.NotificationState{}, fmt.Errorf("conversation: ignoring conversation %s: %w", conversationID, err)
	}
	return st, nil
}

// Unignore ends the user's ignore of a conversation: new messages signal again from the next one. It
// returns the user's notification state; without an ignore, it changes nothing.
func (s *Service) Unignore(ctx context.Context, conversationID, userID string) (store.NotificationState, error) {
	return s.changeState(ctx, conversationID, userID, func(st *store.NotificationState) bool {
		if !st.Ignored {
			return false
		}
		st.Ignored = false
		return true
	})
}

// changeState applies change to the user's notification state of a conversation, storing it when
// change reports a change, and returns the state.
func (s *Service) changeState(ctx context.Context, conversationID, userID string, change func(*store.NotificationState) bool) (store.NotificationState, error) {
	var st store.NotificationState
	err := s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		var err error
		st, err = tx.GetNotificationState(ctx, conversationID, userID)
		if errors.Is(err, store.ErrNotFound) {
			if _, err := tx.GetConversation(ctx, conversationID); err != nil {
				return err
			}
			st, err = store.NotificationState{ConversationID: conversationID, UserID: userID}, nil
		}
		if err != nil || !change(&st) {
			return err
		}
		st, err = tx.PutNotificationState(ctx, st)
		return err
	})
	if err != nil {
		return store.NotificationState{}, fmt.Errorf("conversation: notification state of conversation %s: %w", conversationID, err)
	}
	return st, nil
}

// runSnooze ends a snooze at its time: unless the user changed or ended it meanwhile, the user is
// signalled that it ended. The state keeps the end, which has passed and silences nothing, so running
// again signals again (at least once) and lists it once.
func (s *Service) runSnooze(ctx context.Context, j store.Job) error {
	var p snoozeJob
	if err := decode(j, &p); err != nil {
		return err
	}
	st, err := s.store.GetNotificationState(ctx, p.ConversationID, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !st.SnoozedUntil.Equal(p.Until) {
		return nil // snoozed again, or ended by hand: this end is stale
	}
	conv, err := s.store.GetConversation(ctx, p.ConversationID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.signal(ctx, Notification{Event: store.NotifySnoozeEnded, UserID: p.UserID, ChannelID: conv.ChannelID,
		ConversationID: conv.ID, Linked: !conv.Record.IsZero(), At: p.Until}, snoozeKey(conv.ID, p.UserID, p.Until))
}
