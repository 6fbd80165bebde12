package sqlstore

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
)

// A page's query fetches at least the page and the row after it, at most about twice that, and the
// common page sizes exactly; every page size makes one of a few query texts, so statement caches stay
// small.
func TestPageLimitsAreFewAndEnough(t *testing.T) {
	queries := map[string]bool{}
	for size := 1; size <= store.MaxLimit; size++ {
		q, _ := keyset(nil, "SELECT id FROM t WHERE TRUE", nil, "time", "id", store.Page{Limit: size})
		queries[q] = true
		n := limitBucket(size + 1)
		require.GreaterOrEqual(t, n, size+1)
		require.LessOrEqual(t, n, 2*size+1, "page size %d", size)
		require.True(t, strings.HasSuffix(q, " LIMIT "+strconv.Itoa(n)), q)
	}
	for _, size := range []int{10, 20, 25, 50, 100, 200, store.MaxLimit} {
		require.Equal(t, size+1, limitBucket(size+1), "page size %d is fetched exactly", size)
	}
	require.LessOrEqual(t, len(queries), len(limitBuckets))
}
