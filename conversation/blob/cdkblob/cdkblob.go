// Package cdkblob adapts a gocloud.dev/blob bucket to blob.Bucket, so a host keeps msgkit's content
// in S3, Google Cloud Storage, Azure Blob Storage or any other Go CDK driver by opening the bucket by
// URL (gcblob.OpenBucket(ctx, "s3://my-bucket?region=eu-west-1") with the driver's package imported).
// Only the host's importing this package (and its driver) pays for the Go CDK's dependencies.
//
// Objects keep the content type in the driver's Content-Type and the file name in metadata
// ("msgkit-name"). A write whose reader fails, or whose ctx ends, is abandoned by cancelling the
// writer's context, which the Go CDK documents as discarding the write: no partial object appears.
//
// # Concurrency
//
// A Bucket is safe for concurrent use, as the Go CDK's buckets are. Closing the underlying bucket is
// the host's.
package cdkblob

import (
	"context"
	"errors"
	"fmt"
	"io"

	gcblob "gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/msgkit/msgkit/conversation/blob"
)

const nameKey = "msgkit-name"

// Bucket is a blob.Bucket over a Go CDK bucket.
type Bucket struct {
	b *gcblob.Bucket
}

var _ blob.Bucket = (*Bucket)(nil)

// New returns a blob.Bucket over b. It returns an error when b is nil.
func New(b *gcblob.Bucket) (*Bucket, error) {
	if b == nil {
		return nil, errors.New("cdkblob: New needs a bucket")
	}
	return &Bucket{b: b}, nil
}

func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("%w (%v)", blob.ErrNotFound, gcerrors.NotFound)
	}
	return err
}

// Write implements blob.Bucket.
func (c *Bucket) Write(ctx context.Context, key string, r io.Reader, a blob.Attrs) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := &gcblob.WriterOptions{ContentType: a.ContentType}
	if a.Name != "" {
		opts.Metadata = map[string]string{nameKey: a.Name}
	}
	if opts.ContentType == "" {
		opts.ContentType = "application/octet-stream"
	}
	w, err := c.b.NewWriter(wctx, key, opts)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		cancel() // abandon: the Go CDK discards a write whose context is cancelled before Close
		_ = w.Close()
		return err
	}
	if err := ctx.Err(); err != nil {
		cancel()
		_ = w.Close()
		return err
	}
	return w.Close()
}

func attrs(a *gcblob.Attributes) blob.Attrs {
	return blob.Attrs{ContentType: a.ContentType, Name: a.Metadata[nameKey], Size: a.Size, ModTime: a.ModTime}
}

// Open implements blob.Bucket.
func (c *Bucket) Open(ctx context.Context, key string) (io.ReadSeekCloser, blob.Attrs, error) {
	a, err := c.b.Attributes(ctx, key)
	if err != nil {
		return nil, blob.Attrs{}, mapErr(err)
	}
	r, err := c.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, blob.Attrs{}, mapErr(err)
	}
	return r, attrs(a), nil
}

// Stat implements blob.Bucket.
func (c *Bucket) Stat(ctx context.Context, key string) (blob.Attrs, error) {
	a, err := c.b.Attributes(ctx, key)
	if err != nil {
		return blob.Attrs{}, mapErr(err)
	}
	return attrs(a), nil
}

// Delete implements blob.Bucket.
func (c *Bucket) Delete(ctx context.Context, key string) error {
	return mapErr(c.b.Delete(ctx, key))
}
