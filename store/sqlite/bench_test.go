package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlite"
	"github.com/msgkit/msgkit/store/storetest"
)

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) store.Store {
		s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
