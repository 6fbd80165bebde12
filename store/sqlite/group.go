package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/msgkit/msgkit/store/sqlstore"
)

// maxGroup bounds how many transactions share one commit, so that none waits behind too many others.
const maxGroup = 32

// groupCommit runs a Store's transactions, sharing commits between those that wait at the same time.
//
// SQLite has one writer, and a commit writes every page its transaction changed to the log: concurrent
// inbound messages change the same pages (the tails of the messages and jobs tables, the inbox
// indexes), and each paid for them in full. A caller that finds the writer busy queues its function;
// whoever takes the writer next runs every queued function in one transaction, each inside its own
// savepoint, and commits once. A function that fails is rolled back to its savepoint alone and gets its
// error; the others commit, and each caller returns only after the commit that holds its work. Should
// the shared transaction itself fail (a commit error, a savepoint SQLite dropped with the transaction),
// the functions it held run again, each in a transaction of its own, so every caller gets the outcome
// of its own work: transaction functions may run more than once, as with any retried transaction.
type groupCommit struct {
	s     *Store
	mu    sync.Mutex
	queue []*member
	// shared counts the commits of two or more functions (read by tests and benchmarks).
	shared atomic.Int64
	// limit, when set, bounds a group instead of maxGroup (1: no sharing, for benchmarks' baselines).
	limit int
}

// member is one caller's transaction function.
type member struct {
	ctx      context.Context
	fn       func(ctx context.Context, tx sqlstore.DB) error
	done     chan error // its outcome, once
	answered bool       // set by the leader once done has its outcome
}

// answer gives m its outcome, unless it has one already. Only the leader calls it.
func (m *member) answer(err error) {
	if !m.answered {
		m.answered = true
		m.done <- err
	}
}

// errAbandoned answers the members of a group whose leader's goroutine was ended by a function in it
// (runtime.Goexit: a test's FailNow inside a transaction function). Nothing of the group was committed.
var errAbandoned = errors.New("sqlite: a transaction function sharing this commit ended its goroutine; nothing was committed")

// panicked carries a function's panic to its caller's goroutine.
type panicked struct{ value any }

func (p *panicked) Error() string {
	return fmt.Sprintf("sqlite: transaction function panicked: %v", p.value)
}

// run runs fn in a transaction, possibly shared, and returns once its outcome is known.
func (g *groupCommit) run(ctx context.Context, fn func(ctx context.Context, tx sqlstore.DB) error) error {
	m := &member{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, m)
	g.mu.Unlock()
	select {
	case err := <-m.done: // another caller ran it
		return outcome(err)
	case g.s.lock <- struct{}{}:
	case <-ctx.Done():
		if g.dequeue(m) {
			return ctx.Err()
		}
		return outcome(<-m.done) // already running in another caller's group
	}
	select {
	case err := <-m.done: // committed by the leader before; both were ready and the lock was picked
		g.s.lock.release()
		return outcome(err)
	default:
	}
	func() {
		defer g.s.lock.release() // even if a function ends this goroutine
		g.lead(m)
	}()
	return outcome(<-m.done)
}

// outcome re-raises a function's panic in its caller's goroutine, with the value it was raised with
// (the stack it was first raised on is lost: it was the leader's).
func outcome(err error) error {
	if p, ok := err.(*panicked); ok {
		panic(p.value)
	}
	return err
}

// dequeue removes m from the queue, reporting whether it was still there.
func (g *groupCommit) dequeue(m *member) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.Index(g.queue, m)
	if i < 0 {
		return false
	}
	g.queue = slices.Delete(g.queue, i, i+1)
	return true
}

// lead runs queued functions in groups, holding the write lock, until own's group has committed. The
// functions still queued then have callers waiting for the lock, one of whom leads next.
func (g *groupCommit) lead(own *member) {
	for {
		g.mu.Lock()
		n := min(len(g.queue), cmp.Or(g.limit, maxGroup))
		batch := slices.Clone(g.queue[:n])
		g.queue = slices.Delete(g.queue, 0, n)
		g.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		g.commit(batch)
		if slices.Contains(batch, own) {
			return
		}
	}
}

// commit runs batch in one transaction and tells each member its outcome.
func (g *groupCommit) commit(batch []*member) {
	defer func() { // reached unanswered only when a function ended this goroutine
		for _, m := range batch {
			m.answer(errAbandoned)
		}
	}()
	if len(batch) == 1 {
		batch[0].answer(g.s.alone(batch[0]))
		return
	}
	// The transaction outlives any one member's context: one caller giving up must not roll back the
	// others' work. Each function's statements run under its own context.
	ctx := context.WithoutCancel(batch[0].ctx)
	tx, err := g.s.writer.BeginTx(ctx, nil)
	if err != nil {
		for _, m := range batch {
			m.answer(fmt.Errorf("sqlite: begin: %w", err))
		}
		return
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing; it ends a transaction abandoned mid-way
	db := &txDB{tx: tx, writer: g.s.writer, stmts: g.s.stmts}
	results := make([]error, len(batch))
	for i, m := range batch {
		if err := m.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT grouped"); err != nil {
			g.fallback(tx, batch, results, i)
			return
		}
		results[i] = call(m, db)
		undo := "RELEASE grouped"
		if results[i] != nil {
			undo = "ROLLBACK TO grouped; RELEASE grouped"
		}
		if _, err := tx.ExecContext(ctx, undo); err != nil {
			g.fallback(tx, batch, results, i+1)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		g.fallback(nil, batch, results, len(batch))
		return
	}
	g.s.ckpt.wrote()
	g.shared.Add(1)
	for i, m := range batch {
		m.answer(results[i])
	}
}

// fallback abandons a shared transaction that failed: the members before ran (results holds their
// outcomes) and the rest did not; each that did not fail runs again, alone.
func (g *groupCommit) fallback(tx *sql.Tx, batch []*member, results []error, ran int) {
	if tx != nil {
		_ = tx.Rollback()
	}
	for i, m := range batch {
		if i < ran && results[i] != nil {
			m.answer(results[i])
			continue
		}
		m.answer(g.s.alone(m))
	}
}

// call runs m's function, turning a panic into a *panicked error.
func call(m *member, db sqlstore.DB) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicked{v}
		}
	}()
	return m.fn(m.ctx, db)
}

// alone runs m in a transaction of its own.
func (s *Store) alone(m *member) error {
	if err := m.ctx.Err(); err != nil {
		return err
	}
	tx, err := s.writer.BeginTx(m.ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if err := call(m, &txDB{tx: tx, writer: s.writer, stmts: s.stmts}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	s.ckpt.wrote()
	return nil
}
