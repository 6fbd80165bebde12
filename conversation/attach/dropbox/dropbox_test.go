package dropbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/dropbox"
)

const token = "sl.test-token"

type file struct{ id, path, name, content string }

// fake serves the Dropbox API v2 endpoints the Source uses, in their documented shapes
// (testdata/README.md): RPC POSTs with JSON args on the API host, files/download on the content host
// with a Dropbox-API-Arg header, errors as {"error_summary", "error"}.
type fake struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	files []file
	fail  func(w http.ResponseWriter, r *http.Request) bool // answers instead, when it returns true
	args  []string                                          // Dropbox-API-Arg headers seen
	lie   int64                                             // when set, the size metadata states
}

func newFake(t *testing.T) *fake {
	f := &fake{t: t, files: []file{
		{id: "id:a4ayc_80_OEAAAAAAAAAXw", path: "/quotes/q1.pdf", name: "q1.pdf", content: "%PDF-1.4 quote"},
		{id: "id:b5bzd_91_PFBBBBBBBBBYx", path: "/photos/café.jpg", name: "café.jpg", content: "\xff\xd8\xff\xe0 jpeg"},
	}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) lookup(p string) (file, bool) {
	for _, x := range f.files {
		if x.id == p || strings.EqualFold(x.path, p) {
			return x, true
		}
	}
	return file{}, false
}

func apiError(w http.ResponseWriter, status int, summary string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Dropbox-Request-Id", "req-123")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"error_summary": "`+summary+`", "error": {".tag": "path", "path": {".tag": "not_found"}}, "user_message": {"text": "secret path /x", "locale": "en"}}`)
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil && f.fail(w, r) {
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		apiError(w, http.StatusUnauthorized, "invalid_access_token/...")
		return
	}
	var arg struct{ Path string }
	switch r.URL.Path {
	case "/2/files/get_metadata", "/2/files/get_temporary_link":
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&arg) != nil {
			http.Error(w, "Error in call: bad JSON", http.StatusBadRequest)
			return
		}
	case "/2/files/download":
		h := r.Header.Get("Dropbox-API-Arg")
		f.args = append(f.args, h)
		if json.Unmarshal([]byte(h), &arg) != nil {
			http.Error(w, "bad arg", http.StatusBadRequest)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	if arg.Path == "/photos" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{".tag": "folder", "name": "photos", "id": "id:folder1", "path_lower": "/photos"}`)
		return
	}
	x, ok := f.lookup(arg.Path)
	if !ok {
		apiError(w, http.StatusConflict, "path/not_found/..")
		return
	}
	size := int64(len(x.content))
	if f.lie != 0 {
		size = f.lie
	}
	meta := map[string]any{".tag": "file", "name": x.name, "id": x.id, "path_lower": strings.ToLower(x.path),
		"path_display": x.path, "size": size, "rev": "a1c10ce0dd78", "is_downloadable": true,
		"client_modified": "2026-01-05T10:00:00Z", "server_modified": "2026-01-05T10:00:01Z"}
	switch r.URL.Path {
	case "/2/files/get_metadata":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(meta)
	case "/2/files/get_temporary_link":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"metadata": meta, "link": f.srv.URL + "/cd/0/get/TEMPLINK/file"})
	case "/2/files/download":
		res, _ := json.Marshal(meta)
		w.Header().Set("Dropbox-API-Result", string(res))
		w.Header().Set("Content-Type", "application/octet-stream")
		if f.lie != 0 {
			w.(http.Flusher).Flush() // chunked: no Content-Length to refuse early
		}
		_, _ = io.WriteString(w, x.content)
	}
}

func (f *fake) source(t *testing.T, tok attach.TokenSource, now func() time.Time) *dropbox.Source {
	s, err := dropbox.New(tok, &dropbox.Options{APIURL: f.srv.URL, ContentURL: f.srv.URL, HTTPClient: f.srv.Client(), Now: now})
	require.NoError(t, err)
	return s
}

func TestResolve(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := f.source(t, attach.StaticToken(token), nil)
	got, err := s.Resolve(t.Context(), "/Quotes/q1.pdf")
	require.NoError(t, err)
	require.Equal(t, attach.File{ID: "id:a4ayc_80_OEAAAAAAAAAXw", Name: "q1.pdf", ContentType: "application/pdf", Size: 14}, got)

	_, err = s.Resolve(t.Context(), "/photos")
	require.ErrorIs(t, err, attach.ErrNotFound, "a folder is not a file")
}

func TestOpen(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := f.source(t, attach.StaticToken(token), nil)
	rc, got, err := s.Open(t.Context(), "/photos/café.jpg", 1<<20)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.Equal(t, "\xff\xd8\xff\xe0 jpeg", string(b))
	require.Equal(t, "café.jpg", got.Name)
	require.Equal(t, "image/jpeg", got.ContentType)
	// The download names the resolved ID, in an ASCII-only header.
	require.Equal(t, []string{`{"path":"id:b5bzd_91_PFBBBBBBBBBYx"}`}, f.args)
}

func TestTemporaryLink(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	s := f.source(t, attach.StaticToken(token), func() time.Time { return now })
	l, err := s.URL(t.Context(), "id:a4ayc_80_OEAAAAAAAAAXw")
	require.NoError(t, err)
	require.Equal(t, f.srv.URL+"/cd/0/get/TEMPLINK/file", l.URL)
	require.Equal(t, now.Add(4*time.Hour), l.Expires)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := f.source(t, attach.StaticToken(token), nil)

	t.Run("401", func(t *testing.T) {
		bad := f.source(t, attach.StaticToken("revoked"), nil)
		_, err := bad.Resolve(t.Context(), "/quotes/q1.pdf")
		require.ErrorIs(t, err, attach.ErrForbidden)
		var e *attach.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, 401, e.Status)
		require.Equal(t, "invalid_access_token", e.Code)
		require.Equal(t, "req-123", e.RequestID)
		require.NotContains(t, err.Error(), "revoked")
	})
	t.Run("token source fails", func(t *testing.T) {
		bad := f.source(t, attach.TokenFunc(func(ctx context.Context) (string, error) { return "", errors.New("user disconnected") }), nil)
		_, err := bad.Resolve(t.Context(), "/quotes/q1.pdf")
		require.ErrorIs(t, err, attach.ErrForbidden)
	})
	t.Run("404", func(t *testing.T) {
		_, err := s.Resolve(t.Context(), "/quotes/missing.pdf")
		require.ErrorIs(t, err, attach.ErrNotFound)
		var e *attach.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, "path/not_found", e.Code)
		require.NotContains(t, err.Error(), "missing.pdf")
		require.NotContains(t, err.Error(), "secret path")
		_, _, err = s.Open(t.Context(), "/quotes/missing.pdf", 100)
		require.ErrorIs(t, err, attach.ErrNotFound)
	})
	t.Run("restricted", func(t *testing.T) {
		g := newFake(t)
		g.fail = func(w http.ResponseWriter, r *http.Request) bool {
			apiError(w, http.StatusConflict, "path/restricted_content/.")
			return true
		}
		_, err := g.source(t, attach.StaticToken(token), nil).Resolve(t.Context(), "/quotes/q1.pdf")
		require.ErrorIs(t, err, attach.ErrForbidden)
	})
}

func TestTooLarge(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := f.source(t, attach.StaticToken(token), nil)
	_, _, err := s.Open(t.Context(), "/quotes/q1.pdf", 10)
	require.ErrorIs(t, err, attach.ErrTooLarge)
	var e *attach.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, int64(14), e.Size)
	require.Empty(t, f.args, "refused from the metadata, before any download")

	// Metadata that understates the size is caught while reading.
	f.lie = 5
	rc, _, err := s.Open(t.Context(), "/quotes/q1.pdf", 10)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.ErrorIs(t, err, attach.ErrTooLarge)
	require.Len(t, b, 10)
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.fail = func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Retry-After", "30")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error_summary": "too_many_requests/..", "error": {"reason": {".tag": "too_many_requests"}, "retry_after": 30}}`)
		return true
	}
	_, err := f.source(t, attach.StaticToken(token), nil).Resolve(t.Context(), "/quotes/q1.pdf")
	require.ErrorIs(t, err, attach.ErrUnavailable)
	require.True(t, attach.IsRetryable(err))
	d, ok := attach.RetryAfter(err)
	require.True(t, ok)
	require.Equal(t, 30*time.Second, d)

	g := newFake(t)
	g.fail = func(w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, "upstream", http.StatusServiceUnavailable)
		return true
	}
	_, err = g.source(t, attach.StaticToken(token), nil).Resolve(t.Context(), "/quotes/q1.pdf")
	require.ErrorIs(t, err, attach.ErrUnavailable)
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := dropbox.New(nil, nil)
	require.Error(t, err)
	_, err = dropbox.New(attach.StaticToken("x"), &dropbox.Options{APIURL: "api.example"})
	require.Error(t, err)
}
