package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"
	"time"
)

// Bucket is where object bytes live: a small contract a storage backend implements. Memory and Dir
// ship here; cdkblob adapts any gocloud.dev/blob bucket (S3, GCS, Azure, …).
//
// Keys are valid keys (see ValidKey): the Store checks them before calling a Bucket. Every method must
// be safe for concurrent use and honour ctx.
type Bucket interface {
	// Write stores everything r yields under key, with a's ContentType and Name (a's Size and ModTime
	// are ignored), replacing any object there. It is all or nothing: when reading r fails or ctx
	// ends, Write returns an error and no new object, not even a partial one, becomes visible under
	// key. Write does not close r.
	Write(ctx context.Context, key string, r io.Reader, a Attrs) error
	// Open returns a reader of the object's content (seekable, for range requests) and its
	// attributes, or ErrNotFound. The caller closes the reader.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, Attrs, error)
	// Stat returns the object's attributes, or ErrNotFound.
	Stat(ctx context.Context, key string) (Attrs, error)
	// Delete removes the object, or returns ErrNotFound.
	Delete(ctx context.Context, key string) error
}

// Attrs are what a Bucket keeps about an object besides its bytes.
type Attrs struct {
	ContentType string
	Name        string    // the file's name as uploaded, for Content-Disposition; may be ""
	Size        int64     // set by Open and Stat
	ModTime     time.Time // set by Open and Stat: when the object was written
}

// Memory is a Bucket in memory: for tests and demos. It is safe for concurrent use.
type Memory struct {
	mu      sync.RWMutex
	objects map[string]memObject
	now     func() time.Time
}

type memObject struct {
	data  []byte
	attrs Attrs
}

// NewMemory returns an empty Memory bucket. now stamps ModTime; nil means time.Now.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{objects: map[string]memObject{}, now: now}
}

// Write implements Bucket.
func (m *Memory) Write(ctx context.Context, key string, r io.Reader, a Attrs) error {
	data, err := io.ReadAll(ctxReader{ctx, r})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	a.Size, a.ModTime = int64(len(data)), m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = memObject{data: data, attrs: a}
	return nil
}

// Open implements Bucket.
func (m *Memory) Open(ctx context.Context, key string) (io.ReadSeekCloser, Attrs, error) {
	if err := ctx.Err(); err != nil {
		return nil, Attrs{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	o, ok := m.objects[key]
	if !ok {
		return nil, Attrs{}, ErrNotFound
	}
	return nopCloser{bytes.NewReader(o.data)}, o.attrs, nil
}

// Stat implements Bucket.
func (m *Memory) Stat(ctx context.Context, key string) (Attrs, error) {
	if err := ctx.Err(); err != nil {
		return Attrs{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	o, ok := m.objects[key]
	if !ok {
		return Attrs{}, ErrNotFound
	}
	return o.attrs, nil
}

// Delete implements Bucket.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objects[key]; !ok {
		return ErrNotFound
	}
	delete(m.objects, key)
	return nil
}

type nopCloser struct{ io.ReadSeeker }

func (nopCloser) Close() error { return nil }

// ctxReader fails reads once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Dir is a Bucket in a local directory: the embedded default, for a single-host deployment. Content
// lives under data/<key>, attributes under meta/<key> (JSON), and writes go to tmp/ first and are
// renamed into place, so a reader never sees a partial object and a crash leaves at most a stray
// temporary file. All access goes through an os.Root, so no key can reach outside the directory.
//
// A Dir is safe for concurrent use, also by several processes sharing the directory.
type Dir struct {
	root *os.Root
}

// NewDir opens (creating it if needed) a Dir bucket at dir. Close it when done.
func NewDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	for _, sub := range []string{"data", "meta", "tmp"} {
		if err := root.MkdirAll(sub, 0o750); err != nil {
			root.Close()
			return nil, err
		}
	}
	return &Dir{root: root}, nil
}

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

type dirMeta struct {
	ContentType string `json:"contentType"`
	Name        string `json:"name,omitempty"`
}

func (d *Dir) temp() (*os.File, string, error) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	name := "tmp/" + hex.EncodeToString(b[:])
	f, err := d.root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	return f, name, err
}

// Write implements Bucket.
func (d *Dir) Write(ctx context.Context, key string, r io.Reader, a Attrs) (err error) {
	if !ValidKey(key) {
		return ErrInvalidKey
	}
	f, tmp, err := d.temp()
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = d.root.Remove(tmp)
		}
	}()
	_, err = io.Copy(f, ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	meta, _ := json.Marshal(dirMeta{ContentType: a.ContentType, Name: a.Name})
	mf, mtmp, err := d.temp()
	if err != nil {
		return err
	}
	_, err = mf.Write(meta)
	if cerr := mf.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.place(mtmp, "meta/"+key)
	}
	if err != nil {
		_ = d.root.Remove(mtmp)
		return err
	}
	return d.place(tmp, "data/"+key)
}

func (d *Dir) place(tmp, dst string) error {
	if err := d.root.MkdirAll(path.Dir(dst), 0o750); err != nil {
		return err
	}
	return d.root.Rename(tmp, dst)
}

func (d *Dir) meta(key string, a *Attrs) {
	a.ContentType = "application/octet-stream"
	b, err := d.root.ReadFile("meta/" + key)
	if err != nil {
		return
	}
	var m dirMeta
	if json.Unmarshal(b, &m) == nil {
		a.ContentType, a.Name = m.ContentType, m.Name
	}
}

func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	return err
}

// Open implements Bucket.
func (d *Dir) Open(ctx context.Context, key string) (io.ReadSeekCloser, Attrs, error) {
	if err := ctx.Err(); err != nil {
		return nil, Attrs{}, err
	}
	if !ValidKey(key) {
		return nil, Attrs{}, ErrNotFound
	}
	f, err := d.root.Open("data/" + key)
	if err != nil {
		return nil, Attrs{}, notFound(err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, Attrs{}, ErrNotFound
	}
	a := Attrs{Size: fi.Size(), ModTime: fi.ModTime()}
	d.meta(key, &a)
	return f, a, nil
}

// Stat implements Bucket.
func (d *Dir) Stat(ctx context.Context, key string) (Attrs, error) {
	if err := ctx.Err(); err != nil {
		return Attrs{}, err
	}
	if !ValidKey(key) {
		return Attrs{}, ErrNotFound
	}
	fi, err := d.root.Stat("data/" + key)
	if err != nil {
		return Attrs{}, notFound(err)
	}
	if !fi.Mode().IsRegular() {
		return Attrs{}, ErrNotFound
	}
	a := Attrs{Size: fi.Size(), ModTime: fi.ModTime()}
	d.meta(key, &a)
	return a, nil
}

// Delete implements Bucket.
func (d *Dir) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !ValidKey(key) {
		return ErrNotFound
	}
	if fi, err := d.root.Stat("data/" + key); err != nil || !fi.Mode().IsRegular() {
		return ErrNotFound
	}
	if err := d.root.Remove("data/" + key); err != nil {
		return notFound(err)
	}
	if err := d.root.Remove("meta/" + key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
