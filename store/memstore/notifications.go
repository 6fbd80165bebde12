package memstore

import (
	"context"
	"fmt"

	"github.com/msgkit/msgkit/store"
)

// GetNotificationState implements store.Notifications.
func (h *handle) GetNotificationState(ctx context.Context, conversationID, userID string) (store.NotificationState, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.NotificationState{}, err
	}
	defer unlock()
	s, ok := h.st.notifications[[2]string{conversationID, userID}]
	if !ok {
		return store.NotificationState{}, fmt.Errorf("notification state of conversation %s for %s: %w", conversationID, userID, store.ErrNotFound)
	}
	return s, nil
}

// PutNotificationState implements store.Notifications.
func (h *handle) PutNotificationState(ctx context.Context, s store.NotificationState) (store.NotificationState, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.NotificationState{}, err
	}
	defer unlock()
	if _, ok := h.st.convs[s.ConversationID]; !ok {
		return store.NotificationState{}, fmt.Errorf("notification state's conversation %s: %w", s.ConversationID, store.ErrNotFound)
	}
	s.SnoozedUntil, s.UpdatedAt = norm(s.SnoozedUntil), h.now()
	put(h.tx, h.st.notifications, [2]string{s.ConversationID, s.UserID}, s)
	return s, nil
}
