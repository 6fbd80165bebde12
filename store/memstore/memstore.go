package memstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/btree"

	"github.com/msgkit/msgkit/store"
)

// Options configures a Store. The zero value is valid.
type Options struct {
	// Now is the store's clock: it stamps records and decides expiry and due times. nil means time.Now.
	Now func() time.Time
}

// Store is an in-memory store.Store. It also implements store.Pinger, and store.JobWaker for the job
// workers that share it in its process.
//
// All methods are safe for concurrent use. A single mutex serialises them, which makes every operation
// (and every RunInTx) atomic and linearizable.
type Store struct {
	handle
}

// handle runs operations on shared state: directly (locking per call) or inside a transaction (the
// transaction holds the lock and journals every change so it can be undone).
type handle struct {
	st   *state
	tx   *journal // nil outside a transaction
	done bool     // set when the transaction this handle belongs to has ended
}

// state is the data, guarded by mu.
type state struct {
	mu  sync.Mutex
	now func() time.Time

	channels         map[string]store.Channel
	channelByExt     map[[2]string]string // (kind, external ID) → channel ID
	contacts         map[string]store.Contact
	contactByPeer    map[peerKey]string
	convs            map[string]store.Conversation
	convByPeer       map[peerKey]string
	views            map[viewKey]*btree.BTreeG[store.Cursor] // conversations' (LastMessageAt, ID) per view index
	convsByContact   map[string][]string                     // contact ID → its conversations' IDs
	recordContacts   map[[2]string][]string                  // (record kind, record ID) → linked contacts' IDs
	messages         map[string]store.Message
	msgByChannel     map[[2]string]string // (channel ID, channel message ID) → message ID
	msgsByConv       map[string][]string  // conversation ID → message IDs sorted by (Time, ID)
	cursors          map[string]int64
	assignments      map[string][]store.Assignment // conversation ID → history, oldest first
	lastAssigned     map[string]time.Time          // user → last time a conversation was assigned to them
	jobs             map[string]store.Job
	pendingJobs      map[[2]string]string            // (kind, key) of a pending job → its ID
	pending          *btree.BTreeG[pendingJob]       // the pending jobs by (NextAttemptAt, ID): ClaimJobs walks the due ones
	channelEvents    map[string][]store.ChannelEvent // channel ID → its events, in append order
	channelEventByID map[[2]string]int               // (channel ID, event ID) → index in channelEvents
	webhooks         map[string]store.Webhook
	requests         map[[2]string]store.Request // (scope, key) → request
	notifications    map[[2]string]store.NotificationState
	notes            map[string]store.Notification          // notification ID → notification
	noteByKey        map[[2]string]string                   // (user ID, key) → notification ID
	notesByUser      map[string]*btree.BTreeG[store.Cursor] // user ID → its notifications' cursors (CreatedAt, ID)
	settings         map[string]store.NotificationSettings
	templates        map[string]store.Template
	linkChanges      map[string][]store.LinkChange // contact ID → link history, oldest first

	watchMu  sync.Mutex
	watchers map[chan struct{}]struct{} // WatchJobs subscribers
}

type peerKey struct{ channelID, kind, id string }

var (
	_ store.Store    = (*Store)(nil)
	_ store.Pinger   = (*Store)(nil)
	_ store.JobWaker = (*Store)(nil)
)

// New returns an empty Store.
func New(opts *Options) *Store {
	now := time.Now
	if opts != nil && opts.Now != nil {
		now = opts.Now
	}
	return &Store{handle{st: &state{
		now:              now,
		channels:         map[string]store.Channel{},
		channelByExt:     map[[2]string]string{},
		contacts:         map[string]store.Contact{},
		contactByPeer:    map[peerKey]string{},
		convs:            map[string]store.Conversation{},
		convByPeer:       map[peerKey]string{},
		views:            map[viewKey]*btree.BTreeG[store.Cursor]{},
		convsByContact:   map[string][]string{},
		recordContacts:   map[[2]string][]string{},
		messages:         map[string]store.Message{},
		msgByChannel:     map[[2]string]string{},
		msgsByConv:       map[string][]string{},
		cursors:          map[string]int64{},
		assignments:      map[string][]store.Assignment{},
		lastAssigned:     map[string]time.Time{},
		jobs:             map[string]store.Job{},
		pendingJobs:      map[[2]string]string{},
		pending:          newPending(),
		channelEvents:    map[string][]store.ChannelEvent{},
		channelEventByID: map[[2]string]int{},
		webhooks:         map[string]store.Webhook{},
		requests:         map[[2]string]store.Request{},
		notifications:    map[[2]string]store.NotificationState{},
		notes:            map[string]store.Notification{},
		noteByKey:        map[[2]string]string{},
		notesByUser:      map[string]*btree.BTreeG[store.Cursor]{},
		settings:         map[string]store.NotificationSettings{},
		templates:        map[string]store.Template{},
		linkChanges:      map[string][]store.LinkChange{},
		watchers:         map[chan struct{}]struct{}{},
	}}}
}

var errTxEnded = errors.New("memstore: transaction handle used after its transaction ended")

// lock checks ctx and takes the lock unless the handle's transaction already holds it. The caller must
// call the returned unlock.
func (h *handle) lock(ctx context.Context) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if h.tx != nil {
		if h.done {
			return nil, errTxEnded
		}
		return func() {}, nil
	}
	h.st.mu.Lock()
	return h.st.mu.Unlock, nil
}

// now returns the store clock's time as stored: UTC, microsecond precision.
func (h *handle) now() time.Time { return norm(h.st.now()) }

// norm is how every stored time is kept: UTC with microsecond precision (what SQL backends keep too), and
// no monotonic reading.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// RunInTx runs fn with exclusive access to the store; if fn fails (or panics), every change it made is
// undone. Other callers wait until it returns. A RunInTx inside fn joins the outer transaction.
func (h *handle) RunInTx(ctx context.Context, fn func(ctx context.Context, tx store.Store) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if h.tx != nil {
		if h.done {
			return errTxEnded
		}
		return fn(ctx, h)
	}
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	tx := &handle{st: h.st, tx: &journal{}}
	committed := false
	defer func() {
		tx.done = true
		if !committed {
			tx.tx.rollback()
		}
	}()
	if err := fn(ctx, tx); err != nil {
		return err
	}
	committed = true
	if tx.tx.due {
		h.st.wakeJobs()
	}
	return nil
}

// Ping reports whether ctx is still live; an in-memory store is always reachable.
func (h *handle) Ping(ctx context.Context) error { return ctx.Err() }

// journal records how to undo each change made in a transaction, and whether it made a job due.
type journal struct {
	undo []func()
	due  bool
}

func (j *journal) rollback() {
	for i := len(j.undo) - 1; i >= 0; i-- {
		j.undo[i]()
	}
}

// put sets m[k] = v, journaling the previous entry when j is not nil.
func put[K comparable, V any](j *journal, m map[K]V, k K, v V) {
	if j != nil {
		prev, had := m[k]
		j.undo = append(j.undo, func() {
			if had {
				m[k] = prev
			} else {
				delete(m, k)
			}
		})
	}
	m[k] = v
}

// del deletes m[k], journaling the previous entry when j is not nil.
func del[K comparable, V any](j *journal, m map[K]V, k K) {
	prev, had := m[k]
	if !had {
		return
	}
	if j != nil {
		j.undo = append(j.undo, func() { m[k] = prev })
	}
	delete(m, k)
}

// lookup returns m[id] under the lock, or an error wrapping store.ErrNotFound that names what.
func lookup[T any](ctx context.Context, h *handle, m map[string]T, what, id string) (T, error) {
	var zero T
	unlock, err := h.lock(ctx)
	if err != nil {
		return zero, err
	}
	defer unlock()
	v, ok := m[id]
	if !ok {
		return zero, fmt.Errorf("%s %s: %w", what, id, store.ErrNotFound)
	}
	return v, nil
}

// versioned returns the stored record id for an update from version: store.ErrNotFound if there is none,
// store.ErrConflict if its version moved on. The caller holds the lock.
func versioned[T any](m map[string]T, what, id string, version int64, versionOf func(T) int64) (T, error) {
	old, ok := m[id]
	if !ok {
		var zero T
		return zero, fmt.Errorf("%s %s: %w", what, id, store.ErrNotFound)
	}
	if stored := versionOf(old); stored != version {
		return old, fmt.Errorf("%s %s version %d, stored %d: %w", what, id, version, stored, store.ErrConflict)
	}
	return old, nil
}
