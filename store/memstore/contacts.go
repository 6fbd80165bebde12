package memstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

var errNoPeer = errors.New("memstore: peer kind and ID are required")

// FindOrCreateContact implements store.Contacts.
func (h *handle) FindOrCreateContact(ctx context.Context, c store.Contact) (store.Contact, bool, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Contact{}, false, err
	}
	defer unlock()
	if c.Peer.Kind == "" || c.Peer.ID == "" {
		return store.Contact{}, false, errNoPeer
	}
	key := peerKey{c.ChannelID, string(c.Peer.Kind), c.Peer.ID}
	if existing, ok := h.st.contactByPeer[key]; ok {
		return h.st.contacts[existing], false, nil
	}
	if _, ok := h.st.channels[c.ChannelID]; !ok {
		return store.Contact{}, false, fmt.Errorf("contact's channel %s: %w", c.ChannelID, store.ErrNotFound)
	}
	if c.ID == "" {
		c.ID = id.New()
	}
	if _, ok := h.st.contacts[c.ID]; ok {
		return store.Contact{}, false, fmt.Errorf("contact %s: %w", c.ID, store.ErrAlreadyExists)
	}
	c.Peer = c.Peer.Chat()
	c.FollowChangedAt = norm(c.FollowChangedAt)
	c.CreatedAt, c.UpdatedAt, c.Version = h.now(), h.now(), 1
	h.putContact(c)
	put(h.tx, h.st.contactByPeer, key, c.ID)
	return c, true, nil
}

// GetContact implements store.Contacts.
func (h *handle) GetContact(ctx context.Context, id string) (store.Contact, error) {
	return lookup(ctx, h, h.st.contacts, "contact", id)
}

// UpdateContact implements store.Contacts.
func (h *handle) UpdateContact(ctx context.Context, c store.Contact) (store.Contact, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Contact{}, err
	}
	defer unlock()
	old, err := versioned(h.st.contacts, "contact", c.ID, c.Version, func(x store.Contact) int64 { return x.Version })
	if err != nil {
		return store.Contact{}, err
	}
	c.ChannelID, c.Peer, c.Record = old.ChannelID, old.Peer, old.Record
	c.FollowChangedAt = norm(c.FollowChangedAt)
	c.CreatedAt, c.UpdatedAt, c.Version = old.CreatedAt, h.now(), old.Version+1
	h.putContact(c)
	return c, nil
}
