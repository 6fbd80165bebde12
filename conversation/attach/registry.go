package attach

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Registry holds sources by name; a reply names a source and a reference (a Ref), and the Registry
// finds the file. There is no global registry: a host builds one (or one per tenant) and passes it.
//
// The Registry makes every source keep the contract's promises: it refuses a non-positive limit,
// checks the stated size against the limit before downloading, enforces the limit while reading
// whatever the source does, and names the source in every error (an *Error whose Source is the
// registered name, wrapping the category the source returned).
//
// A Registry is safe for concurrent use; sources may be registered and removed while it is used.
type Registry struct {
	mu      sync.RWMutex
	sources map[string]Source
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry { return &Registry{sources: map[string]Source{}} }

// Register adds s under name. It returns an error when name is empty, s is nil, or name is taken.
func (r *Registry) Register(name string, s Source) error {
	if name == "" || s == nil {
		return errors.New("attach: Register needs a name and a source")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.sources[name]; ok {
		return fmt.Errorf("attach: a source is already registered as %q", name)
	}
	r.sources[name] = s
	return nil
}

// Remove removes the source registered as name, if any (a user disconnected a drive).
func (r *Registry) Remove(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sources, name)
}

// Names returns the registered names, sorted. The caller owns the slice.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.sources))
	for n := range r.sources {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Source returns the source registered as name.
func (r *Registry) Source(name string) (Source, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.sources[name]
	return s, ok
}

func (r *Registry) lookup(ref Ref, op string) (Source, error) {
	s, ok := r.Source(ref.Source)
	if !ok {
		return nil, &Error{Source: ref.Source, Op: op, Err: ErrUnknownSource}
	}
	return s, nil
}

// Resolve returns the file ref names. Errors: ErrUnknownSource, or the source's (see Source).
func (r *Registry) Resolve(ctx context.Context, ref Ref) (File, error) {
	s, err := r.lookup(ref, "resolve")
	if err != nil {
		return File{}, err
	}
	f, err := s.Resolve(ctx, ref.ID)
	if err != nil {
		return File{}, named(ref.Source, "resolve", err)
	}
	return f, nil
}

// Open returns the content of the file ref names, limited to limit bytes (see Source.Open), and the
// file. A stated size over limit is refused before anything is downloaded; content longer than limit
// fails the read with ErrTooLarge. The caller closes the reader.
func (r *Registry) Open(ctx context.Context, ref Ref, limit int64) (io.ReadCloser, File, error) {
	if limit <= 0 {
		return nil, File{}, fmt.Errorf("attach: Open needs a positive limit, got %d", limit)
	}
	s, err := r.lookup(ref, "open")
	if err != nil {
		return nil, File{}, err
	}
	rc, f, err := s.Open(ctx, ref.ID, limit)
	if err != nil {
		return nil, File{}, named(ref.Source, "open", err)
	}
	if f.Size > limit {
		_ = rc.Close()
		return nil, File{}, &Error{Source: ref.Source, Op: "open", Kind: ErrTooLarge, Size: f.Size, Limit: limit}
	}
	return &namedReader{rc: LimitReader(rc, limit), source: ref.Source}, f, nil
}

// URL returns a temporary direct URL to the file ref names, when its source is a URLer; otherwise an
// error wrapping errors.ErrUnsupported (the caller then copies the content with Open).
func (r *Registry) URL(ctx context.Context, ref Ref) (Link, error) {
	s, err := r.lookup(ref, "url")
	if err != nil {
		return Link{}, err
	}
	u, ok := s.(URLer)
	if !ok {
		return Link{}, &Error{Source: ref.Source, Op: "url", Err: errors.ErrUnsupported}
	}
	l, err := u.URL(ctx, ref.ID)
	if err != nil {
		return Link{}, named(ref.Source, "url", err)
	}
	return l, nil
}

// named returns err as an *Error naming the source: a copy of the source's own *Error with Source
// set, or a new one wrapping err with its category.
func named(source, op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		c := *e
		c.Source = source
		if c.Op == "" {
			c.Op = op
		}
		if c.Kind == nil {
			c.Kind = kindOf(err)
		}
		return &c
	}
	e = &Error{Source: source, Op: op, Kind: kindOf(err), Err: err}
	if e.Kind == err { // a bare sentinel: nothing more to say
		e.Err = nil
	}
	return e
}

type namedReader struct {
	rc     io.ReadCloser
	source string
}

func (n *namedReader) Read(p []byte) (int, error) {
	k, err := n.rc.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = named(n.source, "read", err)
	}
	return k, err
}

func (n *namedReader) Close() error { return n.rc.Close() }
