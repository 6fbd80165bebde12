package sqlstore

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/msgkit/msgkit/store"
)

// writeRow runs write, an INSERT or UPDATE of at most one row, and returns that row as scanned, or the
// NoRows error when the statement wrote none. onConflict, when set, is the statement's ON CONFLICT …
// DO NOTHING clause. With Returning and Upsert it is one statement, write onConflict RETURNING cols.
// Without them it is write alone (a unique violation then returns as the error that stands for the
// conflict), then, in one transaction with it, SELECT cols FROM table WHERE key; key uses write's
// arguments ("id = $1").
func writeRow[T any](ctx context.Context, s *Store, scan func(Row) (T, error), write, onConflict, table, cols, key string, args ...any) (T, error) {
	if has(s.d, Returning, Upsert) {
		if onConflict != "" {
			write += " " + onConflict
		}
		return scan(s.db.QueryRow(ctx, write+" RETURNING "+cols, args...))
	}
	var out T
	err := s.tx(ctx, func(ctx context.Context, tx *Store) error {
		n, err := tx.db.Exec(ctx, write, args...)
		if err != nil {
			return err
		}
		if n == 0 {
			return errNoRows
		}
		out, err = scan(tx.db.QueryRow(ctx, `SELECT `+cols+` FROM `+table+` WHERE `+key, args...))
		return err
	})
	return out, err
}

// createQueries are the statements of a find-or-create (findOrCreate). The arguments are the insert's:
// $1 is the new row's ID.
type createQueries struct {
	table, cols, what string
	// insert inserts the row, with onConflict (the peer key's DO NOTHING) after it.
	insert, onConflict string
	// With WritableCTE: lookup selects cols of the existing row, and insertSelect is the insert as an
	// INSERT … SELECT whose WHERE clause ends the statement text, so that the condition that nothing was
	// found can be added to it.
	lookup, insertSelect string
}

// findOrCreate returns the row find reads, or inserts it with q and args and returns it and true. With
// WritableCTE, Returning and Upsert, both are one statement: WITH found AS (lookup), created AS
// (insertSelect … RETURNING cols). A row a concurrent transaction committed after that statement began
// is neither found nor created by it; like a database without the feature, the layer then inserts, and
// insertOnce finds the row the conflict says exists.
func findOrCreate[T any](ctx context.Context, s *Store, scan func(Row) (T, error), find func() (T, error), q createQueries, args ...any) (T, bool, error) {
	if has(s.d, WritableCTE, Returning, Upsert) {
		var created bool
		got, err := scan(createdRow{s.db.QueryRow(ctx, `WITH found AS (`+q.lookup+`), created AS (`+q.insertSelect+
			` AND NOT EXISTS (SELECT 1 FROM found) `+q.onConflict+` RETURNING `+q.cols+`)
			SELECT `+q.cols+`, FALSE FROM found UNION ALL SELECT `+q.cols+`, TRUE FROM created`, args...), &created})
		if !s.noRows(err) {
			return got, created, s.mapErr(err, q.what)
		}
	} else if got, err := find(); !s.noRows(err) {
		return got, false, s.mapErr(err, q.what)
	}
	got, err := writeRow(ctx, s, scan, q.insert, q.onConflict, q.table, q.cols, "id = $1", args...)
	return insertOnce(s, got, err, find, q.what)
}

// createdRow is a row of findOrCreate's one statement: the columns its scan expects, then whether the row was created.
type createdRow struct {
	Row
	created *bool
}

func (r createdRow) Scan(dest ...any) error { return r.Row.Scan(append(dest, r.created)...) }

// insertOnce finishes an insert that does nothing when a row with the same key exists: after writeRow
// returned got and err, it returns the new row and true, or the existing row (read by find) and false.
// A unique violation (how a database without Upsert reports the conflict) with no row to find is a
// conflict on another key: ErrAlreadyExists.
func insertOnce[T any](s *Store, got T, err error, find func() (T, error), what string) (T, bool, error) {
	var zero T
	if err == nil {
		return got, true, nil
	}
	unique := s.unique(err)
	if !unique && !s.noRows(err) {
		return zero, false, s.mapErr(err, what)
	}
	existing, ferr := find()
	if ferr == nil {
		return existing, false, nil
	}
	if unique && s.noRows(ferr) {
		return zero, false, s.mapErr(err, what)
	}
	return zero, false, s.mapErr(ferr, what)
}

// upsert inserts a row, or updates it where one with the same key exists. onConflict is the ON CONFLICT
// … DO UPDATE clause that does so in one statement (with Upsert); update is an UPDATE of the existing row
// with the same arguments, which a database without Upsert runs first, inserting only when it matched no
// row (and updating after all when a concurrent insert won).
func (s *Store) upsert(ctx context.Context, insert, onConflict, update string, args ...any) error {
	if s.d.Has(Upsert) {
		_, err := s.db.Exec(ctx, insert+" "+onConflict, args...)
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx *Store) error {
		for range 2 {
			n, err := tx.db.Exec(ctx, update, args...)
			if err != nil || n > 0 {
				return err
			}
			if _, err = tx.db.Exec(ctx, insert, args...); !tx.unique(err) {
				return err
			}
		}
		return errAlreadyExists
	})
}

// forUpdate is the locking clause of a SELECT whose rows a transaction then updates.
func (s *Store) forUpdate() string {
	if s.d.Has(RowLocks) {
		return " FOR UPDATE"
	}
	return ""
}

// keyset appends a keyset condition on (timeCol, idCol) after p.After, the order and the limit (one more
// than the page, to know whether another follows) to a query whose WHERE clause is begun.
func keyset(d Dialect, q string, args []any, timeCol, idCol string, p store.Page) (string, []any) {
	cmp, dir := "<", "DESC"
	if p.Order == store.OldestFirst {
		cmp, dir = ">", "ASC"
	}
	if !p.After.IsZero() {
		args = append(args, micros(p.After.Time), p.After.ID)
		at, id := param(len(args)-1), param(len(args))
		if d.Has(RowValues) { // one range scan of a (time, id) index
			q += " AND (" + timeCol + ", " + idCol + ") " + cmp + " (" + at + ", " + id + ")"
		} else {
			q += " AND (" + timeCol + " " + cmp + " " + at + " OR (" + timeCol + " = " + at + " AND " + idCol + " " + cmp + " " + id + "))"
		}
	}
	// The limit is written into the query, not passed as an argument: a prepared statement's generic plan
	// (PostgreSQL's, after five runs) then knows it. With LIMIT $n it assumed 10 % of the table, and for
	// the "all" inbox view at 100,000 conversations chose a parallel plan that took 31 ms instead of 0.8
	// (issue 15). It is rounded up to one of a few values (the page is cut to its size after), so that
	// statement caches hold a few statements per query, not one per page size.
	return q + " ORDER BY " + timeCol + " " + dir + ", " + idCol + " " + dir + " LIMIT " + strconv.Itoa(limitBucket(p.Size()+1)), args
}

// limitBuckets are the LIMITs a page's query uses: the page sizes hosts use most (plus the row that tells
// whether another page follows) exactly, others rounded up to at most twice.
var limitBuckets = []int{2, 3, 5, 9, 11, 17, 21, 26, 33, 51, 65, 101, 129, 201, 257, store.MaxLimit + 1}

// limitBucket returns the smallest of limitBuckets that is at least n.
func limitBucket(n int) int {
	i, _ := slices.BinarySearch(limitBuckets, n)
	return limitBuckets[min(i, len(limitBuckets)-1)]
}

// cut trims a page fetched with one extra row and returns the next cursor when that row existed.
func cut[T any](items []T, p store.Page, cursor func(T) store.Cursor) ([]T, store.Cursor, error) {
	items, next := store.CutPage(items, p, cursor)
	return items, next, nil
}

// inList returns "$from, $from+1, …" for n arguments.
func inList(from, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = param(from + i)
	}
	return strings.Join(ps, ", ")
}
