package memstore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/btree"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// EnqueueJob implements store.Jobs.
func (h *handle) EnqueueJob(ctx context.Context, j store.Job) (store.Job, bool, error) {
	if (j.Lease == "") != j.LeaseUntil.IsZero() {
		return store.Job{}, false, errors.New("memstore: EnqueueJob needs both Lease and LeaseUntil, or neither")
	}
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Job{}, false, err
	}
	defer unlock()
	if j.Key != "" {
		if existing, ok := h.st.pendingJobs[[2]string{j.Kind, j.Key}]; ok {
			return cloneJob(h.st.jobs[existing]), false, nil
		}
	}
	if j.ID == "" {
		j.ID = id.New()
	}
	if _, ok := h.st.jobs[j.ID]; ok {
		return store.Job{}, false, fmt.Errorf("job %s: %w", j.ID, store.ErrAlreadyExists)
	}
	now := h.now()
	j.Status, j.LeaseUntil = store.JobPending, norm(j.LeaseUntil) // claimed by the enqueuer when leased
	j.NextAttemptAt = norm(j.NextAttemptAt)
	if j.NextAttemptAt.IsZero() {
		j.NextAttemptAt = now
	}
	j.RetrySince = j.NextAttemptAt
	j.CreatedAt, j.UpdatedAt = now, now
	j = cloneJob(j)
	h.putJob(store.Job{}, j)
	if j.Lease == "" && !j.NextAttemptAt.After(now) { // a leased job is its enqueuer's: no one else can claim it
		h.jobsDue()
	}
	return cloneJob(j), true, nil
}

// putJob stores j in place of old (zero: none), keeping the indexes of pending jobs and their keys,
// journaling every change.
func (h *handle) putJob(old, j store.Job) {
	if old.Key != "" && old.Status == store.JobPending {
		del(h.tx, h.st.pendingJobs, [2]string{old.Kind, old.Key})
	}
	put(h.tx, h.st.jobs, j.ID, j)
	if j.Key != "" && j.Status == store.JobPending {
		put(h.tx, h.st.pendingJobs, [2]string{j.Kind, j.Key}, j.ID)
	}
	var was, is pendingJob
	if old.Status == store.JobPending {
		was = pendingJob{old.NextAttemptAt, old.ID, old.LeaseUntil}
	}
	if j.Status == store.JobPending {
		is = pendingJob{j.NextAttemptAt, j.ID, j.LeaseUntil}
	}
	move := func(from, to pendingJob) {
		if from.id != "" {
			h.st.pending.Delete(from)
		}
		if to.id != "" {
			h.st.pending.ReplaceOrInsert(to)
		}
	}
	move(was, is)
	if h.tx != nil {
		h.tx.undo = append(h.tx.undo, func() { move(is, was) })
	}
}

// pendingJob is a pending job's entry in the index ClaimJobs walks, ordered by (due, id): its
// NextAttemptAt, its ID, and its lease's end (zero: none).
type pendingJob struct {
	due        time.Time
	id         string
	leaseUntil time.Time
}

func newPending() *btree.BTreeG[pendingJob] {
	return btree.NewG(32, func(a, b pendingJob) bool { return cmp.Or(a.due.Compare(b.due), cmp.Compare(a.id, b.id)) < 0 })
}

// GetJob implements store.Jobs.
func (h *handle) GetJob(ctx context.Context, id string) (store.Job, error) {
	j, err := lookup(ctx, h, h.st.jobs, "job", id)
	return cloneJob(j), err
}

// ClaimJobs implements store.Jobs. It walks the index of pending jobs from the oldest due, passing over
// those under a lease, so a claim costs what it returns (and the jobs leased meanwhile), not the
// backlog: a sort of every due job made each claim of a burst's thousands O(n log n).
func (h *handle) ClaimJobs(ctx context.Context, limit int, lease time.Duration) ([]store.Job, error) {
	if limit <= 0 || lease <= 0 {
		return nil, errors.New("memstore: ClaimJobs needs a positive limit and lease")
	}
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	now := h.now()
	var ids []string
	h.st.pending.Ascend(func(p pendingJob) bool {
		if p.due.After(now) {
			return false // the rest are later too
		}
		if !p.leaseUntil.After(now) {
			ids = append(ids, p.id)
		}
		return len(ids) < limit
	})
	due := make([]store.Job, len(ids))
	for i, id := range ids {
		due[i] = h.claim(h.st.jobs[id], now, lease)
	}
	return due, nil
}

// ClaimJob implements store.Jobs.
func (h *handle) ClaimJob(ctx context.Context, id string, lease time.Duration) (store.Job, error) {
	if lease <= 0 {
		return store.Job{}, errors.New("memstore: ClaimJob needs a positive lease")
	}
	unlock, err := h.lock(ctx)
	if err != nil {
		return store.Job{}, err
	}
	defer unlock()
	j, ok := h.st.jobs[id]
	if !ok {
		return store.Job{}, fmt.Errorf("job %s: %w", id, store.ErrNotFound)
	}
	now := h.now()
	if j.Status != store.JobPending || j.LeaseUntil.After(now) {
		return store.Job{}, fmt.Errorf("job %s is finished or claimed: %w", id, store.ErrConflict)
	}
	return h.claim(j, now, lease), nil
}

// claim leases j until now+lease and returns the caller's copy. The caller holds the lock.
func (h *handle) claim(j store.Job, now time.Time, lease time.Duration) store.Job {
	old := j
	j.Lease, j.LeaseUntil = id.New(), now.Add(lease)
	j.Attempts++
	j.UpdatedAt = now
	h.putJob(old, j)
	return cloneJob(j)
}

// CompleteJob implements store.Jobs.
func (h *handle) CompleteJob(ctx context.Context, id, lease string) error {
	return h.release(ctx, id, lease, func(j *store.Job) { j.Status = store.JobDone })
}

// RetryJob implements store.Jobs.
func (h *handle) RetryJob(ctx context.Context, id, lease string, at time.Time, reason string) error {
	return h.release(ctx, id, lease, func(j *store.Job) { j.NextAttemptAt, j.LastError = norm(at), reason })
}

// HoldJob implements store.Jobs.
func (h *handle) HoldJob(ctx context.Context, id, lease string, until time.Time, reason string) error {
	return h.release(ctx, id, lease, func(j *store.Job) {
		j.NextAttemptAt, j.RetrySince, j.LastError = norm(until), norm(until), reason
	})
}

// FailJob implements store.Jobs.
func (h *handle) FailJob(ctx context.Context, id, lease, reason string) error {
	return h.release(ctx, id, lease, func(j *store.Job) { j.Status, j.LastError = store.JobFailed, reason })
}

// release ends the claim lease on job id after applying change, if the claim is still held.
func (h *handle) release(ctx context.Context, id, lease string, change func(*store.Job)) error {
	unlock, err := h.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	j, ok := h.st.jobs[id]
	if !ok {
		return fmt.Errorf("job %s: %w", id, store.ErrNotFound)
	}
	now := h.now()
	if j.Status != store.JobPending || lease == "" || j.Lease != lease || !j.LeaseUntil.After(now) {
		return fmt.Errorf("job %s: lease not held: %w", id, store.ErrConflict)
	}
	old := j
	change(&j)
	j.Lease, j.LeaseUntil, j.UpdatedAt = "", time.Time{}, now
	h.putJob(old, j)
	if j.Status == store.JobPending && !j.NextAttemptAt.After(now) {
		h.jobsDue()
	}
	return nil
}

// ListJobs implements store.Jobs. It scans the jobs.
func (h *handle) ListJobs(ctx context.Context, f store.JobFilter, p store.Page) ([]store.Job, store.Cursor, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	defer unlock()
	var out []store.Job
	for _, j := range h.st.jobs {
		if (f.Kind == "" || j.Kind == f.Kind) && (f.Status == "" || j.Status == f.Status) && j.Cursor().Past(p.After, p.Order) {
			out = append(out, cloneJob(j))
		}
	}
	slices.SortFunc(out, func(a, b store.Job) int { return compareCursors(a.Cursor(), b.Cursor(), p.Order) })
	return page(out, p, store.Job.Cursor)
}

// DeleteFinishedJobs implements store.Jobs.
func (h *handle) DeleteFinishedJobs(ctx context.Context, before time.Time, limit int) (int, error) {
	unlock, err := h.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	n := 0
	for id, j := range h.st.jobs {
		if n >= limit {
			break
		}
		if j.Status != store.JobPending && j.UpdatedAt.Before(before) {
			del(h.tx, h.st.jobs, id)
			n++
		}
	}
	return n, nil
}

func cloneJob(j store.Job) store.Job {
	j.Payload = bytes.Clone(j.Payload)
	return j
}
