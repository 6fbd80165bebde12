package store

import "context"

// Assignments holds the state round-robin assignment shares between goroutines and processes.
// Implementations must be safe for concurrent use.
type Assignments interface {
	// NextCursor atomically advances the cursor named pool and returns its new value: 1 on the first call,
	// then 2, 3, … Every value is handed out exactly once, whatever the number of concurrent callers or
	// store handles sharing the data.
	NextCursor(ctx context.Context, pool string) (int64, error)
}
