package sqlite_test

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlite"
	"github.com/msgkit/msgkit/store/sqlstore"
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
	require.Equal(t, migrationVersions(t), schemaVersions(t, path), "an empty database gets every migration, recorded")

	s, err = sqlite.Open(t.Context(), path, nil)
	require.NoError(t, err, "reopening a current database applies nothing")
	require.NoError(t, s.Close())
	require.Equal(t, migrationVersions(t), schemaVersions(t, path))
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
	for _, row := range []string{previousOutboxRow, previousContactRow, previousConversationRow, previousNotificationRow} {
		_, err = db.Exec(row)
		require.NoError(t, err)
	}
	require.NoError(t, db.Close())
	require.Equal(t, []int{1, 2}, schemaVersions(t, path))

	s, err := sqlite.Open(t.Context(), path, nil)
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, migrationVersions(t), schemaVersions(t, path), "only the missing migrations are applied")
	ch, err := s.GetChannel(t.Context(), "c1")
	require.NoError(t, err, "rows written under the previous version are kept")
	require.Equal(t, "Shop", ch.Name)
	requireOutboxBecameAJob(t, s)
	requireConversationMirrorsItsRecord(t, s)
	st, err := s.GetNotificationState(t.Context(), "conv1", "agent-1")
	require.NoError(t, err, "notification state survives the upgrade")
	require.Equal(t, store.NotificationState{ConversationID: "conv1", UserID: "agent-1", SnoozedUntil: time.UnixMicro(5).UTC(), Ignored: true,
		UpdatedAt: time.UnixMicro(9).UTC()}, st, "migration 5 adds the snooze-until-inbound columns unset")
}

// previousOutboxRow is a pending send as version 2 queued it.
const previousOutboxRow = `INSERT INTO outbox VALUES ('o1', 'c1', 'conv1', '{"kind":"user","id":"U1"}', '["m1","m2"]',
	'rt', 'key-1', 'pending', 2, 5, 'rate limited', '', 0, 1, 3)`

// previousContactRow and previousConversationRow are a linked contact and its conversation, opened by a
// follow (no message yet), as version 2 kept them.
const (
	previousContactRow      = `INSERT INTO contacts VALUES ('k1', 'c1', 'user', 'U1', '{}', '', '', 1, 'lead', 'L1', 'agent-1', 1, 1, 1)`
	previousConversationRow = `INSERT INTO conversations VALUES ('conv1', 'c1', 'k1', 'user', 'U1', '', 1, 0, 0, 0, '', 0, 7, 7, 1)`
	previousNotificationRow = `INSERT INTO notifications VALUES ('conv1', 'agent-1', 5, 1, 9)`
)

// requireConversationMirrorsItsRecord checks that migration 4 gave the conversation of previousContactRow
// its contact's record, and a place in the inbox from its creation time.
func requireConversationMirrorsItsRecord(t *testing.T, s store.Store) {
	t.Helper()
	got, _, err := s.ListConversations(t.Context(), store.View{RecordOwner: "agent-1"}, store.Page{})
	require.NoError(t, err)
	require.Len(t, got, 1, "the conversation of a linked contact is in its owner's view")
	c := got[0].Conversation
	require.Equal(t, store.RecordRef{Kind: store.RecordLead, ID: "L1", Owner: "agent-1"}, c.Record)
	require.Equal(t, time.UnixMicro(7).UTC(), c.LastMessageAt, "a conversation without messages sorts by its creation")
	unregistered, err := s.CountConversations(t.Context(), store.View{Linkage: store.Unregistered}, 0)
	require.NoError(t, err)
	require.Zero(t, unregistered)
}

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
