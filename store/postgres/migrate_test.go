package postgres_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/postgres"
	"github.com/msgkit/msgkit/store/sqlstore"
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
	require.Equal(t, migrationVersions(t), versions(t, schema), "an empty schema gets every migration, recorded")
	open(t, schema, nil)
	require.Equal(t, migrationVersions(t), versions(t, schema), "reopening a current schema applies nothing")
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
	require.Equal(t, migrationVersions(t), versions(t, schema))
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
	previous := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0002_message_outcome.sql"} {
		body, err := os.ReadFile("migrations/" + name)
		require.NoError(t, err)
		previous[name] = &fstest.MapFile{Data: body}
	}
	_, err = conn.Exec(ctx, `CREATE SCHEMA `+schema+`; SET search_path TO `+schema)
	require.NoError(t, err)
	_, err = sqlstore.Migrate(ctx, pgxDB{conn}, previous)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO channels VALUES ('c1', 'Shop', 'line', '1', 'null', '{}', true, '{}', 1, 1, 1)`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO outbox VALUES ('o1', 'c1', 'conv1', '{"kind":"user","id":"U1"}', '["m1","m2"]',
		'rt', 'key-1', 'pending', 2, 5, 'rate limited', '', 0, 1, 3)`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO contacts VALUES ('k1', 'c1', 'user', 'U1', '{}', '', '', true, 'lead', 'L1', 'agent-1', 1, 1, 1);
		INSERT INTO conversations VALUES ('conv1', 'c1', 'k1', 'user', 'U1', '', true, 0, 0, 0, '', 0, 7, 7, 1);
		INSERT INTO notifications VALUES ('conv1', 'agent-1', 5, true, 9)`)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, versions(t, schema))

	s := open(t, schema, nil)
	require.Equal(t, migrationVersions(t), versions(t, schema), "only the missing migrations are applied")
	ch, err := s.GetChannel(ctx, "c1")
	require.NoError(t, err, "rows written under the previous version are kept")
	require.Equal(t, "Shop", ch.Name)
	j, err := s.GetJob(ctx, "o1")
	require.NoError(t, err, "a pending send survives the upgrade")
	require.Equal(t, "send", j.Kind)
	require.Equal(t, store.JobPending, j.Status)
	require.Equal(t, 2, j.Attempts)
	require.JSONEq(t, `{"channelId":"c1","conversationId":"conv1","to":{"kind":"user","id":"U1"},
		"messageIds":["m1","m2"],"replyToken":"rt","retryKey":"key-1"}`, string(j.Payload))

	linked, _, err := s.ListConversations(ctx, store.View{RecordOwner: "agent-1"}, store.Page{})
	require.NoError(t, err)
	require.Len(t, linked, 1, "the conversation of a linked contact is in its owner's view")
	c := linked[0].Conversation
	require.Equal(t, store.RecordRef{Kind: store.RecordLead, ID: "L1", Owner: "agent-1"}, c.Record)
	require.Equal(t, time.UnixMicro(7).UTC(), c.LastMessageAt, "a conversation without messages sorts by its creation")
	st, err := s.GetNotificationState(ctx, "conv1", "agent-1")
	require.NoError(t, err, "notification state survives the upgrade")
	require.Equal(t, store.NotificationState{ConversationID: "conv1", UserID: "agent-1", SnoozedUntil: time.UnixMicro(5).UTC(), Ignored: true,
		UpdatedAt: time.UnixMicro(9).UTC()}, st, "migration 5 adds the snooze-until-inbound columns unset")
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
