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

// JobWaker is implemented by stores that can tell job workers, in this process and in others sharing
// the data, that jobs may have become due: a job was enqueued due now and not claimed (EnqueueJob without
// a lease), or a claimed one was released to run now (RetryJob or HoldJob at or before the store's clock),
// and the change committed. A worker then claims at once instead of waiting for its next poll.
// store/postgres does it with LISTEN/NOTIFY, memstore within its process; a store without it changes
// nothing, and workers poll.
//
// Wakes are hints, never the only way work is found: one may be lost (a dropped connection, a wake that
// came while the worker was busy) or spurious (a job another worker claimed first), so a worker still
// polls, and a lost wake costs at most its poll interval.
type JobWaker interface {
	// WatchJobs subscribes to wakes. wake receives a value after jobs may have become due; a burst of
	// them coalesces into one pending value, so a slow receiver is woken once, not once per job. stop
	// ends the subscription (it is safe to call more than once); wake is never closed. After the store
	// is closed, wake receives nothing more.
	WatchJobs() (wake <-chan struct{}, stop func())
}
