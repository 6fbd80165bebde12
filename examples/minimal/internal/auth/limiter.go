package auth

import (
	"sync"
	"time"
)

// limiter counts failed sign-ins per key (a user, a client address) in a fixed window.
type limiter struct {
	mu     sync.Mutex
	window time.Duration
	now    func() time.Time
	fails  map[string]*attempts
}

type attempts struct {
	n     int
	since time.Time // the window's start: the first failure counted
}

// limitKey is a key and the failures it may have in a window.
type limitKey struct {
	key string
	max int
}

func newLimiter(window time.Duration, now func() time.Time) *limiter {
	return &limiter{window: window, now: now, fails: map[string]*attempts{}}
}

// blocked returns how long the most restricted of keys must still wait; 0 when none is blocked.
func (l *limiter) blocked(keys ...limitKey) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, k := range keys {
		a, ok := l.fails[k.key]
		if !ok {
			continue
		}
		end := a.since.Add(l.window)
		if !now.Before(end) {
			delete(l.fails, k.key)
			continue
		}
		if a.n >= k.max {
			wait = max(wait, end.Sub(now))
		}
	}
	return wait
}

// fail counts a failure against each key.
func (l *limiter) fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.fails) > 100_000 { // bound the memory a flood of addresses can take
		for k, a := range l.fails {
			if !now.Before(a.since.Add(l.window)) {
				delete(l.fails, k)
			}
		}
	}
	for _, k := range keys {
		a, ok := l.fails[k]
		if !ok || !now.Before(a.since.Add(l.window)) {
			a = &attempts{since: now}
			l.fails[k] = a
		}
		a.n++
	}
}

// reset forgets the failures of key (a user who signed in).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}
