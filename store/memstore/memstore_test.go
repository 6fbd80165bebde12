package memstore_test

import (
	"testing"
	"time"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T, now func() time.Time) store.Store {
			return memstore.New(&memstore.Options{Now: now})
		},
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(*testing.B) store.Store { return memstore.New(nil) })
}

func BenchmarkViews(b *testing.B) {
	storetest.BenchmarkViews(b, func(b *testing.B, p *storetest.Population) store.Store {
		s := memstore.New(nil)
		if err := p.Load(b.Context(), s); err != nil {
			b.Fatal(err)
		}
		return s
	}, nil)
}
