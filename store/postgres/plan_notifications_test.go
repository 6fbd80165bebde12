package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlstore"
)

// A user's notification list, its unread filter and the unread badge use the user's indexes. 40,000
// notifications over 200 users, a tenth of them unread, loaded in bulk (and ANALYZE), so PostgreSQL
// prefers an index when one fits; a dropped index fails here.
func TestNotificationQueryPlansUseTheIndexes(t *testing.T) {
	schema := newSchema(t)
	s := open(t, schema, nil)
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, store.Channel{Kind: "line", ExternalID: "1"})
	require.NoError(t, err)
	k, _, err := s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: channel.User("U1")})
	require.NoError(t, err)
	c, _, err := s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: k.Peer})
	require.NoError(t, err)
	conn, err := pgx.Connect(ctx, dsn(t))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, `SET search_path TO `+schema)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO user_notifications SELECT 'n'||i, 'agent'||(i % 200), 'message:m'||i, 'message', $1, $2,
			'm'||i, i*1000, CASE WHEN i % 10 = 0 THEN 0 ELSE i*1000+1 END, i*1000 FROM generate_series(1, 40000) i`, ch.ID, c.ID)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `ANALYZE`)
	require.NoError(t, err)

	after := store.Cursor{Time: time.UnixMicro(20_000_000), ID: "n20000"}
	all, unread := store.NotificationFilter{}, store.NotificationFilter{Unread: true}
	type planCase struct {
		name  string
		query string
		args  []any
		want  string
	}
	var cases []planCase
	add := func(name, want string, q string, args []any) {
		cases = append(cases, planCase{name, q, args, want})
	}
	for _, p := range []store.Page{{}, {After: after}, {Order: store.OldestFirst}} {
		q, args := sqlstore.NotificationsQuery(s.Dialect(), "agent7", all, p)
		add("list", "user_notifications_list", q, args)
		q, args = sqlstore.NotificationsQuery(s.Dialect(), "agent7", unread, p)
		add("unread", "user_notifications_unread", q, args)
	}
	q, args := sqlstore.CountNotificationsQuery("agent7", unread, 100)
	add("unread count", "user_notifications_unread", q, args)
	for _, tc := range cases {
		rows, err := conn.Query(ctx, `EXPLAIN `+tc.query, tc.args...)
		require.NoError(t, err, tc.name)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		plan := strings.Join(lines, "\n")
		t.Logf("%s:\n%s", tc.name, plan)
		require.Regexp(t, `(?m)(using|Index Scan on|Index Only Scan on|Bitmap Index Scan on) `+tc.want+`( |$)`, plan,
			"%s: the plan must use index %s", tc.name, tc.want)
		require.NotContains(t, plan, "Seq Scan", "%s: the plan must not read the whole table", tc.name)
	}
}
