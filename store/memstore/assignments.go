package memstore

import "context"

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
