package assign

import (
	"context"
	"errors"
	"fmt"

	"github.com/msgkit/msgkit/store"
)

// RoundRobinStore is what RoundRobin needs of a store.
type RoundRobinStore interface {
	store.Channels
	store.Assignments
}

// RoundRobin hands conversations to the members of each channel's pool in strict rotation.
//
// Fairness: the channel's cursor, which the store advances atomically (store.Assignments.NextCursor),
// walks the pool's m members sorted by ID: value v is the turn of member (v-1) mod m. Assign takes
// values until it lands on an available member, so an away member's turns are skipped and everyone
// keeps their place in the rotation for when they return. Every value is handed out exactly once across
// goroutines and processes, so over any run of assignments among an unchanged pool each eligible member
// gets the same number of turns, give or take one: ⌊N/k⌋ or ⌈N/k⌉ of N among k, however many callers
// race. When members join or leave, the rotation continues over the new pool and is fair among those
// eligible from then on. Each away member costs an extra cursor step when their turn comes up.
//
// Sticky: a conversation that already has an assignee keeps them while they are still eligible, without
// taking a turn.
//
// RoundRobin is safe for concurrent use; it keeps no state of its own.
type RoundRobin struct {
	store RoundRobinStore
	dir   Directory
}

// NewRoundRobin returns a RoundRobin over the pools of s's channels, resolving roles, groups and
// availability through dir.
func NewRoundRobin(s RoundRobinStore, dir Directory) (*RoundRobin, error) {
	if s == nil || dir == nil {
		return nil, errors.New("assign: NewRoundRobin needs a store and a directory")
	}
	return &RoundRobin{store: s, dir: dir}, nil
}

// Assign implements Assigner.
func (r *RoundRobin) Assign(ctx context.Context, c store.Conversation) (string, error) {
	rl, err := rule(ctx, r.store, c.ChannelID)
	if err != nil {
		return "", err
	}
	p, err := resolve(ctx, r.dir, rl)
	if err != nil {
		return "", err
	}
	if len(p.eligible) == 0 {
		return "", fmt.Errorf("channel %s: no pool member is available: %w", c.ChannelID, ErrNoAgent)
	}
	if p.available[c.Assignee] {
		return c.Assignee, nil
	}
	for {
		n, err := r.store.NextCursor(ctx, cursorName(c.ChannelID))
		if err != nil {
			return "", err
		}
		if u := p.members[(n-1)%int64(len(p.members))]; p.available[u] {
			return u, nil
		}
	}
}

// cursorName is the store cursor of a channel's rotation.
func cursorName(channelID string) string { return "assign/round_robin/" + channelID }
