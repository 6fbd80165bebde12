package connect

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Sealer seals channel credentials (access tokens, channel secrets) before they are stored, so that a
// database dump does not leak them, and opens them again when an adapter is built. The host supplies it:
// AESGCM with keys from the host's secret store, or an implementation of its own over a KMS.
//
// Every call takes additional data, aad: bytes that are not stored in the sealed value but are bound to it,
// so Open succeeds only with the aad given to Seal. The connect service passes the channel's ID and the
// credential's name, so a sealed access token copied into another channel's row, or into the secret's
// field of the same row, does not open; without aad, anyone who can write the database (but not read the
// key) could swap credentials between channels undetected. It is part of the interface, not an option,
// because adding it later would break every implementation; nil and empty aad are the same. A KMS
// without additional data (most have it: AWS KMS and Vault call it encryption context, GCP KMS additional
// authenticated data) can bind aad by sealing it with the plaintext and comparing it on Open.
//
// Calls take a context because a host's Sealer may call a remote KMS; they honour its cancellation and
// deadline. A Sealer neither modifies nor retains the slices it is given; the slices it returns belong to
// the caller. Error texts never hold a plaintext or a key.
//
// Implementations must be safe for concurrent use.
type Sealer interface {
	// Seal encrypts and authenticates plaintext bound to aad, and returns the sealed value: opaque
	// bytes to store. Sealing the same plaintext twice gives different sealed values.
	Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error)
	// Open returns the plaintext of a value sealed by Seal with the same aad. A value that was
	// altered in any way, truncated, sealed under another key or with other aad, or is not a sealed
	// value at all returns an error wrapping ErrSealBroken; one sealed under a key the Sealer no
	// longer has returns an error wrapping ErrUnknownKey. Any other error (a KMS that cannot be
	// reached) says nothing about the value, and the call may be retried.
	Open(ctx context.Context, sealed, aad []byte) ([]byte, error)
}

// Resealer is implemented by Sealers whose keys rotate and which can tell the values sealed under an
// older key, so that the connect service can seal them again under the current one. Implementations must
// be safe for concurrent use.
type Resealer interface {
	// NeedsReseal reports whether sealed is not what Seal makes today: sealed under a key other than
	// the current one, or in another format, or not a sealed value at all (for which Reseal then
	// returns the error). It reads only the sealed value's header and does not authenticate it.
	NeedsReseal(sealed []byte) bool
	// Reseal opens sealed, which may have been sealed under any key the Resealer has, and seals its
	// plaintext again under the current key, with the same aad. It returns Open's errors.
	Reseal(ctx context.Context, sealed, aad []byte) ([]byte, error)
}

// Reseal seals sealed again under s's current key when s is a Resealer and says it needs it. It returns
// the value to store and whether it changed; a value that needs no resealing is returned as it is,
// without being opened. A Sealer that is not a Resealer returns an error wrapping errors.ErrUnsupported.
func Reseal(ctx context.Context, s Sealer, sealed, aad []byte) (resealed []byte, changed bool, err error) {
	r, ok := s.(Resealer)
	if !ok {
		return nil, false, fmt.Errorf("connect: %T cannot reseal: %w", s, errors.ErrUnsupported)
	}
	if !r.NeedsReseal(sealed) {
		return sealed, false, nil
	}
	resealed, err = r.Reseal(ctx, sealed, aad)
	if err != nil {
		return nil, false, err
	}
	return resealed, true, nil
}

// Errors of sealing and of keys. Callers decide with errors.Is, never by error text; no error text holds
// a plaintext or a key.
var (
	// ErrSealBroken: a sealed value does not open: it was altered, truncated, sealed under another key
	// or with other additional data, or is not a sealed value. Retrying does not help; the credential
	// must be entered again.
	ErrSealBroken = errors.New("connect: sealed value does not open")
	// ErrUnknownKey: a value was sealed under a key the Sealer does not have, typically an old key
	// removed before every value sealed under it was resealed. Giving the Sealer that key back opens it.
	ErrUnknownKey = errors.New("connect: sealed under an unknown key")
	// ErrInvalidKey: a key given to NewKey, ParseKey, ParseKeys or NewAESGCM is unusable.
	ErrInvalidKey = errors.New("connect: invalid key")
)

// KeySize is the length of an AESGCM key in bytes: AES-256.
const KeySize = 32

// MaxKeyIDLen is the longest key ID.
const MaxKeyIDLen = 32

// Key is an AESGCM key with its ID, which sealed values carry so that Open finds the key that sealed them.
// IDs are 1 to MaxKeyIDLen ASCII letters, digits, '.', '_' and '-', unique within a Sealer; they are not
// secret. Make a Key with NewKey, GenerateKey, ParseKey or ParseKeys; the zero Key is not usable.
//
// The key itself is unexported and held behind a pointer, so printing a Key (with fmt's %v, %+v or %#v,
// or through log/slog) shows its ID and an address, never the key; Export is the one way out. A Key is
// immutable and safe to copy and to share between goroutines.
type Key struct {
	id     string
	secret *[KeySize]byte
}

// NewKey returns the Key with the given ID and key bytes, which must be KeySize long. It copies secret.
// Invalid arguments return an error wrapping ErrInvalidKey, whose text holds neither.
func NewKey(id string, secret []byte) (Key, error) {
	if !validKeyID(id) {
		return Key{}, fmt.Errorf("%w: %s", ErrInvalidKey, keyIDRule)
	}
	if len(secret) != KeySize {
		return Key{}, fmt.Errorf("%w: the key is %d bytes, it must be %d (AES-256)", ErrInvalidKey, len(secret), KeySize)
	}
	var k [KeySize]byte
	copy(k[:], secret)
	return Key{id: id, secret: &k}, nil
}

// GenerateKey returns a new random Key (from crypto/rand) with the given ID. An invalid ID returns an
// error wrapping ErrInvalidKey.
func GenerateKey(id string) (Key, error) {
	if !validKeyID(id) {
		return Key{}, fmt.Errorf("%w: %s", ErrInvalidKey, keyIDRule)
	}
	var k [KeySize]byte
	rand.Read(k[:]) // never fails: it crashes the program if the system has no randomness
	return Key{id: id, secret: &k}, nil
}

// ID returns the key's ID ("" for the zero Key).
func (k Key) ID() string { return k.id }

// Export returns the key as text that ParseKey reads, "ID:base64-key" (standard base64 with padding).
// It holds the key itself: write it to the host's secret store, never to a log. The zero Key exports "".
func (k Key) Export() string {
	if k.secret == nil {
		return ""
	}
	return k.id + ":" + base64.StdEncoding.EncodeToString(k.secret[:])
}

// ParseKey reads a Key written as "ID:base64-key", such as Export writes: the ID, a colon, and the
// KeySize bytes of the key in base64 (standard or URL alphabet, padded or not). Spaces around either part
// are ignored. A key can be made with
//
//	echo "k1:$(openssl rand -base64 32)"
//
// Text that is not a key returns an error wrapping ErrInvalidKey that says what is wrong without quoting
// the text, which may hold a key.
func ParseKey(s string) (Key, error) {
	k, err := parseKey(s)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %s", ErrInvalidKey, err)
	}
	return k, nil
}

// ParseKeys reads a key ring such as an environment variable holds: keys as ParseKey reads them,
// separated by commas or newlines, the current key first and then the older ones that are still needed
// to open what they sealed, e.g. "k2:…,k1:…". Pass them to NewAESGCM as NewAESGCM(keys[0], keys[1:]...).
// Empty entries are skipped. Text without a key, a malformed key or two keys with one ID return an error
// wrapping ErrInvalidKey that names the key by its position, never by quoting it.
func ParseKeys(s string) ([]Key, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' })
	var items []string
	for _, f := range fields {
		if f = strings.TrimSpace(f); f != "" {
			items = append(items, f)
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: no keys: want ID:base64-key, the current key first, separated by commas", ErrInvalidKey)
	}
	keys := make([]Key, 0, len(items))
	seen := make(map[string]int, len(items))
	for i, item := range items {
		k, err := parseKey(item)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d of %d: %s", ErrInvalidKey, i+1, len(items), err)
		}
		if j, dup := seen[k.id]; dup {
			return nil, fmt.Errorf("%w: keys %d and %d both have the ID %q; key IDs must differ", ErrInvalidKey, j+1, i+1, k.id)
		}
		seen[k.id] = i
		keys = append(keys, k)
	}
	return keys, nil
}

const keyIDRule = "a key ID is 1 to 32 ASCII letters, digits, '.', '_' or '-'"

// parseKey reads "ID:base64-key". Its errors are bare reasons that never quote s.
func parseKey(s string) (Key, error) {
	id, b64, ok := strings.Cut(s, ":")
	if !ok {
		return Key{}, errors.New("no key ID: write it as ID:base64-key, e.g. k1:<44 characters of base64>")
	}
	id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
	if !validKeyID(id) {
		return Key{}, errors.New(keyIDRule)
	}
	if b64 == "" {
		return Key{}, errors.New("nothing after the key ID's colon: want the key in base64")
	}
	secret, ok := decodeBase64(b64)
	if !ok {
		return Key{}, errors.New("the key is not base64")
	}
	defer clear(secret)
	if len(secret) != KeySize {
		return Key{}, fmt.Errorf("the key is %d bytes, it must be %d (AES-256; e.g. openssl rand -base64 32)", len(secret), KeySize)
	}
	var k [KeySize]byte
	copy(k[:], secret)
	return Key{id: id, secret: &k}, nil
}

// decodeBase64 accepts the standard and the URL alphabet, padded or not. Their decodings of one text agree,
// so the order does not matter.
func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.Strict().DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > MaxKeyIDLen {
		return false
	}
	for i := range len(id) {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// The sealed format, version 1:
//
//	offset 0       1 byte    format version, 1
//	offset 1       1 byte    n, the key ID's length (1 to MaxKeyIDLen)
//	offset 2       n bytes   the key ID
//	offset 2+n     12 bytes  the GCM nonce, random
//	offset 14+n    …         the AES-256-GCM ciphertext, as long as the plaintext, then its 16-byte tag
//
// The GCM additional data is the header (the first 2+n bytes) followed by the caller's aad, so neither
// the version nor the key ID can be changed undetected. The header says its own length, so the
// concatenation is unambiguous.
const (
	formatV1  = 1
	nonceSize = 12
	tagSize   = 16
)

// AESGCM is the standard library's Sealer: AES-256-GCM (crypto/aes, crypto/cipher) with a random 96-bit
// nonce per value, and key rotation. It seals under its current key and opens values sealed under any key
// it has, by the key ID each sealed value carries. A sealed value is 30 bytes plus the key ID plus the
// plaintext long:
//
//	version (1 byte, 1) | key ID length (1 byte) | key ID | nonce (12 bytes) | ciphertext | tag (16 bytes)
//
// and the version, key ID and the caller's aad are authenticated with it.
//
// To rotate: make a new key, restart with it as the current key and the old one after it (ParseKeys'
// "k2:…,k1:…"), reseal what NeedsReseal picks out (the package function Reseal), then drop the old key.
// Values sealed under a dropped key return ErrUnknownKey. One key must not seal more than 2^32 values
// (random nonces); credentials are far fewer.
//
// AESGCM does no I/O: its methods never block and ignore their context. It is immutable after
// NewAESGCM and safe for concurrent use; printing it shows key IDs, never keys.
type AESGCM struct {
	header []byte // the current key's header: version, ID length, ID
	seal   cipher.AEAD
	open   map[string]cipher.AEAD // by key ID, the current key included
	ids    string                 // the key IDs, current first, for error texts
}

var _ interface {
	Sealer
	Resealer
} = (*AESGCM)(nil)

// NewAESGCM returns an AESGCM that seals under current and opens what current or any of old sealed.
// A zero Key, or two keys with one ID, return an error wrapping ErrInvalidKey.
func NewAESGCM(current Key, old ...Key) (*AESGCM, error) {
	s := &AESGCM{open: make(map[string]cipher.AEAD, 1+len(old))}
	ids := make([]string, 0, 1+len(old))
	for i, k := range append([]Key{current}, old...) {
		which := "the current key"
		if i > 0 {
			which = fmt.Sprintf("old key %d", i)
		}
		if k.secret == nil || !validKeyID(k.id) {
			return nil, fmt.Errorf("%w: %s is the zero Key; make keys with NewKey, GenerateKey, ParseKey or ParseKeys", ErrInvalidKey, which)
		}
		if _, dup := s.open[k.id]; dup {
			return nil, fmt.Errorf("%w: %s has the ID %q, like a key before it; key IDs must differ", ErrInvalidKey, which, k.id)
		}
		block, err := aes.NewCipher(k.secret[:])
		if err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		// The AEAD draws each nonce from the system's cryptographic random source (crypto/rand's) and
		// writes it before the ciphertext; it is the GCM that FIPS 140-only mode allows.
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		s.open[k.id] = aead
		ids = append(ids, k.id)
		if i == 0 {
			s.seal = aead
			s.header = append([]byte{formatV1, byte(len(k.id))}, k.id...)
		}
	}
	s.ids = strings.Join(ids, ", ")
	return s, nil
}

// Seal seals plaintext under the current key, bound to aad. It never fails.
func (s *AESGCM) Seal(_ context.Context, plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, len(s.header), len(s.header)+nonceSize+len(plaintext)+tagSize)
	copy(out, s.header)
	return s.seal.Seal(out, nil, plaintext, additional(s.header, aad)), nil
}

// Open opens a value sealed by Seal with the same aad under any of s's keys. See Sealer.Open for its
// errors; an ErrUnknownKey error names the value's key ID and the IDs s has.
func (s *AESGCM) Open(_ context.Context, sealed, aad []byte) ([]byte, error) {
	id, n, err := parseHeader(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := s.open[id]
	if !ok {
		return nil, fmt.Errorf("%w: the value's key ID is %q; this sealer has %s", ErrUnknownKey, id, s.ids)
	}
	plaintext, err := aead.Open(nil, nil, sealed[n:], additional(sealed[:n], aad))
	if err != nil {
		return nil, fmt.Errorf("%w: it was altered, or sealed under another key with ID %q, or with other additional data", ErrSealBroken, id)
	}
	if plaintext == nil {
		plaintext = []byte{}
	}
	return plaintext, nil
}

// NeedsReseal reports whether sealed does not carry the current key's ID in the current format. It does
// not authenticate sealed.
func (s *AESGCM) NeedsReseal(sealed []byte) bool {
	return len(sealed) < len(s.header)+nonceSize+tagSize || !bytes.HasPrefix(sealed, s.header)
}

// Reseal opens sealed under whichever of s's keys sealed it and seals its plaintext again under the
// current key, with the same aad. It returns Open's errors.
func (s *AESGCM) Reseal(ctx context.Context, sealed, aad []byte) ([]byte, error) {
	plaintext, err := s.Open(ctx, sealed, aad)
	if err != nil {
		return nil, err
	}
	defer clear(plaintext)
	return s.Seal(ctx, plaintext, aad)
}

// parseHeader checks a sealed value's header and length and returns its key ID and the header's length.
func parseHeader(sealed []byte) (id string, n int, err error) {
	if len(sealed) < 2 {
		return "", 0, fmt.Errorf("%w: too short to be a sealed value", ErrSealBroken)
	}
	if sealed[0] != formatV1 {
		return "", 0, fmt.Errorf("%w: unknown format version %d", ErrSealBroken, sealed[0])
	}
	idLen := int(sealed[1])
	if idLen < 1 || idLen > MaxKeyIDLen {
		return "", 0, fmt.Errorf("%w: invalid key ID length %d", ErrSealBroken, idLen)
	}
	n = 2 + idLen
	if len(sealed) < n+nonceSize+tagSize {
		return "", 0, fmt.Errorf("%w: truncated", ErrSealBroken)
	}
	id = string(sealed[2:n])
	if !validKeyID(id) {
		return "", 0, fmt.Errorf("%w: invalid key ID", ErrSealBroken)
	}
	return id, n, nil
}

// additional returns the GCM additional data: the header, then the caller's aad, in a new slice (GCM
// refuses additional data that overlaps its output).
func additional(header, aad []byte) []byte {
	ad := make([]byte, 0, len(header)+len(aad))
	return append(append(ad, header...), aad...)
}
