// Package mysql is the store.Store for several application instances sharing one MySQL (8.0.13 or later)
// or MariaDB (10.6 or later) database, on github.com/go-sql-driver/mysql. It is a dialect of
// store/sqlstore plus its migrations, and passes the whole storetest suite, including its multi-instance
// rules run over four independent pools.
//
// # When to choose it
//
// Choose it when the CRM already runs MySQL or MariaDB and msgkit's data should live there, with more
// than one instance of the application. store/postgres does the same on PostgreSQL; store/sqlite needs
// no server for a single instance.
//
// # Multi-instance semantics
//
// MySQL has no ON CONFLICT and no UPDATE … RETURNING, so the shared layer uses portable statements in
// short READ COMMITTED transactions: find-or-create and dedup insert and treat a duplicate key as "exists"
// (the unique indexes decide), compare-and-set is a conditional UPDATE whose row is read back under its
// row lock, NextCursor is an UPDATE (or INSERT) of the pool's row and a read of it, and job claims pick
// due jobs with SELECT … FOR UPDATE SKIP LOCKED. Deadlocks and lock wait timeouts rerun the transaction,
// up to three times.
//
// # Connecting
//
// Open takes the driver's DSN and sets clientFoundRows (an UPDATE counts the rows it matched, changed or
// not) and client-side parameter interpolation. The database must exist; Open applies the embedded
// migrations (migrations/*.sql) under a named lock (GET_LOCK), recorded in schema_version. MySQL commits
// each DDL statement as it runs, so a migration is not atomic as it is on PostgreSQL and SQLite.
//
// # Schema
//
// Identifiers and keys are VARBINARY(255) and free text BLOB, so text is stored byte for byte (NUL,
// invalid UTF-8) and compared as Go compares strings, never by a collation that folds case or trailing
// spaces. Where the other schemas use partial indexes, this one uses generated columns (unique keys that
// hold for some rows only) or indexes that lead with the filtered column; see migrations/0001_init.sql.
// Times are BIGINT microseconds since the Unix epoch.
//
// # Errors
//
// Duplicate keys map to store.ErrAlreadyExists, missing foreign-key parents to store.ErrNotFound, lost
// optimistic updates to store.ErrConflict.
//
// # Testing
//
// The tests read MSGKIT_MYSQL_DSN (e.g. "root@tcp(127.0.0.1:3306)/test") and give every test its own
// database, dropped afterwards; without the variable they skip (and fail under CI=true). bash .ci/run
// provides a server.
//
// # Concurrency
//
// A Store is safe for concurrent use.
package mysql
