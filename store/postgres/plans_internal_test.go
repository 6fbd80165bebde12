package postgres

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestOpenUsesGenericPlans checks that Open's pool plans prepared statements once (generic plans), unless
// the DSN says otherwise.
func TestOpenUsesGenericPlans(t *testing.T) {
	dsn := os.Getenv("MSGKIT_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("MSGKIT_POSTGRES_DSN is not set")
		}
		t.Skip("MSGKIT_POSTGRES_DSN is not set")
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	for _, c := range []struct{ dsn, want string }{
		{dsn, "force_generic_plan"},
		{dsn + sep + "plan_cache_mode=auto", "auto"},
	} {
		schema := fmt.Sprintf("msgkit_test_plans_%d", time.Now().UnixNano())
		s, err := Open(t.Context(), c.dsn, &Options{Schema: schema})
		require.NoError(t, err)
		var mode string
		require.NoError(t, s.pool.QueryRow(t.Context(), `SHOW plan_cache_mode`).Scan(&mode))
		_, err = s.pool.Exec(t.Context(), `DROP SCHEMA `+schema+` CASCADE`)
		require.NoError(t, s.Close())
		require.NoError(t, err)
		require.Equal(t, c.want, mode, c.dsn)
	}
}
