package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
	"github.com/msgkit/msgkit/store"
)

// notificationBadge is where the unread count stops: the badge shows "99+".
const notificationBadge = 100

type notice struct {
	ID             string                  `json:"id"`
	Event          store.NotificationEvent `json:"event"`
	ChannelID      string                  `json:"channelId"`
	ConversationID string                  `json:"conversationId"`
	MessageID      string                  `json:"messageId,omitempty"`
	// Preview is the notification's own message as an inbox row shows it ("" without a message): not the
	// conversation's latest, which later messages change.
	Preview string    `json:"preview,omitempty"`
	At      time.Time `json:"at"`
	Read    bool      `json:"read"`
	Cursor  string    `json:"cursor"`
}

// notifications answers the signed-in user's notifications, newest first (?unread=1: the unread ones),
// with the unread count.
func (a *API) notifications(w http.ResponseWriter, r *http.Request, me auth.User) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	f := store.NotificationFilter{Unread: r.URL.Query().Get("unread") == "1"}
	list, next, err := a.d.Service.Notifications(r.Context(), me.ID, f, p)
	if err != nil {
		return err
	}
	unread, err := a.d.Service.UnreadNotifications(r.Context(), me.ID, notificationBadge)
	if err != nil {
		return err
	}
	out := struct {
		Notifications []notice `json:"notifications"`
		Unread        int      `json:"unread"`
		More          bool     `json:"more,omitempty"` // the unread count stopped at its limit
		Next          string   `json:"next,omitempty"`
	}{Notifications: make([]notice, 0, len(list)), Unread: unread, More: unread >= notificationBadge, Next: next.String()}
	for _, n := range list {
		preview, err := a.previewOf(r.Context(), n.MessageID)
		if err != nil {
			return err
		}
		out.Notifications = append(out.Notifications, notice{ID: n.ID, Event: n.Event, ChannelID: n.ChannelID,
			ConversationID: n.ConversationID, MessageID: n.MessageID, Preview: preview, At: n.At, Read: !n.ReadAt.IsZero(),
			Cursor: n.Cursor().String()})
	}
	return ok(w, out)
}

// previewOf is message id's preview: "" for no message or one that is gone, "[unsent]" for one its
// sender took back.
func (a *API) previewOf(ctx context.Context, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	m, err := a.d.Store.GetMessage(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	case m.Unsent:
		return "[unsent]", nil
	}
	return conversation.PreviewOf(m.Content), nil
}

// readNotification marks one of the signed-in user's notifications read.
func (a *API) readNotification(w http.ResponseWriter, r *http.Request, me auth.User) error {
	if err := noBody(w, r); err != nil {
		return err
	}
	if _, err := a.d.Service.MarkNotificationRead(r.Context(), me.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// readNotifications marks read the signed-in user's notifications up to {"through": cursor}, the newest
// one they were shown.
func (a *API) readNotifications(w http.ResponseWriter, r *http.Request, me auth.User) error {
	var in struct {
		Through string `json:"through"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	through, err := store.ParseCursor(in.Through)
	if err != nil || through.IsZero() {
		return badRequest("through: the cursor of the newest notification shown")
	}
	n, err := a.d.Service.MarkNotificationsRead(r.Context(), me.ID, through)
	if err != nil {
		return err
	}
	return ok(w, map[string]int{"marked": n})
}

// snooze silences a conversation for the signed-in user: {"until": time} or {"untilCustomerWrites": true}.
func (a *API) snooze(w http.ResponseWriter, r *http.Request, me auth.User) error {
	var in struct {
		Until               time.Time `json:"until"`
		UntilCustomerWrites bool      `json:"untilCustomerWrites"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	st, err := a.d.Service.Snooze(r.Context(), r.PathValue("id"), me.ID,
		conversation.SnoozeOptions{Until: in.Until, UntilCustomerWrites: in.UntilCustomerWrites})
	if err != nil {
		return err
	}
	return ok(w, stateOf(st))
}

// notificationAction is a snooze or ignore change without parameters.
func notificationAction(act func(ctx context.Context, conv, user string) (store.NotificationState, error)) handler {
	return func(w http.ResponseWriter, r *http.Request, me auth.User) error {
		if err := noBody(w, r); err != nil {
			return err
		}
		st, err := act(r.Context(), r.PathValue("id"), me.ID)
		if err != nil {
			return err
		}
		return ok(w, stateOf(st))
	}
}

func stateOf(st store.NotificationState) notifyState {
	return notifyState{SnoozedUntil: timePtr(st.SnoozedUntil), UntilCustomerWrites: st.SnoozedUntilInbound, Ignored: st.Ignored}
}

// settings answers (GET) or replaces (PUT) the signed-in user's notification settings.
func (a *API) settings(w http.ResponseWriter, r *http.Request, me auth.User) error {
	type body struct {
		MutedEvents   []store.NotificationEvent `json:"mutedEvents"`
		MutedChannels []string                  `json:"mutedChannels"`
	}
	if r.Method == http.MethodPut {
		var in body
		if err := decode(w, r, &in); err != nil {
			return err
		}
		if _, err := a.d.Service.SetNotificationSettings(r.Context(), store.NotificationSettings{UserID: me.ID,
			MutedEvents: in.MutedEvents, MutedChannels: in.MutedChannels}); err != nil {
			return err
		}
	}
	st, err := a.d.Service.NotificationSettings(r.Context(), me.ID)
	if err != nil {
		return err
	}
	out := body{MutedEvents: st.MutedEvents, MutedChannels: st.MutedChannels}
	if out.MutedEvents == nil {
		out.MutedEvents = []store.NotificationEvent{}
	}
	if out.MutedChannels == nil {
		out.MutedChannels = []string{}
	}
	return ok(w, out)
}
