package sqlite_test

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/msgkit/msgkit/internal/sqlstore"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlite"
)

func schemaVersions(t *testing.T, path string) []int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query(`SELECT version FROM schema_version ORDER BY version`)
	require.NoError(t, err)
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		out = append(out, v)
	}
	return out
}

func TestMigrateEmptyAndExistingDatabases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "msgkit.db")
	s, err := sqlite.Open(t.Context(), path, nil)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.Equal(t, []int{1, 2, 3}, schemaVersions(t, path), "an empty database gets every migration, recorded")

	s, err = sqlite.Open(t.Context(), path, nil)
	require.NoError(t, err, "reopening a current database applies nothing")
	require.NoError(t, s.Close())
	require.Equal(t, []int{1, 2, 3}, schemaVersions(t, path))
}

func TestOpenValidates(t *testing.T) {
	_, err := sqlite.Open(t.Context(), "", nil)
	require.Error(t, err)
	_, err = sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), &sqlite.Options{Synchronous: "SOMETIMES"})
	require.Error(t, err)
	_, err = sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "no-such-dir", "x.db"), nil)
	require.Error(t, err, "a file that cannot be created")
}

// A database left at the previous schema version (as an older msgkit made it) is brought forward, and
// its rows read back under the new schema.
func TestMigrateFromThePreviousVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "msgkit.db")
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	v1, err := fs.Sub(os.DirFS("migrations"), ".")
	require.NoError(t, err)
	previous := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0002_message_outcome.sql"} {
		body, err := fs.ReadFile(v1, name)
		require.NoError(t, err)
		previous[name] = &fstest.MapFile{Data: body}
	}
	_, err = sqlstore.Migrate(t.Context(), rawDB{db}, previous)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO channels VALUES ('c1', 'Shop', 'line', '1', 'null', '{}', 1, '{}', 1, 1, 1)`)
	require.NoError(t, err)
	_, err = db.Exec(previousOutboxRow)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.Equal(t, []int{1, 2}, schemaVersions(t, path))

	s, err := sqlite.Open(t.Context(), path, nil)
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, []int{1, 2, 3}, schemaVersions(t, path), "only the missing migration is applied")
	ch, err := s.GetChannel(t.Context(), "c1")
	require.NoError(t, err, "rows written under the previous version are kept")
	require.Equal(t, "Shop", ch.Name)
	requireOutboxBecameAJob(t, s)
}

// previousOutboxRow is a pending send as version 2 queued it.
const previousOutboxRow = `INSERT INTO outbox VALUES ('o1', 'c1', 'conv1', '{"kind":"user","id":"U1"}', '["m1","m2"]',
	'rt', 'key-1', 'pending', 2, 5, 'rate limited', '', 0, 1, 3)`

// requireOutboxBecameAJob checks that the pending send of previousOutboxRow is a pending send job now.
func requireOutboxBecameAJob(t *testing.T, s store.Store) {
	t.Helper()
	j, err := s.GetJob(t.Context(), "o1")
	require.NoError(t, err, "a pending send survives the upgrade")
	require.Equal(t, "send", j.Kind)
	require.Equal(t, store.JobPending, j.Status)
	require.Equal(t, 2, j.Attempts)
	require.Equal(t, "rate limited", j.LastError)
	require.JSONEq(t, `{"channelId":"c1","conversationId":"conv1","to":{"kind":"user","id":"U1"},
		"messageIds":["m1","m2"],"replyToken":"rt","retryKey":"key-1"}`, string(j.Payload))
}

// rawDB runs the migration runner on a plain *sql.DB or *sql.Conn (SQLite reads $1 as a parameter too).
type rawDB struct {
	db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
}

func (d rawDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := d.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (d rawDB) Query(context.Context, string, ...any) (sqlstore.Rows, error) { panic("not used") }

func (d rawDB) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return d.db.QueryRowContext(ctx, q, args...)
}
