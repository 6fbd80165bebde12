package conversation

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/store"
)

// photoJPEG is a w×h JPEG of smooth gradients, about what a phone photo decodes like.
func photoJPEG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			img.Y[y*img.YStride+x] = uint8((x + y) / 16)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

var linePreview = &channel.PreviewRule{ContentTypes: []string{"image/jpeg", "image/png"}, MaxBytes: 1_000_000, MaxSide: 240}

func TestThumbnail(t *testing.T) {
	t.Parallel()
	src := photoJPEG(t, 1600, 900)
	b, ct, err := thumbnail(bytes.NewReader(src), "image/jpeg", linePreview, 64_000_000)
	if err != nil || ct != "image/jpeg" {
		t.Fatalf("thumbnail: %v %s", err, ct)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != 240 || cfg.Height != 135 {
		t.Fatalf("a 1600×900 photo previews at 240×135, got %dx%d (%v)", cfg.Width, cfg.Height, err)
	}
	if _, _, err := thumbnail(bytes.NewReader(src), "image/jpeg", linePreview, 1_000_000); err != errTooManyPixels {
		t.Fatalf("an image over the pixel bound is not decoded: %v", err)
	}
	if _, _, err := thumbnail(bytes.NewReader(src[:100]), "image/jpeg", linePreview, 64_000_000); err == nil {
		t.Fatal("a truncated image is refused")
	}
	png := &channel.PreviewRule{ContentTypes: []string{"image/png"}, MaxBytes: 1_000_000, MaxSide: 100}
	if _, ct, err := thumbnail(bytes.NewReader(src), "image/jpeg", png, 64_000_000); err != nil || ct != "image/png" {
		t.Fatalf("a channel taking PNG previews only gets PNG: %v %s", err, ct)
	}
	if _, _, err := encodePreview(image.NewUniform(color.Black), &channel.PreviewRule{ContentTypes: []string{"image/webp"}, MaxBytes: 1}); err == nil {
		t.Fatal("a preview of no type msgkit can make is refused")
	}
	b, ct, err = poster(linePreview)
	if err != nil || ct != "image/jpeg" || len(b) > 1_000_000 {
		t.Fatalf("poster: %v %s %d", err, ct, len(b))
	}
}

// BenchmarkThumbnail12MP measures a preview of a 12-megapixel photo (4000×3000), LINE's largest
// ordinary phone photo.
func BenchmarkThumbnail12MP(b *testing.B) {
	src := photoJPEG(b, 4000, 3000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := thumbnail(bytes.NewReader(src), "image/jpeg", linePreview, 64_000_000); err != nil {
			b.Fatal(err)
		}
	}
}

func TestInboundKeyIsValidForAnyID(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"01a21bad-a51f-7208-8011-d5a9c63639bb", "msg:42/../x", "", "日本"} {
		k := inboundKey(store.Message{ID: id})
		if !blob.ValidKey(k) || k != inboundKey(store.Message{ID: id}) {
			t.Fatalf("key %q for ID %q: valid and the same every time", k, id)
		}
	}
	if inboundKey(store.Message{ID: "a:1"}) == inboundKey(store.Message{ID: "a:2"}) {
		t.Fatal("IDs that are not keys still get distinct keys")
	}
}
