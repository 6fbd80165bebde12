package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
)

// The CRM keeps every record it created in its file before Create returns: reopened (the example
// restarted), it has them all, with distinct IDs, however many agents created them at once.
func TestCRMKeepsRecordsAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crm.json")
	c, err := openCRM(path)
	require.NoError(t, err)
	require.True(t, c.empty())
	require.NoError(t, c.add(crmRecord{Kind: store.RecordLead, ID: "lead-1", Name: "Hanako Yamada", Owner: "aiko"},
		crmRecord{Kind: store.RecordContact, ID: "contact-4", Name: "Kenji Sato", Owner: "ben"}))

	var wg sync.WaitGroup
	created := make([]linking.Record, 20)
	errs := make([]error, len(created))
	for i := range created {
		wg.Go(func() {
			created[i], errs[i] = c.Create(t.Context(), linking.NewRecord{Kind: store.RecordLead, DisplayName: fmt.Sprint("Customer ", i), Owner: "chika"})
		})
	}
	wg.Wait()
	ids := map[string]bool{}
	for i, r := range created {
		require.NoError(t, errs[i])
		require.Regexp(t, regexp.MustCompile(`^lead-\d+$`), r.ID)
		require.NotEqual(t, "lead-1", r.ID, "numbered after the seeded records")
		require.NotEqual(t, "lead-4", r.ID, "numbered after the seeded records")
		require.False(t, ids[r.ID], "IDs are distinct")
		ids[r.ID] = true
	}

	reopened, err := openCRM(path)
	require.NoError(t, err)
	for _, r := range created {
		got, err := reopened.Get(t.Context(), r.Kind, r.ID)
		require.NoError(t, err)
		require.Equal(t, r, got)
	}
	found, err := reopened.Search(t.Context(), linking.Query{Name: "kenji", Kinds: []store.RecordKind{store.RecordContact}})
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, "ben", found[0].Owner)
	_, err = reopened.Get(t.Context(), store.RecordLead, "lead-999")
	require.ErrorIs(t, err, linking.ErrRecordNotFound)
	_, err = reopened.Create(t.Context(), linking.NewRecord{Kind: "deal", DisplayName: "x"})
	require.Error(t, err)

	// A record created from a chat profile keeps its picture and language.
	fromProfile, err := reopened.Create(t.Context(), linking.NewRecord{Kind: store.RecordContact, DisplayName: "Yui Ito",
		PictureURL: "https://profile.line-scdn.net/yui", Language: "ja", Owner: "aiko"})
	require.NoError(t, err)
	again, err := openCRM(path)
	require.NoError(t, err)
	got, err := again.Get(t.Context(), store.RecordContact, fromProfile.ID)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"picture_url": "https://profile.line-scdn.net/yui", "language": "ja"}, got.Fields)

	// A file that cannot be written keeps the CRM as it was: nothing is returned that is not kept.
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.Mkdir(path, 0o700)) // the rename over it fails
	_, err = reopened.Create(t.Context(), linking.NewRecord{Kind: store.RecordLead, DisplayName: "Lost"})
	require.Error(t, err)
	found, err = reopened.Search(t.Context(), linking.Query{Name: "Lost"})
	require.NoError(t, err)
	require.Empty(t, found)
}

// The README's Go version is go.mod's.
func TestReadmeGoVersion(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	require.NotNil(t, m)
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	require.Contains(t, string(readme), "Go "+string(m[1])+" or newer")
}
