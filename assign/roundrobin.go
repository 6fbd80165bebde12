package assign

import (
	"context"
	"errors"
	"fmt"

	"github.com/msgkit/msgkit/store"
)

// RoundRobin hands conversations to the members of each channel's pool in strict rotation.
//
// Fairness: the channel's cursor, which the store advances atomically (store.Assignments.NextCursor),
// walks the pool's m members sorted by ID: value v is the turn of member (v-1) mod m. Assign takes
// values until it lands on an available member, so an away member's turns are skipped and everyone
// keeps their place in the rotation for when they return. Every value is handed out exactly once across
// goroutines and processes, and Route takes it in the transaction that claims the conversation, so a
// turn counts only when its claim commits: over any run of assignments among an unchanged pool each
// eligible member gets the same number of conversations, give or take one — ⌊N/k⌋ or ⌈N/k⌉ of N among
// k — however many callers race, for different conversations or for the same one. When members join or
// leave, the rotation continues over the new pool and is fair among those eligible from then on. Each
// away member costs an extra cursor step when their turn comes up.
//
// Sticky: a conversation that already has an assignee keeps them while they are still in the pool and
// available, without taking a turn.
//
// The Directory is asked lazily: for a sticky conversation only about its assignee, otherwise about
// the members whose turn comes up, until one is available.
//
// RoundRobin is safe for concurrent use; it keeps no state of its own.
type RoundRobin struct {
	dir Directory
}

// NewRoundRobin returns a RoundRobin over the pools of the channels' rules, resolving roles, groups and
// availability through dir.
func NewRoundRobin(dir Directory) (*RoundRobin, error) {
	if dir == nil {
		return nil, errors.New("assign: NewRoundRobin needs a directory")
	}
	return &RoundRobin{dir: dir}, nil
}

// Assign implements Assigner.
func (r *RoundRobin) Assign(ctx context.Context, tx store.Store, ch store.Channel, c store.Conversation) (string, error) {
	p, err := poolOf(ctx, r.dir, ch)
	if err != nil {
		return "", err
	}
	if ok, err := p.keeps(ctx, c.Assignee); ok || err != nil {
		return c.Assignee, err
	}
	// Step until an available member's turn comes up, or every member's turn came up and nobody is
	// available. In a transaction the steps are consecutive (len(members) at most); without one,
	// concurrent callers interleave, so count the members seen.
	seen := map[string]bool{}
	for len(seen) < len(p.members) {
		n, err := tx.NextCursor(ctx, cursorName(c.ChannelID))
		if err != nil {
			return "", err
		}
		u := p.members[(n-1)%int64(len(p.members))]
		if ok, err := p.available(ctx, u); ok || err != nil {
			return u, err
		}
		seen[u] = true
	}
	// The steps taken are rolled back with the claim that fails for want of an agent.
	return "", fmt.Errorf("channel %s: no pool member is available: %w", c.ChannelID, ErrNoAgent)
}

// cursorName is the store cursor of a channel's rotation.
func cursorName(channelID string) string { return "assign/round_robin/" + channelID }
