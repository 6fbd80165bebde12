package store

import (
	"context"
	"slices"
	"time"
)

// NotificationState is one user's notification setting for one conversation (FEATURES F13). At most one
// of its silences is meant to hold at a time (msgkit's conversation service keeps it so): a timed snooze,
// a snooze until the customer writes, or an ignore.
type NotificationState struct {
	ConversationID string
	UserID         string
	// SnoozedUntil silences new-message notifications until then; zero: not snoozed.
	SnoozedUntil time.Time
	// SnoozedUntilInbound silences new-message notifications until the customer writes a message sent
	// after Through.
	SnoozedUntilInbound bool
	// Ignored ("reply later") stops notifications until the customer writes a message sent after
	// Through, or the user replies; the conversation stays unreplied in the views.
	Ignored bool
	// Through is the conversation's LastInboundAt when the user snoozed it until the customer writes, or
	// ignored it: the messages up to it are covered, a later one ends the silence.
	Through   time.Time
	UpdatedAt time.Time // set by the store
}

// NotificationEvent is what a notification tells its user.
type NotificationEvent string

// Notification events.
const (
	// NotifyMessage: a new inbound message in a conversation the user is responsible for (FEATURES F12).
	NotifyMessage NotificationEvent = "message"
	// NotifyAssigned: a conversation was assigned to the user (by hand, or by assign.Drain).
	NotifyAssigned NotificationEvent = "assigned"
	// NotifySnoozeEnded: a conversation the user snoozed until a time is back (FEATURES F13).
	NotifySnoozeEnded NotificationEvent = "snooze_ended"
)

// Notification is one entry of a user's notification list: a signal the user was given.
type Notification struct {
	ID     string // assigned by the store when empty
	UserID string
	// Key names what the notification is about, unique per user ("message:<message ID>"), so that work
	// that runs at least once adds it once. Required.
	Key            string
	Event          NotificationEvent
	ChannelID      string
	ConversationID string
	// MessageID is the message a NotifyMessage notification is about; empty for the other events.
	MessageID string
	// At is when what it tells happened: the message's time, the assignment's, the snooze's end.
	At time.Time
	// ReadAt is when the user read it (set by the store when it is marked read); zero while unread.
	ReadAt    time.Time
	CreatedAt time.Time // set by the store; lists are ordered by (CreatedAt, ID)
}

// Cursor returns n's position in a notification list.
func (n Notification) Cursor() Cursor { return Cursor{Time: n.CreatedAt, ID: n.ID} }

// NotificationFilter selects a user's notifications. The zero value selects all of them.
type NotificationFilter struct {
	Unread bool // only those not read yet
}

// NotificationSettings is which signals a user gets (the "signal settings" of FEATURES F12). The zero
// value, which a user who never saved any has, signals everything.
type NotificationSettings struct {
	UserID string
	// MutedEvents are events that do not signal the user.
	MutedEvents []NotificationEvent
	// MutedChannels are channels (by ID) whose conversations do not signal the user.
	MutedChannels []string
	UpdatedAt     time.Time // set by the store
}

// Signals reports whether an event in a conversation of channel channelID signals the user.
func (s NotificationSettings) Signals(e NotificationEvent, channelID string) bool {
	return !slices.Contains(s.MutedEvents, e) && !slices.Contains(s.MutedChannels, channelID)
}

// Notifications stores per-user notification state for conversations, the users' notification lists
// and their settings. Implementations must be safe for concurrent use.
type Notifications interface {
	// GetNotificationState returns the state of (conversationID, userID), or ErrNotFound if none was put.
	GetNotificationState(ctx context.Context, conversationID, userID string) (NotificationState, error)
	// PutNotificationState stores s, replacing any state of the same (ConversationID, UserID). An unknown
	// conversation returns ErrNotFound.
	PutNotificationState(ctx context.Context, s NotificationState) (NotificationState, error)

	// AddNotification adds n to n.UserID's list (assigning ID and CreatedAt; ReadAt is stored as given,
	// normally zero) and returns it with created true. When the user has a notification with n.Key
	// already, it stores nothing and returns that one with created false; of concurrent calls with one
	// (UserID, Key) exactly one creates. An unknown conversation returns ErrNotFound. UserID and Key are
	// required.
	AddNotification(ctx context.Context, n Notification) (_ Notification, created bool, _ error)
	// ListNotifications returns one page of userID's notifications that f selects, ordered by
	// (CreatedAt, ID) in p.Order (the zero Page lists the newest first), and the cursor of the next page
	// (zero when there is none). A page costs what it returns, however long the list.
	ListNotifications(ctx context.Context, userID string, f NotificationFilter, p Page) ([]Notification, Cursor, error)
	// CountNotifications counts userID's notifications that f selects, up to limit: a badge says "99+"
	// rather than counting every row (limit ≤ 0 means no limit).
	CountNotifications(ctx context.Context, userID string, f NotificationFilter, limit int) (int, error)
	// MarkNotificationRead marks userID's notification id read (ReadAt = now) and returns it; one read
	// already keeps its ReadAt. A notification that does not exist, or is another user's, returns
	// ErrNotFound.
	MarkNotificationRead(ctx context.Context, userID, id string) (Notification, error)
	// MarkNotificationsRead marks read every unread notification of userID at or before through in the
	// list's order (CreatedAt, then ID), so those added after the user last looked stay unread, and
	// returns how many it marked. Pass the cursor of the newest notification the user was shown; the
	// zero Cursor marks none.
	MarkNotificationsRead(ctx context.Context, userID string, through Cursor) (int, error)

	// GetNotificationSettings returns userID's settings, or ErrNotFound if none were put (the user gets
	// every signal: the zero NotificationSettings).
	GetNotificationSettings(ctx context.Context, userID string) (NotificationSettings, error)
	// PutNotificationSettings stores s, replacing the settings of s.UserID (required), and returns it as
	// stored: lists in the order given, an empty list as nil.
	PutNotificationSettings(ctx context.Context, s NotificationSettings) (NotificationSettings, error)
}
