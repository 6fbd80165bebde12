package store

import "context"

// Store is everything msgkit keeps, and the transactions that keep it consistent. Backends implement all
// of it; services take the narrowest interface they need (an Assigner takes Assignments, not Store).
type Store interface {
	Channels
	Contacts
	Conversations
	Messages
	Assignments
	Jobs
	Notifications
	Templates
	Links
	ChannelEvents
	Webhooks
	Requests
	Transactor
}

// Transactor runs several calls atomically. It is part of Store: msgkit records an event, the work it
// causes and the state it changes in one transaction, and a store that could not would lose messages.
type Transactor interface {
	// RunInTx calls fn with a Store whose calls all belong to one transaction, and commits if fn returns
	// nil; otherwise nothing fn did is kept and fn's error is returned. Calls on tx must use the ctx fn
	// was given and must not outlive fn. Inside fn, use only tx, never the Store RunInTx was called on (or
	// code that holds it): that would run outside the transaction, and may wait for it forever. RunInTx
	// on tx joins the transaction. fn may be called again if the backend retries (a serialization
	// failure, a shared commit that failed), so it must not have effects outside the store.
	//
	// Transactions must be isolated from each other at least as READ COMMITTED is: a transaction never
	// sees another's uncommitted writes, and the compare-and-set operations (versioned updates,
	// AssignConversation, LinkContact, lease checks) decide on the latest committed state. A backend may
	// run transactions that wait at the same time one after another under one commit (store/sqlite's
	// group commit): each then sees the writes of those before it, which commit with it or not at all,
	// exactly as if they had committed just before it began.
	RunInTx(ctx context.Context, fn func(ctx context.Context, tx Store) error) error
}

// Pinger is implemented by stores that can check their connection.
type Pinger interface {
	Ping(ctx context.Context) error
}
