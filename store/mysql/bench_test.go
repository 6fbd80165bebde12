package mysql_test

import (
	"testing"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/storetest"
)

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) store.Store { return open(b, newDatabase(b), nil) })
}
