package postgres_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/internal/sqlstore"
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
	require.Equal(t, []int{1, 2}, versions(t, schema), "an empty schema gets every migration, recorded")
	open(t, schema, nil)
	require.Equal(t, []int{1, 2}, versions(t, schema), "reopening a current schema applies nothing")
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
	require.Equal(t, []int{1, 2}, versions(t, schema))
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

// A schema left at the previous version is brought forward, and its rows read back under the new schema.
func TestMigrateFromThePreviousVersion(t *testing.T) {
	schema := newSchema(t)
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dsn(t))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	body, err := os.ReadFile("migrations/0001_init.sql")
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE SCHEMA `+schema+`; SET search_path TO `+schema)
	require.NoError(t, err)
	_, err = sqlstore.Migrate(ctx, pgxDB{conn}, fstest.MapFS{"0001_init.sql": {Data: body}})
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO channels VALUES ('c1', 'Shop', 'line', '1', 'null', '{}', true, '{}', 1, 1, 1)`)
	require.NoError(t, err)
	require.Equal(t, []int{1}, versions(t, schema))

	s := open(t, schema, nil)
	require.Equal(t, []int{1, 2}, versions(t, schema), "only the missing migration is applied")
	ch, err := s.GetChannel(ctx, "c1")
	require.NoError(t, err, "rows written under the previous version are kept")
	require.Equal(t, "Shop", ch.Name)
}

// pgxDB runs the migration runner on one connection.
type pgxDB struct{ c *pgx.Conn }

func (d pgxDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := d.c.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (d pgxDB) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	return d.c.Query(ctx, q, args...)
}

func (d pgxDB) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return d.c.QueryRow(ctx, q, args...)
}
