// Package blobtest is the conformance suite for blob.Bucket implementations: RunBucket checks the
// contract's rules (round trip, attributes, replacement, ErrNotFound, all-or-nothing writes on a
// failing reader and on a cancelled context, seeking, concurrent writers) and names the rule that
// failed.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/msgkit/msgkit/conversation/blob"
)

// RunBucket runs the suite against a fresh bucket from newBucket for each rule.
func RunBucket(t *testing.T, newBucket func(t *testing.T) blob.Bucket) {
	t.Helper()
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			if err := r.check(t.Context(), newBucket(t)); err != nil {
				t.Fatalf("rule %q: %v", r.name, err)
			}
		})
	}
}

type rule struct {
	name  string
	check func(ctx context.Context, b blob.Bucket) error
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		k := min(f.n, len(p))
		f.n -= k
		return k, nil
	}
	return 0, errors.New("reader broke")
}

func read(ctx context.Context, b blob.Bucket, key string) ([]byte, blob.Attrs, error) {
	rc, a, err := b.Open(ctx, key)
	if err != nil {
		return nil, a, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	return data, a, err
}

var rules = []rule{
	{"write then open returns the bytes and attributes", func(ctx context.Context, b blob.Bucket) error {
		data := bytes.Repeat([]byte("msgkit"), 5000)
		if err := b.Write(ctx, "a/b/c", bytes.NewReader(data), blob.Attrs{ContentType: "image/png", Name: "café.png"}); err != nil {
			return err
		}
		got, a, err := read(ctx, b, "a/b/c")
		if err != nil {
			return err
		}
		if !bytes.Equal(got, data) || a.ContentType != "image/png" || a.Name != "café.png" || a.Size != int64(len(data)) || a.ModTime.IsZero() {
			return fmt.Errorf("got %d bytes, attrs %+v", len(got), a)
		}
		st, err := b.Stat(ctx, "a/b/c")
		if err != nil || st.Size != a.Size || st.ContentType != a.ContentType || st.Name != a.Name {
			return fmt.Errorf("stat %+v, %v", st, err)
		}
		return nil
	}},
	{"an empty object is an object", func(ctx context.Context, b blob.Bucket) error {
		if err := b.Write(ctx, "empty", bytes.NewReader(nil), blob.Attrs{ContentType: "text/plain"}); err != nil {
			return err
		}
		got, a, err := read(ctx, b, "empty")
		if err != nil || len(got) != 0 || a.Size != 0 {
			return fmt.Errorf("got %q %+v %v", got, a, err)
		}
		return nil
	}},
	{"missing keys are ErrNotFound", func(ctx context.Context, b blob.Bucket) error {
		if _, _, err := b.Open(ctx, "nope"); !errors.Is(err, blob.ErrNotFound) {
			return fmt.Errorf("open: %v", err)
		}
		if _, err := b.Stat(ctx, "nope"); !errors.Is(err, blob.ErrNotFound) {
			return fmt.Errorf("stat: %v", err)
		}
		if err := b.Delete(ctx, "nope"); !errors.Is(err, blob.ErrNotFound) {
			return fmt.Errorf("delete: %v", err)
		}
		_ = b.Write(ctx, "dir/x", bytes.NewReader([]byte("x")), blob.Attrs{})
		if _, err := b.Stat(ctx, "dir"); !errors.Is(err, blob.ErrNotFound) {
			return fmt.Errorf("a key's prefix is not an object: %v", err)
		}
		return nil
	}},
	{"delete removes the object", func(ctx context.Context, b blob.Bucket) error {
		_ = b.Write(ctx, "gone", bytes.NewReader([]byte("x")), blob.Attrs{})
		if err := b.Delete(ctx, "gone"); err != nil {
			return err
		}
		if _, err := b.Stat(ctx, "gone"); !errors.Is(err, blob.ErrNotFound) {
			return fmt.Errorf("after delete: %v", err)
		}
		return nil
	}},
	{"a write replaces the object", func(ctx context.Context, b blob.Bucket) error {
		_ = b.Write(ctx, "k", bytes.NewReader([]byte("first")), blob.Attrs{ContentType: "text/plain"})
		if err := b.Write(ctx, "k", bytes.NewReader([]byte("second!")), blob.Attrs{ContentType: "application/pdf"}); err != nil {
			return err
		}
		got, a, err := read(ctx, b, "k")
		if err != nil || string(got) != "second!" || a.ContentType != "application/pdf" {
			return fmt.Errorf("got %q %+v %v", got, a, err)
		}
		return nil
	}},
	{"a failing reader stores nothing and keeps the old object", func(ctx context.Context, b blob.Bucket) error {
		if err := b.Write(ctx, "new", &failingReader{n: 100000}, blob.Attrs{}); err == nil {
			return errors.New("write succeeded with a failing reader")
		}
		if _, err := b.Stat(ctx, "new"); !errors.Is(err, blob.ErrNotFound) {
			return fmt.Errorf("a partial object is visible: %v", err)
		}
		_ = b.Write(ctx, "old", bytes.NewReader([]byte("kept")), blob.Attrs{})
		if err := b.Write(ctx, "old", &failingReader{n: 10}, blob.Attrs{}); err == nil {
			return errors.New("write succeeded with a failing reader")
		}
		if got, _, err := read(ctx, b, "old"); err != nil || string(got) != "kept" {
			return fmt.Errorf("the old object was not kept: %q %v", got, err)
		}
		return nil
	}},
	{"a cancelled context stores nothing", func(ctx context.Context, b blob.Bucket) error {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := b.Write(cctx, "cancelled", bytes.NewReader([]byte("x")), blob.Attrs{}); err == nil {
			return errors.New("write succeeded with a cancelled context")
		}
		if _, err := b.Stat(ctx, "cancelled"); !errors.Is(err, blob.ErrNotFound) {
			return fmt.Errorf("an object is visible: %v", err)
		}
		return nil
	}},
	{"readers seek", func(ctx context.Context, b blob.Bucket) error {
		_ = b.Write(ctx, "seek", bytes.NewReader([]byte("0123456789")), blob.Attrs{})
		rc, _, err := b.Open(ctx, "seek")
		if err != nil {
			return err
		}
		defer rc.Close()
		if n, err := rc.Seek(0, io.SeekEnd); err != nil || n != 10 {
			return fmt.Errorf("seek end: %d %v", n, err)
		}
		if _, err := rc.Seek(4, io.SeekStart); err != nil {
			return err
		}
		p := make([]byte, 3)
		if _, err := io.ReadFull(rc, p); err != nil || string(p) != "456" {
			return fmt.Errorf("read after seek: %q %v", p, err)
		}
		return nil
	}},
	{"concurrent writers to one key leave one whole object", func(ctx context.Context, b blob.Bucket) error {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_ = b.Write(ctx, "race", bytes.NewReader(bytes.Repeat([]byte{byte('a' + i)}, 64<<10)), blob.Attrs{})
			})
		}
		wg.Wait()
		got, _, err := read(ctx, b, "race")
		if err != nil || len(got) != 64<<10 || !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) {
			return fmt.Errorf("a torn object: %d bytes, %v", len(got), err)
		}
		return nil
	}},
}
