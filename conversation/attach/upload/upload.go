// Package upload is the attach.Source for files agents upload: their content is kept in msgkit's
// blob store (conversation/blob) under a prefix ("uploads/" by default), and a reference is the
// upload's ID, the part of its blob key after the prefix. Only keys under the prefix resolve, so a
// reply cannot name an inbound copy or another store's object through this source.
//
// Upload stores a file (sniffed, checksummed, size-limited by the blob store) and returns it as an
// attach.File whose ID the reply then names. With Options.Server set, the Source is also an
// attach.URLer giving the blob server's signed URL.
//
// # Errors
//
// blob.ErrNotFound is attach.ErrNotFound, blob.ErrTooLarge attach.ErrTooLarge, any other storage
// failure attach.ErrUnavailable; each is an *attach.Error with Provider "upload".
//
// # Concurrency
//
// A Source is safe for concurrent use.
package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/blob"
)

// Options configures a Source; nil means defaults.
type Options struct {
	// Prefix is where uploads live in the store: a valid blob key followed by "/". Default "uploads/".
	Prefix string
	// Server, when set, makes URL return its signed URL for an upload, valid for URLTTL.
	Server *blob.Server
	// URLTTL is how long URL's links last; default 15 minutes.
	URLTTL time.Duration
}

// Source is the uploads kept in a blob.Store. It implements attach.Source and attach.URLer.
type Source struct {
	store  *blob.Store
	prefix string
	server *blob.Server
	ttl    time.Duration
}

var (
	_ attach.Source = (*Source)(nil)
	_ attach.URLer  = (*Source)(nil)
)

// New returns a Source over store. It returns an error when store is nil or the prefix is invalid.
func New(store *blob.Store, opts *Options) (*Source, error) {
	if store == nil {
		return nil, errors.New("upload: New needs a store")
	}
	s := &Source{store: store, prefix: "uploads/", ttl: 15 * time.Minute}
	if opts != nil {
		if opts.Prefix != "" {
			s.prefix = opts.Prefix
		}
		s.server = opts.Server
		if opts.URLTTL > 0 {
			s.ttl = opts.URLTTL
		}
	}
	if !strings.HasSuffix(s.prefix, "/") || !blob.ValidKey(strings.TrimSuffix(s.prefix, "/")) {
		return nil, fmt.Errorf("upload: prefix %q must be a valid blob key followed by /", s.prefix)
	}
	return s, nil
}

func fail(op string, err error) *attach.Error {
	kind := attach.ErrUnavailable
	switch {
	case errors.Is(err, blob.ErrNotFound), errors.Is(err, blob.ErrInvalidKey):
		kind = attach.ErrNotFound
	case errors.Is(err, blob.ErrTooLarge):
		kind = attach.ErrTooLarge
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		kind = nil
	}
	e := &attach.Error{Provider: "upload", Op: op, Kind: kind, Err: err}
	if kind == attach.ErrTooLarge {
		e.Size = -1
	}
	return e
}

func file(prefix string, o blob.Object) attach.File {
	return attach.File{ID: strings.TrimPrefix(o.Key, prefix), Name: o.Name, ContentType: o.ContentType, Size: o.Size}
}

// Upload stores r's content (at most limit bytes) as a new upload named name; contentType is the
// uploader's claim, which only refines a generic sniffed type (see blob.PutOptions). The returned
// File's ID is the reference to name in a reply.
func (s *Source) Upload(ctx context.Context, r io.Reader, limit int64, name, contentType string) (attach.File, error) {
	o, err := s.store.Put(ctx, r, limit, &blob.PutOptions{Prefix: s.prefix, Name: name, ContentType: contentType})
	if err != nil {
		e := fail("upload", err)
		if e.Kind == attach.ErrTooLarge {
			e.Limit = limit
		}
		return attach.File{}, e
	}
	return file(s.prefix, o), nil
}

func (s *Source) key(id string) (string, bool) {
	return s.prefix + id, id != "" && blob.ValidKey(s.prefix+id)
}

// Resolve returns the upload id names.
func (s *Source) Resolve(ctx context.Context, id string) (attach.File, error) {
	key, ok := s.key(id)
	if !ok {
		return attach.File{}, fail("resolve", blob.ErrNotFound)
	}
	o, err := s.store.Stat(ctx, key)
	if err != nil {
		return attach.File{}, fail("resolve", err)
	}
	return file(s.prefix, o), nil
}

// Open returns the upload's content, refusing one over limit before reading.
func (s *Source) Open(ctx context.Context, id string, limit int64) (io.ReadCloser, attach.File, error) {
	key, ok := s.key(id)
	if !ok {
		return nil, attach.File{}, fail("open", blob.ErrNotFound)
	}
	rc, o, err := s.store.Open(ctx, key)
	if err != nil {
		return nil, attach.File{}, fail("open", err)
	}
	if o.Size > limit {
		rc.Close()
		return nil, attach.File{}, &attach.Error{Provider: "upload", Op: "open", Kind: attach.ErrTooLarge, Size: o.Size, Limit: limit}
	}
	return attach.LimitReader(rc, limit), file(s.prefix, o), nil
}

// URL returns the blob server's signed URL for the upload, valid for Options.URLTTL; without a
// Server it returns an error wrapping errors.ErrUnsupported.
func (s *Source) URL(ctx context.Context, id string) (attach.Link, error) {
	if s.server == nil {
		return attach.Link{}, &attach.Error{Provider: "upload", Op: "url", Err: errors.ErrUnsupported}
	}
	f, err := s.Resolve(ctx, id)
	if err != nil {
		return attach.Link{}, err
	}
	u := s.server.SignedURL(s.prefix+f.ID, s.ttl)
	l := attach.Link{URL: u}
	if p, err := url.Parse(u); err == nil {
		if exp, err := strconv.ParseInt(p.Query().Get("exp"), 10, 64); err == nil {
			l.Expires = time.Unix(exp, 0)
		}
	}
	return l, nil
}
