// Package probe reads the length of an audio or video file from its bytes: the ISO base media family
// (MP4, M4A, MOV, 3GPP: the movie header's duration), MP3 (the sum of its frames) and AAC in ADTS frames.
// Channels that need a clip's length (LINE audio messages) get it from here when the sender did not say.
//
// It reads only what it needs, bounds every loop, and never trusts a length field to allocate: it is
// fuzzed. It is safe for concurrent use on distinct readers.
package probe

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"mime"
	"strings"
	"time"
)

// ErrUnknown is returned when the length cannot be told: an unsupported type, or bytes that do not
// parse as the type says.
var ErrUnknown = errors.New("probe: length unknown")

// Duration returns the length of the clip r holds, read as contentType (a sniffed type such as
// "audio/mp4", "video/mp4", "audio/mpeg" or "audio/aac"). r is read from its start.
func Duration(r io.ReadSeeker, contentType string) (time.Duration, error) {
	t, _, _ := mime.ParseMediaType(contentType)
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	var d time.Duration
	var err error
	switch {
	case t == "audio/mpeg":
		d, err = mp3Duration(bufio.NewReaderSize(r, 64<<10))
	case t == "audio/aac":
		d, err = adtsDuration(bufio.NewReaderSize(r, 64<<10))
	case strings.HasPrefix(t, "audio/") || strings.HasPrefix(t, "video/"):
		d, err = isoDuration(r)
	default:
		return 0, ErrUnknown
	}
	if err == nil && d <= 0 {
		err = ErrUnknown
	}
	return d, err
}

// maxBoxes bounds how many boxes an ISO file walk visits.
const maxBoxes = 4096

// isoDuration finds moov/mvhd and returns its duration over its timescale.
func isoDuration(r io.ReadSeeker) (time.Duration, error) {
	end, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	moov, moovEnd, err := findBox(r, 0, end, "moov")
	if err != nil {
		return 0, err
	}
	mvhd, mvhdEnd, err := findBox(r, moov, moovEnd, "mvhd")
	if err != nil {
		return 0, err
	}
	var b [32]byte
	n := min(int64(len(b)), mvhdEnd-mvhd)
	if _, err := r.Seek(mvhd, io.SeekStart); err != nil {
		return 0, err
	}
	if _, err := io.ReadFull(r, b[:n]); err != nil {
		return 0, ErrUnknown
	}
	var scale, dur uint64
	switch {
	case n >= 20 && b[0] == 0: // version 0: creation(4) modification(4) timescale(4) duration(4)
		scale, dur = uint64(binary.BigEndian.Uint32(b[12:16])), uint64(binary.BigEndian.Uint32(b[16:20]))
	case n >= 32 && b[0] == 1: // version 1: creation(8) modification(8) timescale(4) duration(8)
		scale, dur = uint64(binary.BigEndian.Uint32(b[20:24])), binary.BigEndian.Uint64(b[24:32])
	default:
		return 0, ErrUnknown
	}
	if scale == 0 || dur == 0 || dur == 1<<32-1 || dur == 1<<64-1 { // all ones: unknown
		return 0, ErrUnknown
	}
	secs := dur / scale
	if secs > uint64(100*365*24*time.Hour/time.Second) {
		return 0, ErrUnknown
	}
	return time.Duration(secs)*time.Second + time.Duration((dur%scale)*uint64(time.Second)/scale), nil
}

// findBox returns the payload span of the first box named name among the boxes in [from, to).
func findBox(r io.ReadSeeker, from, to int64, name string) (int64, int64, error) {
	pos := from
	for range maxBoxes {
		if to-pos < 8 {
			return 0, 0, ErrUnknown
		}
		if _, err := r.Seek(pos, io.SeekStart); err != nil {
			return 0, 0, err
		}
		var h [16]byte
		if _, err := io.ReadFull(r, h[:8]); err != nil {
			return 0, 0, ErrUnknown
		}
		size, header := int64(binary.BigEndian.Uint32(h[:4])), int64(8)
		switch size {
		case 0: // to the end of the enclosing span
			size = to - pos
		case 1: // a 64-bit size follows
			if to-pos < 16 {
				return 0, 0, ErrUnknown
			}
			if _, err := io.ReadFull(r, h[8:16]); err != nil {
				return 0, 0, ErrUnknown
			}
			u := binary.BigEndian.Uint64(h[8:16])
			if u > uint64(to-pos) {
				return 0, 0, ErrUnknown
			}
			size, header = int64(u), 16
		}
		if size < header || size > to-pos {
			return 0, 0, ErrUnknown
		}
		if string(h[4:8]) == name {
			return pos + header, pos + size, nil
		}
		pos += size
	}
	return 0, 0, ErrUnknown
}

var (
	mp3Bitrates = [2][16]int{ // kbit/s for layer III: [MPEG-1], [MPEG-2 and 2.5]
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
	}
	mp3Rates = [4][3]int{{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000}} // by version bits
)

// mp3Frame returns the length in bytes, the samples and the sample rate of the MPEG audio layer III
// frame whose header is b, or zeros.
func mp3Frame(b []byte) (length, samples, rate int) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return 0, 0, 0
	}
	version := (b[1] >> 3) & 3 // 0: 2.5, 1: reserved, 2: 2, 3: 1
	layer := (b[1] >> 1) & 3   // 1: layer III
	br, sr := b[2]>>4, (b[2]>>2)&3
	if version == 1 || layer != 1 || br == 0 || br == 15 || sr == 3 {
		return 0, 0, 0
	}
	rate = mp3Rates[version][sr]
	pad := int(b[2]>>1) & 1
	if version == 3 {
		return 144*mp3Bitrates[0][br]*1000/rate + pad, 1152, rate
	}
	return 72*mp3Bitrates[1][br]*1000/rate + pad, 576, rate
}

// maxResync bounds the bytes skipped looking for frames (a tag, junk between frames).
const maxResync = 64 << 10

// mp3Duration skips an ID3v2 tag and sums the frames that follow.
func mp3Duration(r *bufio.Reader) (time.Duration, error) {
	if h, err := r.Peek(10); err == nil && string(h[:3]) == "ID3" {
		size := int(h[6]&0x7F)<<21 | int(h[7]&0x7F)<<14 | int(h[8]&0x7F)<<7 | int(h[9]&0x7F)
		if h[5]&0x10 != 0 { // a footer follows the tag
			size += 10
		}
		if _, err := r.Discard(10 + size); err != nil {
			return 0, ErrUnknown
		}
	}
	var total time.Duration
	frames, skipped := 0, 0
	for {
		h, err := r.Peek(4)
		if len(h) < 4 {
			if err != nil && !errors.Is(err, io.EOF) {
				return 0, err
			}
			break
		}
		n, samples, rate := mp3Frame(h)
		if n < 4 {
			if skipped++; skipped > maxResync {
				break
			}
			if _, err := r.Discard(1); err != nil {
				break
			}
			continue
		}
		if _, err := r.Discard(n); err != nil && frames == 0 {
			break // a header with no frame after it: not MP3
		}
		frames++
		total += time.Duration(samples) * time.Second / time.Duration(rate)
	}
	if frames < 2 { // one "frame" may be chance bytes
		return 0, ErrUnknown
	}
	return total, nil
}

var adtsRates = [16]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

// adtsDuration sums AAC ADTS frames: 1024 samples per raw data block.
func adtsDuration(r *bufio.Reader) (time.Duration, error) {
	var total time.Duration
	frames := 0
	for {
		h, _ := r.Peek(7)
		if len(h) < 7 || h[0] != 0xFF || h[1]&0xF6 != 0xF0 {
			break
		}
		rate := adtsRates[(h[2]>>2)&0xF]
		length := int(h[3]&0x03)<<11 | int(h[4])<<3 | int(h[5])>>5
		if rate == 0 || length < 7 {
			break
		}
		blocks := int(h[6]&0x03) + 1
		if _, err := r.Discard(length); err != nil && frames == 0 {
			break
		}
		frames++
		total += time.Duration(blocks*1024) * time.Second / time.Duration(rate)
	}
	if frames < 2 {
		return 0, ErrUnknown
	}
	return total, nil
}
