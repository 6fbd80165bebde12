package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlite"
	"github.com/msgkit/msgkit/store/sqlstore"
)

// The inbox views and the record timeline must be answered from the indexes designed for them, in index
// order (no sort of the whole table): a dropped or changed index fails here, not in production.
func TestQueryPlansUseTheIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "msgkit.db")
	s, err := sqlite.Open(t.Context(), path, nil)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`ANALYZE`)
	require.NoError(t, err)

	after := store.Cursor{Time: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), ID: "x"}
	today := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	type view struct {
		name string
		v    store.View
		idx  string
	}
	views := []view{
		{"all", store.View{}, "conversations_all"},
		{"one channel", store.View{ChannelID: "c"}, "conversations_channel"},
		{"unregistered", store.View{Linkage: store.Unregistered}, "conversations_unregistered"},
		{"unregistered unreplied", store.View{Linkage: store.Unregistered, Unreplied: true}, "conversations_unregistered_unreplied"},
		{"unregistered today", store.View{Linkage: store.Unregistered, InboundSince: today}, "conversations_unregistered"},
		{"mine", store.View{Assignee: "u"}, "conversations_assignee"},
		{"mine unreplied", store.View{Assignee: "u", Unreplied: true}, "conversations_assignee_unreplied"},
		{"mine today", store.View{Assignee: "u", InboundSince: today}, "conversations_assignee"},
		{"my records", store.View{RecordOwner: "u"}, "conversations_record_owner"},
		{"my records unreplied", store.View{RecordOwner: "u", Unreplied: true}, "conversations_record_owner_unreplied"},
		{"my records today", store.View{RecordOwner: "u", InboundSince: today}, "conversations_record_owner"},
		// A view on one channel walks the view's index and filters the channel: wider indexes made
		// SQLite walk the channel's index instead, 10-25x slower at 100,000 conversations (issue 15).
		{"mine, one channel", store.View{Assignee: "u", ChannelID: "c"}, "conversations_assignee"},
		{"mine unreplied, one channel", store.View{Assignee: "u", Unreplied: true, ChannelID: "c"}, "conversations_assignee_unreplied"},
		{"my records, one channel", store.View{RecordOwner: "u", ChannelID: "c"}, "conversations_record_owner"},
		{"my records unreplied, one channel", store.View{RecordOwner: "u", Unreplied: true, ChannelID: "c"}, "conversations_record_owner_unreplied"},
		{"unregistered today, one channel", store.View{Linkage: store.Unregistered, InboundSince: today, ChannelID: "c"}, "conversations_(channel|unregistered)"},
		{"mine today, one channel", store.View{Assignee: "u", InboundSince: today, ChannelID: "c"}, "conversations_(assignee|channel)"},
		{"my records today, one channel", store.View{RecordOwner: "u", InboundSince: today, ChannelID: "c"}, "conversations_(record_owner|channel)"},
		{"my viewer state", store.View{Assignee: "u", Viewer: "u"}, "conversations_assignee"},
	}
	type planCase struct {
		name  string
		query planned
		want  []string // every one must appear in the plan
		// bounded: the index walk must stop at the "today" cut-off (a range on last_message_at), not run
		// to the index's end when fewer than a page match (issue 15).
		bounded bool
	}
	cases := []planCase{
		{"record timeline", q(sqlstore.TimelineQuery(s.Dialect(), store.RecordLead, "L1", store.Page{After: after})), []string{"contacts_record", "messages_conversation"}, false},
	}
	for _, v := range views {
		bounded := !v.v.InboundSince.IsZero()
		for _, p := range []store.Page{{}, {After: after}} {
			cases = append(cases, planCase{v.name, q(sqlstore.ViewQuery(s.Dialect(), v.v, p)), []string{v.idx}, bounded})
		}
		cases = append(cases, planCase{v.name + " oldest first", q(sqlstore.ViewQuery(s.Dialect(), v.v, store.Page{Order: store.OldestFirst})), []string{v.idx}, bounded})
		idx := v.idx
		if v.name == "all" {
			idx = "(conversations_all|conversations_contact)" // counting everything: the smallest index
		}
		cases = append(cases, planCase{v.name + " count", q(sqlstore.CountQuery(v.v, 1000)), []string{idx}, bounded})
	}
	for _, tc := range cases {
		plan := explain(t, db, tc.query)
		t.Logf("%s:\n%s", tc.name, plan)
		for _, idx := range tc.want {
			require.Regexp(t, `(?m)INDEX `+idx+`( |$)`, plan, "%s: the plan must use index %s:\n%s", tc.name, idx, plan)
			if tc.bounded {
				require.Regexp(t, `(?m)INDEX `+idx+` \([^)]*last_message_at>\?`, plan,
					"%s: the walk of %s must stop at the cut-off:\n%s", tc.name, idx, plan)
			}
		}
		if tc.name != "record timeline" {
			require.NotContains(t, plan, "TEMP B-TREE", "%s: rows must come in index order, not be sorted:\n%s", tc.name, plan)
		}
	}
}

// planned is a shared query in SQLite's parameter style, with its arguments.
type planned struct {
	query string
	args  []any
}

func q(query string, args []any) planned { return planned{strings.ReplaceAll(query, "$", "?"), args} }

func explain(t *testing.T, db *sql.DB, p planned) string {
	t.Helper()
	rows, err := db.Query(`EXPLAIN QUERY PLAN `+p.query, p.args...)
	require.NoError(t, err, p.query)
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
		lines = append(lines, detail)
	}
	require.NoError(t, rows.Err())
	return strings.Join(lines, "\n")
}
