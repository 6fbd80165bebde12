package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// Job kinds: the work an event or a reply causes, recorded in its transaction and done by Run.
const (
	jobInbound = "inbound" // decide the conversation's owner and notify them, after an inbound message
	jobProfile = "profile" // fetch a contact's profile
	jobMedia   = "media"   // copy an inbound message's media to the blob store, then run Options.Media
	jobSend    = "send"    // deliver outbound parts
)

// jobKind is how Run does one kind of job. run must be idempotent: a job runs at least once, and again
// if its worker dies or its lease lapses.
type jobKind struct {
	run func(ctx context.Context, j store.Job) error
	// giveUp records, where it must show, that the job failed for good (a profile that could not be
	// fetched, parts that were not sent). nil records nothing beyond the job's own status.
	giveUp func(ctx context.Context, j store.Job, cause error) error
	// retrying records, where it must show, that the job failed and runs again at next (or is held). nil
	// records nothing beyond the job's own LastError.
	retrying func(ctx context.Context, j store.Job, cause error, next time.Time) error
	// retryFor, when set, caps Options.Jobs.RetryFor for this kind.
	retryFor time.Duration
	// stage, when set, lets jobs of the kind run with the other staged jobs of a batch, whatever their
	// kind, in shared transactions (staged.go): it does the work outside a transaction, with up to
	// workers channel calls at a time, reading channels through the batch's channels, and returns what
	// each job records.
	stage func(ctx context.Context, channels *channelCache, jobs []store.Job, workers int) []staged
}

func (s *Service) jobKinds() map[string]jobKind {
	return map[string]jobKind{
		jobInbound: {run: s.runInbound, stage: s.stageInbounds},
		jobProfile: {run: s.runProfile, giveUp: s.profileFailed, stage: s.stageProfiles},
		jobMedia:   {run: s.runMedia, giveUp: s.mediaFailed, retrying: s.mediaRetrying},
		jobSend:    {run: s.runSend, giveUp: s.sendFailed, retrying: s.sendRetrying, retryFor: maxSendRetry},
		jobSnooze:  {run: s.runSnooze},
		jobAssign:  {run: s.runAssigned},
		jobErase:   {run: s.runErase},
	}
}

// errBadJob marks a job whose payload cannot be read: retrying cannot help.
var errBadJob = errors.New("conversation: malformed job")

// enqueue records a job of kind with payload in tx, due now. A key coalesces it with a pending job of the
// same kind and key.
func enqueue(ctx context.Context, tx store.Store, kind, key string, payload any) (store.Job, error) {
	return enqueueAt(ctx, tx, kind, key, payload, time.Time{})
}

// enqueueAt is enqueue for a job due at due (zero: now).
func enqueueAt(ctx context.Context, tx store.Store, kind, key string, payload any, due time.Time) (store.Job, error) {
	j, err := newJob(kind, key, payload)
	if err != nil {
		return store.Job{}, err
	}
	j.NextAttemptAt = due
	j, _, err = tx.EnqueueJob(ctx, j)
	return j, err
}

// newJob returns a job of kind with key and payload, to enqueue.
func newJob(kind, key string, payload any) (store.Job, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return store.Job{}, fmt.Errorf("conversation: encoding a %s job: %w", kind, err)
	}
	return store.Job{Kind: kind, Key: key, Payload: b}, nil
}

// decode reads a job's payload.
func decode(j store.Job, v any) error {
	if err := json.Unmarshal(j.Payload, v); err != nil {
		return fmt.Errorf("%w: %s job %s: %w", errBadJob, j.Kind, j.ID, err)
	}
	return nil
}

// Run does the Service's background work until ctx ends: the jobs that ingesting events, replying and
// erasing recorded (routing and notifying, profile fetches, media hooks, deliveries, deleting an erased
// channel's files), including those a crashed process left behind, and periodic housekeeping. Every job
// runs at least once; claims are leased, so any number of Run loops, in any number of processes, never
// run one job at the same time while its lease lasts; a job runs only within what is left of its
// lease, and one whose lease lapsed before its turn came (behind slow jobs of its batch, or a slow
// claim) is not started but left to the next claim, since another Run may hold it by then; so is one
// whose lease lapsed after its work, before its outcome was recorded, which is not reported to
// Options.OnError (work that itself ran past the lease, in host code that ignored its context, is). The jobs
// this Service's own events cause are recorded already claimed by it and run right after their commit,
// without a claim of their own; should the process stop first, any Run claims them once that claim's
// short lease (15s, or Jobs.Lease if shorter) lapses, and a Run that stops hands back those it has not
// started. Failures that may pass are retried with backoff until Options.Jobs.RetryFor; the rest end
// the job at once, recorded where an agent or operator sees it. Run it in one goroutine per process;
// it returns ctx's error.
//
// When idle, Run waits until work is recorded in this process, or, if the store is a store.JobWaker
// (store/postgres, through LISTEN/NOTIFY; memstore), until another instance commits a job that is due,
// and at most Options.Jobs.Poll: wakes may be lost (the listener's connection dropped), and some work
// becomes due without any (a snooze that ends, a retry's backoff, a lapsed lease), so polling remains
// the fallback, and the only way on a store that cannot wake (SQLite across processes). While busy with
// the jobs of its own events, Run claims when work is recorded in this process or another instance's
// wake arrives, and at least every Poll.
func (s *Service) Run(ctx context.Context) error {
	s.runners.Add(1)
	defer func() {
		if s.runners.Add(-1) == 0 {
			s.releaseLocal(ctx)
		}
	}()
	var woken <-chan struct{} // nil, never ready, when the store cannot wake Run
	if w, ok := s.store.(store.JobWaker); ok {
		var stop func()
		woken, stop = w.WatchJobs()
		defer stop()
	}
	poll := time.NewTimer(0)
	defer poll.Stop()
	housekeeping := time.NewTicker(s.o.Jobs.Housekeeping)
	defer housekeeping.Stop()
	s.housekeep(ctx)
	s.mayBeDue.Store(true)
	for {
		select {
		case <-woken: // another instance committed a job while this one was busy
			s.mayBeDue.Store(true)
		default:
		}
		n, err := s.runBatch(ctx, s.o.Jobs.Workers, false)
		if err != nil && ctx.Err() == nil {
			s.o.OnError(err)
		}
		if n > 0 {
			continue
		}
		poll.Reset(s.o.Jobs.Poll)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-housekeeping.C:
			s.housekeep(ctx)
		case <-s.wake:
		case <-woken:
			s.mayBeDue.Store(true)
		case <-poll.C:
			s.mayBeDue.Store(true)
		}
	}
}

// Flush runs the jobs that are due, in the caller's goroutine, until none is, and returns how many it
// ran. Jobs that fail are rescheduled as Run would. Tests and one-shot tools use it instead of Run. A
// Service that has Flushed records the jobs its own events cause for itself, as a running Run does: a
// later Flush runs them (or, should none come, any Run once their 15s lease lapses).
func (s *Service) Flush(ctx context.Context) (int, error) {
	s.flushed.Store(true)
	total := 0
	for {
		n, err := s.runBatch(ctx, 1, true)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// nudge wakes Run early: work was recorded that any Run may claim.
func (s *Service) nudge() {
	s.mayBeDue.Store(true)
	s.wakeRun()
}

// wakeRun wakes Run early, to run the jobs this Service recorded for itself.
func (s *Service) wakeRun() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// runBatch runs, with up to workers at once, a batch of the jobs this Service recorded for itself (see
// local.go) and of the jobs due that it claims, and returns how many it ran. It claims only when jobs may
// be due that are not its own — work recorded in this process for any Run, another instance's wake, a
// full batch claimed last time, Run's poll — and at least every Jobs.Poll however many jobs of its own it
// has, so that a stream of them never keeps the others waiting (replies, retries, other instances'
// jobs); with untilIdle (Flush), also whenever it has none of its own, to find out whether any is due.
func (s *Service) runBatch(ctx context.Context, workers int, untilIdle bool) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err // stopping: take nothing more (Run hands its own queue back)
	}
	jobs := s.takeLocal(ctx, max(s.o.Jobs.Batch, localBatchSize))
	now := time.Now()
	if s.mayBeDue.Swap(false) || untilIdle && len(jobs) == 0 || now.Sub(time.Unix(0, s.lastClaim.Load())) >= s.o.Jobs.Poll {
		s.lastClaim.Store(now.UnixNano())
		claimed, err := s.store.ClaimJobs(ctx, s.o.Jobs.Batch, s.o.Jobs.Lease)
		if err != nil || len(claimed) == s.o.Jobs.Batch {
			s.mayBeDue.Store(true) // claim again next time: this claim failed, or there may be more
		}
		if err != nil && len(jobs) == 0 {
			return 0, err
		}
		if err != nil {
			s.o.OnError(fmt.Errorf("conversation: claiming jobs: %w", err))
		}
		jobs = append(jobs, claimed...)
	}
	tasks := s.tasks(jobs, workers)
	if workers <= 1 {
		for _, run := range tasks {
			run(ctx)
		}
		return len(jobs), nil
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for _, run := range tasks {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			run(ctx)
		})
	}
	wg.Wait()
	return len(jobs), nil
}

// tasks splits a batch into what runs as one: the jobs of kinds with a stage, together (when there are
// several), and every other job alone, in the batch's order (the Service's own jobs, whose lease is the
// short one, first).
func (s *Service) tasks(jobs []store.Job, workers int) []func(ctx context.Context) {
	staged := func(j store.Job) bool { k, ok := s.kinds[j.Kind]; return ok && k.stage != nil }
	var together []store.Job
	for _, j := range jobs {
		if staged(j) {
			together = append(together, j)
		}
	}
	var tasks []func(ctx context.Context)
	if len(together) > 1 {
		tasks = append(tasks, func(ctx context.Context) { s.runTogether(ctx, together, workers) })
	}
	for _, j := range jobs {
		if len(together) <= 1 || !staged(j) {
			tasks = append(tasks, func(ctx context.Context) { s.runJob(ctx, j) })
		}
	}
	return tasks
}

// runTogether runs staged jobs together and records each one's outcome, as runJob does for one. Those
// whose lease lapsed are passed over, as runJob passes one over; the rest run within the shortest
// lease left among them.
func (s *Service) runTogether(ctx context.Context, jobs []store.Job, workers int) {
	lease := s.o.Jobs.Lease
	var live []store.Job
	for _, j := range jobs {
		left := s.leaseLeft(j)
		if left <= 0 {
			s.passOver(j)
			continue
		}
		lease = min(lease, left)
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	jctx, cancel := context.WithTimeout(ctx, lease*3/4)
	errs := s.runStaged(jctx, live, max(workers, 1))
	cancel()
	ended := s.o.Now()
	for i, j := range live {
		s.finish(ctx, j, s.kinds[j.Kind], errs[i], ended)
	}
}

// leaseLeft is how long j's lease lasts from now: at most Options.Jobs.Lease, less for a job recorded
// for this Service (a shorter lease, partly spent) or one that waited its turn in a batch, and nothing
// once it lapsed.
func (s *Service) leaseLeft(j store.Job) time.Duration {
	return min(j.LeaseUntil.Sub(s.o.Now()), s.o.Jobs.Lease)
}

// passOver leaves a job whose lease lapsed before it started, and has Run claim again. It must not run:
// another worker may have claimed it meanwhile, and its outcome could not be recorded under a lease
// that is no longer this one's. It is due for any claim already, and the attempt counts.
func (s *Service) passOver(j store.Job) {
	s.log.Debug("conversation: a job's lease lapsed before it started; it is left to a new claim", slog.String("kind", j.Kind))
	s.mayBeDue.Store(true)
}

// runJob runs one claimed job and records the outcome: done; rescheduled after a failure that may pass;
// or, after a permanent failure or once its retry budget is spent, failed for good. A job whose lease
// lapsed before it started is passed over.
func (s *Service) runJob(ctx context.Context, j store.Job) {
	left := s.leaseLeft(j)
	if left <= 0 {
		s.passOver(j)
		return
	}
	k, ok := s.kinds[j.Kind]
	if !ok {
		s.finish(ctx, j, k, fmt.Errorf("%w: no handler for jobs of kind %q", errBadJob, j.Kind), s.o.Now())
		return
	}
	// A job must end before its lease does, or another worker may start it meanwhile.
	jctx, cancel := context.WithTimeout(ctx, left*3/4)
	err := k.run(jctx, j)
	cancel()
	s.finish(ctx, j, k, err, s.o.Now())
}

// finish records how a job whose work returned at ended ended.
func (s *Service) finish(ctx context.Context, j store.Job, k jobKind, err error, ended time.Time) {
	if errors.Is(err, errJobDone) {
		return
	}
	if ctx.Err() != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if err == nil { // done before the shutdown: recorded, or it would run again
			s.reportOutcome(s.store.CompleteJob(ctx, j.ID, j.Lease), j, ended)
			return
		}
		// Shutting down: release the job so another worker takes it up without waiting for the lease.
		s.reportOutcome(s.store.RetryJob(ctx, j.ID, j.Lease, s.o.Now(), "interrupted"), j, ended)
		return
	}
	switch {
	case err == nil:
		s.reportOutcome(s.store.CompleteJob(ctx, j.ID, j.Lease), j, ended)
		return
	case errors.Is(err, errHeld):
		until := s.o.Now().Add(s.o.Jobs.Hold)
		s.noteRetry(ctx, j, k, err, until)
		s.reportOutcome(s.store.HoldJob(ctx, j.ID, j.Lease, until, "held: the channel is deactivated"), j, ended)
		return
	}
	retryFor := s.o.Jobs.RetryFor
	if k.retryFor > 0 {
		retryFor = min(retryFor, k.retryFor)
	}
	next := s.o.Now().Add(s.backoff(j.Attempts, channel.RetryAfter(err)))
	if !permanent(err) && next.Before(j.RetrySince.Add(retryFor)) {
		// Not OnError's (the job is not given up), but not silent: a cause that does not pass (a rule
		// naming a strategy the Assigner lacks, say) would otherwise show only when the job is given up.
		s.log.LogAttrs(ctx, slog.LevelInfo, "conversation: a job failed; it runs again", slog.String("kind", j.Kind),
			slog.String("job_id", j.ID), slog.Int("attempt", j.Attempts), slog.String("reason", reason(err)),
			slog.Duration("retry_in", next.Sub(s.o.Now())))
		s.noteRetry(ctx, j, k, err, next)
		s.reportOutcome(s.store.RetryJob(ctx, j.ID, j.Lease, next, reason(err)), j, ended)
		return
	}
	if k.giveUp != nil {
		// What the failure is recorded on may be gone (the contact of an erased channel): then there is
		// nothing to record it on, and the job fails as any other. Any other failure to record it leaves
		// the job to its lease, so the whole of it runs again.
		if gerr := k.giveUp(ctx, j, err); gerr != nil && !errors.Is(gerr, store.ErrNotFound) {
			s.o.OnError(fmt.Errorf("conversation: recording that a %s job failed: %w", j.Kind, gerr))
			return
		}
	}
	s.o.OnError(fmt.Errorf("conversation: %s job %s given up after %d attempts: %w", j.Kind, j.ID, j.Attempts, err))
	s.reportOutcome(s.store.FailJob(ctx, j.ID, j.Lease, reason(err)), j, ended)
}

// noteRetry records where it shows that the job runs again at next.
func (s *Service) noteRetry(ctx context.Context, j store.Job, k jobKind, cause error, next time.Time) {
	if k.retrying == nil {
		return
	}
	if err := k.retrying(ctx, j, cause, next); err != nil {
		s.o.OnError(fmt.Errorf("conversation: noting that a %s job is retried: %w", j.Kind, err))
	}
}

// reportOutcome reports a failure to record the outcome of job j, whose work returned at ended. The job
// then runs again once its lease lapses, which its idempotent handler allows. A refusal because the lease
// is no longer this Run's (store.ErrConflict) is no failure when the work ended within the lease: the
// lease lapsed while the outcome waited its turn (a batch records its jobs' outcomes one by one after
// their work, which on a loaded machine can outlast the lease's last quarter), and the job is already
// due for any claim, or claimed and run by another Run since, as at-least-once allows; it is logged and
// left to that claim. Work that ended past the lease (host code that ignored its context) may have run
// at the same time as another Run's: that is reported.
func (s *Service) reportOutcome(err error, j store.Job, ended time.Time) {
	switch {
	case err == nil:
	case errors.Is(err, store.ErrConflict) && ended.Before(j.LeaseUntil):
		s.log.Debug("conversation: a job's lease lapsed before its outcome was recorded; it is left to a new claim",
			slog.String("kind", j.Kind))
		s.mayBeDue.Store(true)
	case errors.Is(err, store.ErrConflict):
		s.mayBeDue.Store(true)
		s.o.OnError(fmt.Errorf("conversation: a %s job ran past its lease, so another Run may have run it at the same time: %w", j.Kind, err))
	default:
		s.o.OnError(fmt.Errorf("conversation: recording the outcome of a %s job: %w", j.Kind, err))
	}
}

// permanent reports whether retrying cannot help: the channel marked the error as final, the channel
// cannot do it at all or was deactivated, or the job is malformed. Errors nobody categorised (a plain
// network error, a store that is down) may pass, and are retried.
func permanent(err error) bool {
	switch {
	case errors.Is(err, errBadJob), errors.Is(err, errors.ErrUnsupported), errors.Is(err, ErrChannelInactive),
		errors.Is(err, errMediaFinal):
		return true
	case channel.Category(err) != nil:
		return !channel.IsRetryable(err)
	}
	return false
}

// backoff is the delay before retry attempt n+1: exponential with full jitter, at least what the channel
// asked for.
func (s *Service) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := s.o.Jobs.BaseBackoff << min(max(attempt-1, 0), 30)
	if d <= 0 || d > s.o.Jobs.MaxBackoff {
		d = s.o.Jobs.MaxBackoff
	}
	d = d/2 + rand.N(d/2+1) // jitter: spread retries so instances do not retry in step
	return max(d, retryAfter)
}

// housekeep deletes finished jobs older than Options.Jobs.Keep, expired webhook archives and expired
// idempotency keys.
func (s *Service) housekeep(ctx context.Context) {
	const chunk = 1000
	for {
		n, err := s.store.DeleteFinishedJobs(ctx, s.o.Now().Add(-s.o.Jobs.Keep), chunk)
		if err != nil {
			s.o.OnError(fmt.Errorf("conversation: deleting finished jobs: %w", err))
			break
		}
		if n < chunk {
			break
		}
	}
	for what, del := range map[string]func(context.Context, int) (int, error){
		"expired webhook archives": s.store.DeleteExpiredWebhooks,
		"expired idempotency keys": s.store.DeleteExpiredRequests,
	} {
		for {
			n, err := del(ctx, chunk)
			if err != nil {
				s.o.OnError(fmt.Errorf("conversation: deleting %s: %w", what, err))
				break
			}
			if n < chunk {
				break
			}
		}
	}
}
