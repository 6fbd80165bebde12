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
	put(h.tx, h.st.contacts, c.ID, c)
	if convID, ok := h.st.convByPeer[peerKey{c.ChannelID, string(c.Peer.Kind), c.Peer.ID}]; ok {
		conv := h.st.convs[convID]
		conv.Record, conv.UpdatedAt, conv.Version = ch.To, now, conv.Version+1
		put(h.tx, h.st.convs, convID, conv)
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

// ListContactsByRecord implements store.Links. It scans the contacts.
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
	for _, c := range h.st.contacts {
		if c.Record.Kind == kind && c.Record.ID == id && id != "" {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b store.Contact) int { return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID)) })
	return out
}

// ListRecordMessages implements store.Links.
func (h *handle) ListRecordMessages(ctx context.Context, kind store.RecordKind, id string, p store.Page) ([]store.Message, store.Cursor, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	defer unlock()
	contacts := map[string]bool{}
	for _, c := range h.contactsByRecord(kind, id) {
		contacts[c.ID] = true
	}
	var out []store.Message
	for _, conv := range h.st.convs {
		if !contacts[conv.ContactID] {
			continue
		}
		for _, mid := range h.st.msgsByConv[conv.ID] {
			if m := h.st.messages[mid]; m.Cursor().Past(p.After, p.Order) {
				out = append(out, cloneMessage(m))
			}
		}
	}
	slices.SortFunc(out, func(a, b store.Message) int { return compareCursors(a.Cursor(), b.Cursor(), p.Order) })
	return page(out, p, store.Message.Cursor)
}
