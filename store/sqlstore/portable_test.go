package sqlstore_test

import (
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlstore"
	"github.com/msgkit/msgkit/store/storetest"
)

// The portable forms (a dialect with no feature) keep the whole contract: storetest runs against them on
// SQLite through database/sql, with store/sqlite's migrations. store/mysql runs the same forms on MySQL.
func TestPortableDialectConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole suite")
	}
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T, now func() time.Time) store.Store {
			q := url.Values{}
			q.Add("_pragma", "busy_timeout(10000)")
			q.Add("_pragma", "foreign_keys(1)")
			q.Add("_pragma", "journal_mode(WAL)")
			q.Set("_txlock", "immediate")
			db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "msgkit.db")+"?"+q.Encode())
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })
			db.SetMaxOpenConns(4)
			_, err = sqlstore.Migrate(t.Context(), sqlstore.NewSQLDB(db, nil), os.DirFS("../sqlite/migrations"))
			require.NoError(t, err)
			return sqlstore.New(sqlstore.NewSQLDB(db, nil), sqlstore.NewSQLTx(db, nil, nil), portable{}, &sqlstore.Options{Now: now})
		},
		FairnessAssignments: 100,
	})
}
