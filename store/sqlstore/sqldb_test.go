package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store/sqlstore"
)

func TestPositional(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		query     string
		args      []any
		wantQuery string
		wantArgs  []any
	}{
		{"none", "SELECT 1", nil, "SELECT 1", nil},
		{"in order", "a = $1 AND b = $2", []any{"x", 2}, "a = ? AND b = ?", []any{"x", 2}},
		{"repeated and reordered", "VALUES ($2, $1, $2)", []any{"a", "b"}, "VALUES (?, ?, ?)", []any{"b", "a", "b"}},
		{"two digits", "$10, $1", []any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, "?, ?", []any{10, 1}},
		{"a dollar that is no parameter", "x = '$' AND y = $1", []any{1}, "x = '$' AND y = ?", []any{1}},
		{"unused arguments are dropped", "a = $2", []any{1, 2}, "a = ?", []any{2}},
		{"a missing argument is nil", "a = $3", []any{1}, "a = ?", []any{nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, args := sqlstore.Positional(tc.query, tc.args)
			require.Equal(t, tc.wantQuery, q)
			require.Equal(t, tc.wantArgs, args)
		})
	}
}

// Positional keeps every byte but the parameters, and gives each ? one argument.
func FuzzPositional(f *testing.F) {
	f.Add("INSERT INTO t VALUES ($1, $2, $1)", 2)
	f.Add("$", 0)
	f.Add("$0 $99999999999999999999", 1)
	f.Fuzz(func(t *testing.T, query string, n int) {
		n = max(0, min(n, 20))
		args := make([]any, n)
		for i := range args {
			args[i] = i
		}
		q, out := sqlstore.Positional(query, args)
		if !strings.Contains(query, "$") {
			require.Equal(t, query, q)
			return
		}
		require.Equal(t, strings.Count(q, "?")-strings.Count(query, "?"), len(out), "one argument per placeholder")
	})
}
