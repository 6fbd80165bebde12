package sqlite_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store/sqlstore"
)

// migrationVersions lists the versions of the migrations this backend ships, in order: what a schema
// brought up to date must record.
func migrationVersions(t *testing.T) []int {
	t.Helper()
	v, err := sqlstore.Versions(os.DirFS("migrations"))
	require.NoError(t, err)
	require.NotEmpty(t, v)
	return v
}
