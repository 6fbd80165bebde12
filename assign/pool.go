package assign

import (
	"context"
	"fmt"
	"slices"

	"github.com/msgkit/msgkit/store"
)

// pool is a channel's resolved pool: every member sorted by user ID (so every process sees the same
// order), with availability asked of the Directory only when needed, once per member.
type pool struct {
	dir     Directory
	rule    store.AssignmentRule
	members []string
	asked   map[string]bool
}

// poolOf resolves the members of the channel's current rule (changes apply from the next assignment)
// through dir.
func poolOf(ctx context.Context, dir Directory, ch store.Channel) (*pool, error) {
	rule := ch.Assignment
	var members []string
	switch rule.Pool {
	case store.PoolUsers:
		members = slices.Clone(rule.PoolIDs)
	case store.PoolRole, store.PoolGroup:
		for _, id := range rule.PoolIDs {
			m, err := dir.Members(ctx, rule.Pool, id)
			if err != nil {
				return nil, fmt.Errorf("assign: members of %s %s: %w", rule.Pool, id, err)
			}
			members = append(members, m...)
		}
	default:
		return nil, fmt.Errorf("assign: pool kind %q is not users, role or group", rule.Pool)
	}
	slices.Sort(members)
	members = slices.DeleteFunc(slices.Compact(members), func(u string) bool { return u == "" })
	if len(members) == 0 {
		return nil, fmt.Errorf("channel %s: the pool has no members: %w", ch.ID, ErrNoAgent)
	}
	return &pool{dir: dir, rule: rule, members: members, asked: map[string]bool{}}, nil
}

// has reports whether user is a member.
func (p *pool) has(user string) bool {
	_, ok := slices.BinarySearch(p.members, user)
	return ok
}

// available reports whether member user can take a conversation now, asking the Directory once.
func (p *pool) available(ctx context.Context, user string) (bool, error) {
	if ok, asked := p.asked[user]; asked {
		return ok, nil
	}
	ok, err := p.dir.Available(ctx, user)
	if err != nil {
		return false, fmt.Errorf("assign: availability of a pool member: %w", err)
	}
	p.asked[user] = ok
	return ok, nil
}

// keeps reports whether a conversation assigned to assignee stays with them: they are still a member
// and available.
func (p *pool) keeps(ctx context.Context, assignee string) (bool, error) {
	if assignee == "" || !p.has(assignee) {
		return false, nil
	}
	return p.available(ctx, assignee)
}

// eligible returns the available members, in order, asking about each.
func (p *pool) eligible(ctx context.Context) ([]string, error) {
	var out []string
	for _, u := range p.members {
		ok, err := p.available(ctx, u)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, u)
		}
	}
	return out, nil
}
