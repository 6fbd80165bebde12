// Package postgres is the store.Store for several application instances sharing one PostgreSQL database,
// on github.com/jackc/pgx/v5 and pgxpool. It passes the whole storetest suite, including its
// multi-instance rules run over four independent pools. Its queries are store/sqlstore's; this package
// adds the pool, PostgreSQL's Dialect and migrations, and the escaping of text PostgreSQL refuses.
//
// # When to choose it
//
// Choose PostgreSQL when more than one instance of the application serves the same channels (behind a
// load balancer, or webhook receivers apart from agent-facing servers), or when the data must live in the
// database the CRM already runs. For a single instance, store/sqlite needs no server.
//
// # Multi-instance semantics
//
// Everything that must be atomic is done by the database, in one statement where possible: the
// round-robin cursor is one UPDATE … RETURNING; find-or-create of contacts and conversations is
// INSERT … ON CONFLICT DO NOTHING; dedup keys and idempotent appends rely on unique indexes; outbox
// claims pick due items with FOR UPDATE SKIP LOCKED under a lease; assignment and linking are
// compare-and-set UPDATEs that record their history in the same transaction; every record carries a
// version for optimistic updates.
//
// # Round trips
//
// A transaction spends no round trip of its own: BEGIN is sent with its first statement, and the writes
// nothing but the database can fail (a new job without a key, an assignment's history row, a
// CompleteHeldJob or NoteInbound, whose effect nobody asks about) are sent with the statement after them
// or with COMMIT, as one pipelined batch (sqlstore.Deferrer). Such a write's failure is reported by the
// next statement of the transaction, or by RunInTx, and fails the transaction: PostgreSQL skips the rest
// of the batch, COMMIT included. A transaction that sends no statement costs nothing. An inbound message
// from a new sender, with round robin and its jobs, took 23 round trips before pipelining, 17 now; one
// from a returning sender 15 (BENCHMARKS.md).
//
// # Waking other instances
//
// A Store is a store.JobWaker. After a change that enqueues a job due now (not one enqueued claimed under a
// lease: it is its enqueuer's), or releases one to run now, commits (never for one rolled back), the Store
// runs pg_notify on a channel named after the schema ("msgkit_jobs.<schema>") in a transaction of its own
// that does not wait for its WAL flush: PostgreSQL commits notifications under a global lock, so a NOTIFY
// inside the enqueuing transaction made those commits 2.4× slower under concurrency (BENCHMARKS.md), and a
// notice lost with a crash just after the commit costs a poll. The first WatchJobs opens one dedicated
// connection (application_name "msgkit job listener", outside the pool) that LISTENs on the channel and wakes
// every subscriber, coalescing a burst into one wake each. When that connection drops, the listener
// reconnects (at once, then with backoff up to 10s) and wakes its subscribers, since notifications sent
// meanwhile are lost; Close stops it. A connection that dies silently is noticed only by TCP keepalive: until
// then workers fall back to polling, which is why a wake is a hint and never the only way work is found.
//
// # Connecting
//
// Open connects with its own pool; New uses a pool the host already owns. Options.Schema keeps msgkit's
// tables in their own schema, so several tenants or test runs can share one database. Migrations are
// embedded and applied at start in one transaction holding an advisory lock, recorded in schema_version.
// Times are BIGINT microseconds since the Unix epoch.
//
// # Errors
//
// Unique violations map to store.ErrAlreadyExists, foreign-key violations (a missing channel, contact or
// conversation) to store.ErrNotFound, lost optimistic updates to store.ErrConflict. RunInTx reruns its
// function after a serialization failure or deadlock, up to three times.
//
// # Testing
//
// The tests read MSGKIT_POSTGRES_DSN and give every test its own schema, dropped afterwards; without the
// variable they skip (and fail under CI=true). bash .ci/run provides a server.
//
// # Concurrency
//
// A Store is safe for concurrent use.
package postgres
