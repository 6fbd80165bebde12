package store

import (
	"context"
	"encoding/json"
	"time"
)

// Request is the remembered result of a call made with an idempotency key (the host's request ID, say),
// so that a repeat of the call returns it instead of doing the work again — after a timeout, a retry by
// the client, a restart.
type Request struct {
	// Scope names the kind of call and what it acts on, e.g. "reply/<conversation ID>"; keys are unique
	// within a scope.
	Scope string
	Key   string
	// Result is what the call returned, as JSON. The store keeps it as given.
	Result json.RawMessage
	// ExpiresAt is when the key may be used afresh; zero keeps it for ever.
	ExpiresAt time.Time
	CreatedAt time.Time // set by the store
}

// Requests remembers calls made with idempotency keys. Implementations must be safe for concurrent use.
type Requests interface {
	// RememberRequest stores r and returns it with created true, unless a request with r's (Scope, Key)
	// is remembered and has not expired by the store's clock: then it stores nothing and returns that one
	// with created false. Of concurrent calls with one (Scope, Key) exactly one creates.
	RememberRequest(ctx context.Context, r Request) (_ Request, created bool, _ error)
	// GetRequest returns the remembered request (scope, key), or ErrNotFound if there is none or it has
	// expired.
	GetRequest(ctx context.Context, scope, key string) (Request, error)
	// DeleteExpiredRequests deletes up to limit requests that have expired, and returns how many.
	DeleteExpiredRequests(ctx context.Context, limit int) (int, error)
}
