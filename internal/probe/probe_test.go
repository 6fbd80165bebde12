package probe_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/internal/probe"
)

func TestDurationOfRealFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, contentType string
	}{
		{"clip.m4a", "audio/mp4"},
		{"clip.mp3", "audio/mpeg"},             // ID3v2 tag and a Xing frame, MPEG-2 at 22.05 kHz
		{"clip-bare.mp3", "audio/mpeg"},        // no tag, MPEG-1
		{"clip.aac", "audio/aac"},              // ADTS
		{"clip-moov-last.mp4", "video/mp4"},    // the movie header after the media data
		{"clip.mov", "video/quicktime"},        // QuickTime
		{"clip.m4a", "audio/mp4; codecs=mp4a"}, // parameters are ignored
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			require.NoError(t, err)
			d, err := probe.Duration(bytes.NewReader(b), tc.contentType)
			require.NoError(t, err)
			require.InDelta(t, 2*time.Second, d, float64(100*time.Millisecond), "every clip lasts 2 s (encoders pad a little)")
		})
	}
}

func TestDurationUnknown(t *testing.T) {
	t.Parallel()
	m4a, err := os.ReadFile(filepath.Join("testdata", "clip.m4a"))
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		b           []byte
		contentType string
	}{
		"an image":            {[]byte("\x89PNG\r\n\x1a\n"), "image/png"},
		"empty":               {nil, "audio/mpeg"},
		"text called MP3":     {[]byte("hello, this is not audio at all"), "audio/mpeg"},
		"truncated M4A":       {m4a[:40], "audio/mp4"},
		"M4A read as ADTS":    {m4a, "audio/aac"},
		"one lone MP3 header": {[]byte{0xFF, 0xFB, 0x90, 0x64}, "audio/mpeg"},
	} {
		_, err := probe.Duration(bytes.NewReader(tc.b), tc.contentType)
		require.ErrorIs(t, err, probe.ErrUnknown, name)
	}
}

func FuzzDuration(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		for _, ct := range []string{"audio/mp4", "audio/mpeg", "audio/aac"} {
			f.Add(b[:min(len(b), 600)], ct)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, contentType string) {
		d, err := probe.Duration(bytes.NewReader(b), contentType)
		if err == nil && d <= 0 {
			t.Fatalf("a known length is positive, got %v", d)
		}
	})
}
