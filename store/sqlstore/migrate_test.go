package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/msgkit/msgkit/store/sqlstore"
)

// sqlDB adapts *sql.DB to sqlstore.DB for the runner test (SQLite reads $1 as a named parameter).
type sqlDB struct{ db *sql.DB }

func (d sqlDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := d.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (d sqlDB) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	panic("not used")
}

func (d sqlDB) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return d.db.QueryRowContext(ctx, q, args...)
}

// The runner applies only what a database lacks, in order, and records it: a database at the previous
// version gets only the new migration.
func TestMigrateAppliesOnlyMissingMigrationsInOrder(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "m.db"))
	require.NoError(t, err)
	defer db.Close()
	v1 := fstest.MapFS{"0001_init.sql": {Data: []byte("-- first\nCREATE TABLE a (x INTEGER);\nINSERT INTO a VALUES (1);\n")}}
	v, err := sqlstore.Migrate(t.Context(), sqlDB{db}, v1)
	require.NoError(t, err)
	require.Equal(t, 1, v)

	v2 := fstest.MapFS{
		"0001_init.sql":    v1["0001_init.sql"],
		"0002_more.sql":    {Data: []byte("ALTER TABLE a ADD COLUMN y INTEGER NOT NULL DEFAULT 0;\nINSERT INTO a (x) VALUES (2);\n")},
		"0010_indexes.sql": {Data: []byte("CREATE INDEX a_x ON a (x);")},
	}
	v, err = sqlstore.Migrate(t.Context(), sqlDB{db}, v2)
	require.NoError(t, err)
	require.Equal(t, 10, v)
	var rows int
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM a`).Scan(&rows))
	require.Equal(t, 2, rows, "0001 ran once, 0002 once")
	var recorded int
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM schema_version`).Scan(&recorded))
	require.Equal(t, 3, recorded)

	_, err = sqlstore.Migrate(t.Context(), sqlDB{db}, fstest.MapFS{"init.sql": {Data: []byte("SELECT 1;")}})
	require.Error(t, err, "a migration without a version number is refused")
	_, err = sqlstore.Migrate(t.Context(), sqlDB{db}, fstest.MapFS{"0011_bad.sql": {Data: []byte("NOT SQL;")}})
	require.ErrorContains(t, err, "0011_bad.sql", "a failing migration is named")
}
