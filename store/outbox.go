package store

import (
	"context"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// OutboxStatus is where an outbox item is in its life.
type OutboxStatus string

// Outbox statuses.
const (
	OutboxPending OutboxStatus = "pending" // waiting for NextAttemptAt, or claimed under a lease
	OutboxDone    OutboxStatus = "done"    // delivered
	OutboxFailed  OutboxStatus = "failed"  // given up; LastError says why
)

// OutboxItem is one send written to the store before it is delivered, so a crash between writing and
// sending cannot lose it, and a retry reuses RetryKey so the channel delivers it once.
type OutboxItem struct {
	ID             string // assigned by the store when empty
	ChannelID      string
	ConversationID string
	To             channel.Peer
	// MessageIDs are the stored outbound messages this send delivers, in order.
	MessageIDs []string
	ReplyToken string // reply with it while it is valid
	RetryKey   string // the channel idempotency key, fixed for the item's life
	Status     OutboxStatus
	Attempts   int // claims so far
	// NextAttemptAt is when the item is next due; a claim is possible at or after it.
	NextAttemptAt time.Time
	LastError     string // the last failure, as an agent-readable reason
	// Lease identifies the current claim and LeaseUntil when it lapses; both are set by ClaimOutbox.
	Lease      string
	LeaseUntil time.Time

	CreatedAt time.Time // set by the store
	UpdatedAt time.Time // set by the store
}

// Outbox is a durable queue of sends with leased claims, so several workers and processes can deliver
// without ever delivering one item twice at the same time. Implementations must be safe for concurrent use.
type Outbox interface {
	// EnqueueOutbox stores item as pending (assigning ID, CreatedAt, UpdatedAt; NextAttemptAt defaults to
	// now) and returns it. An existing ID returns ErrAlreadyExists.
	EnqueueOutbox(ctx context.Context, item OutboxItem) (OutboxItem, error)
	// GetOutbox returns the item id, or ErrNotFound.
	GetOutbox(ctx context.Context, id string) (OutboxItem, error)
	// ClaimOutbox claims up to limit pending items that are due (NextAttemptAt ≤ now) and not under an
	// unexpired lease, oldest NextAttemptAt first: it sets a fresh Lease, LeaseUntil = now+lease, and
	// increments Attempts. Concurrent claimers never receive the same item while its lease runs.
	ClaimOutbox(ctx context.Context, limit int, lease time.Duration) ([]OutboxItem, error)
	// CompleteOutbox marks the item delivered. The lease must be the item's current one and unexpired,
	// otherwise ErrConflict (someone else may have it); ErrNotFound if missing.
	CompleteOutbox(ctx context.Context, id, lease string) error
	// RetryOutbox releases the item to be claimed again at at, recording reason. Lease rules as Complete.
	RetryOutbox(ctx context.Context, id, lease string, at time.Time, reason string) error
	// FailOutbox marks the item failed for good, recording reason. Lease rules as Complete.
	FailOutbox(ctx context.Context, id, lease, reason string) error
}
