package onedrive_test

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
	"github.com/msgkit/msgkit/conversation/attach/onedrive"
)

const token = "eyJ0eXAiOi-graph-test"

// fake serves Graph's driveItem GET (by ID and by root-relative path), /content (302 to the
// pre-authenticated download URL) and that URL's host, with errors as {"error": {"code", "message",
// "innerError": {"request-id"}}} (testdata/README.md).
type fake struct {
	srv      *httptest.Server
	mu       sync.Mutex
	authOnDL []string
	fail     func(w http.ResponseWriter, r *http.Request) bool
	lie      int64
}

type item struct {
	id, path, name, mime, content string
	noDownloadURL                 bool
}

var items = []item{
	{id: "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K", path: "/Quotes/q1.pdf", name: "q1.pdf", mime: "application/pdf", content: "%PDF-1.5 quote"},
	{id: "D4648F06C91D9D3D!54927", path: "/Photos/cat.jpg", name: "cat.jpg", mime: "image/jpeg", content: "\xff\xd8\xff jpeg", noDownloadURL: true},
}

func graphError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("request-id", "hdr-req-id")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"error": {"code": "`+code+`", "message": "Item /Customers/Jane Doe does not exist", "innerError": {"date": "2026-11-25T09:00:00", "request-id": "8c1f6f4e-1d2b-4b0e-9d0e-1234567890ab", "client-request-id": "8c1f6f4e"}}}`)
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
	if id, ok := strings.CutPrefix(r.URL.Path, "/dl/"); ok { // pre-authenticated download host
		f.authOnDL = append(f.authOnDL, r.Header.Get("Authorization"))
		for _, it := range items {
			if it.id == id {
				if f.lie != 0 {
					w.(http.Flusher).Flush()
				}
				_, _ = io.WriteString(w, it.content)
				return
			}
		}
		http.NotFound(w, r)
		return
	}
	if f.fail != nil && f.fail(w, r) {
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1.0/me/drive/")
	if !ok {
		graphError(w, http.StatusBadRequest, "invalidRequest")
		return
	}
	var it *item
	content := false
	switch {
	case strings.HasPrefix(rest, "root:/") && strings.HasSuffix(rest, ":"):
		p := strings.TrimSuffix(strings.TrimPrefix(rest, "root:"), ":")
		if p == "/Photos" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id": "FOLDER1", "name": "Photos", "size": 100, "folder": {"childCount": 1}}`)
			return
		}
		for i := range items {
			if items[i].path == p {
				it = &items[i]
			}
		}
	case strings.HasPrefix(rest, "items/"):
		id := strings.TrimPrefix(rest, "items/")
		id, content = strings.CutSuffix(id, "/content")
		for i := range items {
			if items[i].id == id {
				it = &items[i]
			}
		}
	}
	if it == nil {
		graphError(w, http.StatusNotFound, "itemNotFound")
		return
	}
	dl := f.srv.URL + "/dl/" + it.id
	if content {
		http.Redirect(w, r, dl, http.StatusFound)
		return
	}
	size := int64(len(it.content))
	if f.lie != 0 {
		size = f.lie
	}
	m := map[string]any{"id": it.id, "name": it.name, "size": size, "eTag": "aRjRE", "webUrl": "https://example-my.sharepoint.com/x",
		"file":            map[string]any{"mimeType": it.mime, "hashes": map[string]any{"quickXorHash": "AAAA"}},
		"parentReference": map[string]any{"driveId": "b!abc", "driveType": "business"}}
	if !it.noDownloadURL {
		m["@microsoft.graph.downloadUrl"] = dl
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(m)
}

func (f *fake) source(t *testing.T, tok attach.TokenSource) *onedrive.Source {
	s, err := onedrive.New(tok, &onedrive.Options{GraphURL: f.srv.URL + "/v1.0", HTTPClient: f.srv.Client(), Now: func() time.Time { return time.Unix(1e9, 0) }})
	require.NoError(t, err)
	return s
}

func TestResolve(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := f.source(t, attach.StaticToken(token))
	want := attach.File{ID: "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K", Name: "q1.pdf", ContentType: "application/pdf", Size: 14}
	got, err := s.Resolve(t.Context(), "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K")
	require.NoError(t, err)
	require.Equal(t, want, got)
	got, err = s.Resolve(t.Context(), "/Quotes/q1.pdf")
	require.NoError(t, err)
	require.Equal(t, want, got, "a path resolves to the item's ID")

	_, err = s.Resolve(t.Context(), "/Photos")
	require.ErrorIs(t, err, attach.ErrNotFound, "a folder is not a file")
	_, err = s.Resolve(t.Context(), "/Quotes/../secret")
	require.ErrorIs(t, err, attach.ErrNotFound)
}

func TestOpen(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K", "D4648F06C91D9D3D!54927"} {
		f := newFake(t)
		rc, file, err := f.source(t, attach.StaticToken(token)).Open(t.Context(), id, 1<<20)
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		require.Equal(t, file.Size, int64(len(b)))
		require.Equal(t, []string{""}, f.authOnDL, "the download URL is fetched without the token")
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := f.source(t, attach.StaticToken(token))
	l, err := s.URL(t.Context(), "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K")
	require.NoError(t, err)
	require.Equal(t, f.srv.URL+"/dl/01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K", l.URL)
	// Without downloadUrl in the item, the /content redirect gives it.
	l, err = s.URL(t.Context(), "D4648F06C91D9D3D!54927")
	require.NoError(t, err)
	require.Equal(t, f.srv.URL+"/dl/D4648F06C91D9D3D!54927", l.URL)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	_, err := f.source(t, attach.StaticToken("stale")).Resolve(t.Context(), "/Quotes/q1.pdf")
	require.ErrorIs(t, err, attach.ErrForbidden)
	var e *attach.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "InvalidAuthenticationToken", e.Code)
	require.Equal(t, "8c1f6f4e-1d2b-4b0e-9d0e-1234567890ab", e.RequestID)

	_, err = f.source(t, attach.StaticToken(token)).Resolve(t.Context(), "/Quotes/q2.pdf")
	require.ErrorIs(t, err, attach.ErrNotFound)
	require.ErrorAs(t, err, &e)
	require.Equal(t, "itemNotFound", e.Code)
	require.NotContains(t, err.Error(), "Jane Doe")
	require.NotContains(t, err.Error(), "q2.pdf")

	g := newFake(t)
	g.fail = func(w http.ResponseWriter, r *http.Request) bool {
		graphError(w, http.StatusForbidden, "accessDenied")
		return true
	}
	_, _, err = g.source(t, attach.StaticToken(token)).Open(t.Context(), "/Quotes/q1.pdf", 100)
	require.ErrorIs(t, err, attach.ErrForbidden)
}

func TestTooLarge(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := f.source(t, attach.StaticToken(token))
	_, _, err := s.Open(t.Context(), "/Quotes/q1.pdf", 13)
	require.ErrorIs(t, err, attach.ErrTooLarge)
	require.Empty(t, f.authOnDL, "refused from the metadata")

	f.lie = 1
	rc, _, err := s.Open(t.Context(), "/Quotes/q1.pdf", 13)
	require.NoError(t, err)
	defer rc.Close()
	_, err = io.ReadAll(rc)
	require.ErrorIs(t, err, attach.ErrTooLarge)
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.fail = func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Retry-After", "120")
		graphError(w, http.StatusTooManyRequests, "activityLimitReached")
		return true
	}
	_, err := f.source(t, attach.StaticToken(token)).Resolve(t.Context(), "/Quotes/q1.pdf")
	require.ErrorIs(t, err, attach.ErrUnavailable)
	d, _ := attach.RetryAfter(err)
	require.Equal(t, 2*time.Minute, d)
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := onedrive.New(attach.StaticToken("x"), &onedrive.Options{Drive: "items/123"})
	require.Error(t, err)
	_, err = onedrive.New(attach.StaticToken("x"), &onedrive.Options{Drive: "drives/b!abc"})
	require.NoError(t, err)
}
