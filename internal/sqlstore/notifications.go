package sqlstore

import (
	"context"

	"github.com/msgkit/msgkit/store"
)

// GetNotificationState implements store.Notifications.
func (s *Store) GetNotificationState(ctx context.Context, conversationID, userID string) (store.NotificationState, error) {
	if err := check(ctx); err != nil {
		return store.NotificationState{}, err
	}
	st := store.NotificationState{ConversationID: conversationID, UserID: userID}
	var snoozed, updated int64
	err := s.db.QueryRow(ctx, `SELECT snoozed_until, ignored, updated_at FROM notifications
		WHERE conversation_id = $1 AND user_id = $2`, conversationID, userID).Scan(&snoozed, &st.Ignored, &updated)
	st.SnoozedUntil, st.UpdatedAt = timeOf(snoozed), timeOf(updated)
	return st, s.mapErr(err, "notification state of conversation "+conversationID)
}

// PutNotificationState implements store.Notifications.
func (s *Store) PutNotificationState(ctx context.Context, st store.NotificationState) (store.NotificationState, error) {
	if err := check(ctx); err != nil {
		return store.NotificationState{}, err
	}
	now := s.stamp()
	_, err := s.db.Exec(ctx, `INSERT INTO notifications (conversation_id, user_id, snoozed_until, ignored, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (conversation_id, user_id)
		DO UPDATE SET snoozed_until = excluded.snoozed_until, ignored = excluded.ignored, updated_at = excluded.updated_at`,
		st.ConversationID, st.UserID, micros(st.SnoozedUntil), st.Ignored, now)
	if err != nil {
		return store.NotificationState{}, s.mapErr(err, "notification state's conversation "+st.ConversationID)
	}
	st.SnoozedUntil, st.UpdatedAt = timeOf(micros(st.SnoozedUntil)), timeOf(now)
	return st, nil
}
