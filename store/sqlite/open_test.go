package sqlite_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlite"
	"github.com/msgkit/msgkit/store/sqlstore"
)

// Open documents that several Stores, in one process or several, may open one file and never fail with
// SQLITE_BUSY. The tests below hold it to that where it used to break: on a brand-new file, which the
// first opener switches to WAL mode and migrates while the others open it too. SQLite does not apply the
// busy timeout to that switch, so a handle that met another's switch failed at once with SQLITE_BUSY.

// Several Stores opening one brand-new file at the same moment, as instances starting together do, all
// open it, write and read, and each migration is applied once. The race is short, so it is run again on
// fresh files for a bounded time. Before the fix, about one run in four failed here (2 cores, without
// -race; under -race, fewer rounds run and it rarely failed: TestOpenWaitsForAnotherHandleMigrating
// catches that bug every time).
func TestConcurrentOpensOfANewFile(t *testing.T) {
	t.Parallel()
	const handles, maxRounds, budget = 8, 40, 2 * time.Second
	start := time.Now()
	for round := 0; round < maxRounds && (round == 0 || time.Since(start) < budget); round++ {
		path := filepath.Join(t.TempDir(), "msgkit.db")
		errs := make([]error, handles)
		gate := make(chan struct{})
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				<-gate
				errs[i] = openWriteRead(t.Context(), path)
			})
		}
		close(gate)
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "round %d, handle %d", round, i)
		}
		require.Equal(t, migrationVersions(t), schemaVersions(t, path), "round %d: each migration applied once", round)
		require.Equal(t, "wal", journalMode(t, path), "round %d", round)
	}
}

// The same across processes: child processes open each round's new file at one wall-clock moment,
// for a bounded time (under -race a round takes longer than its period, and fewer rounds run). Before
// the fix, about half of the runs failed here (2 cores, without -race).
func TestConcurrentOpensFromProcesses(t *testing.T) {
	t.Parallel()
	const procs, rounds, period, budget = 4, 10, 100 * time.Millisecond, time.Second
	dir := t.TempDir()
	children := make([]*child, procs)
	for i := range children {
		children[i] = startChild(t, "open", "MSGKIT_SQLITE_DIR="+dir, "MSGKIT_SQLITE_ROUNDS="+strconv.Itoa(rounds),
			"MSGKIT_SQLITE_PERIOD="+period.String(), "MSGKIT_SQLITE_BUDGET="+budget.String())
	}
	for _, c := range children {
		c.await(t, "ready") // a child starts in tens of milliseconds, about a second under -race
	}
	at := strconv.FormatInt(time.Now().Add(50*time.Millisecond).UnixNano(), 10)
	for _, c := range children {
		_, err := io.WriteString(c.stdin, at+"\n")
		require.NoError(t, err)
	}
	for i, c := range children {
		out, err := c.wait()
		require.NoError(t, err, "child %d failed:\n%s", i, out)
	}
	for round := range rounds {
		path := filepath.Join(dir, roundFile(round))
		if _, err := os.Stat(path); round > 0 && errors.Is(err, fs.ErrNotExist) {
			break // out of time
		}
		require.Equal(t, migrationVersions(t), schemaVersions(t, path), "round %d: each migration applied once", round)
		require.Equal(t, "wal", journalMode(t, path), "round %d", round)
	}
}

// While another handle holds the write lock on the file (as another Store does for a moment when it
// switches a new file to WAL mode or migrates it, and another process may do for longer), Open waits
// instead of failing; once that handle commits its migration, Open finds nothing left to do. The file
// is still in rollback-journal mode in the first cases (a new file, or one made by an older program):
// there, before the fix, Open failed at once with SQLITE_BUSY.
func TestOpenWaitsForAnotherHandleMigrating(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		wal, process bool
	}{
		{"rollback-journal/same-process", false, false},
		{"rollback-journal/other-process", false, true},
		{"wal/same-process", true, false},
		{"wal/other-process", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "msgkit.db")
			release := holdMigrating(t, path, tc.wal, tc.process)

			type result struct {
				s   *sqlite.Store
				err error
			}
			opened := make(chan result, 1)
			go func() {
				s, err := sqlite.Open(t.Context(), path, nil)
				opened <- result{s, err}
			}()
			select {
			case r := <-opened:
				if r.s != nil {
					_ = r.s.Close()
				}
				require.Failf(t, "Open returned while another handle held the file", "error: %v", r.err)
			case <-time.After(200 * time.Millisecond):
			}
			require.NoError(t, release(), "the other handle's migration")
			r := <-opened
			require.NoError(t, r.err, "Open waits for the other handle, then opens")
			t.Cleanup(func() { require.NoError(t, r.s.Close()) })

			require.Equal(t, migrationVersions(t), schemaVersions(t, path), "Open finds the migrations applied and applies none again")
			require.Equal(t, "wal", journalMode(t, path))
			c, err := r.s.CreateChannel(t.Context(), store.Channel{Name: "Shop", Kind: "line"})
			require.NoError(t, err)
			_, err = r.s.GetChannel(t.Context(), c.ID)
			require.NoError(t, err)
		})
	}
}

// TestOpenChild is the child process of the tests above, in the role MSGKIT_SQLITE_CHILD names:
// "open" opens a file per round at the moments its parent gives; "hold" holds a migration until its
// parent closes stdin. Run alone, it skips.
func TestOpenChild(t *testing.T) {
	switch os.Getenv("MSGKIT_SQLITE_CHILD") {
	case "":
		t.Skip("runs only as a child process of the tests in open_test.go")
	case "open":
		rounds, err := strconv.Atoi(os.Getenv("MSGKIT_SQLITE_ROUNDS"))
		require.NoError(t, err)
		period, err := time.ParseDuration(os.Getenv("MSGKIT_SQLITE_PERIOD"))
		require.NoError(t, err)
		budget, err := time.ParseDuration(os.Getenv("MSGKIT_SQLITE_BUDGET"))
		require.NoError(t, err)
		fmt.Println("ready")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		require.NoError(t, err)
		at, err := strconv.ParseInt(line[:len(line)-1], 10, 64)
		require.NoError(t, err)
		start := time.Unix(0, at)
		for round := range rounds {
			if round > 0 && time.Since(start) > budget {
				break
			}
			time.Sleep(time.Until(start.Add(time.Duration(round) * period)))
			err := openWriteRead(t.Context(), filepath.Join(os.Getenv("MSGKIT_SQLITE_DIR"), roundFile(round)))
			require.NoError(t, err, "round %d", round)
		}
	case "hold":
		wal, err := strconv.ParseBool(os.Getenv("MSGKIT_SQLITE_WAL"))
		require.NoError(t, err)
		require.NoError(t, migrateHolding(t.Context(), os.Getenv("MSGKIT_SQLITE_PATH"), wal, func() {
			fmt.Println("holding")
			_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
		}))
	}
}

// openWriteRead opens a Store on path, writes a channel, reads it back and closes the Store.
func openWriteRead(ctx context.Context, path string) (err error) {
	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	c, err := s.CreateChannel(ctx, store.Channel{Name: "Shop", Kind: "line"})
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if _, err := s.GetChannel(ctx, c.ID); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

func roundFile(round int) string { return fmt.Sprintf("round%d.db", round) }

// holdMigrating makes another handle, in this process or a child process, migrate the file at path
// and hold its transaction open. It returns once that handle holds the write lock; release commits
// the migration and returns the handle's error.
func holdMigrating(t *testing.T, path string, wal, process bool) (release func() error) {
	t.Helper()
	if process {
		c := startChild(t, "hold", "MSGKIT_SQLITE_PATH="+path, "MSGKIT_SQLITE_WAL="+strconv.FormatBool(wal))
		c.await(t, "holding")
		return func() error {
			if out, err := c.wait(); err != nil {
				return fmt.Errorf("%w; output:\n%s", err, out)
			}
			return nil
		}
	}
	holding, done := make(chan struct{}), make(chan struct{})
	result := make(chan error, 1)
	go func() {
		result <- migrateHolding(t.Context(), path, wal, func() {
			close(holding)
			<-done
		})
	}()
	select {
	case <-holding:
	case err := <-result:
		require.NoError(t, err, "the other handle's migration")
		require.FailNow(t, "the other handle never held the file")
	}
	release = sync.OnceValue(func() error {
		close(done)
		return <-result
	})
	t.Cleanup(func() { _ = release() }) // if the test fails first
	return release
}

// migrateHolding migrates path from a plain connection, as another program or another Store would: in
// WAL mode if wal, else in SQLite's default rollback-journal mode. It calls held while its immediate
// transaction holds the write lock, and commits when held returns.
func migrateHolding(ctx context.Context, path string, wal bool, held func()) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if wal {
		if _, err := conn.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if _, err := sqlstore.Migrate(ctx, rawDB{conn}, os.DirFS("migrations")); err != nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		return err
	}
	held()
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// child is this test binary re-executed in a role of TestOpenChild.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	out    bytes.Buffer // what it printed on stdout, for failures
	stderr bytes.Buffer // written by os/exec: read it only after wait
}

func startChild(t *testing.T, role string, env ...string) *child {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestOpenChild$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), "MSGKIT_SQLITE_CHILD="+role), env...)
	c := &child{cmd: cmd}
	var err error
	c.stdin, err = cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	c.stdout = bufio.NewReader(io.TeeReader(stdout, &c.out))
	cmd.Stderr = &c.stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _, _ = c.wait() })
	return c
}

// await reads the child's output up to the line want.
func (c *child) await(t *testing.T, want string) {
	t.Helper()
	for {
		line, err := c.stdout.ReadString('\n')
		if line == want+"\n" {
			return
		}
		if err != nil {
			out, werr := c.wait()
			require.Failf(t, "the child exited early", "before printing %q (%v, %v); output:\n%s", want, err, werr, out)
		}
	}
}

// wait closes the child's stdin, reads the rest of its output and waits for it to exit. It returns
// what the child printed.
func (c *child) wait() (string, error) {
	var err error
	if c.cmd.ProcessState == nil {
		_ = c.stdin.Close()
		_, _ = io.Copy(io.Discard, c.stdout)
		err = c.cmd.Wait()
	}
	return c.out.String() + c.stderr.String(), err
}

// journalMode returns the journal mode of the file at path, as a new connection finds it.
func journalMode(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1) // both statements on one connection
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM sqlite_schema`).Scan(&n)) // reads the file's header
	var mode string
	require.NoError(t, db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	return mode
}
