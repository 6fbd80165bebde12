package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/store"
)

// server is the example's HTTP API.
type server struct {
	db    store.Store
	svc   *conversation.Service
	conn  *connect.Service
	hooks http.Handler // every channel's webhooks, routed by channel ID
	demo  *demoAPIs    // the fakes of demo mode; nil otherwise
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	// POSTs carry events; a GET is a channel checking the URL (Meta's verification handshake).
	mux.Handle("/webhooks/{channel}", s.hooks)
	mux.HandleFunc("GET /api/conversations", s.listConversations)
	mux.HandleFunc("GET /api/conversations/{id}/messages", s.listMessages)
	mux.HandleFunc("POST /api/conversations/{id}/reply", s.reply)
	mux.HandleFunc("GET /api/channels", s.listChannels)
	mux.HandleFunc("GET /api/channels/{id}/qr.svg", s.channelQR)
	if s.demo != nil {
		mux.HandleFunc("POST /demo/customer", s.demoCustomer)
		mux.HandleFunc("POST /demo/receipt", s.demoReceipt)
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
	channels, err := s.channelsByID(r)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	type row struct {
		ID          string    `json:"id"`
		Channel     string    `json:"channel"`
		ChannelKind string    `json:"channelKind"` // which messenger: "line", "whatsapp"
		ChannelName string    `json:"channelName"` // which account
		Contact     string    `json:"contact"`
		Preview     string    `json:"preview,omitempty"`
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
		ch := channels[e.Conversation.ChannelID]
		out.Conversations = append(out.Conversations, row{ID: e.Conversation.ID, Channel: e.Conversation.ChannelID,
			ChannelKind: ch.Kind, ChannelName: ch.Name, Contact: name, Preview: e.Conversation.Preview, Linked: !e.Contact.Record.IsZero(), Record: e.Contact.Record.ID, Assignee: e.Conversation.Assignee,
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
		// Template is a message template the channel approved (WhatsApp): what may be sent once the
		// customer service window has closed.
		Template *channel.Template `json:"template"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, errors.New("the body must be JSON: {\"author\": …, \"text\": …}"))
		return
	}
	reply := conversation.Reply{Text: in.Text, TemplateID: in.TemplateID, Attachments: in.Attachments, IdempotencyKey: key}
	if in.Template != nil {
		reply.Messages = []channel.Message{{Type: channel.TypeTemplate, Template: in.Template}}
	}
	sent, err := s.svc.Reply(r.Context(), r.PathValue("id"), in.Author, reply)
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
			parts[i] = map[string]any{"id": p.ID, "status": p.Status, "outcome": p.Outcome, "detail": p.StatusDetail, "billable": p.Billable,
				"channelMessageId": p.ChannelMessageID}
		}
		writeJSON(w, map[string]any{"parts": parts})
	}
}

// channelsByID returns every channel (credentials masked) by ID.
func (s *server) channelsByID(r *http.Request) (map[string]store.Channel, error) {
	all, err := s.conn.List(r.Context())
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.Channel, len(all))
	for _, ch := range all {
		out[ch.ID] = ch
	}
	return out, nil
}

// listChannels shows every connected channel: its account, its settings checklist as last checked, its
// quota, and its entry points (FEATURES F2, F3, F21, F23). Credentials are never shown.
func (s *server) listChannels(w http.ResponseWriter, r *http.Request) {
	all, err := s.conn.List(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	out := []map[string]any{}
	for _, ch := range all {
		c := map[string]any{"id": ch.ID, "name": ch.Name, "kind": ch.Kind, "account": ch.Account, "active": ch.Active,
			"disconnected": !ch.DisconnectedAt.IsZero()}
		if h, err := s.conn.Health(r.Context(), ch.ID); err == nil {
			c["settings"], c["checkedAt"], c["signatureFailures"] = h.Checks, h.CheckedAt, h.SignatureFailures
		}
		if q, err := s.conn.Quota(r.Context(), ch.ID); err == nil {
			quota := map[string]any{"billable": q.Sent.Billable, "free": q.Sent.Free, "since": q.Since}
			if q.ChannelErr == nil {
				quota["limited"], quota["limit"], quota["used"], quota["remaining"] = q.Channel.Limited, q.Channel.Limit, q.Channel.Used, q.Channel.Remaining()
			}
			c["quota"] = quota
		}
		if e, err := s.conn.EntryPoints(r.Context(), ch.ID); err == nil {
			c["entry"] = map[string]any{"url": e.URL, "button": e.ButtonHTML, "qr": "/api/channels/" + ch.ID + "/qr.svg"}
		}
		out = append(out, c)
	}
	writeJSON(w, out)
}

// channelQR serves a QR code of the channel's entry link, to print on a flyer (FEATURES F23).
func (s *server) channelQR(w http.ResponseWriter, r *http.Request) {
	e, err := s.conn.EntryPoints(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, err)
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
	default:
		w.Header().Set("Content-Type", "image/svg+xml")
		_, _ = w.Write(e.QRSVG)
	}
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
