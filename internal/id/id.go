// Package id makes the identifiers msgkit's stores assign.
package id

import (
	"crypto/rand"
	"crypto/sha256"
	"strconv"

	"github.com/google/uuid"
)

// New returns a random UUID version 7 in its canonical text form. Its first 48 bits are the Unix time in
// milliseconds, so IDs made later sort later (good B-tree locality); 62 of the rest are random, so IDs
// from several processes do not collide. It is safe for concurrent use.
func New() string {
	// The random bits come from crypto/rand, not from the uuid package's reader, which a host may
	// replace (uuid.SetRand) to make its own UUIDs predictable. Must cannot panic: crypto/rand's
	// Reader does not fail (see crypto/rand.Read).
	return uuid.Must(uuid.NewV7FromReader(rand.Reader)).String()
}

// Derive returns a UUID-formatted identifier determined by parent and n, distinct for every n: the retry
// keys of the parts of one logical send. Derive(parent, 0) is parent itself.
func Derive(parent string, n int) string {
	if n == 0 {
		return parent
	}
	sum := sha256.Sum256([]byte(parent + "/" + strconv.Itoa(n)))
	u := uuid.UUID(sum[:16])
	u[6] = u[6]&0x0f | 0x80 // version 8: custom
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}
