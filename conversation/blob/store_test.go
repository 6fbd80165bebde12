package blob_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/conversation/blob"
)

func newStore(t *testing.T) *blob.Store {
	t.Helper()
	s, err := blob.New(blob.NewMemory(nil))
	require.NoError(t, err)
	return s
}

func TestPutRoundTrip(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	data := append(encoded(t)["png"], bytes.Repeat([]byte{7}, 10000)...)
	obj, err := s.Put(t.Context(), iotest.HalfReader(bytes.NewReader(data)), 1<<20, &blob.PutOptions{Prefix: "uploads/", Name: `C:\Users\jane\photo.png`})
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	require.Equal(t, hex.EncodeToString(sum[:]), obj.SHA256)
	require.Equal(t, int64(len(data)), obj.Size)
	require.Equal(t, "image/png", obj.ContentType)
	require.Equal(t, "photo.png", obj.Name)
	require.Regexp(t, `^uploads/[0-9a-f]{32}$`, obj.Key)

	rc, got, err := s.Open(t.Context(), obj.Key)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, data, b)
	require.Equal(t, obj.ContentType, got.ContentType)
	require.Equal(t, obj.Size, got.Size)

	st, err := s.Stat(t.Context(), obj.Key)
	require.NoError(t, err)
	require.Equal(t, "photo.png", st.Name)

	other, err := s.Put(t.Context(), bytes.NewReader(data), 1<<20, nil)
	require.NoError(t, err)
	require.NotEqual(t, obj.Key, other.Key, "keys are random, not content-addressed")
	require.Equal(t, obj.SHA256, other.SHA256)

	require.NoError(t, s.Delete(t.Context(), obj.Key))
	_, err = s.Stat(t.Context(), obj.Key)
	require.ErrorIs(t, err, blob.ErrNotFound)
	_, err = s.Stat(t.Context(), other.Key)
	require.NoError(t, err, "deleting one copy leaves the other")
}

func TestPutWithAKeyIsIdempotent(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	for range 2 { // a retried job writes the same key: one object, no orphan
		obj, err := s.Put(t.Context(), strings.NewReader("hello"), 100, &blob.PutOptions{Key: "inbound/line/msg-42"})
		require.NoError(t, err)
		require.Equal(t, "inbound/line/msg-42", obj.Key)
	}
	_, err := s.Put(t.Context(), strings.NewReader("x"), 100, &blob.PutOptions{Key: "../etc/passwd"})
	require.ErrorIs(t, err, blob.ErrInvalidKey)
	_, err = s.Put(t.Context(), strings.NewReader("x"), 100, &blob.PutOptions{Prefix: "no-slash"})
	require.ErrorIs(t, err, blob.ErrInvalidKey)
}

func TestPutLimit(t *testing.T) {
	t.Parallel()
	for _, size := range []int{5, blob.SniffLen - 1, blob.SniffLen, blob.SniffLen + 1, 3 * blob.SniffLen} {
		s := newStore(t)
		data := bytes.Repeat([]byte("x"), size)
		_, err := s.Put(t.Context(), bytes.NewReader(data), int64(size), &blob.PutOptions{Key: "k"})
		require.NoError(t, err, "exactly the limit is fine (%d)", size)

		_, err = s.Put(t.Context(), bytes.NewReader(append(data, 'y')), int64(size), &blob.PutOptions{Key: "over"})
		require.ErrorIs(t, err, blob.ErrTooLarge, size)
		_, err = s.Stat(t.Context(), "over")
		require.ErrorIs(t, err, blob.ErrNotFound, "nothing is stored over the limit (%d)", size)
	}
	_, err := newStore(t).Put(t.Context(), strings.NewReader("x"), 0, nil)
	require.Error(t, err)
}

func TestPutFailingReader(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	boom := errors.New("connection reset")
	_, err := s.Put(t.Context(), io.MultiReader(strings.NewReader(strings.Repeat("x", 10000)), iotest.ErrReader(boom)), 1<<20, &blob.PutOptions{Key: "k"})
	require.ErrorIs(t, err, boom)
	_, err = s.Stat(t.Context(), "k")
	require.ErrorIs(t, err, blob.ErrNotFound)
}

func TestInvalidKeysAreNotFound(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	for _, k := range []string{"", "/abs", "a//b", "../x", "a/./b", ".hidden", "a b", "ключ", strings.Repeat("a", 513)} {
		require.False(t, blob.ValidKey(k), k)
		_, err := s.Stat(t.Context(), k)
		require.ErrorIs(t, err, blob.ErrNotFound, k)
		_, _, err = s.Open(t.Context(), k)
		require.ErrorIs(t, err, blob.ErrNotFound, k)
		require.ErrorIs(t, s.Delete(t.Context(), k), blob.ErrNotFound, k)
	}
	for _, k := range []string{"a", "uploads/0f3a", "inbound/line/U1234/msg-1.jpg", strings.Repeat("a", 512)} {
		require.True(t, blob.ValidKey(k), k)
	}
}
