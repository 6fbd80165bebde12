package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// EnqueueOutbox implements store.Outbox.
func (h *handle) EnqueueOutbox(ctx context.Context, item store.OutboxItem) (store.OutboxItem, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.OutboxItem{}, err
	}
	defer unlock()
	if item.ID == "" {
		item.ID = id.New()
	}
	if _, ok := h.st.outbox[item.ID]; ok {
		return store.OutboxItem{}, fmt.Errorf("outbox item %s: %w", item.ID, store.ErrAlreadyExists)
	}
	now := h.now()
	item.Status, item.Lease, item.LeaseUntil = store.OutboxPending, "", time.Time{}
	item.NextAttemptAt = norm(item.NextAttemptAt)
	if item.NextAttemptAt.IsZero() {
		item.NextAttemptAt = now
	}
	item.CreatedAt, item.UpdatedAt = now, now
	item.MessageIDs = slices.Clone(item.MessageIDs)
	put(h.tx, h.st.outbox, item.ID, item)
	return cloneItem(item), nil
}

// GetOutbox implements store.Outbox.
func (h *handle) GetOutbox(ctx context.Context, id string) (store.OutboxItem, error) {
	v, err := lookup(ctx, h, h.st.outbox, "outbox item", id)
	return cloneItem(v), err
}

// ClaimOutbox implements store.Outbox. It scans the pending items.
func (h *handle) ClaimOutbox(ctx context.Context, limit int, lease time.Duration) ([]store.OutboxItem, error) {
	if limit <= 0 || lease <= 0 {
		return nil, errors.New("memstore: ClaimOutbox needs a positive limit and lease")
	}
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	now := h.now()
	var due []store.OutboxItem
	for _, it := range h.st.outbox {
		if it.Status == store.OutboxPending && !it.NextAttemptAt.After(now) && !it.LeaseUntil.After(now) {
			due = append(due, it)
		}
	}
	slices.SortFunc(due, func(a, b store.OutboxItem) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	if len(due) > limit {
		due = due[:limit]
	}
	for i := range due {
		due[i].Lease, due[i].LeaseUntil = id.New(), now.Add(lease)
		due[i].Attempts++
		due[i].UpdatedAt = now
		put(h.tx, h.st.outbox, due[i].ID, due[i])
		due[i] = cloneItem(due[i])
	}
	return due, nil
}

// CompleteOutbox implements store.Outbox.
func (h *handle) CompleteOutbox(ctx context.Context, id, lease string) error {
	return h.release(ctx, id, lease, func(it *store.OutboxItem) { it.Status = store.OutboxDone })
}

// RetryOutbox implements store.Outbox.
func (h *handle) RetryOutbox(ctx context.Context, id, lease string, at time.Time, reason string) error {
	return h.release(ctx, id, lease, func(it *store.OutboxItem) {
		it.NextAttemptAt, it.LastError = norm(at), reason
	})
}

// FailOutbox implements store.Outbox.
func (h *handle) FailOutbox(ctx context.Context, id, lease, reason string) error {
	return h.release(ctx, id, lease, func(it *store.OutboxItem) {
		it.Status, it.LastError = store.OutboxFailed, reason
	})
}

// release ends the claim lease on item id after applying change, if the claim is still held.
func (h *handle) release(ctx context.Context, id, lease string, change func(*store.OutboxItem)) error {
	unlock, err := h.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	it, ok := h.st.outbox[id]
	if !ok {
		return fmt.Errorf("outbox item %s: %w", id, store.ErrNotFound)
	}
	now := h.now()
	if it.Status != store.OutboxPending || lease == "" || it.Lease != lease || !it.LeaseUntil.After(now) {
		return fmt.Errorf("outbox item %s: lease not held: %w", id, store.ErrConflict)
	}
	change(&it)
	it.Lease, it.LeaseUntil, it.UpdatedAt = "", time.Time{}, now
	put(h.tx, h.st.outbox, id, it)
	return nil
}

func cloneItem(it store.OutboxItem) store.OutboxItem {
	it.MessageIDs = slices.Clone(it.MessageIDs)
	return it
}
