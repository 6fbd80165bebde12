package box_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/box"
)

const token = "box-test-token"

// fake serves Box's GET /2.0/files/{id} and /2.0/files/{id}/content (302 to a download host that
// takes no token), with errors as {"type": "error", "status", "code", "message", "request_id"}
// (testdata/README.md).
type fake struct {
	srv       *httptest.Server
	mu        sync.Mutex
	downloads int
	authOnDL  []string // Authorization headers the download host saw
	fail      func(w http.ResponseWriter, r *http.Request) bool
	lie       int64
}

var files = map[string]struct{ name, content string }{
	"12345": {"Contract.pdf", "%PDF-1.7 contract"},
	"67890": {"photo.png", "\x89PNG\r\n\x1a\n...."},
}

func boxError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "error", "status": status, "code": code,
		"message": "The file /Customers/Jane Doe was not found", "request_id": "abcdef123456"})
}

func newFake(t *testing.T) *fake {
	f := &fake{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := strings.CutPrefix(r.URL.Path, "/d/1/RANDOM/"); ok { // the download host
		f.downloads++
		f.authOnDL = append(f.authOnDL, r.Header.Get("Authorization"))
		if f.lie != 0 {
			w.(http.Flusher).Flush()
		}
		_, _ = io.WriteString(w, files[id].content)
		return
	}
	if f.fail != nil && f.fail(w, r) {
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Service", error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/2.0/files/")
	if !ok || r.Method != http.MethodGet {
		boxError(w, http.StatusNotFound, "not_found")
		return
	}
	id, content := strings.CutSuffix(rest, "/content")
	if id == "555" { // a folder's ID used as a file's
		boxError(w, http.StatusNotFound, "not_found")
		return
	}
	if id == "777" {
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	file, ok := files[id]
	if !ok {
		boxError(w, http.StatusNotFound, "not_found")
		return
	}
	if content {
		http.Redirect(w, r, f.srv.URL+"/d/1/RANDOM/"+id, http.StatusFound)
		return
	}
	size := int64(len(file.content))
	if f.lie != 0 {
		size = f.lie
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "file", "id": id, "etag": "1", "name": file.name, "size": size,
		"sha1": "85136c79cbf9fe36bb9d05d0639c70c265c18d37", "file_version": map[string]any{"type": "file_version", "id": "123"}})
}

func (f *fake) source(t *testing.T, tok attach.TokenSource) *box.Source {
	s, err := box.New(tok, &box.Options{APIURL: f.srv.URL, HTTPClient: f.srv.Client(), Now: func() time.Time { return time.Unix(1e9, 0) }})
	require.NoError(t, err)
	return s
}

func TestResolve(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	got, err := f.source(t, attach.StaticToken(token)).Resolve(t.Context(), "12345")
	require.NoError(t, err)
	require.Equal(t, attach.File{ID: "12345", Name: "Contract.pdf", ContentType: "application/pdf", Size: 17}, got)
}

func TestOpenFollowsTheRedirectWithoutTheToken(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	rc, got, err := f.source(t, attach.StaticToken(token)).Open(t.Context(), "67890", 1<<20)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.Equal(t, files["67890"].content, string(b))
	require.Equal(t, "image/png", got.ContentType)
	require.Equal(t, []string{""}, f.authOnDL, "the download host never sees the token")
}

func TestURL(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	l, err := f.source(t, attach.StaticToken(token)).URL(t.Context(), "12345")
	require.NoError(t, err)
	require.Equal(t, f.srv.URL+"/d/1/RANDOM/12345", l.URL)
	require.True(t, l.Expires.IsZero())
}

func TestErrors(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := f.source(t, attach.StaticToken(token))
	for name, tc := range map[string]struct {
		src  *box.Source
		id   string
		kind error
		code string
	}{
		"401":       {f.source(t, attach.StaticToken("expired")), "12345", attach.ErrForbidden, ""},
		"404":       {s, "99999", attach.ErrNotFound, "not_found"},
		"folder":    {s, "555", attach.ErrNotFound, "not_found"},
		"malformed": {s, "../users/me", attach.ErrNotFound, "malformed id"},
	} {
		_, err := tc.src.Resolve(t.Context(), tc.id)
		require.ErrorIs(t, err, tc.kind, name)
		var e *attach.Error
		require.ErrorAs(t, err, &e, name)
		require.Equal(t, tc.code, e.Code, name)
		require.NotContains(t, err.Error(), "Jane Doe", name)
		require.NotContains(t, err.Error(), "expired", name)
	}

	g := newFake(t)
	g.fail = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Query().Get("fields") != "" {
			return false
		}
		boxError(w, http.StatusForbidden, "access_denied_insufficient_permissions")
		return true
	}
	_, _, err := g.source(t, attach.StaticToken(token)).Open(t.Context(), "12345", 100)
	require.ErrorIs(t, err, attach.ErrForbidden)
}

func TestNotReady(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	_, err := f.source(t, attach.StaticToken(token)).URL(t.Context(), "777")
	require.ErrorIs(t, err, attach.ErrUnavailable)
	d, _ := attach.RetryAfter(err)
	require.Equal(t, 5*time.Second, d)
}

func TestTooLarge(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := f.source(t, attach.StaticToken(token))
	_, _, err := s.Open(t.Context(), "12345", 16)
	require.ErrorIs(t, err, attach.ErrTooLarge)
	require.Zero(t, f.downloads, "refused from the metadata")

	f.lie = 3
	rc, _, err := s.Open(t.Context(), "12345", 16)
	require.NoError(t, err)
	defer rc.Close()
	_, err = io.ReadAll(rc)
	require.ErrorIs(t, err, attach.ErrTooLarge)
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.fail = func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Retry-After", "Thu, 09 Sep 2001 01:47:00 GMT") // 20 s after the fake clock
		boxError(w, http.StatusTooManyRequests, "rate_limit_exceeded")
		return true
	}
	_, err := f.source(t, attach.StaticToken(token)).Resolve(t.Context(), "12345")
	require.ErrorIs(t, err, attach.ErrUnavailable)
	d, ok := attach.RetryAfter(err)
	require.True(t, ok)
	require.Equal(t, 20*time.Second, d)
}
