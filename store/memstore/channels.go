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
	return c
}
