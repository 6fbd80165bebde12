package line

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The one-pass fast path and the event-by-event path parse every body the fast path accepts alike.
func FuzzFastPathAgrees(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	require.NoError(f, err)
	for _, name := range files {
		body, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(body)
	}
	f.Add([]byte(`{"events":[{"type":"message","message":{"type":"text","id":"1","text":"x"},"source":{"type":"user","userId":"U"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := parseFast(body)
		if !ok {
			return
		}
		each, err := parseEach(body)
		require.NoError(t, err, "a body the fast path accepts is valid")
		require.Equal(t, each, fast, "both paths give the same events")
	})
}
