package mysql_test

import (
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/mysql"
	"github.com/msgkit/msgkit/store/sqlstore"
)

// numbers is a derived table of the integers 1 to 100,000, for bulk loads (portable: no sequence engine,
// no recursive CTE limits).
const numbers = `(SELECT a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*f.d + 1 AS i FROM
	(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a,
	(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b,
	(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c,
	(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) e,
	(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) f) AS n`

// planStep is one table's line of an EXPLAIN.
type planStep struct{ table, access, key, extra string }

func (p planStep) String() string {
	return fmt.Sprintf("%s: %s via %s (%s)", p.table, p.access, p.key, p.extra)
}

// explain returns the plan MySQL chooses for query, rendered for MySQL as the store sends it.
func explain(t *testing.T, db *sql.DB, query string, args []any) []planStep {
	t.Helper()
	query, args = sqlstore.Positional(query, args)
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = []byte(s)
		}
	}
	rows, err := db.QueryContext(t.Context(), `EXPLAIN `+query, args...)
	require.NoError(t, err, query)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var plan []planStep
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(dest...))
		col := func(name string) string {
			for i, c := range cols {
				if strings.EqualFold(c, name) {
					return vals[i].String
				}
			}
			return ""
		}
		plan = append(plan, planStep{col("table"), col("type"), col("key"), col("Extra")})
	}
	require.NoError(t, rows.Err())
	return plan
}

// step returns the plan's step on table.
func step(t *testing.T, plan []planStep, table string) planStep {
	t.Helper()
	for _, s := range plan {
		if s.table == table {
			return s
		}
	}
	require.Failf(t, "table not in plan", "%s is not in the plan %v", table, plan)
	return planStep{}
}

// load opens a store on a new database and returns a pool on that database for bulk loads and EXPLAIN.
func load(t *testing.T) (*mysql.Store, *sql.DB) {
	d := newDatabase(t)
	s := open(t, d, nil)
	db, err := sql.Open("mysql", d)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return s, db
}

// The inbox views and the record timeline must be answered from the indexes designed for them, in index
// order (no filesort). 20,000 conversations over 50 channels and 100 agents, each with a contact and two
// messages, loaded in bulk (and ANALYZE), so MySQL prefers an index when one fits; a dropped index fails
// here.
func TestQueryPlansUseTheIndexes(t *testing.T) {
	s, db := load(t)
	ctx := t.Context()
	var ids []string
	var first store.Channel
	for i := range 50 {
		ch, err := s.CreateChannel(ctx, store.Channel{Kind: "line", ExternalID: fmt.Sprint(i)})
		require.NoError(t, err)
		if i == 0 {
			first = ch
		}
		ids = append(ids, "'"+ch.ID+"'")
	}
	channelOf := "ELT(1 + n.i % 50, " + strings.Join(ids, ",") + ")"
	for _, q := range []string{
		`INSERT INTO contacts (id, channel_id, peer_kind, peer_id, profile, profile_status, profile_error, followed, record_kind,
			record_id, record_owner, created_at, updated_at, version)
		SELECT CONCAT('k', n.i), ` + channelOf + `, 'user', CONCAT('U', n.i), '{}', '', '', TRUE,
			IF(n.i % 4 = 0, 'lead', ''), IF(n.i % 4 = 0, CONCAT('L', n.i % 2000), ''), IF(n.i % 4 = 0, CONCAT('owner', n.i % 20), ''),
			n.i, n.i, 1 FROM ` + numbers + ` WHERE n.i <= 20000`,
		`INSERT INTO conversations (id, channel_id, contact_id, peer_kind, peer_id, assignee, unreplied, last_inbound_at,
			last_outbound_at, last_message_at, reply_token, reply_token_expires_at, created_at, updated_at, version, preview,
			record_kind, record_id, record_owner, record_name)
		SELECT CONCAT('c', n.i), ` + channelOf + `, CONCAT('k', n.i), 'user', CONCAT('U', n.i), CONCAT('agent', n.i % 100),
			n.i % 3 = 0, n.i * 1000, 0, n.i * 1000, '', 0, n.i, n.i, 1, '',
			IF(n.i % 4 = 0, 'lead', ''), IF(n.i % 4 = 0, CONCAT('L', n.i % 2000), ''), IF(n.i % 4 = 0, CONCAT('owner', n.i % 20), ''), ''
		FROM ` + numbers + ` WHERE n.i <= 20000`,
		`INSERT INTO messages (id, conversation_id, channel_id, direction, kind, channel_message_id, author, content, event,
			status, status_detail, unsent, billable, time, created_at, updated_at, version)
		SELECT CONCAT('m', n.i, '-', j.j), CONCAT('c', n.i), ` + channelOf + `, 'in', 'message', CONCAT('lm', n.i, '-', j.j), '',
			'{}', 'null', 'received', '', FALSE, FALSE, n.i * 1000 + j.j, 0, 0, 1
		FROM ` + numbers + `, (SELECT 1 AS j UNION ALL SELECT 2) AS j WHERE n.i <= 20000`,
		`ANALYZE TABLE contacts, conversations, messages`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err)
	}

	d := mysql.Dialect{}
	after := store.Cursor{Time: time.UnixMicro(19_500_000), ID: "c19500"} // within "today", which MySQL otherwise sees is empty
	today := time.UnixMicro(19_000_000)
	views := []struct {
		name string
		v    store.View
		idx  string // a pattern: "today" may walk the recent end of any index that orders by time
	}{
		{"all", store.View{}, "conversations_all"},
		{"one channel", store.View{ChannelID: first.ID}, "conversations_channel"},
		{"unregistered", store.View{Linkage: store.Unregistered}, "conversations_unregistered"},
		{"unregistered unreplied", store.View{Linkage: store.Unregistered, Unreplied: true}, "conversations_unregistered_unreplied"},
		{"unregistered today", store.View{Linkage: store.Unregistered, InboundSince: today}, "conversations_(all|unregistered)"},
		{"mine", store.View{Assignee: "agent3"}, "conversations_assignee"},
		{"mine unreplied", store.View{Assignee: "agent3", Unreplied: true}, "conversations_assignee_unreplied"},
		{"mine today", store.View{Assignee: "agent3", InboundSince: today}, "conversations_(all|assignee)"},
		{"my records", store.View{RecordOwner: "owner4"}, "conversations_record_owner"},
		{"my records unreplied", store.View{RecordOwner: "owner4", Unreplied: true}, "conversations_record_owner_unreplied"},
		{"my records today", store.View{RecordOwner: "owner4", InboundSince: today}, "conversations_(all|record_owner)"},
		{"mine with viewer state", store.View{Assignee: "agent3", Viewer: "agent3"}, "conversations_assignee"},
	}
	for _, v := range views {
		for _, p := range []store.Page{{}, {After: after}, {Order: store.OldestFirst}} {
			q, args := sqlstore.ViewQuery(d, v.v, p)
			plan := explain(t, db, q, args)
			c := step(t, plan, "c")
			t.Logf("%s %+v: %v", v.name, p, plan)
			require.Regexp(t, regexp.MustCompile(`^`+v.idx+`$`), c.key, "%s: the view must use index %s: %v", v.name, v.idx, plan)
			require.NotContains(t, c.extra, "filesort", "%s: rows must come in index order, not be sorted: %v", v.name, plan)
		}
		// A count stops at its limit; one narrowed to an agent, an owner or a channel must come from an index.
		if v.v.Assignee != "" || v.v.RecordOwner != "" || v.v.ChannelID != "" {
			q, args := sqlstore.CountQuery(v.v, 1000)
			plan := explain(t, db, q, args)
			t.Logf("%s count: %v", v.name, plan)
			c := step(t, plan, "c")
			require.NotEqual(t, "ALL", c.access, "%s count: the plan must not read the whole table: %v", v.name, plan)
			require.NotEmpty(t, c.key, "%s count: %v", v.name, plan)
		}
	}
	q, args := sqlstore.TimelineQuery(d, store.RecordLead, "L8", store.Page{})
	plan := explain(t, db, q, args)
	t.Logf("record timeline: %v", plan)
	require.Equal(t, "contacts_record", step(t, plan, "k").key, "record timeline: %v", plan)
	require.Equal(t, "messages_conversation", step(t, plan, "m").key, "record timeline: %v", plan)
}

// A user's notification list, its unread filter and the unread badge use the user's indexes. 40,000
// notifications over 200 users, a tenth of them unread, loaded in bulk.
func TestNotificationQueryPlansUseTheIndexes(t *testing.T) {
	s, db := load(t)
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, store.Channel{Kind: "line", ExternalID: "1"})
	require.NoError(t, err)
	k, _, err := s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: channel.User("U1")})
	require.NoError(t, err)
	c, _, err := s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: k.Peer})
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO user_notifications (id, user_id, notify_key, event, channel_id, conversation_id,
			message_id, at, read_at, created_at)
		SELECT CONCAT('n', n.i), CONCAT('agent', n.i % 200), CONCAT('message:m', n.i), 'message', ?, ?, CONCAT('m', n.i),
			n.i * 1000, IF(n.i % 10 = 0, 0, n.i * 1000 + 1), n.i * 1000 FROM `+numbers+` WHERE n.i <= 40000`, ch.ID, c.ID)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `ANALYZE TABLE user_notifications`)
	require.NoError(t, err)

	d := mysql.Dialect{}
	after := store.Cursor{Time: time.UnixMicro(20_000_000), ID: "n20000"}
	all, unread := store.NotificationFilter{}, store.NotificationFilter{Unread: true}
	type planCase struct {
		name, want string
		q          string
		args       []any
	}
	var cases []planCase
	for _, p := range []store.Page{{}, {After: after}, {Order: store.OldestFirst}} {
		q, args := sqlstore.NotificationsQuery(d, "agent7", all, p)
		cases = append(cases, planCase{"list", "user_notifications_list", q, args})
		q, args = sqlstore.NotificationsQuery(d, "agent7", unread, p)
		cases = append(cases, planCase{"unread", "user_notifications_unread", q, args})
	}
	q, args := sqlstore.CountNotificationsQuery("agent7", unread, 100)
	cases = append(cases, planCase{"unread count", "user_notifications_unread", q, args})
	for _, tc := range cases {
		plan := explain(t, db, tc.q, tc.args)
		t.Logf("%s: %v", tc.name, plan)
		st := step(t, plan, "user_notifications")
		require.Equal(t, tc.want, st.key, "%s: the plan must use index %s: %v", tc.name, tc.want, plan)
		require.NotContains(t, st.extra, "filesort", "%s: %v", tc.name, plan)
	}
}
