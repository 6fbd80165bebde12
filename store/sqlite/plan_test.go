package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/internal/sqlstore"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlite"
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
	cases := []struct {
		name  string
		query planned
		want  []string // every one must appear in the plan
	}{
		{"all conversations", q(sqlstore.ViewQuery(store.View{}, store.Page{After: after})), []string{"conversations_inbox"}},
		{"mine", q(sqlstore.ViewQuery(store.View{Assignee: "u"}, store.Page{})), []string{"conversations_assignee"}},
		{"my unreplied", q(sqlstore.ViewQuery(store.View{Assignee: "u", Unreplied: true}, store.Page{After: after})), []string{"conversations_assignee_unreplied"}},
		{"one channel", q(sqlstore.ViewQuery(store.View{ChannelID: "c"}, store.Page{})), []string{"conversations_channel"}},
		{"unregistered oldest first", q(sqlstore.ViewQuery(store.View{Linkage: store.Unregistered}, store.Page{Order: store.OldestFirst})), []string{"conversations_inbox"}},
		{"my records", q(sqlstore.ViewQuery(store.View{RecordOwner: "u"}, store.Page{})), []string{"contacts_owner"}},
		{"record timeline", q(sqlstore.TimelineQuery(store.RecordLead, "L1", store.Page{After: after})), []string{"contacts_record", "messages_conversation"}},
	}
	for _, tc := range cases {
		plan := explain(t, db, tc.query)
		t.Logf("%s:\n%s", tc.name, plan)
		for _, idx := range tc.want {
			require.Contains(t, plan, idx, "%s: the plan must use index %s:\n%s", tc.name, idx, plan)
		}
		if tc.name != "my records" && tc.name != "record timeline" {
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
