package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors. Backends return ErrNotFound; the Store adds the rest.
var (
	// ErrNotFound: no object under that key.
	ErrNotFound = errors.New("blob: object not found")
	// ErrTooLarge: the content is longer than the limit given to Put. Nothing was stored.
	ErrTooLarge = errors.New("blob: content too large")
	// ErrInvalidKey: a key outside the key alphabet (see ValidKey).
	ErrInvalidKey = errors.New("blob: invalid key")
	// ErrForged: a signed URL whose signature does not match (tampered, or signed with a key no
	// longer configured). The Server answers 403.
	ErrForged = errors.New("blob: signed URL forged or malformed")
	// ErrExpired: a genuine signed URL past its expiry. The Server answers 410.
	ErrExpired = errors.New("blob: signed URL expired")
)

// MaxKeyLen is the longest key.
const MaxKeyLen = 512

// ValidKey reports whether key may name an object: 1 to MaxKeyLen bytes of segments separated by
// "/", each made of ASCII letters, digits, '.', '_' and '-', none empty or starting with '.'. Keys
// need no escaping in a URL path or a file name, so a signed URL names exactly one key.
func ValidKey(key string) bool {
	if key == "" || len(key) > MaxKeyLen {
		return false
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg[0] == '.' {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Object describes a stored object.
type Object struct {
	Key         string    `json:"key"`
	Name        string    `json:"name,omitempty"` // the uploaded file's name (sanitized); may be ""
	ContentType string    `json:"contentType"`    // sniffed from the bytes (see Sniff and PutOptions)
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256,omitempty"` // hex; set by Put (Stat and Open leave it empty: record it from Put)
	ModTime     time.Time `json:"modTime,omitzero"` // set by Stat and Open
}

// Store keeps file content msgkit must serve (uploads, re-hosted outbound media, copies of inbound
// media) in a Bucket: it checks keys, types content by sniffing, checksums it and enforces size
// limits while reading. A Store is safe for concurrent use.
type Store struct {
	b Bucket
}

// New returns a Store over b.
func New(b Bucket) (*Store, error) {
	if b == nil {
		return nil, errors.New("blob: New needs a bucket")
	}
	return &Store{b: b}, nil
}

// PutOptions are Put's hints; nil means none.
type PutOptions struct {
	// Key stores the object under this exact key, replacing any object there: a durable job that
	// copies a message's media passes a key derived from the message, so a retry after a crash
	// overwrites instead of leaving an orphan. Empty means a new random key under Prefix.
	Key string
	// Prefix starts a random key ("uploads/", "inbound/"); it must end in "/" and be a valid key
	// without it. Ignored when Key is set.
	Prefix string
	// Name is the file's name as the user gave it: kept (base name only, control characters dropped,
	// at most 255 bytes) for Content-Disposition. It never decides the type.
	Name string
	// ContentType is the type the uploader claimed. It is used only where sniffing gives a generic type
	// the bytes cannot refine (text/plain to text/csv, application/zip to an Office document, …); it
	// never makes content an image, a video, HTML or a script.
	ContentType string
}

// Put stores r's content, at most limit bytes, and returns the object: its key, its sniffed type,
// its size and its SHA-256. Content longer than limit fails with ErrTooLarge as soon as the
// limit+1st byte is read, and nothing is stored (the Bucket's all-or-nothing Write). limit must be
// positive.
//
// Keys are random (128 bits from crypto/rand, hex) unless PutOptions.Key is set, rather than
// content-addressed: the content streams to the bucket in one pass with no temporary copy; deleting
// one message's copy (a customer's erasure request) never removes another's that happened to have
// the same bytes; and a key says nothing about the content. The SHA-256 lets a caller deduplicate
// or verify from its own records.
func (s *Store) Put(ctx context.Context, r io.Reader, limit int64, opts *PutOptions) (Object, error) {
	if limit <= 0 {
		return Object{}, fmt.Errorf("blob: Put needs a positive limit, got %d", limit)
	}
	var o PutOptions
	if opts != nil {
		o = *opts
	}
	key := o.Key
	if key == "" {
		if o.Prefix != "" && (!strings.HasSuffix(o.Prefix, "/") || !ValidKey(strings.TrimSuffix(o.Prefix, "/"))) {
			return Object{}, fmt.Errorf("%w: prefix must be a valid key followed by /", ErrInvalidKey)
		}
		var b [16]byte
		_, _ = rand.Read(b[:])
		key = o.Prefix + hex.EncodeToString(b[:])
	}
	if !ValidKey(key) {
		return Object{}, ErrInvalidKey
	}
	head := make([]byte, min(int64(SniffLen), limit+1))
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Object{}, fmt.Errorf("blob: reading the content: %w", err)
	}
	head = head[:n]
	ct := contentType(Sniff(head), o.ContentType)
	name := cleanName(o.Name)
	body := &limited{r: io.MultiReader(bytes.NewReader(head), r), limit: limit, h: sha256.New()}
	if err := s.b.Write(ctx, key, body, Attrs{ContentType: ct, Name: name}); err != nil {
		if body.over {
			return Object{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
		}
		return Object{}, fmt.Errorf("blob: storing %s: %w", key, err)
	}
	return Object{Key: key, Name: name, ContentType: ct, Size: body.n, SHA256: hex.EncodeToString(body.h.Sum(nil))}, nil
}

// limited counts, hashes and limits what the bucket reads.
type limited struct {
	r     io.Reader
	limit int64
	n     int64
	h     hash.Hash
	over  bool
}

func (l *limited) Read(p []byte) (int, error) {
	if l.over {
		return 0, ErrTooLarge
	}
	k, err := l.r.Read(p)
	l.n += int64(k)
	if l.n > l.limit {
		l.over = true
		return 0, ErrTooLarge
	}
	l.h.Write(p[:k])
	return k, err
}

// cleanName keeps a file name's base, drops control and format characters and caps it at 255 bytes.
func cleanName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" {
		return ""
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	for len(name) > 255 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return strings.TrimSpace(name)
}

func object(key string, a Attrs) Object {
	return Object{Key: key, Name: a.Name, ContentType: a.ContentType, Size: a.Size, ModTime: a.ModTime}
}

// Open returns a seekable reader of the object's content, and the object. The caller closes it.
// Errors: ErrNotFound (also for an invalid key).
func (s *Store) Open(ctx context.Context, key string) (io.ReadSeekCloser, Object, error) {
	if !ValidKey(key) {
		return nil, Object{}, ErrNotFound
	}
	rc, a, err := s.b.Open(ctx, key)
	if err != nil {
		return nil, Object{}, err
	}
	return rc, object(key, a), nil
}

// Stat returns the object under key. Errors: ErrNotFound (also for an invalid key).
func (s *Store) Stat(ctx context.Context, key string) (Object, error) {
	if !ValidKey(key) {
		return Object{}, ErrNotFound
	}
	a, err := s.b.Stat(ctx, key)
	if err != nil {
		return Object{}, err
	}
	return object(key, a), nil
}

// Delete removes the object under key. Errors: ErrNotFound (also for an invalid key).
func (s *Store) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return ErrNotFound
	}
	return s.b.Delete(ctx, key)
}
