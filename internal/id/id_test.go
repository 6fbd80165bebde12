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
