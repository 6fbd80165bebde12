package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msgkit/msgkit/store/sqlstore"
)

// Reconnecting the listener: the first attempt after a drop is immediate when the connection had
// lasted stableListen, then the delay doubles from minReconnect to maxReconnect (with jitter, so
// instances do not reconnect in step).
const (
	minReconnect = 50 * time.Millisecond
	maxReconnect = 10 * time.Second
	// stableListen is how long a listening connection must last for the next reconnect to be immediate.
	stableListen = 5 * time.Second
)

// listenerName is the application_name of the listening connection, as pg_stat_activity shows it.
const listenerName = "msgkit job listener"

// channelFor is the notification channel of the jobs in schema: every Store on that schema, in any
// process, notifies and listens on it. Channel names are identifiers (at most 63 bytes), so a long schema
// name is hashed.
func channelFor(schema string) string {
	const prefix = "msgkit_jobs."
	if len(prefix)+len(schema) <= 63 {
		return prefix + schema
	}
	sum := sha256.Sum256([]byte(schema))
	return prefix + hex.EncodeToString(sum[:16])
}

// JobsDue implements sqlstore.JobsDueNotifier: pg_notify, after the change that made a job due has
// committed, in a transaction of its own that does not wait for its commit record to be flushed (a lost
// notice costs a poll; a flushed one would cost every notifying commit a WAL flush under the global lock
// PostgreSQL takes to commit notifications in order).
func (d dialect) JobsDue(ctx context.Context, db sqlstore.DB) error {
	_, err := db.Exec(ctx, `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, '')`, d.channel)
	return err
}

// waker fans the notifications of the schema's channel out to the Store's WatchJobs subscribers. It
// listens on one dedicated connection, opened by the first subscription and kept until Close.
type waker struct {
	channel string
	connect func(ctx context.Context) (*pgx.Conn, error)

	mu      sync.Mutex
	subs    map[chan struct{}]struct{}
	started bool
	closed  bool
	stop    context.CancelFunc
	done    chan struct{}
}

// WatchJobs implements store.JobWaker: a wake follows every committed change, by any Store on the schema
// in any process, that enqueued a job due now or released one to run now (NOTIFY), and every
// reconnection of the listener, which may have missed some while it was down.
func (s *Store) WatchJobs() (<-chan struct{}, func()) {
	w := s.waker
	c := make(chan struct{}, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return c, func() {}
	}
	w.subs[c] = struct{}{}
	if !w.started {
		w.started = true
		ctx, cancel := context.WithCancel(context.Background())
		w.stop = cancel
		go func() {
			defer close(w.done)
			w.listen(ctx)
		}()
	}
	return c, func() {
		w.mu.Lock()
		delete(w.subs, c)
		w.mu.Unlock()
	}
}

// wake signals every subscriber without blocking: one that has a wake pending keeps that one.
func (w *waker) wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for c := range w.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// listen keeps a connection listening on the channel until ctx ends, reconnecting with backoff when it
// drops.
func (w *waker) listen(ctx context.Context) {
	delay := time.Duration(0)
	for ctx.Err() == nil {
		if delay > 0 {
			t := time.NewTimer(delay/2 + rand.N(delay/2+1))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		delay = min(max(delay*2, minReconnect), maxReconnect)
		conn, err := w.connect(ctx)
		if err != nil {
			continue
		}
		if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{w.channel}.Sanitize()); err == nil {
			listening := time.Now()
			w.wake() // jobs may have become due while nobody listened
			for {
				if _, err := conn.WaitForNotification(ctx); err != nil {
					break
				}
				w.wake()
			}
			if time.Since(listening) >= stableListen {
				delay = 0 // a connection that lasted: the next reconnects at once
			} // else one that drops soon after each LISTEN backs off, rather than waking every Run each time
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		_ = conn.Close(cctx)
		cancel()
	}
}

// close stops the listener and waits for it.
func (w *waker) close() {
	w.mu.Lock()
	w.closed = true
	started := w.started
	w.subs = nil
	w.mu.Unlock()
	if started {
		w.stop()
		<-w.done
	}
}
