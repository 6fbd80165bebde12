package store

import (
	"context"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// ChannelEvent is an event that belongs to no conversation: an account-level event without a source, or
// one whose source is of a kind msgkit does not know. It is kept, never dropped, so nothing acknowledged
// to the channel is lost.
type ChannelEvent struct {
	ID        string // assigned by the store when empty
	ChannelID string
	// Event is the event as received. Event.ID (the channel's event ID) makes appends idempotent within a
	// channel.
	Event channel.Event

	CreatedAt time.Time // set by the store
}

// Cursor returns e's position in a channel event list: the event's time, then ID.
func (e ChannelEvent) Cursor() Cursor { return Cursor{Time: e.Event.Time, ID: e.ID} }

// ChannelEvents is the channel-level event log. Implementations must be safe for concurrent use.
type ChannelEvents interface {
	// AppendChannelEvent stores e (a zero Event.Time means now) and returns it with created true. When
	// e.Event.ID is set and the channel already has an event with that ID, it stores nothing and returns
	// the existing one with created false. An unknown ChannelID returns ErrNotFound.
	AppendChannelEvent(ctx context.Context, e ChannelEvent) (_ ChannelEvent, created bool, _ error)
	// ListChannelEvents returns one page of channelID's events ordered by (Event.Time, ID) in p.Order,
	// and the cursor of the next page (zero when there is none).
	ListChannelEvents(ctx context.Context, channelID string, p Page) ([]ChannelEvent, Cursor, error)
}
