package sqlstore

import (
	"context"
	"errors"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// GetNotificationState implements store.Notifications.
func (s *Store) GetNotificationState(ctx context.Context, conversationID, userID string) (store.NotificationState, error) {
	if err := check(ctx); err != nil {
		return store.NotificationState{}, err
	}
	st := store.NotificationState{ConversationID: conversationID, UserID: userID}
	var snoozed, through, updated int64
	err := s.db.QueryRow(ctx, `SELECT snoozed_until, snoozed_until_inbound, ignored, through_at, updated_at FROM notifications
		WHERE conversation_id = $1 AND user_id = $2`, conversationID, userID).Scan(&snoozed, &st.SnoozedUntilInbound, &st.Ignored,
		&through, &updated)
	st.SnoozedUntil, st.Through, st.UpdatedAt = timeOf(snoozed), timeOf(through), timeOf(updated)
	return st, s.mapErr(err, "notification state of conversation "+conversationID)
}

// PutNotificationState implements store.Notifications.
func (s *Store) PutNotificationState(ctx context.Context, st store.NotificationState) (store.NotificationState, error) {
	if err := check(ctx); err != nil {
		return store.NotificationState{}, err
	}
	now := s.stamp()
	err := s.upsert(ctx, `INSERT INTO notifications (conversation_id, user_id, snoozed_until, snoozed_until_inbound, ignored,
			through_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, `ON CONFLICT (conversation_id, user_id)
		DO UPDATE SET snoozed_until = excluded.snoozed_until, snoozed_until_inbound = excluded.snoozed_until_inbound,
			ignored = excluded.ignored, through_at = excluded.through_at, updated_at = excluded.updated_at`,
		`UPDATE notifications SET snoozed_until = $3, snoozed_until_inbound = $4, ignored = $5, through_at = $6, updated_at = $7
		WHERE conversation_id = $1 AND user_id = $2`,
		st.ConversationID, st.UserID, micros(st.SnoozedUntil), st.SnoozedUntilInbound, st.Ignored, micros(st.Through), now)
	if err != nil {
		return store.NotificationState{}, s.mapErr(err, "notification state's conversation "+st.ConversationID)
	}
	st.SnoozedUntil, st.Through, st.UpdatedAt = timeOf(micros(st.SnoozedUntil)), timeOf(micros(st.Through)), timeOf(now)
	return st, nil
}

const noteCols = `id, user_id, notify_key, event, channel_id, conversation_id, message_id, at, read_at, created_at`

func scanNote(r Row) (store.Notification, error) {
	var n store.Notification
	var event string
	var at, read, created int64
	err := r.Scan(&n.ID, &n.UserID, &n.Key, &event, &n.ChannelID, &n.ConversationID, &n.MessageID, &at, &read, &created)
	n.Event, n.At, n.ReadAt, n.CreatedAt = store.NotificationEvent(event), timeOf(at), timeOf(read), timeOf(created)
	return n, err
}

var errNotificationIdentity = errors.New("sqlstore: a notification needs a user ID and a key")

// AddNotification implements store.Notifications: one INSERT that does nothing when the user has a
// notification with the key, then a read of that one.
func (s *Store) AddNotification(ctx context.Context, n store.Notification) (store.Notification, bool, error) {
	if err := check(ctx); err != nil {
		return store.Notification{}, false, err
	}
	if n.UserID == "" || n.Key == "" {
		return store.Notification{}, false, errNotificationIdentity
	}
	if n.ID == "" {
		n.ID = id.New()
	}
	got, err := writeRow(ctx, s, scanNote, `INSERT INTO user_notifications (`+noteCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, `ON CONFLICT (user_id, notify_key) DO NOTHING`,
		"user_notifications", noteCols, "id = $1",
		n.ID, n.UserID, n.Key, string(n.Event), n.ChannelID, n.ConversationID, n.MessageID, micros(n.At), micros(n.ReadAt), s.stamp())
	return insertOnce(s, got, err, func() (store.Notification, error) {
		return scanNote(s.db.QueryRow(ctx, `SELECT `+noteCols+` FROM user_notifications WHERE user_id = $1 AND notify_key = $2`,
			n.UserID, n.Key))
	}, "notification of user "+n.UserID)
}

// notesWhere selects the notifications of the user in $1 that f selects. The unread condition is the literal of the
// unread index's predicate, so that index serves it.
func notesWhere(f store.NotificationFilter) string {
	q := ` FROM user_notifications WHERE user_id = $1`
	if f.Unread {
		q += ` AND read_at = 0`
	}
	return q
}

// ListNotifications implements store.Notifications: a keyset walk of the user's index.
func (s *Store) ListNotifications(ctx context.Context, userID string, f store.NotificationFilter, p store.Page) ([]store.Notification, store.Cursor, error) {
	if err := check(ctx); err != nil {
		return nil, store.Cursor{}, err
	}
	q, args := NotificationsQuery(s.d, userID, f, p)
	list, err := queryAll(ctx, s, "notifications", scanNote, q, args...)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	return cut(list, p, store.Notification.Cursor)
}

// NotificationsQuery returns the SQL and arguments ListNotifications runs in dialect d (exported for the
// backends' query-plan tests).
func NotificationsQuery(d Dialect, userID string, f store.NotificationFilter, p store.Page) (string, []any) {
	return keyset(d, `SELECT `+noteCols+notesWhere(f), []any{userID}, "created_at", "id", p)
}

// CountNotifications implements store.Notifications: a count of at most limit rows of the user's index.
func (s *Store) CountNotifications(ctx context.Context, userID string, f store.NotificationFilter, limit int) (int, error) {
	if err := check(ctx); err != nil {
		return 0, err
	}
	q, args := CountNotificationsQuery(userID, f, limit)
	var n int
	err := s.db.QueryRow(ctx, q, args...).Scan(&n)
	return n, s.mapErr(err, "counting notifications")
}

// CountNotificationsQuery returns the SQL and arguments CountNotifications runs, for the query-plan tests.
func CountNotificationsQuery(userID string, f store.NotificationFilter, limit int) (string, []any) {
	q, args := `SELECT COUNT(*) FROM (SELECT 1`+notesWhere(f), []any{userID}
	if limit > 0 {
		args = append(args, limit)
		q += ` LIMIT ` + param(len(args))
	}
	return q + `) AS v`, args
}

// MarkNotificationRead implements store.Notifications.
func (s *Store) MarkNotificationRead(ctx context.Context, userID, nid string) (store.Notification, error) {
	if err := check(ctx); err != nil {
		return store.Notification{}, err
	}
	n, err := writeRow(ctx, s, scanNote, `UPDATE user_notifications SET read_at = CASE WHEN read_at = 0 THEN $3 ELSE read_at END
		WHERE id = $1 AND user_id = $2`, "", "user_notifications", noteCols, "id = $1", nid, userID, s.stamp())
	return n, s.mapErr(err, "notification "+nid+" of user "+userID)
}

// MarkNotificationsRead implements store.Notifications: one UPDATE over the user's unread index, up to
// the cursor.
func (s *Store) MarkNotificationsRead(ctx context.Context, userID string, through store.Cursor) (int, error) {
	if err := check(ctx); err != nil {
		return 0, err
	}
	if through.IsZero() {
		return 0, nil
	}
	n, err := s.db.Exec(ctx, `UPDATE user_notifications SET read_at = $2
		WHERE user_id = $1 AND read_at = 0 AND (created_at, id) <= ($3, $4)`, userID, s.stamp(), micros(through.Time), through.ID)
	return int(n), s.mapErr(err, "notifications of user "+userID)
}

// GetNotificationSettings implements store.Notifications.
func (s *Store) GetNotificationSettings(ctx context.Context, userID string) (store.NotificationSettings, error) {
	if err := check(ctx); err != nil {
		return store.NotificationSettings{}, err
	}
	st := store.NotificationSettings{UserID: userID}
	var events, channels string
	var updated int64
	err := s.db.QueryRow(ctx, `SELECT muted_events, muted_channels, updated_at FROM notification_settings WHERE user_id = $1`,
		userID).Scan(&events, &channels, &updated)
	if err != nil {
		return store.NotificationSettings{}, s.mapErr(err, "notification settings of user "+userID)
	}
	st.UpdatedAt = timeOf(updated)
	if err := fromJSON(events, &st.MutedEvents); err != nil {
		return store.NotificationSettings{}, err
	}
	return st, fromJSON(channels, &st.MutedChannels)
}

// PutNotificationSettings implements store.Notifications.
func (s *Store) PutNotificationSettings(ctx context.Context, st store.NotificationSettings) (store.NotificationSettings, error) {
	if err := check(ctx); err != nil {
		return store.NotificationSettings{}, err
	}
	if st.UserID == "" {
		return store.NotificationSettings{}, errors.New("sqlstore: notification settings need a user ID")
	}
	if len(st.MutedEvents) == 0 {
		st.MutedEvents = nil
	}
	if len(st.MutedChannels) == 0 {
		st.MutedChannels = nil
	}
	now := s.stamp()
	err := s.upsert(ctx, `INSERT INTO notification_settings (user_id, muted_events, muted_channels, updated_at)
		VALUES ($1, $2, $3, $4)`, `ON CONFLICT (user_id) DO UPDATE SET muted_events = excluded.muted_events,
			muted_channels = excluded.muted_channels, updated_at = excluded.updated_at`,
		`UPDATE notification_settings SET muted_events = $2, muted_channels = $3, updated_at = $4 WHERE user_id = $1`,
		st.UserID, jsonText(st.MutedEvents), jsonText(st.MutedChannels), now)
	if err != nil {
		return store.NotificationSettings{}, s.mapErr(err, "notification settings of user "+st.UserID)
	}
	st.UpdatedAt = timeOf(now)
	// The caller's slices are not returned, so neither side can change the other's.
	st.MutedEvents, st.MutedChannels = append([]store.NotificationEvent(nil), st.MutedEvents...), append([]string(nil), st.MutedChannels...)
	return st, nil
}
