package blob

import (
	"encoding/binary"
	"mime"
	"net/http"
	"strings"
)

// SniffLen is how many leading bytes Sniff looks at (Put reads this much before storing anything).
const SniffLen = 4096

// Sniff returns the content type of content that begins with head, from the bytes alone: what
// net/http.DetectContentType recognises (JPEG, PNG, GIF, WebP, BMP, ICO, MP4, WebM, Ogg, WAV, AIFF,
// MP3 with an ID3 tag, PDF, ZIP, gzip, HTML, XML, text, …), plus what it misses or gets wrong for
// common media: the ISO base media family by its ftyp brand (M4A audio, which it calls video/mp4;
// HEIC and HEIF; AVIF; QuickTime MOV; 3GPP), MPEG audio without an ID3 tag (MP3 frames, checked
// against the next frame's header when head holds it) and AAC in ADTS frames. Unknown content is
// "application/octet-stream".
func Sniff(head []byte) string {
	if t := sniffISO(head); t != "" {
		return t
	}
	t := http.DetectContentType(head)
	if t == "application/octet-stream" {
		if s := sniffMPEGAudio(head); s != "" {
			return s
		}
	}
	return t
}

// sniffISO reads an ISO base media file's leading ftyp box: major brand, then compatible brands.
func sniffISO(b []byte) string {
	if len(b) < 12 || string(b[4:8]) != "ftyp" {
		return ""
	}
	size := int(binary.BigEndian.Uint32(b[:4]))
	if size < 16 || size > len(b) {
		size = min(len(b), 256)
	}
	brands := []string{string(b[8:12])}
	for i := 16; i+4 <= size; i += 4 {
		brands = append(brands, string(b[i:i+4]))
	}
	switch br := brands[0]; {
	case br == "M4A " || br == "M4B " || br == "M4P " || br == "F4A " || br == "F4B ":
		return "audio/mp4"
	case br == "heic" || br == "heix" || br == "heim" || br == "heis":
		return "image/heic"
	case br == "hevc" || br == "hevx" || br == "hevm" || br == "hevs":
		return "image/heic-sequence"
	case br == "avif" || br == "avis":
		return "image/avif"
	case br == "qt  ":
		return "video/quicktime"
	case strings.HasPrefix(br, "3gp"):
		return "video/3gpp"
	case strings.HasPrefix(br, "3g2"):
		return "video/3gpp2"
	case br == "mif1" || br == "msf1": // a generic HEIF major brand: the compatible brands tell
		for _, c := range brands[1:] {
			switch c {
			case "heic", "heix":
				return "image/heic"
			case "avif":
				return "image/avif"
			}
		}
		return "image/heif"
	}
	return "" // mp4, isom, M4V, …: DetectContentType's video/mp4 rule decides
}

var (
	mp3Bitrates = [2][16]int{ // kbit/s for layer III: [MPEG-1], [MPEG-2 and 2.5]
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
	}
	mp3Rates = [4][3]int{{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000}} // by version bits
)

// mp3Frame returns the length of the MPEG audio layer III frame whose header starts b, or 0.
func mp3Frame(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return 0
	}
	version := (b[1] >> 3) & 3 // 0: 2.5, 1: reserved, 2: 2, 3: 1
	layer := (b[1] >> 1) & 3   // 1: layer III
	br := b[2] >> 4
	sr := (b[2] >> 2) & 3
	if version == 1 || layer != 1 || br == 0 || br == 15 || sr == 3 {
		return 0
	}
	mpeg1 := version == 3
	table := 1
	if mpeg1 {
		table = 0
	}
	rate := mp3Rates[version][sr]
	pad := int(b[2]>>1) & 1
	if mpeg1 {
		return 144*mp3Bitrates[table][br]*1000/rate + pad
	}
	return 72*mp3Bitrates[table][br]*1000/rate + pad
}

// sniffMPEGAudio recognises MP3 frames (a valid header, and a second one where head reaches it) and
// AAC ADTS frames.
func sniffMPEGAudio(b []byte) string {
	if n := mp3Frame(b); n > 0 {
		if len(b) >= n+4 && mp3Frame(b[n:]) == 0 {
			return ""
		}
		return "audio/mpeg"
	}
	if len(b) >= 7 && b[0] == 0xFF && b[1]&0xF6 == 0xF0 && (b[2]>>2)&0xF < 13 {
		return "audio/aac"
	}
	return ""
}

// refinable lists, for each generic type sniffing can yield, the more precise types a caller's hint
// may name instead: the bytes cannot tell them apart, and none of them is rendered by a browser as
// active content.
var refinable = map[string][]string{
	"text/plain; charset=utf-8": {"text/csv", "text/markdown", "text/calendar", "text/vcard", "text/x-vcard",
		"application/json", "application/x-ndjson", "text/tab-separated-values"},
	"application/zip": {"application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.",
		"application/epub+zip", "application/vnd.android.package-archive", "application/java-archive"},
	"application/octet-stream": {"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
		"application/vnd.ms-outlook", "application/x-7z-compressed", "application/vnd.rar", "application/x-rar-compressed"},
}

// contentType decides a stored object's type: the sniffed type, unless it is generic and the hint
// names one of the precise types it allows (refinable). A hint never makes content an image, a
// video, HTML or a script.
func contentType(sniffed, hint string) string {
	h, params, err := mime.ParseMediaType(hint)
	if err != nil || h == "" {
		return sniffed
	}
	for _, allowed := range refinable[sniffed] {
		if h == allowed || (strings.HasSuffix(allowed, ".") && strings.HasPrefix(h, allowed)) {
			if strings.HasPrefix(h, "text/") {
				cs := params["charset"]
				if cs == "" {
					cs = "utf-8"
				}
				return mime.FormatMediaType(h, map[string]string{"charset": cs})
			}
			return h
		}
	}
	return sniffed
}

// inline reports whether content of type ct is shown inline (media, PDF, plain text) rather than
// downloaded as an attachment (anything a browser could run: HTML, SVG, XML, scripts).
func inline(ct string) bool {
	t, _, _ := strings.Cut(ct, ";")
	t = strings.TrimSpace(t)
	if t == "image/svg+xml" {
		return false
	}
	return strings.HasPrefix(t, "image/") || strings.HasPrefix(t, "video/") || strings.HasPrefix(t, "audio/") ||
		t == "application/pdf" || t == "text/plain"
}
