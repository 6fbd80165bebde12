package conversation

import (
	"context"
	"fmt"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// Replayed reports what a Replay did.
type Replayed struct {
	Webhooks int // archived webhooks read
	Events   int // events in them
	New      int // events that were not stored yet, and now are
}

// Replay re-ingests the webhooks channelID's archive holds (Options.Archive) from those received in
// [from, to), oldest first, parsed again by the channel's adapter (which must be a channel.BodyParser).
// Events already stored change nothing, so a replay never duplicates: it recovers what a bug in the
// host's handling lost, or what arrived while the channel was deactivated. It stops at the first
// webhook that cannot be parsed or stored, reporting what it did so far.
func (s *Service) Replay(ctx context.Context, channelID string, from, to time.Time) (Replayed, error) {
	var r Replayed
	ch, err := s.store.GetChannel(ctx, channelID)
	if err != nil {
		return r, err
	}
	if !ch.Active {
		return r, fmt.Errorf("%w: %s", ErrChannelInactive, ch.Name)
	}
	adapter, err := s.adapters.Adapter(ctx, ch)
	if err != nil {
		return r, err
	}
	p := store.Page{Order: store.OldestFirst}
	for {
		page, next, err := s.store.ListWebhooks(ctx, channelID, from, to, p)
		if err != nil {
			return r, err
		}
		for _, w := range page {
			events, err := channel.ParseBody(adapter, w.Body)
			if err != nil {
				return r, fmt.Errorf("conversation: replaying webhook %s: %w", w.ID, err)
			}
			n, err := s.ingest(ctx, channelID, events, nil)
			if err != nil {
				return r, fmt.Errorf("conversation: replaying webhook %s: %w", w.ID, err)
			}
			r.Webhooks, r.Events, r.New = r.Webhooks+1, r.Events+len(events), r.New+n
		}
		if next.IsZero() {
			return r, nil
		}
		p.After = next
	}
}
