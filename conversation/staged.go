package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/store"
)

// Staged jobs run together with the other staged jobs of a batch, whatever their kind: each kind does
// its jobs' work that needs no transaction first (a profile fetch, with up to workers channel calls at a
// time), then one transaction records every job's outcome (the routing and notification of each inbound
// message, each fetched profile) and completes the jobs; those with a follow-up after the commit (telling
// the Notifier) run it, and one more transaction completes them. A new sender's message then costs two
// commits after its own (one without a Notifier), however many kinds of job it caused, and a 100-event
// webhook costs as many. Nobody available for some conversations (assign.ErrNoAgent) rolls the shared
// transaction back, since the Assigner's turns were taken in it: the others' records go on, to find
// every such conversation (a failed pick of package assign's assigners leaves the next picks as they
// would be without it), and the transaction runs again without them, completing their jobs: they wait
// for assign.Drain, as alone. Should the shared transaction fail otherwise (a conflict it cannot
// settle, a fault), or still find nobody available after maxSharedRuns runs, each job is recorded
// alone, as its kind's run would.

// maxSharedRuns bounds how often the shared transaction runs: again after nobody was available for some
// of its conversations, without them.
const maxSharedRuns = 3

// staged is one job's work done outside a transaction, to record.
type staged struct {
	// err is the job's outcome when there is nothing to record: its work failed, or it was malformed.
	err error
	// record writes the job's outcome in tx, which may be shared with other jobs and run again, and
	// returns the follow-up to run after the commit, or nil when the commit completes the job.
	record func(ctx context.Context, tx store.Store) (after func(ctx context.Context) error, err error)
	// alone runs the rest of the job on its own, should the shared transaction fail, and returns its
	// outcome as jobKind.run does.
	alone func(ctx context.Context) error
	// contact is the contact record reads, if any: the shared transaction reads every job's contact in
	// one call (store.GetContacts) before the records run.
	contact string
}

// runStaged runs jobs of kinds with a stage together, and returns each job's outcome as run would.
func (s *Service) runStaged(ctx context.Context, jobs []store.Job, workers int) []error {
	st := make([]staged, len(jobs))
	byKind := map[string][]int{}
	var kinds []string
	for i, j := range jobs {
		if _, seen := byKind[j.Kind]; !seen {
			kinds = append(kinds, j.Kind)
		}
		byKind[j.Kind] = append(byKind[j.Kind], i)
	}
	// The work outside a transaction (a channel call that hangs) may take half of the jobs' time at
	// most: the rest is the records', so that every other job of the batch still commits in time.
	sctx, cancel := ctx, context.CancelFunc(func() {})
	if dl, ok := ctx.Deadline(); ok {
		sctx, cancel = context.WithDeadline(ctx, dl.Add(-time.Until(dl)/2))
	}
	var channels channelCache
	for _, kind := range kinds {
		idx := byKind[kind]
		of := make([]store.Job, len(idx))
		for k, i := range idx {
			of[k] = jobs[i]
		}
		for k, one := range s.kinds[kind].stage(sctx, &channels, of, workers) {
			st[idx[k]] = one
		}
	}
	cancel()
	afters := make([]func(ctx context.Context) error, len(jobs))
	waits := make([]bool, len(jobs)) // nobody was available for the job's conversation
	var err error
	for range maxSharedRuns {
		var nobody []int
		err = s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
			clear(afters)
			nobody = nobody[:0]
			shared := newSharedReads(tx, &channels)
			var contacts []string
			for i, one := range st {
				if one.record != nil && !waits[i] && one.contact != "" {
					contacts = append(contacts, one.contact)
				}
			}
			if err := shared.readContacts(ctx, contacts); err != nil {
				return err
			}
			tx = shared
			for i, one := range st {
				switch {
				case one.record == nil:
					continue
				case waits[i]: // it waits, unassigned, for assign.Drain; nobody to tell
					if err := completeIf(ctx, tx, jobs[i], true); err != nil {
						return err
					}
					continue
				}
				after, err := one.record(ctx, tx)
				if errors.Is(err, assign.ErrNoAgent) {
					nobody = append(nobody, i) // the transaction rolls back: go on, to find the others
					continue
				}
				if err != nil {
					return err
				}
				if afters[i] = after; after == nil {
					if err := completeIf(ctx, tx, jobs[i], true); err != nil {
						return err
					}
				}
			}
			if len(nobody) > 0 {
				return fmt.Errorf("conversation: nobody available for %d conversations: %w", len(nobody), assign.ErrNoAgent)
			}
			return nil
		})
		if len(nobody) == 0 || !errors.Is(err, assign.ErrNoAgent) {
			break
		}
		for _, i := range nobody {
			waits[i] = true
		}
	}
	errs := make([]error, len(jobs))
	var followed []int
	for i, one := range st {
		switch {
		case one.record == nil:
			errs[i] = one.err
		case err != nil:
			errs[i] = one.alone(ctx)
		case waits[i], afters[i] == nil:
			errs[i] = errJobDone
		default:
			if errs[i] = afters[i](ctx); errs[i] == nil {
				followed = append(followed, i)
			}
		}
	}
	// One transaction completes the jobs whose follow-up ran; should it fail, each is completed alone
	// (its outcome is nil). One alone needs no transaction of its own.
	if len(followed) > 1 && s.completeAll(ctx, jobs, followed) == nil {
		for _, i := range followed {
			errs[i] = errJobDone
		}
	}
	return errs
}

// sharedReads is the shared transaction of staged jobs, reading each channel, each user's notification
// settings and each contact once however many of its jobs ask (a 100-event webhook's routing asks for
// its channel 100 times; a new sender's routing and profile both read the contact), the jobs' contacts
// all in one call as it begins (readContacts), and not at all a channel the stages read moments before
// (newSharedReads). The records never change channels or settings, and change contacts only through
// UpdateContact, which keeps what it stored: what they read stays what the transaction holds.
type sharedReads struct {
	store.Store
	channels map[string]read[store.Channel]
	settings map[string]read[store.NotificationSettings]
	contacts map[string]store.Contact
}

// newSharedReads returns tx reading through a sharedReads that knows the channels the stages read
// (moments before, outside the transaction: a profile fetch reads its channel too).
func newSharedReads(tx store.Store, known *channelCache) *sharedReads {
	r := &sharedReads{Store: tx, channels: map[string]read[store.Channel]{},
		settings: map[string]read[store.NotificationSettings]{}, contacts: map[string]store.Contact{}}
	known.mu.Lock()
	defer known.mu.Unlock()
	for id, ch := range known.channels {
		r.channels[id] = read[store.Channel]{v: ch}
	}
	return r
}

// read is what one read returned.
type read[V any] struct {
	v   V
	err error
}

// once returns what m holds for k, or reads it with get and keeps it in m.
func once[V any](m map[string]read[V], k string, get func() (V, error)) (V, error) {
	got, ok := m[k]
	if !ok {
		got.v, got.err = get()
		m[k] = got
	}
	return got.v, got.err
}

func (r *sharedReads) GetChannel(ctx context.Context, id string) (store.Channel, error) {
	return once(r.channels, id, func() (store.Channel, error) { return r.Store.GetChannel(ctx, id) })
}

// CompleteHeldJob keeps the transaction's store.HeldJobCompleter, which embedding would hide.
func (r *sharedReads) CompleteHeldJob(ctx context.Context, id, lease string) error {
	return store.CompleteHeldJob(ctx, r.Store, id, lease)
}

func (r *sharedReads) GetNotificationSettings(ctx context.Context, userID string) (store.NotificationSettings, error) {
	return once(r.settings, userID, func() (store.NotificationSettings, error) {
		return r.Store.GetNotificationSettings(ctx, userID)
	})
}

func (r *sharedReads) GetContact(ctx context.Context, id string) (store.Contact, error) {
	if c, ok := r.contacts[id]; ok {
		return c, nil
	}
	c, err := r.Store.GetContact(ctx, id)
	if err == nil {
		r.contacts[id] = c
	}
	return c, err
}

// readContacts reads the contacts of ids in one call, as the transaction begins.
func (r *sharedReads) readContacts(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	got, err := store.GetContacts(ctx, r.Store, ids)
	for _, c := range got {
		r.contacts[c.ID] = c
	}
	return err
}

func (r *sharedReads) UpdateContact(ctx context.Context, c store.Contact) (store.Contact, error) {
	delete(r.contacts, c.ID)
	c, err := r.Store.UpdateContact(ctx, c)
	if err == nil {
		r.contacts[c.ID] = c
	}
	return c, err
}

// completeAll completes the jobs at indexes idx, in one transaction.
func (s *Service) completeAll(ctx context.Context, jobs []store.Job, idx []int) error {
	return s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		for _, i := range idx {
			if err := completeIf(ctx, tx, jobs[i], true); err != nil {
				return err
			}
		}
		return nil
	})
}
