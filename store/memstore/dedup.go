package memstore

import (
	"context"
	"errors"
	"time"
)

// FirstSeen implements store.Dedup. Expired keys are swept whenever the map has doubled since the last
// sweep, so memory stays proportional to the live keys.
func (h *handle) FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, errors.New("memstore: FirstSeen needs a positive ttl")
	}
	unlock, err := h.lock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	now := h.now()
	if exp, ok := h.st.dedup[key]; ok && now.Before(exp) {
		return false, nil
	}
	put(h.tx, h.st.dedup, key, now.Add(ttl))
	if n := len(h.st.dedup); n > 1024 && n > 2*h.st.dedupSwept {
		for k, exp := range h.st.dedup {
			if !now.Before(exp) {
				del(h.tx, h.st.dedup, k)
			}
		}
		h.st.dedupSwept = len(h.st.dedup)
	}
	return true, nil
}
