package assign

import (
	"context"
	"fmt"
	"slices"

	"github.com/msgkit/msgkit/store"
)

// pool is a resolved pool rule: every member sorted by user ID (so every process sees the same order),
// and which of them can take a conversation now.
type pool struct {
	members   []string
	available map[string]bool
	eligible  []string // the available members, in order
}

// resolve resolves a pool rule through dir.
func resolve(ctx context.Context, dir Directory, rule store.AssignmentRule) (pool, error) {
	var members []string
	switch rule.Pool {
	case store.PoolUsers:
		members = slices.Clone(rule.PoolIDs)
	case store.PoolRole, store.PoolGroup:
		for _, id := range rule.PoolIDs {
			m, err := dir.Members(ctx, rule.Pool, id)
			if err != nil {
				return pool{}, fmt.Errorf("assign: members of %s %s: %w", rule.Pool, id, err)
			}
			members = append(members, m...)
		}
	default:
		return pool{}, fmt.Errorf("assign: pool kind %q is not users, role or group", rule.Pool)
	}
	slices.Sort(members)
	members = slices.DeleteFunc(slices.Compact(members), func(u string) bool { return u == "" })
	p := pool{members: members, available: make(map[string]bool, len(members))}
	for _, u := range members {
		ok, err := dir.Available(ctx, u)
		if err != nil {
			return pool{}, fmt.Errorf("assign: availability of a pool member: %w", err)
		}
		if ok {
			p.available[u] = true
			p.eligible = append(p.eligible, u)
		}
	}
	return p, nil
}

// rule reads the channel's current assignment rule: changes apply from the next assignment.
func rule(ctx context.Context, channels store.Channels, channelID string) (store.AssignmentRule, error) {
	ch, err := channels.GetChannel(ctx, channelID)
	if err != nil {
		return store.AssignmentRule{}, err
	}
	return ch.Assignment, nil
}
