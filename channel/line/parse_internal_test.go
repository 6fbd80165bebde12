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
	f.Add([]byte(`{"destination":"U\u0030123","events":[]}`))
	f.Add([]byte(`{"destination":5,"events":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, fastDest, ok := parseFast(body)
		if !ok {
			return
		}
		each, eachDest, err := parseEach(body)
		require.NoError(t, err, "a body the fast path accepts is valid")
		require.Equal(t, each, fast, "both paths give the same events")
		require.Equal(t, eachDest, fastDest, "both paths read the same destination")
	})
}

// The destination decodes as the JSON string it is, escapes included, and anything else leaves it empty
// without failing the body.
func TestDestinationDecodesLeniently(t *testing.T) {
	for body, want := range map[string]destination{
		`{"destination":"U0123456789abcdef0123456789abcdef","events":[]}`: "U0123456789abcdef0123456789abcdef",
		`{"destination":"U\u0030123","events":[]}`:                        "U0123",
		`{"destination":5,"events":[]}`:                                   "",
		`{"destination":null,"events":[]}`:                                "",
		`{"destination":{"a":"b"},"events":[]}`:                           "",
		`{"events":[]}`:                                                   "",
	} {
		_, dest, err := parseBody([]byte(body))
		require.NoError(t, err, body)
		require.Equal(t, want, dest, body)
	}
}
