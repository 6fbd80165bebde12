// Package store is msgkit's storage contract: the records msgkit keeps (connected channels, contacts,
// conversations, messages, round-robin cursors, durable jobs, users' notifications (per-conversation
// state, lists, settings), templates, links, the channel event log and the webhook archive) and one
// small interface per aggregate. Store embeds them all, with transactions; services take the narrowest
// one they need.
// It imports only package channel and the standard library.
//
// Backends: memstore (in memory, for tests and single-process use), and the SQL backends. A backend is
// correct when it passes the conformance suite in storetest.
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
// Transactions are not optional: Store includes Transactor, because msgkit records an event, the state
// it changes and the work it causes (Jobs) in one transaction. Pinger checks the connection. Backends
// that hold resources implement io.Closer.
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
