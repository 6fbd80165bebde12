package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store/postgres"
)

func versions(t *testing.T, schema string) []int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn(t))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT version FROM `+schema+`.schema_version ORDER BY version`)
	require.NoError(t, err)
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	require.NoError(t, err)
	return vs
}

func TestMigrateEmptyAndCurrentSchemas(t *testing.T) {
	schema := newSchema(t)
	s := open(t, schema, nil)
	require.NoError(t, s.Ping(t.Context()))
	require.Equal(t, []int{1}, versions(t, schema), "an empty schema gets every migration, recorded")
	open(t, schema, nil)
	require.Equal(t, []int{1}, versions(t, schema), "reopening a current schema applies nothing")
}

// Four instances start at once on a new schema: the advisory lock lets one migrate, the rest find it done.
func TestConcurrentStartsMigrateOnce(t *testing.T) {
	schema := newSchema(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), dsn(t), &postgres.Options{Schema: schema})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, []int{1}, versions(t, schema))
}

func TestNewUsesTheHostsPool(t *testing.T) {
	schema := newSchema(t)
	open(t, schema, nil) // creates the schema
	cfg, err := pgxpool.ParseConfig(dsn(t))
	require.NoError(t, err)
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	defer pool.Close()
	_, err = postgres.New(t.Context(), pool, &postgres.Options{Schema: schema})
	require.ErrorContains(t, err, "search_path", "a pool pointing elsewhere is refused, not silently used")

	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool2, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	s, err := postgres.New(t.Context(), pool2, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, pool2.Ping(t.Context()), "Close leaves the host's pool open")
	pool2.Close()

	_, err = postgres.Open(t.Context(), dsn(t), &postgres.Options{Schema: "Robert'); DROP TABLE x;--"})
	require.Error(t, err, "schema names are identifiers")
}
