package assign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/msgkit/msgkit/store"
)

// Balanced gives each conversation to the eligible member with the fewest open unreplied conversations
// (on every channel); ties go to whoever was assigned least recently, then to the lowest user ID. With
// the channel rule's MaxOpen set, members at the cap are passed over, and when everyone is at the cap
// the conversation waits (ErrNoAgent) until Drain finds room.
//
// Loads are read in the claiming transaction. Where the store serialises transactions (SQLite,
// memstore) concurrent assignments are exactly balanced; where it runs them side by side (PostgreSQL),
// two may see the same least-loaded member, an imbalance of at most the number of concurrent calls that
// later assignments correct. Use RoundRobin where strict rotation matters. Sticky like RoundRobin: an
// assignee who is still eligible and under the cap keeps the conversation.
//
// Balanced is safe for concurrent use.
type Balanced struct {
	dir Directory
}

// NewBalanced returns a Balanced assigner over the pools of the channels' rules.
func NewBalanced(dir Directory) (*Balanced, error) {
	if dir == nil {
		return nil, errors.New("assign: NewBalanced needs a directory")
	}
	return &Balanced{dir: dir}, nil
}

// Assign implements Assigner.
func (b *Balanced) Assign(ctx context.Context, tx store.Store, ch store.Channel, c store.Conversation) (string, error) {
	p, err := poolOf(ctx, b.dir, ch)
	if err != nil {
		return "", err
	}
	eligible, err := p.eligible(ctx)
	if err != nil {
		return "", err
	}
	loads, err := tx.UserLoads(ctx, eligible)
	if err != nil {
		return "", err
	}
	if p.rule.MaxOpen > 0 {
		loads = slices.DeleteFunc(loads, func(l store.UserLoad) bool { return l.Open >= p.rule.MaxOpen })
	}
	if len(loads) == 0 {
		return "", fmt.Errorf("channel %s: no pool member is available or under the cap: %w", c.ChannelID, ErrNoAgent)
	}
	for _, l := range loads {
		if l.User == c.Assignee {
			return c.Assignee, nil
		}
	}
	best := slices.MinFunc(loads, func(x, y store.UserLoad) int {
		switch {
		case x.Open != y.Open:
			return x.Open - y.Open
		case !x.LastAssignedAt.Equal(y.LastAssignedAt):
			return x.LastAssignedAt.Compare(y.LastAssignedAt)
		}
		return strings.Compare(x.User, y.User)
	})
	return best.User, nil
}
