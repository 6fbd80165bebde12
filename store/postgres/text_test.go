package postgres

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestTextEncoding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, stored string }{
		{"plain ascii", "plain ascii"},
		{"日本語 😀 e\u0301", "日本語 😀 e\u0301"},
		{"a\x00b", "a\x010b"},
		{"\x01", "\x01\x01"},
		{"bad\xff\xfe", "bad\x01xff\x01xfe"},
		{"\x010\x01x41", "\x01\x010\x01\x01x41"},
	} {
		require.Equal(t, tc.stored, encodeText(tc.in), "encoding %q", tc.in)
		require.Equal(t, tc.in, decodeText(tc.stored), "decoding %q", tc.stored)
	}
}

// Every string round-trips, and what is stored is text PostgreSQL accepts: valid UTF-8 without NUL.
func FuzzTextEncoding(f *testing.F) {
	for _, s := range []string{"", "a\x00b", "\x01x4", "\x01", "bad\xff", "\x01\x01\x01x\x00\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		stored := encodeText(s)
		require.NotContains(t, stored, "\x00")
		require.True(t, utf8.ValidString(stored), "stored text is valid UTF-8")
		require.Equal(t, s, decodeText(stored), "decoding reverses encoding")
	})
}
