package blob_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/conversation/blob"
)

var (
	key1 = bytes.Repeat([]byte("k"), 32)
	key2 = bytes.Repeat([]byte("n"), 32)
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type rig struct {
	store *blob.Store
	srv   *blob.Server
	clock *clock
	obj   blob.Object
	data  []byte
}

func newRig(t *testing.T, keys ...[]byte) *rig {
	t.Helper()
	if len(keys) == 0 {
		keys = [][]byte{key1}
	}
	c := &clock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	s, err := blob.New(blob.NewMemory(c.Now))
	require.NoError(t, err)
	srv, err := blob.NewServer(s, "https://crm.example.com/media", keys, &blob.ServerOptions{Now: c.Now})
	require.NoError(t, err)
	data := append(encoded(t)["jpeg"], bytes.Repeat([]byte{0}, 2000)...)
	obj, err := s.Put(t.Context(), bytes.NewReader(data), 1<<20, &blob.PutOptions{Prefix: "inbound/", Name: "写真.jpg"})
	require.NoError(t, err)
	return &rig{store: s, srv: srv, clock: c, obj: obj, data: data}
}

func (r *rig) get(t *testing.T, target string, header ...string) *http.Response {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.URL = u
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	r.srv.ServeHTTP(w, req)
	return w.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestSignedURLRoundTrip(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	u := r.srv.SignedURL(r.obj.Key, time.Hour)
	require.Regexp(t, `^https://crm\.example\.com/media/inbound/[0-9a-f]{32}\?exp=1795600800&sig=[A-Za-z0-9_-]{43}$`, u)

	resp := r.get(t, u)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, string(r.data), body(t, resp))
	require.Equal(t, "image/jpeg", resp.Header.Get("Content-Type"))
	require.Equal(t, strconv.Itoa(len(r.data)), resp.Header.Get("Content-Length"))
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	require.Equal(t, "bytes", resp.Header.Get("Accept-Ranges"))
	require.Equal(t, "inline; filename*=utf-8''%E5%86%99%E7%9C%9F.jpg", resp.Header.Get("Content-Disposition"))
	require.Equal(t, "private, max-age=3600", resp.Header.Get("Cache-Control"))
}

func TestRangeRequests(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	u := r.srv.SignedURL(r.obj.Key, time.Hour)
	resp := r.get(t, u, "Range", "bytes=2-9")
	require.Equal(t, http.StatusPartialContent, resp.StatusCode)
	require.Equal(t, string(r.data[2:10]), body(t, resp))
	require.Equal(t, "bytes 2-9/"+strconv.Itoa(len(r.data)), resp.Header.Get("Content-Range"))

	resp = r.get(t, u, "Range", "bytes=-4")
	require.Equal(t, string(r.data[len(r.data)-4:]), body(t, resp))

	resp = r.get(t, u, "Range", "bytes=999999-")
	require.Equal(t, http.StatusRequestedRangeNotSatisfiable, resp.StatusCode)
}

// Every byte of the path and query flipped (XOR 1, which never maps a character to an equivalent
// spelling) is refused as forged.
func TestForgery(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	u := r.srv.SignedURL(r.obj.Key, time.Hour)
	const origin = "https://crm.example.com"
	rest := strings.TrimPrefix(u, origin)
	served := 0
	for i := range len(rest) {
		b := []byte(rest)
		b[i] ^= 1
		target := origin + string(b)
		parsed, err := url.Parse(target)
		if err != nil {
			continue // not even a URL: no server would route it here
		}
		_, err = r.srv.Verify(parsed)
		require.ErrorIs(t, err, blob.ErrForged, "byte %d flipped: %s", i, target)
		resp := r.get(t, target)
		if !strings.HasPrefix(parsed.Path, "/media/") {
			continue // outside the server's mount: the mux would not route it here
		}
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "byte %d flipped: %s", i, target)
		require.Contains(t, body(t, resp), "forged")
		served++
	}
	require.Greater(t, served, len(rest)*9/10, "nearly every flip reached the handler")
	for _, bad := range []string{
		origin + "/media/" + r.obj.Key,         // no signature
		u + "&exp=1",                           // a second exp
		u + "&download=1",                      // an extra parameter
		strings.Replace(u, "exp=", "exp=0", 1), // same number, other spelling
		strings.Replace(u, "/media/inbound", "/media/%69nbound", 1), // escaped path
		strings.Replace(u, r.obj.Key, "inbound/other", 1),           // another key
		origin + "/media/?exp=1795600800&sig=x",                     // listing
	} {
		resp := r.get(t, bad)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, bad)
	}
	other := newRig(t, key2)
	resp := r.get(t, other.srv.SignedURL(r.obj.Key, time.Hour))
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "signed with another key")
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	u := r.srv.SignedURL(r.obj.Key, time.Minute)
	r.clock.Advance(59 * time.Second)
	require.Equal(t, http.StatusOK, r.get(t, u).StatusCode)
	r.clock.Advance(time.Second)
	resp := r.get(t, u)
	require.Equal(t, http.StatusGone, resp.StatusCode)
	require.Contains(t, body(t, resp), "expired")
	parsed, _ := url.Parse(u)
	_, err := r.srv.Verify(parsed)
	require.ErrorIs(t, err, blob.ErrExpired)
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	old := r.srv.SignedURL(r.obj.Key, time.Hour)
	rotated, err := blob.NewServer(r.store, "https://crm.example.com/media", [][]byte{key2, key1}, &blob.ServerOptions{Now: r.clock.Now})
	require.NoError(t, err)
	for _, u := range []string{old, rotated.SignedURL(r.obj.Key, time.Hour)} {
		parsed, _ := url.Parse(u)
		key, err := rotated.Verify(parsed)
		require.NoError(t, err, "old keys verify")
		require.Equal(t, r.obj.Key, key)
	}
	dropped, err := blob.NewServer(r.store, "https://crm.example.com/media", [][]byte{key2}, nil)
	require.NoError(t, err)
	parsed, _ := url.Parse(old)
	_, err = dropped.Verify(parsed)
	require.ErrorIs(t, err, blob.ErrForged, "a dropped key no longer verifies")
}

func TestServerRefusals(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	u := r.srv.SignedURL(r.obj.Key, time.Hour)

	req := httptest.NewRequest(http.MethodPost, u, nil)
	w := httptest.NewRecorder()
	r.srv.ServeHTTP(w, req)
	require.Equal(t, http.StatusMethodNotAllowed, w.Code)

	req = httptest.NewRequest(http.MethodHead, u, nil)
	w = httptest.NewRecorder()
	r.srv.ServeHTTP(w, req)
	require.Equal(t, http.StatusOK, w.Code)
	require.Empty(t, w.Body.String())

	require.NoError(t, r.store.Delete(t.Context(), r.obj.Key))
	require.Equal(t, http.StatusNotFound, r.get(t, u).StatusCode)

	html, err := r.store.Put(t.Context(), strings.NewReader("<html><script>alert(1)</script>"), 100, &blob.PutOptions{Name: "x.html"})
	require.NoError(t, err)
	resp := r.get(t, r.srv.SignedURL(html.Key, time.Hour))
	require.Equal(t, "attachment; filename=x.html", resp.Header.Get("Content-Disposition"))
	require.Equal(t, "sandbox", resp.Header.Get("Content-Security-Policy"))
}

func TestNewServer(t *testing.T) {
	t.Parallel()
	s, _ := blob.New(blob.NewMemory(nil))
	for _, tc := range []struct {
		base string
		keys [][]byte
	}{
		{"https://x.example/media", nil},
		{"https://x.example/media", [][]byte{[]byte("short")}},
		{"/media", [][]byte{key1}},
		{"https://x.example/media?a=1", [][]byte{key1}},
	} {
		_, err := blob.NewServer(s, tc.base, tc.keys, nil)
		require.Error(t, err, tc.base)
	}
}

// End to end over a real HTTP server, mounted under a mux at the base URL's path.
func TestServerOverHTTP(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	defer ts.Close()
	srv, err := blob.NewServer(r.store, ts.URL+"/media", [][]byte{key1}, &blob.ServerOptions{Now: r.clock.Now})
	require.NoError(t, err)
	mux.Handle("/media/", srv)
	resp, err := ts.Client().Get(srv.SignedURL(r.obj.Key, time.Hour))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, string(r.data), body(t, resp))
}
