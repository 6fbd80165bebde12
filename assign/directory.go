package assign

import (
	"context"
	"slices"
	"sync"

	"github.com/msgkit/msgkit/store"
)

// MemoryDirectory is an in-memory Directory for tests and examples. The zero value has no roles or
// groups and counts every user available. It is safe for concurrent use.
type MemoryDirectory struct {
	mu          sync.RWMutex
	members     map[store.PoolKind]map[string][]string
	unavailable map[string]bool
}

// SetMembers sets the members of a role or group.
func (d *MemoryDirectory) SetMembers(kind store.PoolKind, id string, users ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.members == nil {
		d.members = map[store.PoolKind]map[string][]string{}
	}
	if d.members[kind] == nil {
		d.members[kind] = map[string][]string{}
	}
	d.members[kind][id] = slices.Clone(users)
}

// SetAvailable marks user available or not (away, off shift, deactivated).
func (d *MemoryDirectory) SetAvailable(user string, available bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.unavailable == nil {
		d.unavailable = map[string]bool{}
	}
	d.unavailable[user] = !available
}

// Members implements Directory.
func (d *MemoryDirectory) Members(_ context.Context, kind store.PoolKind, id string) ([]string, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Clone(d.members[kind][id]), nil
}

// Available implements Directory.
func (d *MemoryDirectory) Available(_ context.Context, user string) (bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return !d.unavailable[user], nil
}
