package postgres_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlstore"
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
			i*1000, 0, i*1000, '', 0, i, i, 1, '',
			CASE WHEN i %% 4 = 0 THEN 'lead' ELSE '' END, CASE WHEN i %% 4 = 0 THEN 'L'||(i %% 2000) ELSE '' END,
			CASE WHEN i %% 4 = 0 THEN 'owner'||(i %% 20) ELSE '' END, '' FROM generate_series(1, 20000) i;
		INSERT INTO messages SELECT 'm'||i||'-'||j, 'c'||i, (ARRAY[%[2]s])[1 + i %% 50], 'in', 'message', 'lm'||i||'-'||j, '', '{}', 'null',
			'received', '', false, false, i*1000+j, 0, 0, 1 FROM generate_series(1, 20000) i, generate_series(1, 2) j;
		ANALYZE`, "", strings.Join(ids, ",")))
	require.NoError(t, err)

	after := store.Cursor{Time: time.UnixMicro(2_500_000), ID: "c2500"}
	today := time.UnixMicro(19_000_000)
	views := []struct {
		name string
		v    store.View
		idx  string // a pattern: "today" may walk the recent end of any index that orders by time
	}{
		{"all", store.View{}, "conversations_all"},
		{"one channel", store.View{ChannelID: ch.ID}, "conversations_channel"},
		{"unregistered", store.View{Linkage: store.Unregistered}, "conversations_unregistered"},
		{"unregistered unreplied", store.View{Linkage: store.Unregistered, Unreplied: true}, "conversations_unregistered_unreplied"},
		{"unregistered today", store.View{Linkage: store.Unregistered, InboundSince: today}, "conversations_(all|unregistered)"},
		{"mine", store.View{Assignee: "agent3"}, "conversations_assignee"},
		{"mine unreplied", store.View{Assignee: "agent3", Unreplied: true}, "conversations_assignee_unreplied"},
		{"mine today", store.View{Assignee: "agent3", InboundSince: today}, "conversations_(all|assignee)"},
		{"my records", store.View{RecordOwner: "owner4"}, "conversations_record_owner"},
		{"my records unreplied", store.View{RecordOwner: "owner4", Unreplied: true}, "conversations_record_owner_unreplied"},
		{"my records today", store.View{RecordOwner: "owner4", InboundSince: today}, "conversations_(all|record_owner)"},
		{"unregistered today, one channel", store.View{Linkage: store.Unregistered, InboundSince: today, ChannelID: ch.ID}, "conversations_(all|unregistered|channel)"},
		{"mine today, one channel", store.View{Assignee: "agent3", InboundSince: today, ChannelID: ch.ID}, "conversations_(all|assignee|channel)"},
		{"my records today, one channel", store.View{RecordOwner: "owner4", InboundSince: today, ChannelID: ch.ID}, "conversations_(all|record_owner|channel)"},
		{"mine with viewer state", store.View{Assignee: "agent3", Viewer: "agent3"}, "conversations_assignee"},
	}
	type planCase struct {
		name  string
		query string
		args  []any
		want  string
		// bounded: the index walk must stop at the "today" cut-off (an index condition on
		// last_message_at), not run to the index's end when fewer than a page match (issue 15).
		bounded bool
	}
	var cases []planCase
	for _, v := range views {
		for _, p := range []store.Page{{}, {After: after}} {
			q, args := sqlstore.ViewQuery(s.Dialect(), v.v, p)
			cases = append(cases, planCase{v.name, q, args, v.idx, !v.v.InboundSince.IsZero()})
		}
		// A count stops at its limit, walking an index in the view's order (any index that fits will do).
		q, args := sqlstore.CountQuery(v.v, 1000)
		cases = append(cases, planCase{v.name + " count", q, args, "", !v.v.InboundSince.IsZero()})
	}
	q, args := sqlstore.TimelineQuery(s.Dialect(), store.RecordLead, "L8", store.Page{})
	cases = append(cases, planCase{"record timeline", q, args, "messages_conversation", false})
	for _, tc := range cases {
		rows, err := conn.Query(ctx, `EXPLAIN `+tc.query, tc.args...)
		require.NoError(t, err, tc.name)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		plan := strings.Join(lines, "\n")
		t.Logf("%s:\n%s", tc.name, plan)
		checkPlan(t, tc.name, plan, tc.want, tc.bounded)
	}

	// pgx prepares every statement, and after five runs PostgreSQL may keep a generic plan, made
	// without the arguments' values: it must not read the whole table either. (An unordered count did:
	// expecting its limit soon, a sequential scan read all 100,000 rows when fewer matched.)
	_, err = conn.Exec(ctx, `SET plan_cache_mode = force_generic_plan`)
	require.NoError(t, err)
	for i, tc := range cases {
		_, err := conn.Prepare(ctx, fmt.Sprint("generic", i), tc.query)
		require.NoError(t, err, tc.name)
		var lits []string
		for _, a := range tc.args {
			switch a := a.(type) {
			case string:
				lits = append(lits, "'"+a+"'")
			default:
				lits = append(lits, fmt.Sprint(a))
			}
		}
		execute := fmt.Sprintf(`EXPLAIN EXECUTE generic%d`, i)
		if len(lits) > 0 {
			execute += "(" + strings.Join(lits, ", ") + ")"
		}
		rows, err := conn.Query(ctx, execute)
		require.NoError(t, err, tc.name)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		plan := strings.Join(lines, "\n")
		t.Logf("%s, generic plan:\n%s", tc.name, plan)
		checkPlan(t, tc.name+", generic plan", plan, tc.want, tc.bounded)
		if !strings.HasSuffix(tc.name, " count") {
			// The generic plan knows the page's size: with LIMIT $n it assumed a tenth of the table,
			// and chose parallel plans that took 31 ms for a 51-row page.
			m := regexp.MustCompile(`^Limit  \(cost=\S+ rows=(\d+) `).FindStringSubmatch(lines[0])
			require.NotNil(t, m, "%s: a page's plan starts with its limit:\n%s", tc.name, plan)
			rows, err := strconv.Atoi(m[1])
			require.NoError(t, err)
			require.LessOrEqual(t, rows, store.DefaultLimit+1, "%s, generic plan: the limit is known", tc.name)
		}
	}
}

// checkPlan fails unless plan uses an index matching want (any index when empty, but no sequential
// scan) and, when bounded, walks it only from the "today" cut-off on.
func checkPlan(t *testing.T, name, plan, want string, bounded bool) {
	t.Helper()
	require.NotRegexp(t, `Seq Scan on (conversations|contacts|messages) `, plan, "%s: the plan must not read a whole table", name)
	if want != "" {
		require.Regexp(t, `(?m)(using|Index Scan on) `+want+`( |$)`, plan, "%s: the plan must use index %s", name, want)
	}
	if bounded {
		require.Regexp(t, `(?m)Index Cond: .*last_message_at >= `, plan, "%s: the walk must stop at the cut-off", name)
	}
}
