package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// LinkContact implements store.Links.
func (h *handle) LinkContact(ctx context.Context, ch store.LinkChange) (store.Contact, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Contact{}, err
	}
	defer unlock()
	c, ok := h.st.contacts[ch.ContactID]
	if !ok {
		return store.Contact{}, fmt.Errorf("contact %s: %w", ch.ContactID, store.ErrNotFound)
	}
	if c.Record.Kind != ch.From.Kind || c.Record.ID != ch.From.ID {
		return store.Contact{}, fmt.Errorf("contact %s is no longer linked as expected: %w", ch.ContactID, store.ErrConflict)
	}
	now := h.now()
	c.Record, c.UpdatedAt, c.Version = ch.To, now, c.Version+1
	h.putContact(c)
	if convID, ok := h.st.convByPeer[peerKey{c.ChannelID, string(c.Peer.Kind), c.Peer.ID}]; ok {
		conv := h.st.convs[convID]
		conv.Record, conv.UpdatedAt, conv.Version = ch.To, now, conv.Version+1
		h.putConv(conv)
	}
	ch.ID, ch.At = id.New(), now
	put(h.tx, h.st.linkChanges, c.ID, append(h.st.linkChanges[c.ID], ch))
	return c, nil
}

// ListLinkChanges implements store.Links.
func (h *handle) ListLinkChanges(ctx context.Context, contactID string) ([]store.LinkChange, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return slices.Clone(h.st.linkChanges[contactID]), nil
}

// ListContactsByRecord implements store.Links. It reads the record's contacts from recordContacts.
func (h *handle) ListContactsByRecord(ctx context.Context, kind store.RecordKind, id string) ([]store.Contact, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return h.contactsByRecord(kind, id), nil
}

func (h *handle) contactsByRecord(kind store.RecordKind, id string) []store.Contact {
	var out []store.Contact
	for _, cid := range h.st.recordContacts[[2]string{string(kind), id}] {
		out = append(out, h.st.contacts[cid])
	}
	slices.SortFunc(out, func(a, b store.Contact) int { return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID)) })
	return out
}

// ListRecordMessages implements store.Links. It takes at most a page (and one more) from each of the
// record's contacts' conversations, so it costs the record's conversations and a page, not the table.
func (h *handle) ListRecordMessages(ctx context.Context, kind store.RecordKind, id string, p store.Page) ([]store.Message, store.Cursor, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	defer unlock()
	var out []store.Message
	for _, cid := range h.st.recordContacts[[2]string{string(kind), id}] {
		for _, convID := range h.st.convsByContact[cid] {
			out = append(out, h.messagesPast(convID, p)...)
		}
	}
	slices.SortFunc(out, func(a, b store.Message) int { return compareCursors(a.Cursor(), b.Cursor(), p.Order) })
	return page(out, p, store.Message.Cursor)
}
