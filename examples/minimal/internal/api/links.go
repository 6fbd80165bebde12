package api

import (
	"net/http"
	"time"

	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
)

// crmRecord is a CRM record as the link dialog shows it.
type crmRecord struct {
	Kind  store.RecordKind `json:"kind"`
	ID    string           `json:"id"`
	Name  string           `json:"name"`
	Owner string           `json:"owner,omitempty"`
	Match string           `json:"match,omitempty"` // how a suggestion's name matches the contact's
}

func recordOf(r linking.Record) crmRecord {
	return crmRecord{Kind: r.Kind, ID: r.ID, Name: r.DisplayName, Owner: r.Owner}
}

// contactOf reads the contact of conversation id.
func (a *API) contactOf(r *http.Request) (store.Contact, error) {
	c, err := a.d.Store.GetConversation(r.Context(), r.PathValue("id"))
	if err != nil {
		return store.Contact{}, err
	}
	return a.d.Store.GetContact(r.Context(), c.ContactID)
}

// suggestions ranks candidate records for the conversation's unlinked contact (the [+] dialog); ?q=
// searches the CRM for what the agent typed instead.
func (a *API) suggestions(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	k, err := a.contactOf(r)
	if err != nil {
		return err
	}
	out := []crmRecord{}
	if q := r.URL.Query().Get("q"); q != "" {
		found, err := a.d.Records.Search(r.Context(), linking.Query{Name: q, Limit: 20})
		if err != nil {
			return err
		}
		for _, s := range linking.Rank(q, found) {
			c := recordOf(s.Record)
			c.Match = s.Match.String()
			out = append(out, c)
		}
		return ok(w, map[string]any{"records": out})
	}
	sugg, err := linking.Suggest(r.Context(), a.d.Records, k, 0)
	if err != nil {
		return err
	}
	for _, s := range sugg {
		c := recordOf(s.Record)
		c.Match = s.Match.String()
		out = append(out, c)
	}
	return ok(w, map[string]any{"records": out})
}

// link links the conversation's contact to a record, or creates one from the profile ("create": true),
// owned by the signed-in user.
func (a *API) link(w http.ResponseWriter, r *http.Request, me auth.User) error {
	var in struct {
		Kind     store.RecordKind `json:"kind"`
		RecordID string           `json:"recordId"`
		Create   bool             `json:"create"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Kind != store.RecordLead && in.Kind != store.RecordContact {
		return badRequest("kind: lead or contact")
	}
	if in.Create == (in.RecordID != "") {
		return badRequest("give either recordId or create: true")
	}
	k, err := a.contactOf(r)
	if err != nil {
		return err
	}
	if in.Create {
		_, _, err = a.d.Linker.CreateAndLink(r.Context(), k.ID, in.Kind, me.ID, me.ID)
	} else {
		_, err = a.d.Linker.Link(r.Context(), k.ID, in.Kind, in.RecordID, me.ID)
	}
	if err != nil {
		return err
	}
	return a.getConversation(w, r, me)
}

// unlink removes the link of the conversation's contact.
func (a *API) unlink(w http.ResponseWriter, r *http.Request, me auth.User) error {
	if err := noBody(w, r); err != nil {
		return err
	}
	k, err := a.contactOf(r)
	if err != nil {
		return err
	}
	if _, err := a.d.Linker.Unlink(r.Context(), k.ID, me.ID); err != nil {
		return err
	}
	return a.getConversation(w, r, me)
}

// linkHistory lists the link changes of the conversation's contact, oldest first.
func (a *API) linkHistory(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	k, err := a.contactOf(r)
	if err != nil {
		return err
	}
	changes, err := a.d.Linker.History(r.Context(), k.ID)
	if err != nil {
		return err
	}
	type change struct {
		ID     string           `json:"id"`
		From   *record          `json:"from"`
		To     *record          `json:"to"`
		By     string           `json:"by,omitempty"`
		Reason store.LinkReason `json:"reason"`
		At     time.Time        `json:"at"`
	}
	ref := func(r store.RecordRef) *record {
		if r.IsZero() {
			return nil
		}
		return &record{Kind: r.Kind, ID: r.ID, Name: r.Name, Owner: r.Owner}
	}
	out := []change{}
	for _, c := range changes {
		out = append(out, change{ID: c.ID, From: ref(c.From), To: ref(c.To), By: c.By, Reason: c.Reason, At: c.At})
	}
	return ok(w, map[string]any{"changes": out})
}

// timeline answers a record's messages across every contact and channel linked to it, newest first.
func (a *API) timeline(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	kind := store.RecordKind(r.PathValue("kind"))
	if kind != store.RecordLead && kind != store.RecordContact {
		return notFound("record")
	}
	rec, err := a.d.Records.Get(r.Context(), kind, r.PathValue("rid"))
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	msgs, next, err := a.d.Linker.Timeline(r.Context(), kind, rec.ID, p)
	if err != nil {
		return err
	}
	type entry struct {
		message
		ConversationID string `json:"conversationId"`
		ChannelID      string `json:"channelId"`
	}
	out := struct {
		Record   crmRecord `json:"record"`
		Messages []entry   `json:"messages"`
		Next     string    `json:"next,omitempty"`
	}{Record: recordOf(rec), Messages: make([]entry, 0, len(msgs)), Next: next.String()}
	for _, m := range msgs {
		e := entry{message: a.messageOf(m), ConversationID: m.ConversationID, ChannelID: m.ChannelID}
		if !m.Unsent {
			if e.Media, err = a.mediaOf(r.Context(), m); err != nil {
				return err
			}
		}
		out.Messages = append(out.Messages, e)
	}
	return ok(w, out)
}
