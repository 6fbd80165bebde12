package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/internal/sqlstore"
	"github.com/msgkit/msgkit/store"
)

// The inbox views and the record timeline must use the indexes designed for them. The tables get enough
// rows (and ANALYZE) that PostgreSQL prefers an index when one fits; a dropped index fails here.
func TestQueryPlansUseTheIndexes(t *testing.T) {
	schema := newSchema(t)
	s := open(t, schema, nil)
	ctx := t.Context()
	var channels []store.Channel
	for i := range 50 {
		ch, err := s.CreateChannel(ctx, store.Channel{Kind: "line", ExternalID: fmt.Sprint(i)})
		require.NoError(t, err)
		channels = append(channels, ch)
	}
	ch := channels[0]
	var ids []string
	for _, c := range channels {
		ids = append(ids, "'"+c.ID+"'")
	}
	conn, err := pgx.Connect(ctx, dsn(t))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, `SET search_path TO `+schema)
	require.NoError(t, err)
	// 20,000 conversations over 50 channels and 100 agents, each with a contact and two messages, loaded in bulk.
	_, err = conn.Exec(ctx, fmt.Sprintf(`
		INSERT INTO contacts SELECT 'k'||i, (ARRAY[%[2]s])[1 + i %% 50], 'user', 'U'||i, '{}', '', '', true,
			CASE WHEN i %% 4 = 0 THEN 'lead' ELSE '' END, CASE WHEN i %% 4 = 0 THEN 'L'||(i %% 2000) ELSE '' END,
			CASE WHEN i %% 4 = 0 THEN 'owner'||(i %% 20) ELSE '' END, i, i, 1 FROM generate_series(1, 20000) i;
		INSERT INTO conversations SELECT 'c'||i, (ARRAY[%[2]s])[1 + i %% 50], 'k'||i, 'user', 'U'||i, 'agent'||(i %% 100), i %% 3 = 0,
			i*1000, 0, i*1000, '', 0, i, i, 1 FROM generate_series(1, 20000) i;
		INSERT INTO messages SELECT 'm'||i||'-'||j, 'c'||i, (ARRAY[%[2]s])[1 + i %% 50], 'in', 'message', 'lm'||i||'-'||j, '', '{}', 'null',
			'received', '', false, false, i*1000+j, 0, 0, 1 FROM generate_series(1, 20000) i, generate_series(1, 2) j;
		ANALYZE`, "", strings.Join(ids, ",")))
	require.NoError(t, err)

	after := store.Cursor{Time: time.UnixMicro(2_500_000), ID: "c2500"}
	cases := []struct {
		name  string
		query string
		args  []any
		want  string
	}{
		{"all", "", nil, "conversations_inbox"},
		{"mine", "", nil, "conversations_assignee"},
		{"my unreplied", "", nil, "conversations_assignee_unreplied"},
		{"one channel", "", nil, "conversations_channel"},
		{"record timeline", "", nil, "messages_conversation"},
	}
	views := map[string]store.View{
		"all": {}, "mine": {Assignee: "agent3"}, "my unreplied": {Assignee: "agent3", Unreplied: true}, "one channel": {ChannelID: ch.ID},
	}
	for i := range cases {
		if v, ok := views[cases[i].name]; ok {
			cases[i].query, cases[i].args = sqlstore.ViewQuery(v, store.Page{After: after})
		} else {
			cases[i].query, cases[i].args = sqlstore.TimelineQuery(store.RecordLead, "L8", store.Page{})
		}
	}
	for _, tc := range cases {
		rows, err := conn.Query(ctx, `EXPLAIN `+tc.query, tc.args...)
		require.NoError(t, err, tc.name)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		plan := strings.Join(lines, "\n")
		t.Logf("%s:\n%s", tc.name, plan)
		require.Contains(t, plan, tc.want, "%s: the plan must use index %s", tc.name, tc.want)
	}
}
