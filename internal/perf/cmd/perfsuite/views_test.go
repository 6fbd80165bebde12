package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
)

// The views figure's seed makes every view it reads hold more than two pages, so a read measures a real
// second page.
func TestSeededViewsHaveTwoPages(t *testing.T) {
	t.Parallel()
	s, err := openSQLite(t.Context(), filepath.Join(t.TempDir(), "views.db"))
	require.NoError(t, err)
	defer s.Close()
	d, err := seedViews(t.Context(), s, 1000, 3)
	require.NoError(t, err)
	for _, c := range viewCases {
		require.NoError(t, c.read(t.Context(), s, d), c.name)
	}
	n, err := countConversations(t.Context(), s, store.View{Assignee: agents[1], Unreplied: true})
	require.NoError(t, err)
	require.Greater(t, n, 50, "the smallest view holds two pages")
	msgs, _, err := s.ListMessages(t.Context(), d.timeline, store.Page{Limit: 100})
	require.NoError(t, err)
	require.Len(t, msgs, 3)
}
