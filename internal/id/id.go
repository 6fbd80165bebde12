// Package id makes the identifiers msgkit's stores assign.
package id

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// New returns a random UUID version 7 in its canonical text form. Its first 48 bits are the Unix time in
// milliseconds, so IDs made later sort later (good B-tree locality); the rest is random, so IDs from
// several processes do not collide. It is safe for concurrent use.
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+)
	ms := uint64(time.Now().UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = b[6]&0x0f | 0x70 // version 7
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	return format(b[:])
}

// format writes 16 bytes in the canonical UUID text form.
func format(b []byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// Derive returns a UUID-formatted identifier determined by parent and n, distinct for every n: the retry
// keys of the parts of one logical send. Derive(parent, 0) is parent itself.
func Derive(parent string, n int) string {
	if n == 0 {
		return parent
	}
	sum := sha256.Sum256([]byte(parent + "/" + strconv.Itoa(n)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8: custom
	b[8] = b[8]&0x3f | 0x80
	return format(b)
}
