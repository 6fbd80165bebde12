package memstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// ArchiveWebhook implements store.Webhooks.
func (h *handle) ArchiveWebhook(ctx context.Context, w store.Webhook) (store.Webhook, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Webhook{}, err
	}
	defer unlock()
	if _, ok := h.st.channels[w.ChannelID]; !ok {
		return store.Webhook{}, fmt.Errorf("webhook's channel %s: %w", w.ChannelID, store.ErrNotFound)
	}
	if w.ID == "" {
		w.ID = id.New()
	}
	if _, ok := h.st.webhooks[w.ID]; ok {
		return store.Webhook{}, fmt.Errorf("webhook %s: %w", w.ID, store.ErrAlreadyExists)
	}
	w.ReceivedAt, w.ExpiresAt = norm(w.ReceivedAt), norm(w.ExpiresAt)
	if w.ReceivedAt.IsZero() {
		w.ReceivedAt = h.now()
	}
	w.Body = bytes.Clone(w.Body)
	put(h.tx, h.st.webhooks, w.ID, w)
	return cloneWebhook(w), nil
}

// ListWebhooks implements store.Webhooks. It scans the archive.
func (h *handle) ListWebhooks(ctx context.Context, channelID string, from, to time.Time, p store.Page) ([]store.Webhook, store.Cursor, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	defer unlock()
	from, to = norm(from), norm(to)
	var out []store.Webhook
	for _, w := range h.st.webhooks {
		if w.ChannelID == channelID && !w.ReceivedAt.Before(from) && (to.IsZero() || w.ReceivedAt.Before(to)) &&
			w.Cursor().Past(p.After, p.Order) {
			out = append(out, cloneWebhook(w))
		}
	}
	slices.SortFunc(out, func(a, b store.Webhook) int { return compareCursors(a.Cursor(), b.Cursor(), p.Order) })
	return page(out, p, store.Webhook.Cursor)
}

// DeleteExpiredWebhooks implements store.Webhooks.
func (h *handle) DeleteExpiredWebhooks(ctx context.Context, limit int) (int, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	now := h.now()
	n := 0
	for id, w := range h.st.webhooks {
		if n >= limit {
			break
		}
		if !w.ExpiresAt.IsZero() && !w.ExpiresAt.After(now) {
			del(h.tx, h.st.webhooks, id)
			n++
		}
	}
	return n, nil
}

func cloneWebhook(w store.Webhook) store.Webhook {
	w.Body = bytes.Clone(w.Body)
	return w
}
