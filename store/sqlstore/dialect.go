package sqlstore

import "context"

// Dialect is what the layer must know about a database beyond the SQL every one of them speaks: what its
// errors mean, and which of a few SQL features it has. For a feature it lacks, the layer uses portable
// SQL (INSERT, UPDATE, SELECT … FOR UPDATE, DELETE) in a transaction instead, so a database with none of
// them is served too, at the cost of more statements per call.
//
// Placeholders are not part of it: the layer writes every statement with $1-style parameters, and a DB
// for a database that wants ? rewrites them (see Positional and NewSQLDB).
//
// A Dialect must be safe for concurrent use; it is usually a value with no state.
type Dialect interface {
	// Classify says what an error returned by the database (through the backend's DB) means to the store.
	Classify(err error) ErrorKind
	// Has reports whether the database has the feature.
	Has(f Feature) bool
}

// ErrorKind is what a database error means to the store.
type ErrorKind int

// Error kinds. Classify returns Other for every error it does not know.
const (
	Other      ErrorKind = iota // any other error: returned, wrapped, as it is
	NoRows                      // a query returned no row (sql.ErrNoRows, pgx.ErrNoRows): store.ErrNotFound
	Unique                      // a unique or primary key was violated: store.ErrAlreadyExists
	ForeignKey                  // a foreign key was violated (a missing parent): store.ErrNotFound
	Retry                       // a deadlock or serialization failure: the transaction is run again
)

// Feature is a SQL feature a database may lack.
type Feature int

// Features. The layer uses Returning and Upsert together: a database needs both for the one-statement
// forms (PostgreSQL and SQLite have them; MySQL has neither, MariaDB only the first).
const (
	// Returning is INSERT … RETURNING and UPDATE … RETURNING. Without it the layer reads the row back with
	// a SELECT in the same transaction.
	Returning Feature = iota + 1
	// Upsert is INSERT … ON CONFLICT (…) DO NOTHING and ON CONFLICT (…) DO UPDATE. Without it the layer
	// inserts and treats a unique violation as "exists", and updates before it inserts.
	Upsert
	// RowValues is a row-value comparison, (a, b) < ($1, $2), that the database serves with one range
	// scan of an (a, b) index: keyset paging uses it. Without it the layer writes the same condition as
	// a < $1 OR (a = $1 AND b < $2), which range optimizers that ignore row values (MySQL's, MariaDB's)
	// still serve from the index.
	RowValues
	// SkipLocked is SELECT … FOR UPDATE SKIP LOCKED: concurrent job claimers then take different jobs
	// without waiting for each other. Without it, claims lock the due rows they pick (FOR UPDATE) where
	// the database has row locks, and are serialised otherwise.
	SkipLocked
	// RowLocks is SELECT … FOR UPDATE. SQLite, which serialises write transactions, lacks it.
	RowLocks
	// WritableCTE is an INSERT inside WITH, whose RETURNING rows the statement can select (PostgreSQL).
	// With it, Returning and Upsert, find-or-create is one statement (one round trip) for a new row as
	// for an existing one. Without it the layer looks first, and inserts when it found nothing.
	WritableCTE
)

// has reports whether the dialect has every feature in fs.
func has(d Dialect, fs ...Feature) bool {
	for _, f := range fs {
		if !d.Has(f) {
			return false
		}
	}
	return true
}

// JobsDueNotifier is an optional addition to a Dialect, for a database that can tell other processes that
// jobs became due (store.JobWaker). When a statement makes a job due by the store's clock (EnqueueJob
// creating one without a lease, RetryJob or HoldJob releasing one), the layer calls JobsDue on the Store's own DB: after
// the statement, or, when it ran in a transaction, after that transaction commits — never for one that
// rolled back, and never before the job can be claimed. Its error is ignored: the change stands, and a
// lost notice costs the workers a poll.
type JobsDueNotifier interface {
	JobsDue(ctx context.Context, db DB) error
}
