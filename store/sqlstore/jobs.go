package sqlstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

const jobCols = `id, kind, job_key, payload, status, attempts, next_attempt_at, last_error, lease, lease_until,
	created_at, updated_at, retry_since`

func scanJob(r Row) (store.Job, error) {
	var j store.Job
	var payload, status string
	var next, leaseUntil, created, updated, since int64
	err := r.Scan(&j.ID, &j.Kind, &j.Key, &payload, &status, &j.Attempts, &next, &j.LastError, &j.Lease, &leaseUntil,
		&created, &updated, &since)
	j.RetrySince = timeOf(since)
	j.Status = store.JobStatus(status)
	if payload != "" {
		j.Payload = json.RawMessage(payload)
	}
	j.NextAttemptAt, j.LeaseUntil, j.CreatedAt, j.UpdatedAt = timeOf(next), timeOf(leaseUntil), timeOf(created), timeOf(updated)
	return j, err
}

// pendingJob is the row EnqueueJob inserts for j, as scanJob reads it back.
func pendingJob(j store.Job, next, now int64) store.Job {
	out := store.Job{ID: j.ID, Kind: j.Kind, Key: j.Key, Status: store.JobPending, Attempts: j.Attempts,
		NextAttemptAt: timeOf(next), LastError: j.LastError, Lease: j.Lease, LeaseUntil: timeOf(micros(j.LeaseUntil)),
		CreatedAt: timeOf(now), UpdatedAt: timeOf(now), RetrySince: timeOf(next)}
	if len(j.Payload) > 0 {
		out.Payload = slices.Clone(j.Payload)
	}
	return out
}

// pendingKey is the conflict target of the partial unique index on pending jobs' (kind, job_key).
const pendingKey = `(kind, job_key) WHERE status = 'pending' AND job_key <> ''`

// EnqueueJob implements store.Jobs: one INSERT that does nothing when a pending job has the same kind and
// key, then a read of that job. A job enqueued under a lease is not announced as due: it is the
// enqueuer's until the lease lapses.
func (s *Store) EnqueueJob(ctx context.Context, j store.Job) (store.Job, bool, error) {
	if err := check(ctx); err != nil {
		return store.Job{}, false, err
	}
	if (j.Lease == "") != j.LeaseUntil.IsZero() {
		return store.Job{}, false, errors.New("sqlstore: EnqueueJob needs both Lease and LeaseUntil, or neither")
	}
	fresh := j.ID == "" && j.Key == "" // never a duplicate
	if j.ID == "" {
		j.ID = id.New()
	}
	now := s.stamp()
	next := micros(j.NextAttemptAt)
	if next == 0 {
		next = now
	}
	var got store.Job
	var created bool
	err := s.announceDue(ctx, next, func(ctx context.Context, s *Store) (bool, error) {
		insert := `INSERT INTO jobs (` + jobCols + `) VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $9, $10, $8, $8, $6)`
		args := []any{j.ID, j.Kind, j.Key, string(j.Payload), j.Attempts, next, j.LastError, now, j.Lease, micros(j.LeaseUntil)}
		if fresh && s.deferWrite("job "+j.ID, insert, args...) {
			// A new ID and no key: nothing can stop the insert but the database, and the row is known.
			got, created = pendingJob(j, next, now), true
			return j.Lease == "", nil
		}
		row, err := writeRow(ctx, s, scanJob, insert, `ON CONFLICT `+pendingKey+` DO NOTHING`, "jobs", jobCols, "id = $1", args...)
		got, created, err = insertOnce(s, row, err, func() (store.Job, error) {
			if j.Key == "" { // jobs without a key are never deduplicated
				return store.Job{}, errNoRows
			}
			return scanJob(s.db.QueryRow(ctx, `SELECT `+jobCols+` FROM jobs
				WHERE kind = $1 AND job_key = $2 AND status = 'pending'`, j.Kind, j.Key))
		}, "job "+j.ID)
		return created && j.Lease == "", err
	})
	return got, created, err
}

// announceDue runs write, which makes a job due at at when it reports true. If at is not after the
// store's clock and the Dialect is a JobsDueNotifier, it is told so: after write, or, in a transaction,
// once that commits.
func (s *Store) announceDue(ctx context.Context, at int64, write func(ctx context.Context, s *Store) (bool, error)) error {
	due, err := write(ctx, s)
	if err != nil || !due || at > s.stamp() {
		return err
	}
	if s.due != nil {
		*s.due = true
		return nil
	}
	s.jobsDue(ctx)
	return nil
}

// jobsDue tells a JobsDueNotifier Dialect that a committed change made jobs due. Its error is not the
// caller's: the change stands, and a lost notice costs the workers a poll.
func (s *Store) jobsDue(ctx context.Context) {
	if n, ok := s.d.(JobsDueNotifier); ok {
		_ = n.JobsDue(ctx, s.db)
	}
}

// GetJob implements store.Jobs.
func (s *Store) GetJob(ctx context.Context, id string) (store.Job, error) {
	if err := check(ctx); err != nil {
		return store.Job{}, err
	}
	j, err := scanJob(s.db.QueryRow(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = $1`, id))
	return j, s.mapErr(err, "job "+id)
}

// ClaimJobs implements store.Jobs: one UPDATE over the due jobs (with Returning and Upsert), else a
// SELECT of the due jobs, an UPDATE of those and a read of them in one transaction. Where the database has
// SKIP LOCKED, the due jobs are picked with it, so concurrent claimers take different jobs without
// waiting.
func (s *Store) ClaimJobs(ctx context.Context, limit int, lease time.Duration) ([]store.Job, error) {
	if err := check(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 || lease <= 0 {
		return nil, errors.New("sqlstore: ClaimJobs needs a positive limit and lease")
	}
	now := s.stamp()
	lock := s.forUpdate()
	if s.d.Has(SkipLocked) {
		lock = ` FOR UPDATE SKIP LOCKED`
	}
	pick := func(now, limit string) string {
		return `SELECT id FROM jobs WHERE status = 'pending' AND next_attempt_at <= ` + now + ` AND lease_until <= ` + now +
			` ORDER BY next_attempt_at, id LIMIT ` + limit + lock
	}
	const set = `UPDATE jobs SET lease = $1, lease_until = $2, attempts = attempts + 1, updated_at = $3`
	args := []any{id.New(), now + lease.Microseconds(), now, limit}
	var jobs []store.Job
	var err error
	if has(s.d, Returning, Upsert) {
		jobs, err = queryAll(ctx, s, "job claim", scanJob, set+` WHERE id IN (`+pick("$3", "$4")+`) RETURNING `+jobCols, args...)
	} else {
		err = s.tx(ctx, func(ctx context.Context, tx *Store) error {
			ids, err := queryAll(ctx, tx, "job claim", func(r Row) (any, error) {
				var id string
				return id, r.Scan(&id)
			}, pick("$1", "$2"), now, limit)
			if err != nil || len(ids) == 0 {
				return err
			}
			// Still due and unleased: without row locks another claimer may have taken some meanwhile.
			if _, err := tx.db.Exec(ctx, set+` WHERE id IN (`+inList(len(args)+1, len(ids))+`)
				AND status = 'pending' AND next_attempt_at <= $3 AND lease_until <= $3`, append(args, ids...)...); err != nil {
				return tx.mapErr(err, "job claim")
			}
			jobs, err = queryAll(ctx, tx, "job claim", scanJob, `SELECT `+jobCols+` FROM jobs WHERE lease = $1 AND id IN (`+
				inList(2, len(ids))+`)`, append([]any{args[0]}, ids...)...)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	// RETURNING has no order: put the jobs back in the order they were picked.
	slices.SortFunc(jobs, func(a, b store.Job) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	return jobs, nil
}

// ClaimJob implements store.Jobs.
func (s *Store) ClaimJob(ctx context.Context, jobID string, lease time.Duration) (store.Job, error) {
	if err := check(ctx); err != nil {
		return store.Job{}, err
	}
	if lease <= 0 {
		return store.Job{}, errors.New("sqlstore: ClaimJob needs a positive lease")
	}
	now := s.stamp()
	j, err := writeRow(ctx, s, scanJob, `UPDATE jobs SET lease = $2, lease_until = $3, attempts = attempts + 1,
		updated_at = $4 WHERE id = $1 AND status = 'pending' AND lease_until <= $4`, "", "jobs", jobCols, "id = $1",
		jobID, id.New(), now+lease.Microseconds(), now)
	if s.noRows(err) {
		if _, err := s.GetJob(ctx, jobID); err != nil {
			return store.Job{}, err
		}
		return store.Job{}, fmt.Errorf("job %s is finished or claimed: %w", jobID, store.ErrConflict)
	}
	return j, s.mapErr(err, "job "+jobID)
}

// CompleteJob implements store.Jobs.
func (s *Store) CompleteJob(ctx context.Context, id, lease string) error {
	return s.release(ctx, id, lease, `status = 'done'`)
}

// CompleteHeldJob implements store.HeldJobCompleter: CompleteJob's update, its answer not read. In a
// transaction whose DB is a Deferrer (store/postgres) it travels with the next statement or the commit.
func (s *Store) CompleteHeldJob(ctx context.Context, id, lease string) error {
	if err := check(ctx); err != nil {
		return err
	}
	q, args := releaseQuery(id, lease, s.stamp(), `status = 'done'`)
	if s.deferWrite("job "+id, q, args...) {
		return nil
	}
	_, err := s.db.Exec(ctx, q, args...)
	return s.mapErr(err, "job "+id)
}

// RetryJob implements store.Jobs.
func (s *Store) RetryJob(ctx context.Context, id, lease string, at time.Time, reason string) error {
	return s.announceDue(ctx, micros(at), func(ctx context.Context, s *Store) (bool, error) {
		return true, s.release(ctx, id, lease, `next_attempt_at = $4, last_error = $5`, micros(at), reason)
	})
}

// HoldJob implements store.Jobs.
func (s *Store) HoldJob(ctx context.Context, id, lease string, until time.Time, reason string) error {
	return s.announceDue(ctx, micros(until), func(ctx context.Context, s *Store) (bool, error) {
		return true, s.release(ctx, id, lease, `next_attempt_at = $4, retry_since = $4, last_error = $5`, micros(until), reason)
	})
}

// FailJob implements store.Jobs.
func (s *Store) FailJob(ctx context.Context, id, lease, reason string) error {
	return s.release(ctx, id, lease, `status = 'failed', last_error = $4`, reason)
}

// release ends a claim with set applied, if the lease is still held ($1 id, $2 lease, $3 now).
func (s *Store) release(ctx context.Context, id, lease, set string, args ...any) error {
	if err := check(ctx); err != nil {
		return err
	}
	q, args := releaseQuery(id, lease, s.stamp(), set, args...)
	n, err := s.db.Exec(ctx, q, args...)
	if err != nil {
		return s.mapErr(err, "job "+id)
	}
	if n == 1 {
		return nil
	}
	if _, err := s.GetJob(ctx, id); err != nil {
		return err
	}
	return fmt.Errorf("job %s: lease not held: %w", id, store.ErrConflict)
}

// releaseQuery is the update that ends the claim lease on job id with set applied, if it is still held
// at now ($1 id, $2 lease, $3 now, then args).
func releaseQuery(id, lease string, now int64, set string, args ...any) (string, []any) {
	return `UPDATE jobs SET ` + set + `, lease = '', lease_until = 0, updated_at = $3
		WHERE id = $1 AND lease = $2 AND lease <> '' AND status = 'pending' AND lease_until > $3`,
		append([]any{id, lease, now}, args...)
}

// ListJobs implements store.Jobs.
func (s *Store) ListJobs(ctx context.Context, f store.JobFilter, p store.Page) ([]store.Job, store.Cursor, error) {
	if err := check(ctx); err != nil {
		return nil, store.Cursor{}, err
	}
	where, args := []string{"TRUE"}, []any{}
	if f.Kind != "" {
		args = append(args, f.Kind)
		where = append(where, "kind = "+param(len(args)))
	}
	if f.Status != "" {
		args = append(args, string(f.Status))
		where = append(where, "status = "+param(len(args)))
	}
	q, args := keyset(s.d, `SELECT `+jobCols+` FROM jobs WHERE `+strings.Join(where, " AND "), args, "created_at", "id", p)
	list, err := queryAll(ctx, s, "jobs", scanJob, q, args...)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	return cut(list, p, store.Job.Cursor)
}

// DeleteFinishedJobs implements store.Jobs.
func (s *Store) DeleteFinishedJobs(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := check(ctx); err != nil {
		return 0, err
	}
	n, err := s.db.Exec(ctx, `DELETE FROM jobs WHERE id IN (SELECT id FROM (SELECT id FROM jobs
		WHERE status <> 'pending' AND updated_at < $1 LIMIT $2) AS finished)`, micros(before), limit)
	return int(n), s.mapErr(err, "finished jobs")
}
