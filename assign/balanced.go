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
// Loads are read from the store, so concurrent assignments may both see the same least-loaded member; the
// imbalance is at most the number of concurrent calls and corrects itself on later assignments. Use
// RoundRobin where strict rotation matters. Sticky like RoundRobin: an assignee who is still eligible and
// under the cap keeps the conversation.
//
// Balanced is safe for concurrent use.
type Balanced struct {
	store RoundRobinStore
	dir   Directory
}

// NewBalanced returns a Balanced assigner over the pools of s's channels.
func NewBalanced(s RoundRobinStore, dir Directory) (*Balanced, error) {
	if s == nil || dir == nil {
		return nil, errors.New("assign: NewBalanced needs a store and a directory")
	}
	return &Balanced{store: s, dir: dir}, nil
}

// Assign implements Assigner.
func (b *Balanced) Assign(ctx context.Context, c store.Conversation) (string, error) {
	rl, err := rule(ctx, b.store, c.ChannelID)
	if err != nil {
		return "", err
	}
	p, err := resolve(ctx, b.dir, rl)
	if err != nil {
		return "", err
	}
	loads, err := b.store.UserLoads(ctx, p.eligible)
	if err != nil {
		return "", err
	}
	if rl.MaxOpen > 0 {
		loads = slices.DeleteFunc(loads, func(l store.UserLoad) bool { return l.Open >= rl.MaxOpen })
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
