package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// JobStatus is where a job is in its life.
type JobStatus string

// Job statuses.
const (
	JobPending JobStatus = "pending" // waiting for NextAttemptAt, or claimed under a lease
	JobDone    JobStatus = "done"    // finished
	JobFailed  JobStatus = "failed"  // given up; LastError says why
)

// Job is durable work recorded in the same transaction as what caused it (an inbound message to route,
// a profile to fetch, a reply to deliver), so a crash after the commit cannot lose it. Workers claim
// jobs under a lease and finish them at least once; handlers are idempotent.
type Job struct {
	ID string // assigned by the store when empty
	// Kind names the handler that runs the job, e.g. "inbound".
	Kind string
	// Key, when set, coalesces work: while a pending job of the same Kind and Key exists, enqueuing
	// another returns that one instead.
	Key string
	// Payload is the handler's input as JSON (or empty). The store keeps it as given.
	Payload json.RawMessage
	Status  JobStatus
	// Attempts counts claims so far.
	Attempts int
	// NextAttemptAt is when the job is next due; a claim is possible at or after it.
	NextAttemptAt time.Time
	// RetrySince is when the job's current retry budget began: when it was first due, or when its last
	// hold ended (HoldJob). Set by the store.
	RetrySince time.Time
	// LastError is the last failure, as a reason fit for an operator (never personal data).
	LastError string
	// Lease identifies the current claim and LeaseUntil when it lapses; both are set by a claim, or by
	// the enqueuer that claims the job as it enqueues it (EnqueueJob).
	Lease      string
	LeaseUntil time.Time

	CreatedAt time.Time // set by the store
	UpdatedAt time.Time // set by the store
}

// JobFilter selects jobs for ListJobs. Zero fields do not filter.
type JobFilter struct {
	Kind   string
	Status JobStatus
}

// Jobs is a durable queue with leased claims, so any number of workers in any number of processes run
// each job, and never run one job twice at the same time while its lease lasts. Implementations must be
// safe for concurrent use.
type Jobs interface {
	// EnqueueJob stores j as pending (assigning ID, CreatedAt, UpdatedAt; a zero NextAttemptAt means now;
	// RetrySince is NextAttemptAt; Attempts is kept as given) and returns it with created true. When
	// j.Key is set and a pending job of the same Kind and Key exists, it stores nothing and returns that
	// job as it is (under its own lease, if any) with created false; of concurrent calls with one Kind
	// and Key exactly one creates. An existing ID returns ErrAlreadyExists.
	//
	// With j.Lease and j.LeaseUntil both set, the job is stored claimed under that lease until
	// LeaseUntil: the enqueuer runs it itself (it passes Attempts 1 for this claim). Until then ClaimJobs
	// passes over it, ClaimJob returns ErrConflict, and CompleteJob, RetryJob, HoldJob and FailJob accept
	// that lease; once it lapses, the job is claimed as any job whose lease lapsed. A job enqueued
	// claimed does not wake a JobWaker's watchers (no one else can claim it yet), nor does the lapse of
	// its lease: workers find it when they poll. A caller that gets created false did not claim the job
	// and must not run it. Setting only one of Lease and LeaseUntil is an error (not ErrConflict).
	EnqueueJob(ctx context.Context, j Job) (_ Job, created bool, _ error)
	// GetJob returns the job id, or ErrNotFound.
	GetJob(ctx context.Context, id string) (Job, error)
	// ClaimJobs claims up to limit pending jobs that are due (NextAttemptAt ≤ now) and not under an
	// unexpired lease, oldest NextAttemptAt first (then by ID): it sets a fresh Lease and LeaseUntil =
	// now+lease, and increments Attempts. Concurrent claimers never receive the same job while its lease
	// runs.
	ClaimJobs(ctx context.Context, limit int, lease time.Duration) ([]Job, error)
	// ClaimJob claims the job id as ClaimJobs would, whether or not it is due yet. A job that is not
	// pending, or is under an unexpired lease, returns ErrConflict; a missing one ErrNotFound.
	ClaimJob(ctx context.Context, id string, lease time.Duration) (Job, error)
	// CompleteJob marks the job done. The lease must be the job's current one and unexpired, otherwise
	// ErrConflict (someone else may have it); ErrNotFound if missing.
	CompleteJob(ctx context.Context, id, lease string) error
	// RetryJob releases the job to be claimed again at at, recording reason. Lease rules as CompleteJob.
	RetryJob(ctx context.Context, id, lease string, at time.Time, reason string) error
	// HoldJob releases the job to be claimed again at until, as RetryJob does, and restarts its retry
	// budget from until (RetrySince = until): the job was waiting for something outside it (a
	// deactivated channel), not failing. Lease rules as CompleteJob.
	HoldJob(ctx context.Context, id, lease string, until time.Time, reason string) error
	// FailJob marks the job failed for good, recording reason. Lease rules as CompleteJob.
	FailJob(ctx context.Context, id, lease, reason string) error
	// ListJobs returns one page of the jobs f selects, ordered by (CreatedAt, ID) in p.Order, and the
	// cursor of the next page (zero when there is none).
	ListJobs(ctx context.Context, f JobFilter, p Page) ([]Job, Cursor, error)
	// DeleteFinishedJobs deletes up to limit done or failed jobs last updated before before, and returns
	// how many it deleted: the queue's history is kept for a while, not for ever.
	DeleteFinishedJobs(ctx context.Context, before time.Time, limit int) (int, error)
}

// Cursor returns j's position in a job list.
func (j Job) Cursor() Cursor { return Cursor{Time: j.CreatedAt, ID: j.ID} }

// HeldJobCompleter is implemented by stores that can complete a job without answering whether its lease
// was still held. CompleteHeldJob marks the job done when lease is its current, unexpired lease, as
// CompleteJob does, and otherwise changes nothing and returns nil: the job is someone else's now, or it
// ended, or it is missing. Inside a transaction a backend may then send the write with the
// transaction's next statement or its commit instead of waiting for its answer (store/postgres does).
type HeldJobCompleter interface {
	CompleteHeldJob(ctx context.Context, id, lease string) error
}

// CompleteHeldJob marks job id done if lease is still its current, unexpired lease, and otherwise
// changes nothing, with s's HeldJobCompleter when it has one, else with CompleteJob, whose ErrConflict
// and ErrNotFound it ignores. It is for a worker that records its job's outcome either way: should the
// lease have lapsed, the job's new holder runs it again, which its idempotent handler allows.
func CompleteHeldJob(ctx context.Context, s Jobs, id, lease string) error {
	if c, ok := s.(HeldJobCompleter); ok {
		return c.CompleteHeldJob(ctx, id, lease)
	}
	if err := s.CompleteJob(ctx, id, lease); err != nil && !errors.Is(err, ErrConflict) && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}
