package upload_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/upload"
	"github.com/msgkit/msgkit/conversation/blob"
)

func TestUploadResolveOpen(t *testing.T) {
	t.Parallel()
	store, err := blob.New(blob.NewMemory(nil))
	require.NoError(t, err)
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	srv, err := blob.NewServer(store, "https://crm.example.com/media", [][]byte{bytes.Repeat([]byte("k"), 32)}, &blob.ServerOptions{Now: func() time.Time { return now }})
	require.NoError(t, err)
	src, err := upload.New(store, &upload.Options{Server: srv, URLTTL: time.Hour})
	require.NoError(t, err)

	f, err := src.Upload(t.Context(), strings.NewReader("%PDF-1.4 offer"), 1<<20, "offer.pdf", "application/octet-stream")
	require.NoError(t, err)
	require.Equal(t, "offer.pdf", f.Name)
	require.Equal(t, "application/pdf", f.ContentType, "sniffed")
	require.Regexp(t, `^[0-9a-f]{32}$`, f.ID)

	reg := attach.NewRegistry()
	require.NoError(t, reg.Register("uploads", src))
	got, err := reg.Resolve(t.Context(), attach.Ref{Source: "uploads", ID: f.ID})
	require.NoError(t, err)
	require.Equal(t, f, got)

	rc, _, err := reg.Open(t.Context(), attach.Ref{Source: "uploads", ID: f.ID}, 100)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.Equal(t, "%PDF-1.4 offer", string(b))

	_, _, err = reg.Open(t.Context(), attach.Ref{Source: "uploads", ID: f.ID}, 5)
	require.ErrorIs(t, err, attach.ErrTooLarge)

	l, err := reg.URL(t.Context(), attach.Ref{Source: "uploads", ID: f.ID})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(l.URL, "https://crm.example.com/media/uploads/"+f.ID+"?exp="))
	require.Equal(t, now.Add(time.Hour), l.Expires.UTC())

	_, err = src.Upload(t.Context(), strings.NewReader(strings.Repeat("x", 11)), 10, "big.bin", "")
	require.ErrorIs(t, err, attach.ErrTooLarge)
}

func TestOnlyUploadsResolve(t *testing.T) {
	t.Parallel()
	store, _ := blob.New(blob.NewMemory(nil))
	_, err := store.Put(t.Context(), strings.NewReader("customer photo"), 100, &blob.PutOptions{Key: "inbound/line/msg-1"})
	require.NoError(t, err)
	src, err := upload.New(store, nil)
	require.NoError(t, err)
	for _, id := range []string{"", "../inbound/line/msg-1", "inbound/line/msg-1", "missing"} {
		_, err := src.Resolve(t.Context(), id)
		require.ErrorIs(t, err, attach.ErrNotFound, id)
	}
	_, err = src.URL(t.Context(), "x")
	require.ErrorIs(t, err, errors.ErrUnsupported)
	_, err = upload.New(store, &upload.Options{Prefix: "no-slash"})
	require.Error(t, err)
}

// An agent's upload is registered as a source next to the cloud drives; a reply then names it.
func ExampleNew() {
	store, _ := blob.New(blob.NewMemory(nil))
	uploads, err := upload.New(store, nil)
	if err != nil {
		panic(err)
	}
	reg := attach.NewRegistry()
	_ = reg.Register("uploads", uploads)

	f, _ := uploads.Upload(context.Background(), strings.NewReader("%PDF-1.7 price list"), 25<<20, "prices.pdf", "")
	got, err := reg.Resolve(context.Background(), attach.Ref{Source: "uploads", ID: f.ID})
	fmt.Println(got.Name, got.ContentType, got.Size, err)
	// Output: prices.pdf application/pdf 19 <nil>
}
