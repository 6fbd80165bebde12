package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/msgkit/msgkit/store"
)

// Notifier receives new-message signals (FEATURES F12). The host CRM implements it: a desktop
// notification, a push to the agent's phone. It must be safe for concurrent use. Run calls it at least
// once per new inbound message (Notification.MessageID tells repeats apart); an error makes Run try again
// later, with backoff (the message is stored regardless).
type Notifier interface {
	NewMessage(ctx context.Context, n Notification) error
}

// Notification tells a user that a conversation they are responsible for has a new inbound message.
type Notification struct {
	// UserID is the responsible user: the assignee, or the owner of the linked record.
	UserID         string
	ChannelID      string
	ConversationID string
	MessageID      string
	// Linked says whether the sender is linked to a CRM record (owned by UserID).
	Linked bool
	At     time.Time
}

// notify signals the responsible user unless they snoozed or ignored the conversation.
func (s *Service) notify(ctx context.Context, n Notification) error {
	if s.o.Notifier == nil || n.UserID == "" {
		return nil
	}
	st, err := s.store.GetNotificationState(ctx, n.ConversationID, n.UserID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	case st.Ignored, st.SnoozedUntil.After(s.o.Now()):
		return nil
	}
	if err := s.o.Notifier.NewMessage(ctx, n); err != nil {
		return fmt.Errorf("conversation: notifying: %w", err)
	}
	return nil
}
