package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/msgkit/msgkit/internal/id"
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
	s.SnoozedUntil, s.Through, s.UpdatedAt = norm(s.SnoozedUntil), norm(s.Through), h.now()
	put(h.tx, h.st.notifications, [2]string{s.ConversationID, s.UserID}, s)
	return s, nil
}

var errNotificationIdentity = errors.New("memstore: a notification needs a user ID and a key")

// AddNotification implements store.Notifications.
func (h *handle) AddNotification(ctx context.Context, n store.Notification) (store.Notification, bool, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Notification{}, false, err
	}
	defer unlock()
	if n.UserID == "" || n.Key == "" {
		return store.Notification{}, false, errNotificationIdentity
	}
	key := [2]string{n.UserID, n.Key}
	if existing, ok := h.st.noteByKey[key]; ok {
		return h.st.notes[existing], false, nil
	}
	if _, ok := h.st.convs[n.ConversationID]; !ok {
		return store.Notification{}, false, fmt.Errorf("notification's conversation %s: %w", n.ConversationID, store.ErrNotFound)
	}
	if n.ID == "" {
		n.ID = id.New()
	}
	if _, ok := h.st.notes[n.ID]; ok {
		return store.Notification{}, false, fmt.Errorf("notification %s: %w", n.ID, store.ErrAlreadyExists)
	}
	n.At, n.ReadAt, n.CreatedAt = norm(n.At), norm(n.ReadAt), h.now()
	put(h.tx, h.st.notes, n.ID, n)
	put(h.tx, h.st.noteByKey, key, n.ID)
	h.listNote(n.UserID, n.Cursor(), true)
	return n, true, nil
}

// ListNotifications implements store.Notifications: a walk of the user's list from the page's start.
func (h *handle) ListNotifications(ctx context.Context, userID string, f store.NotificationFilter, p store.Page) ([]store.Notification, store.Cursor, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	defer unlock()
	var out []store.Notification
	h.walkNotifications(userID, f, p, func(n store.Notification) bool {
		out = append(out, n)
		return len(out) <= p.Size() // one more than a page tells whether a next page exists
	})
	return page(out, p, store.Notification.Cursor)
}

// CountNotifications implements store.Notifications.
func (h *handle) CountNotifications(ctx context.Context, userID string, f store.NotificationFilter, limit int) (int, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	n := 0
	h.walkNotifications(userID, f, store.Page{}, func(store.Notification) bool {
		n++
		return limit <= 0 || n < limit
	})
	return n, nil
}

// walkNotifications calls take with userID's notifications that f selects, from p's start in p's order,
// until take returns false. The caller holds the lock.
func (h *handle) walkNotifications(userID string, f store.NotificationFilter, p store.Page, take func(store.Notification) bool) {
	walkTree(h.st.notesByUser[userID], p, func(c store.Cursor) bool {
		if !p.After.IsZero() && !c.Past(p.After, p.Order) {
			return true // the page's start itself
		}
		n := h.st.notes[c.ID]
		if f.Unread && !n.ReadAt.IsZero() {
			return true
		}
		return take(n)
	})
}

// listNote adds (or, with add false, removes) the notification at c in userID's list, journaling the
// change.
func (h *handle) listNote(userID string, c store.Cursor, add bool) {
	t := h.st.notesByUser[userID]
	if t == nil {
		t = newInbox()
		put(h.tx, h.st.notesByUser, userID, t)
	}
	change := func(add bool) {
		if add {
			t.ReplaceOrInsert(c)
		} else {
			t.Delete(c)
		}
	}
	change(add)
	if h.tx != nil {
		h.tx.undo = append(h.tx.undo, func() { change(!add) })
	}
}

// MarkNotificationRead implements store.Notifications.
func (h *handle) MarkNotificationRead(ctx context.Context, userID, nid string) (store.Notification, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Notification{}, err
	}
	defer unlock()
	n, ok := h.st.notes[nid]
	if !ok || n.UserID != userID {
		return store.Notification{}, fmt.Errorf("notification %s of user %s: %w", nid, userID, store.ErrNotFound)
	}
	if n.ReadAt.IsZero() {
		n.ReadAt = h.now()
		put(h.tx, h.st.notes, n.ID, n)
	}
	return n, nil
}

// MarkNotificationsRead implements store.Notifications.
func (h *handle) MarkNotificationsRead(ctx context.Context, userID string, through store.Cursor) (int, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	if through.IsZero() {
		return 0, nil
	}
	marked := 0
	now := h.now()
	if t := h.st.notesByUser[userID]; t != nil {
		t.Ascend(func(c store.Cursor) bool {
			if through.Before(c) {
				return false // the rest are later too
			}
			if n := h.st.notes[c.ID]; n.ReadAt.IsZero() {
				n.ReadAt = now
				put(h.tx, h.st.notes, n.ID, n)
				marked++
			}
			return true
		})
	}
	return marked, nil
}

// GetNotificationSettings implements store.Notifications.
func (h *handle) GetNotificationSettings(ctx context.Context, userID string) (store.NotificationSettings, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.NotificationSettings{}, err
	}
	defer unlock()
	s, ok := h.st.settings[userID]
	if !ok {
		return store.NotificationSettings{}, fmt.Errorf("notification settings of user %s: %w", userID, store.ErrNotFound)
	}
	return cloneSettings(s), nil
}

// PutNotificationSettings implements store.Notifications.
func (h *handle) PutNotificationSettings(ctx context.Context, s store.NotificationSettings) (store.NotificationSettings, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.NotificationSettings{}, err
	}
	defer unlock()
	if s.UserID == "" {
		return store.NotificationSettings{}, errors.New("memstore: notification settings need a user ID")
	}
	s = cloneSettings(s)
	s.UpdatedAt = h.now()
	put(h.tx, h.st.settings, s.UserID, s)
	return cloneSettings(s), nil
}

// cloneSettings copies s's lists, so the caller and the store never share them; empty lists become nil.
func cloneSettings(s store.NotificationSettings) store.NotificationSettings {
	if len(s.MutedEvents) == 0 {
		s.MutedEvents = nil
	}
	if len(s.MutedChannels) == 0 {
		s.MutedChannels = nil
	}
	s.MutedEvents, s.MutedChannels = slices.Clone(s.MutedEvents), slices.Clone(s.MutedChannels)
	return s
}

// deleteNotificationsOf deletes every user's notifications about conversation cid. The caller holds the
// lock.
func (h *handle) deleteNotificationsOf(cid string) {
	for nid, n := range h.st.notes {
		if n.ConversationID != cid {
			continue
		}
		del(h.tx, h.st.noteByKey, [2]string{n.UserID, n.Key})
		h.listNote(n.UserID, n.Cursor(), false)
		del(h.tx, h.st.notes, nid)
	}
}
