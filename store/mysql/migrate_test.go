package mysql_test

import (
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store/mysql"
	"github.com/msgkit/msgkit/store/sqlstore"
)

// migrationVersions lists the versions of the migrations this backend ships, in order: what a database
// brought up to date must record.
func migrationVersions(t *testing.T) []int {
	t.Helper()
	v, err := sqlstore.Versions(os.DirFS("migrations"))
	require.NoError(t, err)
	require.NotEmpty(t, v)
	return v
}

// The migrations mirror the other backends': the same numbers, so a migration added to one is added to
// every one.
func TestMigrationsMirrorTheOtherBackends(t *testing.T) {
	for _, other := range []string{"../postgres/migrations", "../sqlite/migrations"} {
		v, err := sqlstore.Versions(os.DirFS(other))
		require.NoError(t, err)
		require.Equal(t, v, migrationVersions(t), "%s and store/mysql ship the same migration numbers", other)
	}
}

func versions(t *testing.T, dsn string) []int {
	t.Helper()
	db := server(t)
	_, err := db.ExecContext(t.Context(), "SELECT 1")
	require.NoError(t, err)
	rows, err := db.QueryContext(t.Context(), "SELECT version FROM `"+databaseOf(t, dsn)+"`.schema_version ORDER BY version")
	require.NoError(t, err)
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		vs = append(vs, v)
	}
	require.NoError(t, rows.Err())
	return vs
}

func TestMigrateEmptyAndCurrentDatabases(t *testing.T) {
	d := newDatabase(t)
	s := open(t, d, nil)
	require.NoError(t, s.Ping(t.Context()))
	require.Equal(t, migrationVersions(t), versions(t, d), "an empty database gets every migration, recorded")
	open(t, d, nil)
	require.Equal(t, migrationVersions(t), versions(t, d), "reopening a current database applies nothing")
}

// Four instances start at once on a new database: the named lock lets one migrate, the rest find it done.
func TestConcurrentStartsMigrateOnce(t *testing.T) {
	d := newDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := mysql.Open(t.Context(), d, nil)
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
	require.Equal(t, migrationVersions(t), versions(t, d))
}

func TestOpenRefusesADSNWithoutADatabase(t *testing.T) {
	_, err := mysql.Open(t.Context(), "root@tcp(127.0.0.1:1)/", nil)
	require.ErrorContains(t, err, "names no database")
}
