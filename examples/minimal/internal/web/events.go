package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// events is the page's Server-Sent Events stream. Every Deps.Poll it reads, through the API as the
// signed-in user, what the page shows — the view counts and the first page of the list (?view=,
// ?channel=), the open conversation (?c=): its row and latest messages, and the user's newest
// notifications with their unread count (the bell) — and compares digests of the answers with the last
// ones. When one differs it sends
//
//	event: change
//	data: {"list": "<digest>", "thread": "<digest>", "notes": "<digest>"}
//
// ?lv=, ?tv= and ?nv= are the digests of what the page was rendered with, so a change made before the
// stream opened is sent at once. With ?scope=notifications (pages other than the inbox) it watches the
// notifications only. When the session ends the stream sends "signedout" and closes. It closes when
// the client goes away and when Close is called.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) error {
	rc := http.NewResponseController(w)
	if h.ctx.Err() != nil {
		return &apiError{Status: http.StatusServiceUnavailable, Code: "closing", Message: "The server is shutting down."}
	}
	select {
	case h.streams <- struct{}{}:
		defer func() { <-h.streams }()
	default:
		return &apiError{Status: http.StatusServiceUnavailable, Code: "busy", Message: "Too many open pages; try again later."}
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(h.ctx, cancel)
	defer stop()
	r = r.WithContext(ctx)

	q := queryOf(r)
	notesOnly := r.URL.Query().Get("scope") == "notifications"
	last := state{List: r.URL.Query().Get("lv"), Thread: r.URL.Query().Get("tv"), Notes: r.URL.Query().Get("nv")}
	if q.Open == "" || notesOnly {
		last.Thread = ""
	}
	if notesOnly {
		last.List = ""
	}

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil
	}

	failing := false // log the first failure of a run only
	poll := time.NewTicker(h.d.Poll)
	defer poll.Stop()
	beat := time.NewTicker(h.d.Heartbeat)
	defer beat.Stop()
	for {
		now, err := h.state(r, q, notesOnly)
		var e *apiError
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &e) && e.Status == http.StatusUnauthorized:
			_, _ = fmt.Fprint(w, "event: signedout\ndata: {}\n\n")
			_ = rc.Flush()
			return nil
		case errors.As(err, &e) && e.Status == http.StatusNotFound && q.Open != "":
			q.Open = "" // the open conversation is gone: keep watching the list
			continue
		case err != nil:
			if !failing {
				h.d.Logger.LogAttrs(ctx, slog.LevelWarn, "web: event stream could not read the inbox")
			}
			failing = true
		case now != last:
			b, _ := json.Marshal(now)
			if _, err := fmt.Fprintf(w, "event: change\ndata: %s\n\n", b); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
			last = now
		}
		if err == nil {
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		case <-poll.C:
		}
	}
}

// state is what an event stream compares: digests of the list's, the open conversation's and the
// notifications' answers.
type state struct {
	List   string `json:"list,omitempty"`
	Thread string `json:"thread,omitempty"`
	Notes  string `json:"notes"`
}

func (h *Handler) state(r *http.Request, q inboxQuery, notesOnly bool) (state, error) {
	notesRaw, err := h.get(r, fmt.Sprintf("/api/notifications?limit=%d", noteLimit), nil)
	if err != nil {
		return state{}, err
	}
	if notesOnly {
		return state{Notes: version(notesRaw)}, nil
	}
	_, navRaw, err := h.loadNav(r, q)
	if err != nil {
		return state{}, err
	}
	_, listRaw, err := h.loadList(r, q, "")
	if err != nil {
		return state{}, err
	}
	s := state{List: version(navRaw, listRaw), Notes: version(notesRaw)}
	if q.Open != "" {
		rowRaw, err := h.get(r, pathf("/api/conversations/%s", q.Open), nil)
		if err != nil {
			return state{}, err
		}
		msgRaw, err := h.get(r, pathf("/api/conversations/%s/messages", q.Open)+fmt.Sprintf("?order=newest&limit=%d", threadLimit), nil)
		if err != nil {
			return state{}, err
		}
		s.Thread = version(rowRaw, msgRaw)
	}
	return s, nil
}
