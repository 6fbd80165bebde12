package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// A Service that runs jobs (its Run is running, or it has Flushed) runs the jobs its own events cause
// itself, right after their transaction commits, without a claim of their own: they are recorded already
// claimed by the Service (store.Job.Lease set at enqueue) for localLease, and queued in memory. That
// saves each webhook the write transaction of a claim, and keeps another instance's Run from racing for
// them. The queue is only a shortcut: should the process stop before it runs them, their lease lapses
// and any Run claims them as it claims every job; a Run that stops, or falls so far behind that less
// than half a job's lease is left, hands them back due at once; a full queue leaves new jobs due for any
// Run. A Service that only ingests (no Run in its process) records its jobs due, for the others' Runs.
// Only routing and profile jobs are recorded so: a media copy or hook may need a claim's longer lease.

// localLease is how long a job a Service recorded for itself stays claimed by it: long enough to run it
// after the commit, short enough that a crash delays it little.
const localLease = 15 * time.Second

// localQueueSize bounds the jobs recorded for this Service and not run yet; beyond it, jobs are recorded
// due, for any Run.
const localQueueSize = 1024

// localBatchSize is how many of its own jobs a Service runs as one batch (at least Options.Jobs.Batch):
// those of a 100-event webhook, so that they run together (staged.go).
const localBatchSize = 256

// localBatch collects the jobs one transaction records claimed for this Service. Each holds a place in
// the Service's queue, reserved when it is recorded (s.queued), so that a committed batch always fits.
type localBatch struct {
	s     *Service
	lease string
	until time.Time
	jobs  []store.Job
	due   bool // jobs were recorded due, for any Run
}

// newLocalBatch returns a batch for the jobs of one transaction, or nil when this Service does not run
// jobs (the jobs are then recorded due, for any Run).
func (s *Service) newLocalBatch() *localBatch {
	if s.runners.Load() == 0 && !s.flushed.Load() {
		return nil
	}
	return &localBatch{s: s, lease: id.New(), until: s.o.Now().Add(s.localLease())}
}

// localLease is the lease of the jobs this Service records for itself.
func (s *Service) localLease() time.Duration { return min(localLease, s.o.Jobs.Lease) }

// reset forgets the jobs of a transaction that is run again or failed, and their places in the queue.
func (b *localBatch) reset() {
	if b != nil {
		b.s.queued.Add(-int64(len(b.jobs)))
		b.jobs, b.due = b.jobs[:0], false
	}
}

// enqueueFor records a job of kind with payload in tx, due now: claimed for this Service when b is set
// and the queue has room (the job is then added to b), else due for any Run.
func (s *Service) enqueueFor(ctx context.Context, tx store.Store, b *localBatch, kind, key string, payload any) error {
	if b == nil || !s.reserve() {
		return enqueueDue(ctx, tx, b, kind, key, payload)
	}
	j, err := newJob(kind, key, payload)
	created := false
	if err == nil {
		j.Attempts, j.Lease, j.LeaseUntil = 1, b.lease, b.until
		j, created, err = tx.EnqueueJob(ctx, j)
	}
	if err != nil || !created {
		s.queued.Add(-1) // not this Service's to run
		return err
	}
	b.jobs = append(b.jobs, j)
	return nil
}

// enqueueDue records a job of kind with payload in tx, due now for any Run, and notes in b (when set)
// that a Run must claim it.
func enqueueDue(ctx context.Context, tx store.Store, b *localBatch, kind, key string, payload any) error {
	if b != nil {
		b.due = true
	}
	_, err := enqueue(ctx, tx, kind, key, payload)
	return err
}

// reserve takes a place in the queue, and reports whether there was one.
func (s *Service) reserve() bool {
	if s.queued.Add(1) > localQueueSize {
		s.queued.Add(-1)
		return false
	}
	return true
}

// pop takes a job from the queue, if there is one, and frees its place.
func (s *Service) pop() (store.Job, bool) {
	select {
	case j := <-s.local:
		s.queued.Add(-1)
		return j, true
	default:
		return store.Job{}, false
	}
}

// runLocally queues the jobs of a committed batch for this Service's Run (or Flush), and wakes it, to
// claim too when b recorded jobs due. Their places were reserved: they fit.
func (s *Service) runLocally(b *localBatch) {
	if b == nil || b.due {
		s.nudge()
	}
	if b == nil || len(b.jobs) == 0 {
		return
	}
	for _, j := range b.jobs {
		s.local <- j
	}
	s.wakeRun()
}

// takeLocal returns up to limit queued jobs of this Service's own. One with less than half its lease
// left (the Service fell behind, or a test's clock moved) is handed back, due at once, for a claim with
// a full lease.
func (s *Service) takeLocal(ctx context.Context, limit int) []store.Job {
	var jobs, stale []store.Job
	defer func() {
		if len(stale) > 0 {
			s.handBack(ctx, stale, "its lease ran short before it ran")
		}
	}()
	for len(jobs) < limit {
		j, ok := s.pop()
		if !ok {
			break
		}
		if j.LeaseUntil.Sub(s.o.Now()) >= s.localLease()/2 {
			jobs = append(jobs, j)
		} else {
			stale = append(stale, j)
		}
	}
	return jobs
}

// releaseLocal hands the queued jobs back to every Run, when this Service's Run stops.
func (s *Service) releaseLocal(ctx context.Context) {
	var jobs []store.Job
	for j, ok := s.pop(); ok; j, ok = s.pop() {
		jobs = append(jobs, j)
	}
	s.handBack(ctx, jobs, "its instance stopped")
}

// handBack makes jobs this Service recorded for itself due at once for any Run, in one transaction. A
// lease that lapsed meanwhile needs nothing: the job is claimable already. Should that fail, the leases
// lapse all the same, within localLease.
func (s *Service) handBack(ctx context.Context, jobs []store.Job, why string) {
	if len(jobs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.o.Jobs.Persist)
	defer cancel()
	now := s.o.Now()
	err := s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		for _, j := range jobs {
			if err := tx.RetryJob(ctx, j.ID, j.Lease, now, "handed back: "+why); err != nil && !errors.Is(err, store.ErrConflict) {
				return err
			}
		}
		return nil
	})
	s.mayBeDue.Store(true)
	if err != nil {
		s.o.OnError(fmt.Errorf("conversation: handing %d jobs back (they run once their lease lapses): %w", len(jobs), err))
	}
}
