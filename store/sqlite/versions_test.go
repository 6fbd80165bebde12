package sqlite_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// migrationVersions lists the versions of the migrations this backend ships, in order: what a schema
// brought up to date must record.
func migrationVersions(t *testing.T) []int {
	t.Helper()
	names, err := filepath.Glob("migrations/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	var out []int
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		require.NoError(t, err, name)
		out = append(out, v)
	}
	return out
}
