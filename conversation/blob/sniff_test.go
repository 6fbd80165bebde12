package blob_test

import (
	"archive/zip"
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/conversation/blob"
)

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{R: 200, A: 255})
	}
	return img
}

func encoded(t *testing.T) map[string][]byte {
	t.Helper()
	var j, p, g, z bytes.Buffer
	require.NoError(t, jpeg.Encode(&j, testImage(), nil))
	require.NoError(t, png.Encode(&p, testImage()))
	require.NoError(t, gif.Encode(&g, testImage(), nil))
	zw := zip.NewWriter(&z)
	w, err := zw.Create("word/document.xml")
	require.NoError(t, err)
	_, _ = w.Write([]byte("<w:document/>"))
	require.NoError(t, zw.Close())
	return map[string][]byte{"jpeg": j.Bytes(), "png": p.Bytes(), "gif": g.Bytes(), "zip": z.Bytes(),
		"pdf": []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sniff", name))
	require.NoError(t, err)
	return b
}

// Types come from the bytes, whatever the name or the claimed type says.
func TestSniffRealFiles(t *testing.T) {
	t.Parallel()
	made := encoded(t)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"jpeg (image/jpeg encoder)", made["jpeg"], "image/jpeg"},
		{"png (image/png encoder)", made["png"], "image/png"},
		{"gif (image/gif encoder)", made["gif"], "image/gif"},
		{"pdf", made["pdf"], "application/pdf"},
		{"zip (archive/zip)", made["zip"], "application/zip"},
		{"webp (cwebp)", fixture(t, "tiny.webp"), "image/webp"},
		{"heic (heif-enc)", fixture(t, "tiny.heic"), "image/heic"},
		{"mp4 (ffmpeg, isom)", fixture(t, "tiny.mp4"), "video/mp4"},
		{"mov (ffmpeg, qt)", fixture(t, "tiny.mov"), "video/quicktime"},
		{"m4a (ffmpeg, M4A)", fixture(t, "tiny.m4a"), "audio/mp4"},
		{"mp3 with an ID3 tag", fixture(t, "tiny-id3.mp3"), "audio/mpeg"},
		{"mp3 frames only", fixture(t, "tiny-noid3.mp3"), "audio/mpeg"},
		{"html", []byte("<!DOCTYPE html><script>alert(1)</script>"), "text/html; charset=utf-8"},
		{"text", []byte("name,phone\nJane,123\n"), "text/plain; charset=utf-8"},
		{"random bytes", []byte{0x00, 0x13, 0x37, 0xFF, 0xFE, 0x01}, "application/octet-stream"},
		{"0xFFFB then junk", append([]byte{0xFF, 0xFB, 0x10, 0xC4}, bytes.Repeat([]byte{0x00}, 200)...), "application/octet-stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, blob.Sniff(tc.data))
		})
	}
}

func TestPutTypesByContent(t *testing.T) {
	t.Parallel()
	made := encoded(t)
	s, err := blob.New(blob.NewMemory(nil))
	require.NoError(t, err)
	for _, tc := range []struct {
		data       []byte
		name, hint string
		want       string
	}{
		{made["png"], "photo.jpg", "image/jpeg", "image/png"}, // the bytes win
		{[]byte("<html><script>x</script>"), "cv.pdf", "application/pdf", "text/html; charset=utf-8"},
		{[]byte("not an image"), "x.png", "image/png", "text/plain; charset=utf-8"}, // a hint never makes an image
		{[]byte("a,b\n1,2\n"), "list.csv", "text/csv", "text/csv; charset=utf-8"},   // generic text refined
		{[]byte("a,b\n1,2\n"), "x.html", "text/html", "text/plain; charset=utf-8"},  // never to HTML
		{made["zip"], "offer.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
			"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{made["zip"], "x.js", "application/javascript", "application/zip"},
		{fixture(t, "tiny.m4a"), "voice.mp4", "video/mp4", "audio/mp4"},
	} {
		obj, err := s.Put(t.Context(), bytes.NewReader(tc.data), 1<<20, &blob.PutOptions{Name: tc.name, ContentType: tc.hint})
		require.NoError(t, err)
		require.Equal(t, tc.want, obj.ContentType, tc.name)
	}
}
