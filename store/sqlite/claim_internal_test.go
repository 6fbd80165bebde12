package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
)

// A worker with nothing to claim takes no write lock: ClaimJobs answers while another writer holds it.
// With a job due, it claims as before (waiting for the lock).
func TestClaimWithNothingDueTakesNoWriteLock(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"), nil)
	require.NoError(t, err)
	defer s.Close()
	_, _, err = s.EnqueueJob(t.Context(), store.Job{Kind: "later", NextAttemptAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)

	require.NoError(t, s.lock.acquire(t.Context())) // another writer
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	jobs, err := s.ClaimJobs(ctx, 10, time.Minute)
	cancel()
	require.NoError(t, err, "nothing is due: the claim must not wait for the write lock")
	require.Empty(t, jobs)
	s.lock.release()

	due, _, err := s.EnqueueJob(t.Context(), store.Job{Kind: "now"})
	require.NoError(t, err)
	jobs, err = s.ClaimJobs(t.Context(), 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	require.Equal(t, due.ID, jobs[0].ID)
}
