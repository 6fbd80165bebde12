// Package store is msgkit's storage contract: the records msgkit keeps (connected channels, contacts,
// conversations, messages, round-robin cursors, durable jobs, users' notifications (per-conversation
// state, lists, settings), templates, links, the channel event log and the webhook archive) and one
// small interface per aggregate. Store embeds them all, with transactions; services take the narrowest
// one they need.
// It imports only package channel and the standard library.
//
// Backends: memstore (in memory, for tests and single-process use), and the SQL backends sqlite,
// postgres and mysql, which share one implementation, sqlstore (a new SQL backend is a sqlstore.Dialect
// plus its migrations). A backend is correct when it passes the conformance suite in storetest.
//
// # Callers and backends
//
// Callers (msgkit's services, and a host that reads msgkit's data) take the narrowest interface they
// need: an Assigner takes Assignments, linking takes Contacts and Links, a job runner takes Jobs. Only
// what wires msgkit together holds a Store, and only to hand out its parts and to run transactions
// (Transactor). Backends implement Store, every interface at once; Pinger and io.Closer when they have a
// connection. The record types, Page and Cursor, and the sentinel errors are shared by both sides;
// CutPage is for backends only.
//
// # How the contract grows
//
// Adding a method to Store, or to any interface in it, would break every backend written outside msgkit,
// so the contract grows as database/sql/driver does:
//
//   - A new capability is a new small interface (like Pinger), which a backend implements when it can.
//   - Callers reach it through a helper in this package that checks for it with a type assertion and
//     falls back (or returns errors.ErrUnsupported) when the backend lacks it, so callers never assert
//     themselves and backends that predate it keep compiling and working.
//   - storetest gains a runner for it that a backend without it skips, and rules for the interfaces
//     every backend has only where the existing documentation already promised the behaviour.
//   - A new field on a record compiles everywhere; its documentation says what its zero value means,
//     and until a backend stores it, storetest's rules for it fail against that backend.
//
// A capability every backend must have (as transactions are) is added to Store only in a release that
// says so, with the runner that checks it.
//
// # Records
//
// Records are plain structs. The store assigns an ID when it is empty, stamps CreatedAt and UpdatedAt
// from its own clock and keeps Version for optimistic updates: an Update… call succeeds only if the
// record's Version equals the stored one, and returns the record with Version+1. Times are kept in UTC
// with microsecond precision. Adding a field to a record is a compatible change.
//
// # Ownership
//
// A store owns its copy of every record. Values passed in are copied before a call returns, and values
// handed out are the caller's: a caller may change a record it passed in, or one it got back — its
// slices, maps, pointers (Message.Content's *Media, Message.Event) and raw JSON (Job.Payload,
// Request.Result, Webhook.Body, Channel.Credentials) included — without changing what the store holds or
// what other callers read. SQL backends get this for free; an in-memory backend must copy deeply
// (channel.Message.Clone and channel.Event.Clone do it for channel content). storetest's Ownership rules
// check every record type.
//
// # Lists
//
// Lists are keyset-paged with a Cursor, never offsets: a page starts strictly after the position of the
// previous page's last item, so pages stay correct while rows arrive and a deep page costs what the first
// one does. Cursor.String and ParseCursor turn cursors into opaque tokens for APIs.
//
// # Errors
//
// Backends wrap ErrNotFound, ErrAlreadyExists or ErrConflict exactly where the interface docs say, and
// return context errors as they are. Compare with errors.Is.
//
// # Optional capabilities
//
// Transactions are not optional: Store includes Transactor, because msgkit records an event, the state it
// changes and the work it causes (Jobs) in one transaction. Everything else a backend may add is an
// optional interface that callers discover with a type assertion, so a backend without it changes nothing
// and a new capability never breaks an existing backend: Pinger checks the connection; JobWaker wakes job
// workers when jobs become due (store/postgres across processes with LISTEN/NOTIFY, memstore within its
// process; SQLite and MySQL have no such mechanism across processes, so their workers poll);
// HeldJobCompleter completes a job without answering whether its lease was still held, and InboundNoter
// records an inbound message on its conversation without answering, which lets store/postgres send them
// with the transaction's next statement (the CompleteHeldJob and NoteInbound functions fall back to
// CompleteJob and RecordInbound); ContactsGetter reads many contacts in one statement (GetContacts falls
// back to GetContact). A wrapper that embeds a Store hides them: forward those it should keep. Backends that
// hold resources implement io.Closer.
//
// # Concurrency
//
// Every method of every backend must be safe for concurrent use, and the atomic operations (find-or-create,
// idempotent append, NextCursor, job claims, versioned updates, RecordInbound) must stay atomic across
// processes that share one database.
//
// # Testing
//
// storetest.Run checks a backend against every rule of this contract, and storetest.Benchmark measures
// it on msgkit's hot paths.
package store
