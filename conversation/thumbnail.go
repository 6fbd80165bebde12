package conversation

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"

	"github.com/msgkit/msgkit/channel"
)

// defaultPreviewSide is the longest side of a preview msgkit makes when the channel names none.
const defaultPreviewSide = 240

var errTooManyPixels = errors.New("the image has too many pixels to scale down")

// thumbnail makes a preview image of the image r holds (sniffed as contentType): scaled down to fit the
// rule's MaxSide (keeping its proportions, never enlarged), encoded as JPEG, or PNG where the rule takes
// no JPEG, within the rule's MaxBytes. An image of more than maxPixels pixels is not decoded at all.
func thumbnail(r io.ReadSeeker, contentType string, pr *channel.PreviewRule, maxPixels int) ([]byte, string, error) {
	var decodeConfig func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	switch baseType(contentType) {
	case "image/jpeg":
		decodeConfig, decode = jpeg.DecodeConfig, jpeg.Decode
	case "image/png":
		decodeConfig, decode = png.DecodeConfig, png.Decode
	case "image/gif":
		decodeConfig, decode = gif.DecodeConfig, gif.Decode
	default:
		return nil, "", fmt.Errorf("msgkit cannot read %s images", baseType(contentType))
	}
	cfg, err := decodeConfig(r)
	if err != nil {
		return nil, "", errors.New("the image cannot be read")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, "", errTooManyPixels
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	img, err := decode(r)
	if err != nil {
		return nil, "", errors.New("the image cannot be read")
	}
	return encodePreview(scaleDown(img, sideOf(pr)), pr)
}

func sideOf(pr *channel.PreviewRule) int {
	if pr.MaxSide > 0 {
		return pr.MaxSide
	}
	return defaultPreviewSide
}

// scaleDown returns img scaled to fit side×side, or img when it fits already.
func scaleDown(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		return img
	}
	if w >= h {
		w, h = side, max(1, h*side/w)
	} else {
		w, h = max(1, w*side/h), side
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src) // transparent areas on white, as JPEG has no alpha
	draw.BiLinear.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)     // antialiased: the kernel widens with the reduction
	return dst
}

// encodePreview encodes img as a type the rule takes, lowering JPEG quality until it fits MaxBytes.
func encodePreview(img image.Image, pr *channel.PreviewRule) ([]byte, string, error) {
	var buf bytes.Buffer
	if channel.Takes(pr.ContentTypes, "image/jpeg") {
		for _, q := range []int{85, 70, 50, 30} {
			buf.Reset()
			if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
				return nil, "", err
			}
			if int64(buf.Len()) <= pr.MaxBytes {
				return buf.Bytes(), "image/jpeg", nil
			}
		}
		return nil, "", errors.New("the preview is larger than the channel takes")
	}
	if channel.Takes(pr.ContentTypes, "image/png") {
		if err := png.Encode(&buf, img); err != nil {
			return nil, "", err
		}
		if int64(buf.Len()) <= pr.MaxBytes {
			return buf.Bytes(), "image/png", nil
		}
		return nil, "", errors.New("the preview is larger than the channel takes")
	}
	return nil, "", errors.New("the channel takes previews of no type msgkit can make")
}

// poster makes a video's preview image when none was given: a dark 16:9 frame with a light play sign.
func poster(pr *channel.PreviewRule) ([]byte, string, error) {
	side := sideOf(pr)
	w, h := side, side*9/16
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{0x33, 0x33, 0x38, 0xFF}), image.Point{}, draw.Src)
	// A triangle pointing right, centred, a third of the frame's height tall.
	cx, cy, r := w/2, h/2, h/6
	for y := cy - r; y <= cy+r; y++ {
		half := r - abs(y-cy) // the triangle narrows towards its tip
		for x := cx - r/2; x <= cx-r/2+2*half; x++ {
			img.Set(x, y, color.RGBA{0xF2, 0xF2, 0xF2, 0xFF})
		}
	}
	return encodePreview(img, pr)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
