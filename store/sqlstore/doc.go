// Package sqlstore is a store.Store on any SQL database: the queries, transactions and migration runner
// that msgkit's SQL backends (store/sqlite, store/postgres, store/mysql) share, so that a SQL backend is a
// dialect plus its migrations. A backend supplies:
//
//   - a DB that runs statements (NewSQLDB wraps database/sql; store/postgres wraps pgx, store/sqlite adds a
//     statement cache and a write lock);
//   - a TxFunc that runs a transaction on it (NewSQLTx for database/sql);
//   - a Dialect: what the database's errors mean, and which of a few SQL features it has; a Dialect that
//     is also a JobsDueNotifier is told when a committed change made a job due (store/postgres NOTIFYs
//     other processes with it);
//   - its migrations, applied with Migrate under a lock of its own.
//
// # Statements
//
// The layer writes every statement with $1-style parameters; a DB for a driver that wants ? rewrites them
// with Positional. It uses plain SQL everywhere (joins, subqueries in FROM and IN, CASE, COALESCE,
// LIMIT), and the features a Dialect may lack only where they pay: INSERT … ON CONFLICT and RETURNING (one
// statement per find-or-create, append, upsert, update and claim), row-value comparison (keyset pages)
// and FOR UPDATE SKIP LOCKED (job claims). Without them it runs portable statements in a transaction:
// an insert whose unique violation means "exists", an update before an insert, a SELECT of the written
// row, a SELECT … FOR UPDATE of the jobs it claims.
//
// Times are stored as BIGINT microseconds since the Unix epoch (0 for the zero time), so every backend
// keeps exactly what memstore keeps: UTC with microsecond precision. Booleans are stored as the
// database's boolean (or 0/1). JSON-shaped fields are stored as text; nothing queries inside them.
//
// # Schemas
//
// Each backend ships its own migration files (migrations/0001_init.sql, …), one per dialect, rather than
// one schema description rendered per dialect. The tables and columns are the same everywhere, but what
// a DBA must read and tune differs by more than type names: PostgreSQL and SQLite serve the inbox views
// and dedup keys with partial indexes, MySQL has none and uses generated columns and wider composite
// indexes instead; MySQL needs byte strings (VARBINARY) where the others keep exact text; data migrations
// use each database's JSON functions. A renderer would have to express all of that and would hide the
// DDL a DBA reviews, so the DDL stays in plain files, and each backend's query-plan tests pin the indexes
// its views use. A new migration is added to every backend with the same number.
//
// # Errors
//
// The Dialect classifies database errors: no row and foreign-key violations become store.ErrNotFound,
// unique violations store.ErrAlreadyExists, lost optimistic updates store.ErrConflict; a Retry error
// (deadlock, serialization failure) reruns the transaction, up to three times.
//
// # Concurrency
//
// A Store is safe for concurrent use when its DB is. Atomic operations are done by the database: a
// unique index decides find-or-create and dedup, a conditional UPDATE decides compare-and-set.
//
// # Testing
//
// A backend on this layer runs storetest.Run against its database, and pins the query plans of the
// inbox views (ViewQuery, CountQuery), the record timeline (TimelineQuery) and the notification lists
// (NotificationsQuery, CountNotificationsQuery) with its database's EXPLAIN.
package sqlstore
