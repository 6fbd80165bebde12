package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store/sqlstore"
)

// groupOf runs fns as concurrent transactions that are sure to share one commit: the test holds the
// write lock until every one is queued, in order. It returns each one's outcome (a panic as errPanicked).
func groupOf(t *testing.T, s *Store, ctxs []context.Context, fns ...func(ctx context.Context, tx sqlstore.DB) error) []error {
	t.Helper()
	require.NoError(t, s.lock.acquire(t.Context()))
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		ctx := t.Context()
		if ctxs != nil {
			ctx = ctxs[i]
		}
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					errs[i] = errPanicked
				}
			}()
			errs[i] = s.runTx(ctx, fn)
		})
		require.Eventually(t, func() bool { // queued in order
			s.group.mu.Lock()
			defer s.group.mu.Unlock()
			return len(s.group.queue) == i+1
		}, 5*time.Second, time.Millisecond)
	}
	s.lock.release()
	wg.Wait()
	return errs
}

var errPanicked = errors.New("panicked")

func openGroupStore(t *testing.T) *Store {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "msgkit.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	_, err = s.writer.ExecContext(t.Context(), "CREATE TABLE t (v TEXT)")
	require.NoError(t, err)
	return s
}

func insert(v string, then error) func(ctx context.Context, tx sqlstore.DB) error {
	return func(ctx context.Context, tx sqlstore.DB) error {
		if _, err := tx.Exec(ctx, "INSERT INTO t (v) VALUES ($1)", v); err != nil {
			return err
		}
		return then
	}
}

func rows(t *testing.T, s *Store) []string {
	t.Helper()
	r, err := s.writer.QueryContext(t.Context(), "SELECT v FROM t ORDER BY v")
	require.NoError(t, err)
	defer r.Close()
	var vs []string
	for r.Next() {
		var v string
		require.NoError(t, r.Scan(&v))
		vs = append(vs, v)
	}
	require.NoError(t, r.Err())
	return vs
}

// Of transactions sharing a commit, one that fails is rolled back alone: the others commit, in one
// commit.
func TestGroupFailureIsRolledBackAlone(t *testing.T) {
	s := openGroupStore(t)
	boom := errors.New("boom")
	errs := groupOf(t, s, nil, insert("a", nil), insert("b", boom), insert("c", nil))
	require.Equal(t, []error{nil, boom, nil}, errs)
	require.Equal(t, []string{"a", "c"}, rows(t, s))
	require.EqualValues(t, 1, s.group.shared.Load(), "the three shared one commit")
}

// A function that panics panics in its own caller's goroutine; the others commit.
func TestGroupPanicReachesItsCaller(t *testing.T) {
	s := openGroupStore(t)
	panics := func(ctx context.Context, tx sqlstore.DB) error {
		if err := insert("b", nil)(ctx, tx); err != nil {
			return err
		}
		panic("bad function")
	}
	errs := groupOf(t, s, nil, insert("a", nil), panics, insert("c", nil))
	require.Equal(t, []error{nil, errPanicked, nil}, errs)
	require.Equal(t, []string{"a", "c"}, rows(t, s))
}

// A caller that gives up while queued is taken out of the queue: its function never runs.
func TestGroupCallerThatGivesUpIsNotRun(t *testing.T) {
	s := openGroupStore(t)
	require.NoError(t, s.lock.acquire(t.Context()))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.runTx(ctx, insert("late", nil)) }()
	require.Eventually(t, func() bool {
		s.group.mu.Lock()
		defer s.group.mu.Unlock()
		return len(s.group.queue) == 1
	}, 5*time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	s.lock.release()
	require.NoError(t, s.runTx(t.Context(), insert("a", nil)))
	require.Equal(t, []string{"a"}, rows(t, s))
}

// When the shared transaction breaks (here a function ends it behind the Store's back), every other
// function runs again alone, and each commits exactly once.
func TestGroupBrokenTransactionRunsTheOthersAlone(t *testing.T) {
	s := openGroupStore(t)
	breaks := func(ctx context.Context, tx sqlstore.DB) error {
		_, err := tx.Exec(ctx, "ROLLBACK")
		return err
	}
	errs := groupOf(t, s, nil, insert("a", nil), breaks, insert("c", nil))
	require.NoError(t, errs[0])
	require.Error(t, errs[1], "the function that broke it gets the failure")
	require.NoError(t, errs[2])
	require.Equal(t, []string{"a", "c"}, rows(t, s))
}

// A member whose context ends while its group runs (after it was taken from the queue) is not run; the
// group commits without it, and its caller gets the context's error.
func TestGroupSkipsAMemberThatGaveUp(t *testing.T) {
	s := openGroupStore(t)
	gone, cancel := context.WithCancel(t.Context())
	first := func(ctx context.Context, tx sqlstore.DB) error {
		cancel() // b gives up while a runs
		return insert("a", nil)(ctx, tx)
	}
	errs := groupOf(t, s, []context.Context{t.Context(), gone, t.Context()}, first, insert("b", nil), insert("c", nil))
	require.NoError(t, errs[0])
	require.ErrorIs(t, errs[1], context.Canceled)
	require.NoError(t, errs[2])
	require.Equal(t, []string{"a", "c"}, rows(t, s))
}

// A function that ends its goroutine (runtime.Goexit: a test's FailNow inside RunInTx) ends the
// leader's: nothing of its group is committed, every other member is answered, and the Store goes on
// writing (the write lock is released, the transaction rolled back).
func TestGroupGoexitLeavesTheStoreWriting(t *testing.T) {
	s := openGroupStore(t)
	exits := func(ctx context.Context, tx sqlstore.DB) error {
		if err := insert("b", nil)(ctx, tx); err != nil {
			return err
		}
		runtime.Goexit()
		return nil
	}
	errs := groupOf(t, s, nil, insert("a", nil), exits, insert("c", nil))
	abandoned := 0
	for _, err := range errs { // the leader's goroutine was ended: its caller got no answer (nil here)
		if err != nil {
			require.ErrorIs(t, err, errAbandoned)
			abandoned++
		}
	}
	require.GreaterOrEqual(t, abandoned, 2, "every member but the leader is answered")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	require.NoError(t, s.runTx(ctx, insert("later", nil)), "the Store still writes")
	require.Equal(t, []string{"later"}, rows(t, s))
}
