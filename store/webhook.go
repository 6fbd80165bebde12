package store

import (
	"context"
	"time"
)

// Webhook is the verified raw body of one accepted webhook request, archived so that a channel's
// traffic over a time range can be replayed (re-ingested, with no duplicates) after a bug in the host's
// handling. The body holds personal data: never log it.
type Webhook struct {
	ID        string // assigned by the store when empty
	ChannelID string
	Body      []byte
	// ReceivedAt is when the request was accepted (a zero value means now); replays select on it.
	ReceivedAt time.Time
	// ExpiresAt is when the archive may delete it; zero keeps it until deleted by hand.
	ExpiresAt time.Time
}

// Cursor returns w's position in a webhook list.
func (w Webhook) Cursor() Cursor { return Cursor{Time: w.ReceivedAt, ID: w.ID} }

// Webhooks is the archive of accepted webhook bodies. Implementations must be safe for concurrent use.
type Webhooks interface {
	// ArchiveWebhook stores w and returns it. An unknown ChannelID returns ErrNotFound; an existing ID
	// ErrAlreadyExists.
	ArchiveWebhook(ctx context.Context, w Webhook) (Webhook, error)
	// ListWebhooks returns one page of channelID's webhooks received in [from, to), ordered by
	// (ReceivedAt, ID) in p.Order, and the cursor of the next page (zero when there is none). A zero to
	// means no upper bound.
	ListWebhooks(ctx context.Context, channelID string, from, to time.Time, p Page) ([]Webhook, Cursor, error)
	// DeleteExpiredWebhooks deletes up to limit webhooks whose ExpiresAt is set and not after now (by the
	// store's clock), and returns how many it deleted.
	DeleteExpiredWebhooks(ctx context.Context, limit int) (int, error)
}
