package conversation

import (
	"context"
	"time"

	"github.com/msgkit/msgkit/store"
)

// Notifier receives signals (FEATURES F12, F13): a new inbound message in a conversation the user is
// responsible for, a conversation assigned to them, a snooze that ended. The host CRM implements it: a
// desktop notification, a push to the agent's phone. It must be safe for concurrent use. Despite its
// name, NewMessage receives every signal; Notification.Event says which. Run calls it at least once per
// signal (Notification.ID tells repeats apart), after the user's settings, snoozes and ignores allowed
// it and the signal was added to the user's notification list; an error makes Run try again later,
// with backoff (the message is stored regardless).
type Notifier interface {
	NewMessage(ctx context.Context, n Notification) error
}

// Notification tells a user something about a conversation they are responsible for.
type Notification struct {
	// ID is the notification in the user's list (Service.Notifications); repeats of one signal carry
	// the same ID.
	ID string
	// Event is what happened: store.NotifyMessage, store.NotifyAssigned or store.NotifySnoozeEnded.
	Event store.NotificationEvent
	// UserID is the user told: the assignee, or the owner of the linked record.
	UserID         string
	ChannelID      string
	ConversationID string
	// MessageID is the new message (store.NotifyMessage only).
	MessageID string
	// Linked says whether the sender is linked to a CRM record (owned by UserID).
	Linked bool
	// At is when it happened: the message's time, the assignment's, the snooze's end.
	At time.Time
}
