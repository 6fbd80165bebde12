package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConnectionsUseTheReadSettings checks that every connection reads through the memory map Options
// ask for, and the read connections through the page cache they ask for (the write connections keep
// SQLite's 2 MB: a larger one only made the process larger), by default and when set.
func TestConnectionsUseTheReadSettings(t *testing.T) {
	for _, c := range []struct {
		name              string
		o                 *Options
		wantMmap, wantKiB int64
	}{
		{"defaults", nil, 0, defaultCacheSize >> 10},
		{"set", &Options{MmapSize: 64 << 20, CacheSize: 4 << 20}, 64 << 20, 4 << 10},
		{"mmap on", &Options{MmapSize: 1 << 30}, 1 << 30, defaultCacheSize >> 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"), c.o)
			require.NoError(t, err)
			defer s.Close()
			for what, db := range map[string]*sql.DB{"reader": s.reader, "writer": s.writer} {
				var mmap, cache int64
				require.NoError(t, db.QueryRowContext(t.Context(), "PRAGMA mmap_size").Scan(&mmap), what)
				require.NoError(t, db.QueryRowContext(t.Context(), "PRAGMA cache_size").Scan(&cache), what)
				require.Equal(t, c.wantMmap, mmap, "%s: mmap_size", what)
				want := -c.wantKiB
				if what == "writer" {
					want = -2000 // SQLite's default
				}
				require.Equal(t, want, cache, "%s: cache_size (negative: KiB)", what)
			}
		})
	}
}
