package store

import "context"

//go:generate go tool mockgen -typed -destination ../internal/mocks/storemock/store.go -package storemock . Store,Transactor

// Store is everything msgkit keeps. Backends implement all of it; services take the narrowest interface
// they need (an Assigner takes Assignments, not Store).
type Store interface {
	Channels
	Contacts
	Conversations
	Messages
	Dedup
	Assignments
	Outbox
	Notifications
	Templates
	Links
}

// Transactor is implemented by stores that can run several calls atomically.
type Transactor interface {
	// RunInTx calls fn with a Store whose calls all belong to one transaction, and commits if fn returns
	// nil; otherwise nothing fn did is kept and fn's error is returned. Calls on tx must use the ctx fn
	// was given and must not outlive fn. Inside fn, use only tx, never the Store RunInTx was called on (or
	// code that holds it): that would run outside the transaction, and may wait for it forever. fn may be
	// called again if the backend retries a serialization failure, so it must not have effects outside the
	// store.
	RunInTx(ctx context.Context, fn func(ctx context.Context, tx Store) error) error
}

// Pinger is implemented by stores that can check their connection.
type Pinger interface {
	Ping(ctx context.Context) error
}

// InTx runs fn in one transaction when s is a Transactor, and directly on s otherwise (each call then
// stands alone: write fn so that a partial run is safe to repeat).
func InTx(ctx context.Context, s Store, fn func(ctx context.Context, tx Store) error) error {
	if t, ok := s.(Transactor); ok {
		return t.RunInTx(ctx, fn)
	}
	return fn(ctx, s)
}
