package memstore

import (
	"context"
	"fmt"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// NextCursor implements store.Assignments.
func (h *handle) NextCursor(ctx context.Context, pool string) (int64, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	n := h.st.cursors[pool] + 1
	put(h.tx, h.st.cursors, pool, n)
	return n, nil
}

// AssignConversation implements store.Assignments.
func (h *handle) AssignConversation(ctx context.Context, a store.Assignment) (store.Conversation, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Conversation{}, err
	}
	defer unlock()
	c, ok := h.st.convs[a.ConversationID]
	if !ok {
		return store.Conversation{}, fmt.Errorf("conversation %s: %w", a.ConversationID, store.ErrNotFound)
	}
	if c.Assignee != a.From {
		return store.Conversation{}, fmt.Errorf("conversation %s is no longer assigned as expected: %w", a.ConversationID, store.ErrConflict)
	}
	now := h.now()
	c.Assignee, c.UpdatedAt, c.Version = a.To, now, c.Version+1
	h.putConv(c)
	a.ID, a.At = id.New(), now
	put(h.tx, h.st.assignments, c.ID, append(h.st.assignments[c.ID], a)) // append never changes what a journal saw
	if a.To != "" {
		put(h.tx, h.st.lastAssigned, a.To, now)
	}
	return c, nil
}

// ListAssignments implements store.Assignments.
func (h *handle) ListAssignments(ctx context.Context, conversationID string) ([]store.Assignment, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return append([]store.Assignment(nil), h.st.assignments[conversationID]...), nil
}

// UserLoads implements store.Assignments. It scans the conversations once.
func (h *handle) UserLoads(ctx context.Context, users []string) ([]store.UserLoad, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	open := make(map[string]int, len(users))
	for _, u := range users {
		open[u] = 0
	}
	for _, c := range h.st.convs {
		if n, ok := open[c.Assignee]; ok && c.Unreplied {
			open[c.Assignee] = n + 1
		}
	}
	out := make([]store.UserLoad, len(users))
	for i, u := range users {
		out[i] = store.UserLoad{User: u, Open: open[u], LastAssignedAt: h.st.lastAssigned[u]}
	}
	return out, nil
}
