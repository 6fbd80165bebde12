package memstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// CreateChannel implements store.Channels.
func (h *handle) CreateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Channel{}, err
	}
	defer unlock()
	if c.ID == "" {
		c.ID = id.New()
	}
	if _, ok := h.st.channels[c.ID]; ok {
		return store.Channel{}, fmt.Errorf("channel %s: %w", c.ID, store.ErrAlreadyExists)
	}
	ext := [2]string{c.Kind, c.ExternalID}
	if _, ok := h.st.channelByExt[ext]; ok && c.ExternalID != "" {
		return store.Channel{}, fmt.Errorf("channel %s account %s: %w", c.Kind, c.ExternalID, store.ErrAlreadyExists)
	}
	c.CreatedAt, c.UpdatedAt, c.Version = h.now(), h.now(), 1
	c = cloneChannel(c)
	put(h.tx, h.st.channels, c.ID, c)
	if c.ExternalID != "" {
		put(h.tx, h.st.channelByExt, ext, c.ID)
	}
	return cloneChannel(c), nil
}

// GetChannel implements store.Channels.
func (h *handle) GetChannel(ctx context.Context, id string) (store.Channel, error) {
	v, err := lookup(ctx, h, h.st.channels, "channel", id)
	return cloneChannel(v), err
}

// UpdateChannel implements store.Channels.
func (h *handle) UpdateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Channel{}, err
	}
	defer unlock()
	old, err := versioned(h.st.channels, "channel", c.ID, c.Version, func(x store.Channel) int64 { return x.Version })
	if err != nil {
		return store.Channel{}, err
	}
	oldExt, newExt := [2]string{old.Kind, old.ExternalID}, [2]string{c.Kind, c.ExternalID}
	if newExt != oldExt && c.ExternalID != "" {
		if _, taken := h.st.channelByExt[newExt]; taken {
			return store.Channel{}, fmt.Errorf("channel %s account %s: %w", c.Kind, c.ExternalID, store.ErrAlreadyExists)
		}
	}
	c.CreatedAt, c.UpdatedAt, c.Version = old.CreatedAt, h.now(), old.Version+1
	c = cloneChannel(c)
	if newExt != oldExt {
		del(h.tx, h.st.channelByExt, oldExt)
		if c.ExternalID != "" {
			put(h.tx, h.st.channelByExt, newExt, c.ID)
		}
	}
	put(h.tx, h.st.channels, c.ID, c)
	return cloneChannel(c), nil
}

// ListChannels implements store.Channels.
func (h *handle) ListChannels(ctx context.Context) ([]store.Channel, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := make([]store.Channel, 0, len(h.st.channels))
	for _, c := range h.st.channels {
		out = append(out, cloneChannel(c))
	}
	slices.SortFunc(out, func(a, b store.Channel) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// cloneChannel copies c deeply enough that neither the caller nor the store can change the other's copy.
func cloneChannel(c store.Channel) store.Channel {
	c.Credentials = maps.Clone(c.Credentials)
	c.Assignment.PoolIDs = slices.Clone(c.Assignment.PoolIDs)
	c.Health.Checks = slices.Clone(c.Health.Checks)
	c.Health.CheckedAt, c.Health.QuotaExceededAt = norm(c.Health.CheckedAt), norm(c.Health.QuotaExceededAt)
	c.DisconnectedAt = norm(c.DisconnectedAt)
	return c
}

// DeleteChannel implements store.Channels.
func (h *handle) DeleteChannel(ctx context.Context, id string) error {
	unlock, err := h.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	ch, ok := h.st.channels[id]
	if !ok {
		return fmt.Errorf("channel %s: %w", id, store.ErrNotFound)
	}
	for cid, c := range h.st.convs {
		if c.ChannelID != id {
			continue
		}
		for _, mid := range h.st.msgsByConv[cid] {
			m := h.st.messages[mid]
			if m.ChannelMessageID != "" {
				del(h.tx, h.st.msgByChannel, [2]string{id, m.ChannelMessageID})
			}
			del(h.tx, h.st.messages, mid)
		}
		del(h.tx, h.st.msgsByConv, cid)
		del(h.tx, h.st.assignments, cid)
		for k := range h.st.notifications {
			if k[0] == cid {
				del(h.tx, h.st.notifications, k)
			}
		}
		h.deleteNotificationsOf(cid)
		del(h.tx, h.st.convByPeer, peerKey{id, string(c.Peer.Kind), c.Peer.ID})
		h.delConv(cid)
	}
	for kid, k := range h.st.contacts {
		if k.ChannelID == id {
			del(h.tx, h.st.linkChanges, kid)
			del(h.tx, h.st.contactByPeer, peerKey{id, string(k.Peer.Kind), k.Peer.ID})
			h.delContact(kid)
		}
	}
	for _, e := range h.st.channelEvents[id] {
		del(h.tx, h.st.channelEventByID, [2]string{id, e.Event.ID})
	}
	del(h.tx, h.st.channelEvents, id)
	for wid, w := range h.st.webhooks {
		if w.ChannelID == id {
			del(h.tx, h.st.webhooks, wid)
		}
	}
	if ch.ExternalID != "" {
		del(h.tx, h.st.channelByExt, [2]string{ch.Kind, ch.ExternalID})
	}
	del(h.tx, h.st.channels, id)
	return nil
}
