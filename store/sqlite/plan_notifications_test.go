package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlite"
	"github.com/msgkit/msgkit/store/sqlstore"
)

// A user's notification list, its unread filter and the unread badge are walks of the user's indexes, in
// index order: their cost does not grow with other users' notifications, nor with the user's read ones.
func TestNotificationQueryPlansUseTheIndexes(t *testing.T) {
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
	all, unread := store.NotificationFilter{}, store.NotificationFilter{Unread: true}
	cases := []struct {
		name  string
		query planned
		want  string
	}{
		{"list", q(sqlstore.NotificationsQuery(s.Dialect(), "u", all, store.Page{})), "user_notifications_list"},
		{"list after", q(sqlstore.NotificationsQuery(s.Dialect(), "u", all, store.Page{After: after})), "user_notifications_list"},
		{"list oldest first", q(sqlstore.NotificationsQuery(s.Dialect(), "u", all, store.Page{Order: store.OldestFirst})), "user_notifications_list"},
		{"unread", q(sqlstore.NotificationsQuery(s.Dialect(), "u", unread, store.Page{})), "user_notifications_unread"},
		{"unread after", q(sqlstore.NotificationsQuery(s.Dialect(), "u", unread, store.Page{After: after})), "user_notifications_unread"},
		{"unread count", q(sqlstore.CountNotificationsQuery("u", unread, 100)), "user_notifications_unread"},
	}
	for _, tc := range cases {
		plan := explain(t, db, tc.query)
		t.Logf("%s:\n%s", tc.name, plan)
		require.Regexp(t, `(?m)INDEX `+tc.want+`( |$)`, plan, "%s: the plan must use index %s:\n%s", tc.name, tc.want, plan)
		require.NotContains(t, plan, "TEMP B-TREE", "%s: rows must come in index order, not be sorted:\n%s", tc.name, plan)
	}
}
