package blob_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/conversation/blob/blobtest"
)

func TestMemoryConforms(t *testing.T) {
	t.Parallel()
	blobtest.RunBucket(t, func(t *testing.T) blob.Bucket { return blob.NewMemory(nil) })
}

func TestDirConforms(t *testing.T) {
	t.Parallel()
	blobtest.RunBucket(t, func(t *testing.T) blob.Bucket {
		d, err := blob.NewDir(t.TempDir())
		require.NoError(t, err)
		t.Cleanup(func() { _ = d.Close() })
		return d
	})
}
