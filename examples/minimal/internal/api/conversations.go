package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
	"github.com/msgkit/msgkit/store"
)

// maxIdempotencyKey bounds the Idempotency-Key header of a reply.
const maxIdempotencyKey = 200

// row is an inbox row as the API shows it.
type row struct {
	ID      string `json:"id"`
	Channel struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"channel"`
	Contact struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		PictureURL string `json:"pictureUrl,omitempty"`
		Pending    bool   `json:"pending,omitempty"`
	} `json:"contact"`
	Record        *record      `json:"record"` // null: unregistered (the [+] of the inbox)
	Assignee      string       `json:"assignee,omitempty"`
	Unreplied     bool         `json:"unreplied"`
	Preview       string       `json:"preview"`
	LastMessageAt time.Time    `json:"lastMessageAt"`
	Reply         replyWindow  `json:"reply"`
	Notification  *notifyState `json:"notification,omitempty"`
	Cursor        string       `json:"cursor"`
}

type record struct {
	Kind  store.RecordKind `json:"kind"`
	ID    string           `json:"id"`
	Name  string           `json:"name,omitempty"`
	Owner string           `json:"owner,omitempty"`
}

type replyWindow struct {
	Allowed       bool       `json:"allowed"`
	Until         *time.Time `json:"until,omitempty"`
	TemplatesOnly bool       `json:"templatesOnly,omitempty"`
}

type notifyState struct {
	SnoozedUntil        *time.Time `json:"snoozedUntil,omitempty"`
	UntilCustomerWrites bool       `json:"untilCustomerWrites,omitempty"`
	Ignored             bool       `json:"ignored,omitempty"`
}

func rowOf(r conversation.InboxRow) row {
	out := row{ID: r.ConversationID, Assignee: r.Assignee, Unreplied: r.Unreplied, Preview: r.Preview,
		LastMessageAt: r.LastMessageAt, Cursor: r.Cursor.String()}
	out.Channel.ID, out.Channel.Kind, out.Channel.Name = r.Channel.ID, r.Channel.Kind, r.Channel.Name
	out.Contact.ID, out.Contact.Name, out.Contact.PictureURL, out.Contact.Pending = r.Contact.ID, r.Contact.Name,
		r.Contact.PictureURL, r.Contact.Pending
	if !r.Record.IsZero() {
		out.Record = &record{Kind: r.Record.Kind, ID: r.Record.ID, Name: r.Record.Name, Owner: r.Record.Owner}
	}
	out.Reply = replyWindow{Allowed: r.Reply.Allowed, TemplatesOnly: r.Reply.TemplatesOnly, Until: timePtr(r.Reply.Until)}
	if n := r.Notification; n != nil {
		st := stateOf(*n)
		out.Notification = &st
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// page reads ?cursor= and ?limit=.
func page(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	after, err := store.ParseCursor(q.Get("cursor"))
	if err != nil {
		return store.Page{}, badRequest("cursor: not a cursor this API gave")
	}
	p := store.Page{After: after}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxLimit {
			return store.Page{}, badRequest("limit: a number from 1 to %d", store.MaxLimit)
		}
		p.Limit = n
	}
	switch q.Get("order") {
	case "", "newest":
	case "oldest":
		p.Order = store.OldestFirst
	default:
		return store.Page{}, badRequest("order: newest or oldest")
	}
	return p, nil
}

// views answers the standard views with the signed-in user's counts (the badges).
func (a *API) views(w http.ResponseWriter, r *http.Request, me auth.User) error {
	counts, err := a.d.Service.ViewCounts(r.Context(), me.ID, me.Location(), r.URL.Query().Get("channel"), 0)
	if err != nil {
		return err
	}
	type view struct {
		Name  conversation.ViewName `json:"name"`
		Count int                   `json:"count"`
		More  bool                  `json:"more,omitempty"` // the count stopped at its limit
	}
	out := []view{}
	for _, name := range conversation.StandardViews() {
		out = append(out, view{Name: name, Count: counts[name], More: counts[name] >= conversation.DefaultCountLimit})
	}
	return ok(w, map[string]any{"views": out})
}

// listConversations answers one page of ?view= (default all) for the signed-in user, in their time zone.
func (a *API) listConversations(w http.ResponseWriter, r *http.Request, me auth.User) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	name := conversation.ViewName(q.Get("view"))
	if name == "" {
		name = conversation.ViewAll
	}
	rows, next, err := a.d.Service.View(r.Context(), conversation.ViewQuery{View: name, User: me.ID, Location: me.Location(),
		ChannelID: q.Get("channel"), Page: p})
	if err != nil {
		return err
	}
	out := struct {
		Conversations []row  `json:"conversations"`
		Next          string `json:"next,omitempty"`
	}{Conversations: make([]row, 0, len(rows)), Next: next.String()}
	for _, r := range rows {
		out.Conversations = append(out.Conversations, rowOf(r))
	}
	return ok(w, out)
}

func (a *API) getConversation(w http.ResponseWriter, r *http.Request, me auth.User) error {
	ir, err := a.d.Service.Row(r.Context(), r.PathValue("id"), me.ID)
	if err != nil {
		return err
	}
	c, err := a.d.Store.GetConversation(r.Context(), ir.ConversationID)
	if err != nil {
		return err
	}
	out := struct {
		row
		// Peer is whom the conversation is with: a user, or a group or room whose inbound messages' author
		// is the member who wrote.
		Peer peer `json:"peer"`
	}{rowOf(ir), peer{Kind: string(c.Peer.Kind), ID: c.Peer.ID}}
	return ok(w, out)
}

// peer is a conversation's peer as the API shows it.
type peer struct {
	Kind string `json:"kind"` // user, group, room
	ID   string `json:"id"`
}

// message is a thread entry as the API shows it.
type message struct {
	ID        string              `json:"id"`
	Direction store.Direction     `json:"direction"`
	Kind      channel.EventKind   `json:"kind"`
	Author    string              `json:"author,omitempty"`
	Content   *channel.Message    `json:"content,omitempty"` // absent once the sender unsent it
	Status    store.MessageStatus `json:"status"`
	Outcome   store.Outcome       `json:"outcome,omitempty"`
	Detail    string              `json:"detail,omitempty"`
	Billable  bool                `json:"billable,omitempty"`
	Unsent    bool                `json:"unsent,omitempty"`
	Time      time.Time           `json:"time"`
	// Media is msgkit's copy of an inbound message's image, video, audio or file.
	Media *media `json:"media,omitempty"`
}

func (a *API) messageOf(m store.Message) message {
	out := message{ID: m.ID, Direction: m.Direction, Kind: m.Kind, Author: m.Author, Status: m.Status, Outcome: m.Outcome,
		Detail: m.StatusDetail, Billable: m.Billable, Unsent: m.Unsent, Time: m.Time}
	if !m.Unsent && m.Kind == channel.EventMessage {
		c := m.Content
		if c.Media != nil {
			md := *c.Media
			md.URL, md.PreviewURL = a.d.InboxURL(md.URL), a.d.InboxURL(md.PreviewURL)
			c.Media = &md
		}
		if c.Link != nil {
			l := *c.Link
			l.URL = a.d.InboxURL(l.URL)
			c.Link = &l
		}
		out.Content = &c
	}
	return out
}

// messages answers the thread, oldest first unless ?order=newest.
func (a *API) messages(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	id := r.PathValue("id")
	if _, err := a.d.Store.GetConversation(r.Context(), id); err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("order") == "" {
		p.Order = store.OldestFirst
	}
	msgs, next, err := a.d.Store.ListMessages(r.Context(), id, p)
	if err != nil {
		return err
	}
	out := struct {
		Messages []message `json:"messages"`
		Next     string    `json:"next,omitempty"`
	}{Messages: make([]message, 0, len(msgs)), Next: next.String()}
	for _, m := range msgs {
		mm := a.messageOf(m)
		if !m.Unsent {
			if mm.Media, err = a.mediaOf(r.Context(), m); err != nil {
				return err
			}
		}
		out.Messages = append(out.Messages, mm)
	}
	return ok(w, out)
}

// reply sends the signed-in user's reply. An Idempotency-Key header (a request ID of the client's) makes
// it safe to retry: a key already used in this conversation sends nothing new and answers with the first
// request's parts, as they are now — across restarts.
func (a *API) reply(w http.ResponseWriter, r *http.Request, me auth.User) error {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxIdempotencyKey {
		return badRequest("the Idempotency-Key header is longer than %d bytes", maxIdempotencyKey)
	}
	var in struct {
		Text        string       `json:"text"`
		TemplateID  string       `json:"templateId"`
		Attachments []attachment `json:"attachments"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	rep := conversation.Reply{Text: in.Text, TemplateID: in.TemplateID, IdempotencyKey: key}
	for _, at := range in.Attachments {
		rep.Attachments = append(rep.Attachments, conversation.Attachment{Source: at.Source, Ref: at.Ref, URL: at.URL,
			PreviewURL: at.PreviewURL, Name: at.Name, ContentType: at.ContentType, Size: at.Size})
	}
	sent, err := a.d.Service.Reply(r.Context(), r.PathValue("id"), me.ID, rep)
	if err != nil {
		return err
	}
	parts := make([]message, len(sent.Parts))
	for i, p := range sent.Parts {
		parts[i] = a.messageOf(p)
	}
	return ok(w, map[string]any{"parts": parts})
}

// attachment is a reply's attachment as a client names it: by source and reference (an upload, a CRM
// file, a drive file), or by URL.
type attachment struct {
	Source      string `json:"source,omitempty"`
	Ref         string `json:"ref,omitempty"`
	URL         string `json:"url,omitempty"`
	PreviewURL  string `json:"previewUrl,omitempty"`
	Name        string `json:"name,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Size        int64  `json:"size,omitempty"`
}

// assign gives the conversation to a user (or, with "to": "", to nobody).
func (a *API) assign(w http.ResponseWriter, r *http.Request, me auth.User) error {
	var in struct {
		To string `json:"to"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if _, known := a.d.Auth.Users().Get(in.To); in.To != "" && !known {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "unknown_user", Message: fmt.Sprintf("no user %q", in.To)}
	}
	c, err := a.d.Assign(r.Context(), r.PathValue("id"), in.To, me.ID)
	if err != nil {
		return err
	}
	row, err := a.d.Service.Row(r.Context(), c.ID, me.ID)
	if err != nil {
		return err
	}
	return ok(w, rowOf(row))
}

// users lists who conversations can be assigned to.
func (a *API) users(w http.ResponseWriter, _ *http.Request, _ auth.User) error {
	type user struct {
		ID    string   `json:"id"`
		Name  string   `json:"name"`
		Admin bool     `json:"admin,omitempty"`
		Roles []string `json:"roles,omitempty"`
	}
	out := []user{}
	for _, u := range a.d.Auth.Users().List() {
		out = append(out, user{ID: u.ID, Name: u.Name, Admin: u.Admin, Roles: u.Roles})
	}
	return ok(w, map[string]any{"users": out})
}

// me is the signed-in user.
func (a *API) me(w http.ResponseWriter, r *http.Request, me auth.User) error {
	id, _ := auth.From(r.Context())
	return ok(w, map[string]any{"id": me.ID, "name": me.Name, "admin": me.Admin, "roles": me.Roles,
		"timeZone": me.Location().String(), "csrf": id.CSRF})
}
