package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlite"
	"github.com/msgkit/msgkit/store/storetest"
)

// The scale benchmarks load their populations with sqlstore.Bulk instead of the store's calls; what it
// writes must read back exactly as what the store's own calls write (but the times the store takes from
// its clock), or the benchmarks would measure another database.
func TestBulkLoadStoresWhatTheStoreWould(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	p := storetest.NewPopulation(40)
	bulkPath := filepath.Join(t.TempDir(), "bulk.db")
	require.NoError(t, bulkLoad(ctx, bulkPath, p))
	bulk, err := sqlite.Open(ctx, bulkPath, nil)
	require.NoError(t, err)
	defer bulk.Close()
	ref, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ref.db"), nil)
	require.NoError(t, err)
	defer ref.Close()
	require.NoError(t, p.Load(ctx, ref))

	for _, c := range p.Conversations {
		want, err := ref.GetConversation(ctx, c.ID)
		require.NoError(t, err)
		got, err := bulk.GetConversation(ctx, c.ID)
		require.NoError(t, err)
		want.CreatedAt, want.UpdatedAt, got.CreatedAt, got.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		require.Equal(t, want, got)
		require.NotEmpty(t, got.Preview)

		wantK, err := ref.GetContact(ctx, c.ContactID)
		require.NoError(t, err)
		gotK, err := bulk.GetContact(ctx, c.ContactID)
		require.NoError(t, err)
		wantK.CreatedAt, wantK.UpdatedAt, gotK.CreatedAt, gotK.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		require.Equal(t, wantK, gotK)

		wantM, _, err := ref.ListMessages(ctx, c.ID, store.Page{})
		require.NoError(t, err)
		gotM, _, err := bulk.ListMessages(ctx, c.ID, store.Page{})
		require.NoError(t, err)
		for i := range wantM {
			wantM[i].CreatedAt, wantM[i].UpdatedAt = time.Time{}, time.Time{}
		}
		for i := range gotM {
			gotM[i].CreatedAt, gotM[i].UpdatedAt = time.Time{}, time.Time{}
		}
		require.Equal(t, wantM, gotM)
	}
	for _, v := range []store.View{{}, {RecordOwner: p.Viewer, Unreplied: true}, {Assignee: p.Viewer, ChannelID: p.Channel}} {
		want, err := ref.CountConversations(ctx, v, 0)
		require.NoError(t, err)
		got, err := bulk.CountConversations(ctx, v, 0)
		require.NoError(t, err)
		require.Equal(t, want, got, "%+v", v)
	}
	want, _, err := ref.ListRecordMessages(ctx, p.Timeline.Kind, p.Timeline.ID, store.Page{})
	require.NoError(t, err)
	got, _, err := bulk.ListRecordMessages(ctx, p.Timeline.Kind, p.Timeline.ID, store.Page{})
	require.NoError(t, err)
	require.Len(t, got, 30)
	require.Len(t, want, 30)
}
