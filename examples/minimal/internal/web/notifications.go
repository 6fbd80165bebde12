package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
)

// Notifications (FEATURES F12, F13): the bell's panel lists the signed-in user's notifications with the
// unread count; each can be opened, marked read, snoozed (an hour, until tomorrow 9:00 in the user's
// time zone, until a time they choose, or until the customer writes) or put off ("reply later"). The
// notifications of a conversation the user snoozed or put off leave the list for the panel's "Snoozed"
// part until the snooze ends: the service then adds a notification that says so, and the badge counts
// it. Snoozing or putting off a conversation marks its listed notifications read.

// noteLimit is how many of the newest notifications the panel shows.
const noteLimit = 30

type apiNotice struct {
	ID             string    `json:"id"`
	Event          string    `json:"event"`
	ConversationID string    `json:"conversationId"`
	MessageID      string    `json:"messageId"`
	Preview        string    `json:"preview"` // of MessageID's message
	At             time.Time `json:"at"`
	Read           bool      `json:"read"`
	Cursor         string    `json:"cursor"`
}

type apiNotices struct {
	Notifications []apiNotice `json:"notifications"`
	Unread        int         `json:"unread"`
	More          bool        `json:"more"`
}

type notesView struct {
	CSRF     string
	Version  string
	Unread   int
	Badge    string // the bell's count: "" for none, "99+" past 99
	Through  string // the cursor of the newest notification shown, for "mark all read"
	Items    []noteView
	Snoozed  []snoozedView
	Tomorrow string // when "tomorrow" ends a snooze, in words
	Min      string // the earliest custom end the form offers (datetime-local)
}

type noteView struct {
	ID, ConversationID, URL string
	Event                   string
	Name, Preview           string
	App                     appView
	Time, TimeAt            string
	Unread                  bool
}

type snoozedView struct {
	ConversationID, URL, Name, Until string
	App                              appView
	Ignored                          bool
}

var noteEvents = map[string]string{
	"message":      "New message",
	"assigned":     "Assigned to you",
	"snooze_ended": "Snooze ended",
}

// loadNotes reads the user's newest notifications and the conversations they are about.
func (h *Handler) loadNotes(r *http.Request) (notesView, apiNotices, error) {
	var list apiNotices
	raw, err := h.get(r, fmt.Sprintf("/api/notifications?limit=%d", noteLimit), &list)
	if err != nil {
		return notesView{}, list, err
	}
	id, _ := auth.From(r.Context())
	c := h.clockOf(r)
	y, m, d := c.now.Date()
	tomorrow := time.Date(y, m, d+1, 9, 0, 0, 0, c.loc)
	v := notesView{CSRF: id.CSRF, Version: version(raw), Unread: list.Unread, Tomorrow: c.full(tomorrow),
		Min: c.now.Add(time.Minute).Format("2006-01-02T15:04")}
	if list.Unread > 0 {
		v.Badge = fmt.Sprint(list.Unread)
		if list.More || list.Unread > 99 {
			v.Badge = "99+"
		}
	}
	if len(list.Notifications) > 0 {
		v.Through = list.Notifications[0].Cursor
	}
	rows := map[string]*apiRow{}
	for _, n := range list.Notifications {
		row, seen := rows[n.ConversationID]
		if !seen {
			var got apiRow
			if _, err := h.get(r, pathf("/api/conversations/%s", n.ConversationID), &got); err == nil {
				row = &got
			} else if e := (*apiError)(nil); !errors.As(err, &e) || e.Status != http.StatusNotFound {
				return notesView{}, list, err
			}
			rows[n.ConversationID] = row // nil: the conversation is gone
			if row != nil {
				if s, ok := c.silenced(row); ok {
					v.Snoozed = append(v.Snoozed, s)
				}
			}
		}
		if row == nil {
			continue
		}
		if _, quiet := c.silenced(row); quiet {
			continue
		}
		v.Items = append(v.Items, noteView{ID: n.ID, ConversationID: n.ConversationID, URL: inboxQuery{View: "all", Open: n.ConversationID}.url(),
			Event: cmpOr(noteEvents[n.Event], n.Event), Name: row.Contact.Name, Preview: previewOf(n, row),
			App: appOf(row.Channel.Kind, row.Channel.Name), Time: c.short(n.At), TimeAt: c.full(n.At), Unread: !n.Read})
	}
	return v, list, nil
}

// previewOf is what notification n shows: its own message, not the conversation's latest (several
// messages' notifications would all show the last one); the conversation's latest for other events.
func previewOf(n apiNotice, row *apiRow) string {
	if n.MessageID != "" {
		return n.Preview
	}
	return row.Preview
}

// silenced says whether the user snoozed or put off the conversation of row, and how.
func (c clock) silenced(row *apiRow) (snoozedView, bool) {
	n := row.Notification
	if n == nil {
		return snoozedView{}, false
	}
	s := snoozedView{ConversationID: row.ID, URL: inboxQuery{View: "all", Open: row.ID}.url(), Name: row.Contact.Name,
		App: appOf(row.Channel.Kind, row.Channel.Name)}
	switch {
	case n.Ignored:
		s.Until, s.Ignored = "Reply later: until they write again", true
	case n.UntilCustomerWrites:
		s.Until = "Until they write again"
	case n.SnoozedUntil != nil && n.SnoozedUntil.After(c.now):
		s.Until = "Until " + c.full(*n.SnoozedUntil)
	default:
		return snoozedView{}, false
	}
	return s, true
}

// notesFragment is the bell's panel.
func (h *Handler) notesFragment(w http.ResponseWriter, r *http.Request) error {
	v, _, err := h.loadNotes(r)
	if err != nil {
		return err
	}
	return h.renderFragment(w, r, "notes", v)
}

// errBadSnooze answers a snooze form without a usable time.
var errBadSnooze = &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_snooze",
	Message: "Choose a date and time in the future to snooze until."}

// noteAction does what the panel's form asks (do=read, read-all, ignore, unignore, unsnooze,
// snooze-1h, snooze-tomorrow, snooze-reply, snooze-custom with at=) through the API, and answers the
// panel as it is now.
func (h *Handler) noteAction(w http.ResponseWriter, r *http.Request) error {
	do, note, conv := r.PostFormValue("do"), r.PostFormValue("id"), r.PostFormValue("conversation")
	convPath := func(action string) string { return pathf("/api/conversations/%s/", conv) + action }
	var err error
	switch {
	case do == "read" && note != "":
		_, err = h.call(r, http.MethodPost, pathf("/api/notifications/%s/read", note), nil, nil)
	case do == "read-all" && r.PostFormValue("through") != "":
		_, err = h.call(r, http.MethodPost, "/api/notifications/read", map[string]string{"through": r.PostFormValue("through")}, nil)
	case conv == "":
		return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: "This form is incomplete. Reload the page and try again."}
	case do == "unsnooze", do == "unignore":
		_, err = h.call(r, http.MethodPost, convPath(do), nil, nil)
	case do == "ignore":
		if _, err = h.call(r, http.MethodPost, convPath("ignore"), nil, nil); err == nil {
			err = h.readConversationNotes(r, conv)
		}
	case strings.HasPrefix(do, "snooze-"):
		body, berr := h.snoozeBody(r, strings.TrimPrefix(do, "snooze-"), r.PostFormValue("at"))
		if berr != nil {
			return berr
		}
		if _, err = h.call(r, http.MethodPost, convPath("snooze"), body, nil); err == nil {
			err = h.readConversationNotes(r, conv)
		}
	default:
		return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: "This form is incomplete. Reload the page and try again."}
	}
	if err != nil {
		return err
	}
	return h.notesFragment(w, r)
}

// snoozeBody is the API's snooze request for a preset (1h, tomorrow, reply) or a custom end, a
// datetime-local value read in the user's time zone.
func (h *Handler) snoozeBody(r *http.Request, preset, at string) (any, error) {
	c := h.clockOf(r)
	var until time.Time
	switch preset {
	case "1h":
		until = c.now.Add(time.Hour)
	case "tomorrow":
		y, m, d := c.now.Date()
		until = time.Date(y, m, d+1, 9, 0, 0, 0, c.loc)
	case "reply":
		return map[string]bool{"untilCustomerWrites": true}, nil
	case "custom":
		t, err := time.ParseInLocation("2006-01-02T15:04", at, c.loc)
		if err != nil || !t.After(c.now) {
			return nil, errBadSnooze
		}
		until = t
	default:
		return nil, errBadSnooze
	}
	return map[string]time.Time{"until": until}, nil
}

// readConversationNotes marks read the user's listed unread notifications about conversation conv.
func (h *Handler) readConversationNotes(r *http.Request, conv string) error {
	var list apiNotices
	if _, err := h.get(r, fmt.Sprintf("/api/notifications?unread=1&limit=%d", noteLimit), &list); err != nil {
		return err
	}
	for _, n := range list.Notifications {
		if n.ConversationID != conv {
			continue
		}
		if _, err := h.call(r, http.MethodPost, pathf("/api/notifications/%s/read", n.ID), nil, nil); err != nil {
			return err
		}
	}
	return nil
}
