package conversation

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// A Service that runs jobs (its Run is running, or it has Flushed) runs the jobs its own events cause
// itself, right after their transaction commits, without a claim of their own: they are recorded already
// claimed by the Service (store.Job.Lease set at enqueue) for localLease, and queued in memory. That
// saves each webhook the write transaction of a claim, and keeps another instance's Run from racing for
// them. The queue is only a shortcut: should the process stop before it runs them, or the queue be full,
// or the Service fall so far behind that less than half their lease is left, their lease lapses and any
// Run claims them as it claims every job. A Service that only ingests (no Run in its process) records its
// jobs due, for the others' Runs, as before.

// localLease is how long a job a Service recorded for itself stays claimed by it: long enough to run it
// after the commit, short enough that a crash delays it little.
const localLease = 15 * time.Second

// localQueueSize bounds the jobs recorded for this Service and not run yet.
const localQueueSize = 1024

// localBatchSize is how many of its own jobs a Service runs as one batch (at least Options.Jobs.Batch):
// those of a 100-event webhook, so that each kind's run in one group (kind.group).
const localBatchSize = 256

// localBatch collects the jobs one transaction records claimed for this Service.
type localBatch struct {
	lease string
	until time.Time
	jobs  []store.Job
}

// newLocalBatch returns a batch for the jobs of one transaction, or nil when this Service does not run
// jobs or its queue is more than half full (the jobs are then recorded due, for any Run).
func (s *Service) newLocalBatch() *localBatch {
	if s.runners.Load() == 0 && !s.flushed.Load() || len(s.local) > localQueueSize/2 {
		return nil
	}
	return &localBatch{lease: id.New(), until: s.o.Now().Add(min(localLease, s.o.Jobs.Lease))}
}

// reset forgets the jobs of a transaction that is run again.
func (b *localBatch) reset() {
	if b != nil {
		b.jobs = b.jobs[:0]
	}
}

// enqueueFor records a job of kind with payload in tx, due now: claimed for this Service when b is set,
// and then added to b if it was created.
func (s *Service) enqueueFor(ctx context.Context, tx store.Store, b *localBatch, kind, key string, payload any) error {
	if b == nil {
		_, err := enqueue(ctx, tx, kind, key, payload)
		return err
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("conversation: encoding a %s job: %w", kind, err)
	}
	j, created, err := tx.EnqueueJob(ctx, store.Job{Kind: kind, Key: key, Payload: raw, Attempts: 1, Lease: b.lease, LeaseUntil: b.until})
	if err == nil && created {
		b.jobs = append(b.jobs, j)
	}
	return err
}

// runLocally queues the jobs of a committed batch for this Service's Run (or Flush), and wakes it. A job
// that does not fit waits for its lease to lapse.
func (s *Service) runLocally(b *localBatch) {
	if b == nil || len(b.jobs) == 0 {
		return
	}
	for _, j := range b.jobs {
		select {
		case s.local <- j:
		default:
		}
	}
	s.nudge()
}

// takeLocal returns up to limit queued jobs of this Service's own that still have at least half their
// lease left; the others are left to lapse and be claimed.
func (s *Service) takeLocal(limit int) []store.Job {
	var jobs []store.Job
	for len(jobs) < limit {
		select {
		case j := <-s.local:
			if j.LeaseUntil.Sub(s.o.Now()) >= min(localLease, s.o.Jobs.Lease)/2 {
				jobs = append(jobs, j)
			}
		default:
			return jobs
		}
	}
	return jobs
}

// releaseLocal hands the queued jobs back to every Run (due now), when this Service's Run stops.
func (s *Service) releaseLocal(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	for {
		select {
		case j := <-s.local:
			s.reportOutcome(s.store.RetryJob(ctx, j.ID, j.Lease, s.o.Now(), "released: its instance stopped"), j)
		default:
			return
		}
	}
}
