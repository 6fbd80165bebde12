package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlite"
	"github.com/msgkit/msgkit/store/storetest"
)

func open(t *testing.T, path string, now func() time.Time) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, &sqlite.Options{Now: now})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T, now func() time.Time) store.Store {
			return open(t, filepath.Join(t.TempDir(), "msgkit.db"), now)
		},
		Handles: func(t *testing.T, now func() time.Time, n int) []store.Store {
			path := filepath.Join(t.TempDir(), "msgkit.db")
			hs := make([]store.Store, n)
			for i := range hs {
				hs[i] = open(t, path, now) // as n processes would: separate connections to one file
			}
			return hs
		},
		// Four handles on one file contend through SQLite's busy handler, which sleeps: about 1 ms per
		// assignment under -race. 8 × 250 keeps the rule's exact bound at a few seconds.
		FairnessAssignments: 250,
	})
}
