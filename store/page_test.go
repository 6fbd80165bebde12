package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
)

func TestPageSize(t *testing.T) {
	t.Parallel()
	require.Equal(t, store.DefaultLimit, store.Page{}.Size())
	require.Equal(t, store.DefaultLimit, store.Page{Limit: -3}.Size())
	require.Equal(t, 7, store.Page{Limit: 7}.Size())
	require.Equal(t, store.MaxLimit, store.Page{Limit: store.MaxLimit + 1}.Size())
}

func TestCursorOrder(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	a, b, c := store.Cursor{Time: t0, ID: "a"}, store.Cursor{Time: t0, ID: "b"}, store.Cursor{Time: t0.Add(time.Second), ID: "a"}
	require.True(t, a.Before(b), "equal times order by ID")
	require.True(t, b.Before(c), "time orders first")
	require.False(t, b.Before(b))
	require.True(t, c.Past(b, store.OldestFirst))
	require.False(t, b.Past(b, store.OldestFirst), "a page starts strictly after its cursor")
	require.True(t, a.Past(b, store.NewestFirst))
	require.True(t, a.Past(store.Cursor{}, store.NewestFirst), "everything is past the start")
}

func TestCursorToken(t *testing.T) {
	t.Parallel()
	c := store.Cursor{Time: time.Date(2026, 11, 26, 9, 0, 0, 123456000, time.UTC), ID: "0196-abc"}
	got, err := store.ParseCursor(c.String())
	require.NoError(t, err)
	require.Equal(t, c, got)
	zero, err := store.ParseCursor("")
	require.NoError(t, err)
	require.True(t, zero.IsZero())
	require.Empty(t, store.Cursor{}.String())
	for _, bad := range []string{"***", "bm8tc2VwYXJhdG9y", "bm90LWEtdGltZXxpZA"} {
		_, err := store.ParseCursor(bad)
		require.ErrorIs(t, err, store.ErrInvalidCursor, bad)
	}
}

func FuzzParseCursor(f *testing.F) {
	f.Add("")
	f.Add(store.Cursor{Time: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), ID: "x|y"}.String())
	f.Add("bm90LWEtdGltZXxpZA")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := store.ParseCursor(s)
		if err != nil {
			require.ErrorIs(t, err, store.ErrInvalidCursor)
			return
		}
		again, err := store.ParseCursor(c.String())
		require.NoError(t, err, "a parsed cursor must re-encode to a parsable token")
		require.True(t, c.Time.Equal(again.Time), "round trip keeps the time")
		require.Equal(t, c.ID, again.ID, "round trip keeps the ID")
	})
}

// CutPage keeps a page and names the next page's start only when the extra item shows that one follows;
// appending to the page never overwrites the extra item.
func TestCutPage(t *testing.T) {
	t.Parallel()
	at := func(id string) store.Cursor { return store.Cursor{Time: time.Unix(1, 0), ID: id} }
	p := store.Page{Limit: 2}
	items, next := store.CutPage([]string{"a", "b"}, p, at)
	require.Equal(t, []string{"a", "b"}, items)
	require.True(t, next.IsZero(), "no extra item: the list is exhausted")

	all := []string{"a", "b", "c"}
	items, next = store.CutPage(all, p, at)
	require.Equal(t, []string{"a", "b"}, items)
	require.Equal(t, at("b"), next, "the extra item exists: the next page starts after the last kept one")
	_ = append(items, "x")
	require.Equal(t, "c", all[2], "the page's capacity ends at the page")

	items, next = store.CutPage([]string(nil), store.Page{}, at)
	require.Empty(t, items)
	require.True(t, next.IsZero())
}
