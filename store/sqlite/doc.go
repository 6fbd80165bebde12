// Package sqlite is the embedded default store.Store: one SQLite file, pure Go (modernc.org/sqlite, no
// cgo), zero set-up. It passes the whole storetest suite. Its queries are store/sqlstore's; this package
// adds the connections (a writer and a reader pool, a statement cache), SQLite's Dialect and migrations.
//
// # When to choose it
//
// Choose SQLite for a single application instance: the example server, a small CRM deployment, tests
// that need persistence. Choose store/postgres when several application instances share the data behind
// a load balancer: SQLite serialises writers on the file, and processes contending for it wait on its
// busy handler (milliseconds each), where PostgreSQL handles them row by row.
//
// # Settings
//
// Open sets WAL mode (readers never block the writer), foreign keys, a busy timeout (Options.BusyTimeout)
// and immediate write transactions (a transaction takes the write lock when it begins, so it can never
// fail half-way with SQLITE_BUSY). synchronous=NORMAL is the default: in WAL mode a power loss can lose
// the last few commits but never corrupts the file; Options.Synchronous "FULL" makes every commit
// durable at the cost of an fsync each. The write-ahead log is copied back into the file by a background
// connection shortly after writes (Options.CheckpointDelay), not by the commit that fills it: SQLite's
// own checkpoint made one commit in twenty of an inbound message several times slower than the rest.
//
// Writes of one Store queue in Go on a single write lock, honouring their contexts; reads use a pool of
// read-only connections (Options.Readers). Transactions that wait for the writer at the same time share
// one commit, each in its own savepoint: one that fails is rolled back alone, and each caller returns
// after the commit that holds its work (group commit). Temporary data (savepoint journals,
// sorts) stays in memory. Statements are prepared once per Store. Measurements, and
// the comparison with github.com/ncruces/go-sqlite3 that chose the driver, are in BENCHMARKS.md.
//
// # Schema
//
// Migrations are embedded and applied by Open in one immediate transaction, recorded in schema_version;
// two processes opening a new file at once apply each migration once. Times are INTEGER microseconds
// since the Unix epoch.
//
// # Concurrency
//
// A Store is safe for concurrent use, and several Stores (in one process or several) may open the same
// file, even a new file at the same moment: Open waits (up to Options.BusyTimeout) while another
// handle switches the file to WAL mode or migrates it, where SQLite alone would fail with SQLITE_BUSY.
//
// SQLite has no way to tell another process that a job was queued, so a Store does not implement
// store.JobWaker: job workers (conversation.Service.Run) in other processes find new jobs when they poll.
package sqlite
