package gdrive_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/gdrive"
)

const token = "ya29.test-token"

// fake serves Drive v3's files.get (metadata, and content with alt=media), files.export and a content
// host that alt=media may redirect to, with errors as {"error": {"code", "message", "errors":
// [{"domain", "reason", "message"}]}} (testdata/README.md).
type fake struct {
	srv      *httptest.Server
	mu       sync.Mutex
	requests []string // method, path and query of each API request
	authOnDL []string
	fail     func(w http.ResponseWriter, r *http.Request) bool
	lie      int64
}

type dfile struct{ name, mime, content string }

var driveFiles = map[string]dfile{
	"1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms": {"Q3 proposal", gdrive.TypeDocument, "%PDF-1.4 exported doc"},
	"0B7-redirected-binary":                        {"scan.png", "image/png", "\x89PNG\r\n\x1a\nscan"},
	"1aBcDeF-binary":                               {"menu.jpg", "image/jpeg", "\xff\xd8\xff\xdb jpeg"},
	"1Folder":                                      {"Customers", "application/vnd.google-apps.folder", ""},
	"1Form":                                        {"Survey", "application/vnd.google-apps.form", ""},
}

func driveError(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": status, "message": "File not found: Jane Doe's passport.",
		"errors": []map[string]any{{"domain": "global", "reason": reason, "message": "File not found: Jane Doe's passport.", "locationType": "parameter", "location": "fileId"}}}})
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
	if id, ok := strings.CutPrefix(r.URL.Path, "/download/"); ok { // content host
		f.authOnDL = append(f.authOnDL, r.Header.Get("Authorization"))
		_, _ = io.WriteString(w, driveFiles[id].content)
		return
	}
	f.requests = append(f.requests, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	if f.fail != nil && f.fail(w, r) {
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		driveError(w, http.StatusUnauthorized, "authError")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/drive/v3/files/")
	if !ok || r.Method != http.MethodGet {
		driveError(w, http.StatusNotFound, "notFound")
		return
	}
	id, export := strings.CutSuffix(rest, "/export")
	file, ok := driveFiles[id]
	if !ok {
		driveError(w, http.StatusNotFound, "notFound")
		return
	}
	q := r.URL.Query()
	switch {
	case export:
		if q.Get("mimeType") != "application/pdf" {
			driveError(w, http.StatusBadRequest, "badRequest")
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = io.WriteString(w, file.content)
	case q.Get("alt") == "media":
		if strings.HasPrefix(file.mime, "application/vnd.google-apps.") {
			driveError(w, http.StatusForbidden, "fileNotDownloadable")
			return
		}
		if strings.Contains(id, "redirected") {
			http.Redirect(w, r, f.srv.URL+"/download/"+id, http.StatusFound)
			return
		}
		if f.lie != 0 {
			w.(http.Flusher).Flush()
		}
		_, _ = io.WriteString(w, file.content)
	default:
		if q.Get("fields") != "id,name,mimeType,size" {
			driveError(w, http.StatusBadRequest, "invalidParameter")
			return
		}
		m := map[string]any{"id": id, "name": file.name, "mimeType": file.mime}
		if !strings.HasPrefix(file.mime, "application/vnd.google-apps.") {
			size := int64(len(file.content))
			if f.lie != 0 {
				size = f.lie
			}
			m["size"] = strconv.FormatInt(size, 10) // int64 fields are JSON strings in Google APIs
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_ = json.NewEncoder(w).Encode(m)
	}
}

func (f *fake) source(t *testing.T, tok attach.TokenSource) *gdrive.Source {
	s, err := gdrive.New(tok, &gdrive.Options{APIURL: f.srv.URL, HTTPClient: f.srv.Client(), Now: func() time.Time { return time.Unix(1e9, 0) }})
	require.NoError(t, err)
	return s
}

func TestResolve(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := f.source(t, attach.StaticToken(token))
	got, err := s.Resolve(t.Context(), "1aBcDeF-binary")
	require.NoError(t, err)
	require.Equal(t, attach.File{ID: "1aBcDeF-binary", Name: "menu.jpg", ContentType: "image/jpeg", Size: 9}, got)

	got, err = s.Resolve(t.Context(), "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms")
	require.NoError(t, err)
	require.Equal(t, attach.File{ID: "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms", Name: "Q3 proposal.pdf", ContentType: "application/pdf", Size: -1}, got)

	for _, id := range []string{"1Folder", "1Form", "a/b"} {
		_, err = s.Resolve(t.Context(), id)
		require.ErrorIs(t, err, attach.ErrNotFound, id)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := f.source(t, attach.StaticToken(token))
	for id, want := range map[string]string{
		"1aBcDeF-binary": "\xff\xd8\xff\xdb jpeg",
		"1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms": "%PDF-1.4 exported doc",
		"0B7-redirected-binary":                        "\x89PNG\r\n\x1a\nscan",
	} {
		rc, _, err := s.Open(t.Context(), id, 1<<20)
		require.NoError(t, err, id)
		b, err := io.ReadAll(rc)
		require.NoError(t, err, id)
		require.NoError(t, rc.Close())
		require.Equal(t, want, string(b), id)
	}
	require.Contains(t, f.requests, "GET /drive/v3/files/1aBcDeF-binary?alt=media&supportsAllDrives=true")
	require.Contains(t, f.requests, "GET /drive/v3/files/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/export?mimeType=application%2Fpdf")
	require.Equal(t, []string{""}, f.authOnDL, "a redirect is followed without the token")
}

func TestErrors(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	_, err := f.source(t, attach.StaticToken("expired")).Resolve(t.Context(), "1aBcDeF-binary")
	require.ErrorIs(t, err, attach.ErrForbidden)

	s := f.source(t, attach.StaticToken(token))
	_, err = s.Resolve(t.Context(), "1missing")
	require.ErrorIs(t, err, attach.ErrNotFound)
	var e *attach.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "notFound", e.Code)
	require.NotContains(t, err.Error(), "Jane Doe")

	for reason, kind := range map[string]error{
		"insufficientFilePermissions": attach.ErrForbidden,
		"userRateLimitExceeded":       attach.ErrUnavailable,
		"exportSizeLimitExceeded":     attach.ErrTooLarge,
	} {
		g := newFake(t)
		g.fail = func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Query().Get("fields") != "" {
				return false // metadata succeeds; the download fails
			}
			driveError(w, http.StatusForbidden, reason)
			return true
		}
		_, _, err := g.source(t, attach.StaticToken(token)).Open(t.Context(), "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms", 1<<20)
		require.ErrorIs(t, err, kind, reason)
	}
}

func TestTooLarge(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := f.source(t, attach.StaticToken(token))
	_, _, err := s.Open(t.Context(), "1aBcDeF-binary", 8)
	require.ErrorIs(t, err, attach.ErrTooLarge)
	require.Len(t, f.requests, 1, "refused from the metadata, before any download")

	f.lie = 2
	rc, _, err := s.Open(t.Context(), "1aBcDeF-binary", 8)
	require.NoError(t, err)
	defer rc.Close()
	_, err = io.ReadAll(rc)
	require.ErrorIs(t, err, attach.ErrTooLarge)

	// An export's size is unknown until read: enforced while reading.
	rc, _, err = s.Open(t.Context(), "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms", 8)
	if err == nil {
		_, err = io.ReadAll(rc)
		rc.Close()
	}
	require.ErrorIs(t, err, attach.ErrTooLarge)
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.fail = func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Retry-After", "7")
		driveError(w, http.StatusTooManyRequests, "rateLimitExceeded")
		return true
	}
	_, err := f.source(t, attach.StaticToken(token)).Resolve(t.Context(), "1aBcDeF-binary")
	require.ErrorIs(t, err, attach.ErrUnavailable)
	d, _ := attach.RetryAfter(err)
	require.Equal(t, 7*time.Second, d)
}
