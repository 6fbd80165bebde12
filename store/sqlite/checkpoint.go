package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// checkpointer copies the write-ahead log back into the database file from its own connection, delay
// after a write (the writes meanwhile are taken by the same checkpoint), so that no commit runs it.
// Each round is a PASSIVE checkpoint, which never waits for readers or writers: it copies the log while
// this Store's writers go on. Under a writer that never pauses, the log is then never wholly copied at
// the moment a transaction begins, and so never starts again from the beginning: once it holds
// restartPages, the round ends with a second PASSIVE checkpoint holding the Store's write lock, which
// copies the few frames committed meanwhile, so that the next transaction starts the log again. That pass
// makes this Store's writers wait for the checkpoint's fsync, so it is kept rare: the log grows to
// restartPages (16 MB) between restarts; run every round, it cost an inbound message 25 % more time on
// average and doubled its p99. Frames a reader still uses are left to a later round. A checkpoint that
// fails is not reported: the next write starts another round, and SQLite's own checkpoint at
// backstopPages copies the log meanwhile.
type checkpointer struct {
	db    *sql.DB
	lock  writeLock
	delay time.Duration
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	// closing makes close idempotent, as Store.Close is.
	closing sync.Once
}

func startCheckpointer(dsn string, lock writeLock, delay time.Duration) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	c := &checkpointer{db: db, lock: lock, delay: delay, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

// wrote notes a write: a checkpoint follows within the delay. It never blocks.
func (c *checkpointer) wrote() {
	if c == nil {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	wait := time.NewTimer(c.delay)
	wait.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		wait.Reset(c.delay)
		select {
		case <-c.stop:
			wait.Stop()
			return
		case <-wait.C:
		}
		c.checkpoint()
	}
}

// restartPages is the log size at which a checkpoint round makes the next transaction start the log
// again (see checkpointer).
const restartPages = 4000

// checkpoint runs one round.
func (c *checkpointer) checkpoint() {
	ctx := context.Background()
	var busy, log, copied int
	if err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &copied); err != nil || log < restartPages {
		return
	}
	select {
	case c.lock <- struct{}{}:
	case <-c.stop:
		return
	}
	defer c.lock.release()
	_, _ = c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
}

// close stops the checkpointer and closes its connection; calls after the first do nothing.
func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	var err error
	c.closing.Do(func() {
		close(c.stop)
		<-c.done
		err = c.db.Close()
	})
	return err
}
