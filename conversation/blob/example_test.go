package blob_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/msgkit/msgkit/conversation/blob"
)

func pngBytes() []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2)))
	return b.Bytes()
}

// A Store types content by its bytes, not by its name, and checksums it.
func ExampleNew() {
	store, err := blob.New(blob.NewMemory(nil))
	if err != nil {
		panic(err)
	}
	obj, err := store.Put(context.Background(), strings.NewReader("name,phone\nJane,555\n"), 10<<20,
		&blob.PutOptions{Prefix: "uploads/", Name: "leads.jpg", ContentType: "image/jpeg"})
	fmt.Println(obj.ContentType, obj.Size, obj.SHA256[:16], err)

	_, err = store.Put(context.Background(), strings.NewReader(strings.Repeat("x", 2000)), 1000, nil)
	fmt.Println(err)
	// Output:
	// text/plain; charset=utf-8 20 c20b81aac66c5d84 <nil>
	// blob: content too large: more than 1000 bytes
}

// Dir keeps objects in a local directory: the embedded default.
func ExampleNewDir() {
	dir, _ := os.MkdirTemp("", "msgkit-blobs")
	defer os.RemoveAll(dir)
	bucket, err := blob.NewDir(dir)
	if err != nil {
		panic(err)
	}
	defer bucket.Close()
	store, _ := blob.New(bucket)
	obj, _ := store.Put(context.Background(), bytes.NewReader(pngBytes()), 1<<20, &blob.PutOptions{Key: "inbound/line/msg-1"})
	got, err := store.Stat(context.Background(), obj.Key)
	fmt.Println(got.Key, got.ContentType, got.Size == obj.Size, err)
	// Output: inbound/line/msg-1 image/png true <nil>
}

// NewMemory is a real Bucket in memory, for tests.
func ExampleNewMemory() {
	b := blob.NewMemory(nil)
	_ = b.Write(context.Background(), "k", strings.NewReader("hi"), blob.Attrs{ContentType: "text/plain"})
	a, err := b.Stat(context.Background(), "k")
	fmt.Println(a.ContentType, a.Size, err)
	// Output: text/plain 2 <nil>
}

// A Server serves objects under signed URLs that expire; mount it at its base URL's path.
func ExampleNewServer() {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	store, _ := blob.New(blob.NewMemory(nil))
	obj, _ := store.Put(context.Background(), bytes.NewReader(pngBytes()), 1<<20, &blob.PutOptions{Key: "uploads/logo"})

	signingKey := bytes.Repeat([]byte{0x5a}, 32) // a host keeps a random 32-byte secret, sealed
	srv, err := blob.NewServer(store, "https://crm.example.com/media", [][]byte{signingKey},
		&blob.ServerOptions{Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/media/", srv)

	u := srv.SignedURL(obj.Key, 15*time.Minute)
	fmt.Println(u)

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, u, nil))
	b, _ := io.ReadAll(w.Body)
	fmt.Println(w.Code, w.Header().Get("Content-Type"), len(b) == int(obj.Size))

	now = now.Add(time.Hour)
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, u, nil))
	fmt.Print(w.Code, " ", w.Body.String())
	// Output:
	// https://crm.example.com/media/uploads/logo?exp=1795598100&sig=4OGlytcvLRIRXLDfwydz7QLyNFPdsrPnbzf8WN4zAmU
	// 200 image/png true
	// 410 signed URL expired
}
