package store

import (
	"context"
	"time"
)

// Dedup remembers keys (such as webhook event IDs) for a while, so a redelivered event is recognised.
// Implementations must be safe for concurrent use.
type Dedup interface {
	// FirstSeen records key until ttl from now (by the store's clock) and reports whether it was new: true
	// for the first call with key, false for any later call before it expires. Of concurrent first calls
	// exactly one sees true. After expiry the key is new again. ttl must be positive.
	FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error)
}
