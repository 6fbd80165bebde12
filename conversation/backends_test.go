package conversation_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/postgres"
	"github.com/msgkit/msgkit/store/sqlite"
)

// backends opens a fresh, empty store of each backend, all stamping with now: memstore, SQLite, and
// PostgreSQL (from MSGKIT_POSTGRES_DSN; skipped without it, except in CI).
func backends() map[string]func(t *testing.T, now func() time.Time) store.Store {
	return map[string]func(t *testing.T, now func() time.Time) store.Store{
		"memstore": func(_ *testing.T, now func() time.Time) store.Store { return memstore.New(&memstore.Options{Now: now}) },
		"sqlite": func(t *testing.T, now func() time.Time) store.Store {
			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "msgkit.db"), &sqlite.Options{Now: now})
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T, now func() time.Time) store.Store {
			dsn := multiDSN(t)
			s, err := postgres.Open(t.Context(), dsn, &postgres.Options{Schema: multiSchema(t, dsn), Now: now})
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
}
