package blob_test

import (
	"bytes"
	"net/url"
	"testing"
	"time"

	"github.com/msgkit/msgkit/conversation/blob"
)

// FuzzVerify: no path and query make Verify panic, and whatever it accepts is a valid key that the
// server itself would have signed (the fuzzer cannot forge a signature).
func FuzzVerify(f *testing.F) {
	s, _ := blob.New(blob.NewMemory(nil))
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	srv, err := blob.NewServer(s, "https://crm.example.com/media", [][]byte{bytes.Repeat([]byte("k"), 32)}, &blob.ServerOptions{Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	good, _ := url.Parse(srv.SignedURL("inbound/0f3a9c", time.Hour))
	f.Add(good.EscapedPath(), good.RawQuery)
	f.Add("/media/a", "exp=1&sig=AAAA")
	f.Add("/media/../x", "exp=99999999999&sig=")
	f.Add("/media/a%2Fb", "exp=1795600800&exp=1&sig=x")
	f.Add("/media/", "")
	f.Fuzz(func(t *testing.T, path, query string) {
		u, err := url.Parse("https://crm.example.com" + path + "?" + query)
		if err != nil {
			return
		}
		key, err := srv.Verify(u)
		if err != nil {
			return
		}
		if !blob.ValidKey(key) {
			t.Fatalf("accepted an invalid key %q", key)
		}
		if u.Query().Get("sig") != good.Query().Get("sig") || key != "inbound/0f3a9c" {
			t.Fatalf("accepted a URL the server did not sign: %s", u)
		}
	})
}
