package cdkblob_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/conversation/blob/blobtest"
	"github.com/msgkit/msgkit/conversation/blob/cdkblob"
)

func TestMemblobConforms(t *testing.T) {
	t.Parallel()
	blobtest.RunBucket(t, func(t *testing.T) blob.Bucket {
		gb := memblob.OpenBucket(nil)
		t.Cleanup(func() { _ = gb.Close() })
		b, err := cdkblob.New(gb)
		require.NoError(t, err)
		return b
	})
}

func TestFileblobConforms(t *testing.T) {
	t.Parallel()
	blobtest.RunBucket(t, func(t *testing.T) blob.Bucket {
		gb, err := fileblob.OpenBucket(t.TempDir(), &fileblob.Options{NoTempDir: true})
		require.NoError(t, err)
		t.Cleanup(func() { _ = gb.Close() })
		b, err := cdkblob.New(gb)
		require.NoError(t, err)
		return b
	})
}
