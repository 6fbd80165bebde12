package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line/linetest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
)

// server is the example's HTTP API.
type server struct {
	db      store.Store
	svc     *conversation.Service
	ch      store.Channel
	adapter channel.Adapter
	webhook http.Handler
	demo    *linetest.Server // the fake LINE of demo mode; nil otherwise
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{channel}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("channel") != s.ch.ID {
			http.NotFound(w, r)
			return
		}
		s.webhook.ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /api/conversations", s.listConversations)
	mux.HandleFunc("GET /api/conversations/{id}/messages", s.listMessages)
	mux.HandleFunc("POST /api/conversations/{id}/reply", s.reply)
	mux.HandleFunc("GET /api/channel", s.channelInfo)
	if s.demo != nil {
		mux.HandleFunc("POST /demo/customer", s.demoCustomer)
		mux.HandleFunc("GET /demo/sent", s.demoSent)
	}
	return mux
}

// listConversations serves an inbox view: ?view=unregistered|linked, ?assignee=, ?owner=, ?unreplied=1,
// ?today=1, ?cursor= (from the previous page's next).
func (s *server) listConversations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := store.View{Assignee: q.Get("assignee"), RecordOwner: q.Get("owner"), Unreplied: q.Get("unreplied") == "1"}
	switch q.Get("view") {
	case "unregistered":
		v.Linkage = store.Unregistered
	case "linked":
		v.Linkage = store.Linked
	}
	if q.Get("today") == "1" {
		y, m, d := time.Now().Date()
		v.InboundSince = time.Date(y, m, d, 0, 0, 0, 0, time.Local)
	}
	after, err := store.ParseCursor(q.Get("cursor"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	entries, next, err := s.db.ListConversations(r.Context(), v, store.Page{Limit: limit, After: after})
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	type row struct {
		ID          string    `json:"id"`
		Channel     string    `json:"channel"`
		Contact     string    `json:"contact"`
		Linked      bool      `json:"linked"`
		Record      string    `json:"record,omitempty"`
		Assignee    string    `json:"assignee,omitempty"`
		Unreplied   bool      `json:"unreplied"`
		LastMessage time.Time `json:"lastMessageAt"`
	}
	out := struct {
		Conversations []row  `json:"conversations"`
		Next          string `json:"next,omitempty"`
	}{Conversations: []row{}, Next: next.String()}
	for _, e := range entries {
		name := e.Contact.Profile.DisplayName
		if name == "" {
			name = "(" + string(e.Contact.Peer.Kind) + " " + e.Contact.Peer.ID + ")" // the profile is not fetched yet
		}
		out.Conversations = append(out.Conversations, row{ID: e.Conversation.ID, Channel: e.Conversation.ChannelID,
			Contact: name, Linked: !e.Contact.Record.IsZero(), Record: e.Contact.Record.ID, Assignee: e.Conversation.Assignee,
			Unreplied: e.Conversation.Unreplied, LastMessage: e.Conversation.LastMessageAt})
	}
	writeJSON(w, out)
}

func (s *server) listMessages(w http.ResponseWriter, r *http.Request) {
	after, err := store.ParseCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	msgs, next, err := s.db.ListMessages(r.Context(), r.PathValue("id"), store.Page{After: after, Order: store.OldestFirst})
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	type row struct {
		ID        string              `json:"id"`
		Direction store.Direction     `json:"direction"`
		Kind      channel.EventKind   `json:"kind"`
		Author    string              `json:"author,omitempty"`
		Content   channel.Message     `json:"content"`
		Status    store.MessageStatus `json:"status"`
		Outcome   store.Outcome       `json:"outcome,omitempty"`
		Detail    string              `json:"detail,omitempty"`
		Billable  bool                `json:"billable,omitempty"`
		Unsent    bool                `json:"unsent,omitempty"`
		Time      time.Time           `json:"time"`
	}
	out := struct {
		Messages []row  `json:"messages"`
		Next     string `json:"next,omitempty"`
	}{Messages: []row{}, Next: next.String()}
	for _, m := range msgs {
		out.Messages = append(out.Messages, row{ID: m.ID, Direction: m.Direction, Kind: m.Kind, Author: m.Author,
			Content: m.Content, Status: m.Status, Outcome: m.Outcome, Detail: m.StatusDetail, Billable: m.Billable,
			Unsent: m.Unsent, Time: m.Time})
	}
	writeJSON(w, out)
}

// maxIdempotencyKey bounds the Idempotency-Key header of a reply.
const maxIdempotencyKey = 200

// reply sends an agent's reply. An Idempotency-Key header (a request ID of the client's) makes it safe to
// retry: a request with a key already used in this conversation sends nothing new and answers with the
// first request's parts, as they are now — across restarts.
func (s *server) reply(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxIdempotencyKey {
		writeError(w, http.StatusBadRequest, fmt.Errorf("the Idempotency-Key header is longer than %d bytes", maxIdempotencyKey))
		return
	}
	var in struct {
		Author      string                    `json:"author"`
		Text        string                    `json:"text"`
		TemplateID  string                    `json:"templateId"`
		Attachments []conversation.Attachment `json:"attachments"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, errors.New("the body must be JSON: {\"author\": …, \"text\": …}"))
		return
	}
	sent, err := s.svc.Reply(r.Context(), r.PathValue("id"), in.Author,
		conversation.Reply{Text: in.Text, TemplateID: in.TemplateID, Attachments: in.Attachments, IdempotencyKey: key})
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, err)
	case errors.Is(err, conversation.ErrReplyTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, err)
	case errors.Is(err, conversation.ErrOutsideReplyWindow), errors.Is(err, conversation.ErrUnfollowed),
		errors.Is(err, conversation.ErrChannelInactive), errors.Is(err, conversation.ErrEmptyReply):
		writeError(w, http.StatusConflict, err)
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
	default:
		parts := make([]map[string]any, len(sent.Parts))
		for i, p := range sent.Parts {
			parts[i] = map[string]any{"id": p.ID, "status": p.Status, "outcome": p.Outcome, "detail": p.StatusDetail, "billable": p.Billable}
		}
		writeJSON(w, map[string]any{"parts": parts})
	}
}

// channelInfo shows the connected account, its settings check and its quota (FEATURES F2, F3, F21).
func (s *server) channelInfo(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"id": s.ch.ID, "name": s.ch.Name, "kind": s.ch.Kind, "account": s.ch.Account, "active": s.ch.Active}
	if checks, err := channel.CheckSettings(r.Context(), s.adapter, channel.SettingsWant{}); err == nil {
		out["settings"] = checks
	}
	if q, err := channel.FetchQuota(r.Context(), s.adapter); err == nil {
		out["quota"] = map[string]any{"limited": q.Limited, "limit": q.Limit, "used": q.Used, "remaining": q.Remaining()}
	}
	writeJSON(w, out)
}

// demoCustomer plays a LINE user writing to the demo account: the fake LINE writes the webhook and signs
// it as LINE would, and it is delivered through the same handler real webhooks use.
func (s *server) demoCustomer(w http.ResponseWriter, r *http.Request) {
	var in struct{ User, Name, Text string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil || in.User == "" || in.Text == "" {
		writeError(w, http.StatusBadRequest, errors.New(`the body must be JSON: {"user": "U1", "name": "Hanako", "text": "…"}`))
		return
	}
	if in.Name != "" {
		s.demo.SetProfile(channel.Profile{UserID: in.User, DisplayName: in.Name})
	}
	body := s.demo.Webhook(linetest.Event{UserID: in.User, Text: in.Text})
	webhook, err := linetest.NewWebhookRequest(r.Context(), "/webhooks/"+s.ch.ID, demoSecret, body)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	s.webhook.ServeHTTP(w, webhook)
}

// demoSent shows what the demo account sent, as LINE delivered it.
func (s *server) demoSent(w http.ResponseWriter, _ *http.Request) {
	out := []map[string]any{}
	for _, d := range s.demo.Deliveries() {
		out = append(out, map[string]any{"to": d.To, "messages": d.Messages, "reply": d.Op == linetest.OpReply,
			"billable": d.Op == linetest.OpPush})
	}
	writeJSON(w, out)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
