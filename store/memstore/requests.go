package memstore

import (
	"bytes"
	"context"
	"fmt"

	"github.com/msgkit/msgkit/store"
)

// RememberRequest implements store.Requests.
func (h *handle) RememberRequest(ctx context.Context, r store.Request) (store.Request, bool, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Request{}, false, err
	}
	defer unlock()
	key := [2]string{r.Scope, r.Key}
	now := h.now()
	if old, ok := h.st.requests[key]; ok && (old.ExpiresAt.IsZero() || old.ExpiresAt.After(now)) {
		return cloneRequest(old), false, nil
	}
	r.ExpiresAt, r.CreatedAt = norm(r.ExpiresAt), now
	r.Result = bytes.Clone(r.Result)
	put(h.tx, h.st.requests, key, r)
	return cloneRequest(r), true, nil
}

// GetRequest implements store.Requests.
func (h *handle) GetRequest(ctx context.Context, scope, key string) (store.Request, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Request{}, err
	}
	defer unlock()
	r, ok := h.st.requests[[2]string{scope, key}]
	if !ok || (!r.ExpiresAt.IsZero() && !r.ExpiresAt.After(h.now())) {
		return store.Request{}, fmt.Errorf("request %s in %s: %w", key, scope, store.ErrNotFound)
	}
	return cloneRequest(r), nil
}

// DeleteExpiredRequests implements store.Requests.
func (h *handle) DeleteExpiredRequests(ctx context.Context, limit int) (int, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	now := h.now()
	n := 0
	for k, r := range h.st.requests {
		if n >= limit {
			break
		}
		if !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(now) {
			del(h.tx, h.st.requests, k)
			n++
		}
	}
	return n, nil
}

func cloneRequest(r store.Request) store.Request {
	r.Result = bytes.Clone(r.Result)
	return r
}
