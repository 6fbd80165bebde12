package id

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNewIsUUIDv7(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		s := New()
		require.Regexp(t, re, s)
		require.False(t, seen[s], "duplicate ID %s", s)
		seen[s] = true
	}
}

func TestNewSortsByTime(t *testing.T) {
	a := New()
	time.Sleep(2 * time.Millisecond)
	b := New()
	require.Less(t, a, b, "an ID made later must sort later")
}

func TestDerive(t *testing.T) {
	parent := New()
	require.Equal(t, parent, Derive(parent, 0))
	seen := map[string]bool{parent: true}
	for n := 1; n < 100; n++ {
		d := Derive(parent, n)
		require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, d)
		require.False(t, seen[d])
		seen[d] = true
		require.Equal(t, d, Derive(parent, n), "the same inputs give the same key")
	}
}

// Derived keys are stored as retry keys of sends in flight: they must never change between releases.
func TestDeriveIsStable(t *testing.T) {
	for _, tc := range []struct {
		parent string
		n      int
		want   string
	}{
		{"0190a5f3-8c6e-7b2a-9c4d-1e2f3a4b5c6d", 1, "26f9f61b-964d-8eda-b0ce-cc66c84b4022"},
		{"0190a5f3-8c6e-7b2a-9c4d-1e2f3a4b5c6d", 2, "831111e3-cf55-81a4-afde-125c79c25c28"},
		{"0190a5f3-8c6e-7b2a-9c4d-1e2f3a4b5c6d", 10, "ff35b775-c2b4-8ec5-9ece-ab23fef8dff5"},
		{"k-1", 1, "edc12f17-4742-82fb-ae39-523938ba29c0"},
		{"k-1", 2, "a61833d2-6515-8777-a4f9-96325406b3e8"},
		{"k-1", 10, "c6c37645-5472-8e5d-a6fc-c07affee14c7"},
	} {
		require.Equal(t, tc.want, Derive(tc.parent, tc.n), "Derive(%q, %d)", tc.parent, tc.n)
	}
}
