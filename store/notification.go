package store

import (
	"context"
	"time"
)

// NotificationState is one user's notification setting for one conversation (FEATURES F13).
type NotificationState struct {
	ConversationID string
	UserID         string
	// SnoozedUntil silences new-message notifications until then; zero: not snoozed.
	SnoozedUntil time.Time
	// Ignored stops notifications until the conversation is replied to; it stays unreplied in the views.
	Ignored   bool
	UpdatedAt time.Time // set by the store
}

// Notifications stores notification state. Implementations must be safe for concurrent use.
type Notifications interface {
	// GetNotificationState returns the state of (conversationID, userID), or ErrNotFound if none was put.
	GetNotificationState(ctx context.Context, conversationID, userID string) (NotificationState, error)
	// PutNotificationState stores s, replacing any state of the same (ConversationID, UserID). An unknown
	// conversation returns ErrNotFound.
	PutNotificationState(ctx context.Context, s NotificationState) (NotificationState, error)
}
