// Package dropbox is an attach.Source for files in a Dropbox account, through Dropbox's HTTP API v2
// (RPC-style POSTs with JSON arguments).
//
// A reference is what Dropbox's API takes as a path: a path from the account's root ("/Quotes/q1.pdf"),
// a file ID ("id:a4ayc_80_OEAAAAAAAAAYa") or a revision ("rev:a1c10ce0dd78"). Resolve calls
// files/get_metadata and returns the file's ID ("id:…"), which survives renames; a folder is
// ErrNotFound. Open resolves first (a size over the limit is refused before any download), then
// downloads the resolved ID with files/download on the content host. URL calls
// files/get_temporary_link: a link that works without credentials for four hours (Dropbox's
// documented lifetime; Link.Expires says so).
//
// Dropbox states no content type: File.ContentType is guessed from the name's extension.
//
// # Errors
//
// 401 (invalid, expired or revoked token) and 403 are attach.ErrForbidden; 409 answers are read by
// their error summary: "…/not_found", "…/not_file", "…/malformed_path" are attach.ErrNotFound,
// "…/restricted_content" and "…/no_permission" attach.ErrForbidden; 429 and 5xx are
// attach.ErrUnavailable with Retry-After. Each is an *attach.Error with Provider "dropbox", Dropbox's
// error summary as Code (never its message) and the X-Dropbox-Request-Id.
//
// # Concurrency
//
// A Source is safe for concurrent use.
//
// # Testing
//
// The tests run against an httptest fake of the endpoints above; testdata/README.md cites the shapes.
// Team spaces (the Dropbox-API-Path-Root header) are not sent.
package dropbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/internal/apiclient"
)

// TemporaryLinkLifetime is how long Dropbox documents a temporary link to work.
const TemporaryLinkLifetime = 4 * time.Hour

// Options configures a Source. The zero value (or nil) means Dropbox's production hosts, a new HTTP
// client and time.Now.
type Options struct {
	HTTPClient *http.Client     // its redirect policy is replaced: redirects are never followed with the token
	APIURL     string           // default "https://api.dropboxapi.com"
	ContentURL string           // default "https://content.dropboxapi.com"
	Now        func() time.Time // for Link.Expires and Retry-After dates
}

// Source reads files from one Dropbox account. It implements attach.Source and attach.URLer.
type Source struct {
	c          *apiclient.Client
	api, bytes string
}

var (
	_ attach.Source = (*Source)(nil)
	_ attach.URLer  = (*Source)(nil)
)

// New returns a Source that authenticates with token. It returns an error when token is nil or an
// endpoint is not an absolute URL.
func New(token attach.TokenSource, opts *Options) (*Source, error) {
	if token == nil {
		return nil, errors.New("dropbox: New needs a token source")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	api, err := endpoint(o.APIURL, "https://api.dropboxapi.com")
	if err != nil {
		return nil, err
	}
	content, err := endpoint(o.ContentURL, "https://content.dropboxapi.com")
	if err != nil {
		return nil, err
	}
	c := apiclient.New("dropbox", o.HTTPClient, token, o.Now)
	c.RequestIDHeader = "X-Dropbox-Request-Id"
	c.Decode = decodeError
	return &Source{c: c, api: api, bytes: content}, nil
}

func endpoint(v, def string) (string, error) {
	if v == "" {
		v = def
	}
	if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
		return "", fmt.Errorf("dropbox: endpoint %q is not an absolute URL", v)
	}
	return strings.TrimSuffix(v, "/"), nil
}

// metadata is the part of Dropbox's Metadata (a FileMetadata when .tag is "file") we read.
type metadata struct {
	Tag  string `json:".tag"`
	ID   string `json:"id"`
	Name string `json:"name"`
	Size int64  `json:"size"`
}

func (m metadata) file() (attach.File, bool) {
	if m.Tag != "file" || m.ID == "" {
		return attach.File{}, false
	}
	return attach.File{ID: m.ID, Name: m.Name, ContentType: mime.TypeByExtension(strings.ToLower(path.Ext(m.Name))), Size: m.Size}, true
}

func (s *Source) rpc(ctx context.Context, op, endpoint, id string, out any) error {
	if id == "" {
		return &attach.Error{Provider: "dropbox", Op: op, Kind: attach.ErrNotFound, Code: "empty reference"}
	}
	body, _ := json.Marshal(map[string]string{"path": id})
	req, err := http.NewRequest(http.MethodPost, s.api+endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.c.Do(ctx, op, req, true)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &attach.Error{Provider: "dropbox", Op: op, Status: resp.StatusCode, Code: "unexpected status", Kind: attach.ErrUnavailable}
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
		return s.c.Failure(ctx, op, fmt.Errorf("decoding the answer: %w", err))
	}
	return nil
}

// Resolve returns the file id names (files/get_metadata).
func (s *Source) Resolve(ctx context.Context, id string) (attach.File, error) {
	var m metadata
	if err := s.rpc(ctx, "resolve", "/2/files/get_metadata", id, &m); err != nil {
		return attach.File{}, err
	}
	f, ok := m.file()
	if !ok {
		return attach.File{}, &attach.Error{Provider: "dropbox", Op: "resolve", Code: "not_file", Kind: attach.ErrNotFound}
	}
	return f, nil
}

// Open resolves id, refuses a file over limit, and downloads it (files/download).
func (s *Source) Open(ctx context.Context, id string, limit int64) (io.ReadCloser, attach.File, error) {
	f, err := s.Resolve(ctx, id)
	if err != nil {
		return nil, attach.File{}, err
	}
	if f.Size > limit {
		return nil, attach.File{}, s.c.TooLarge("open", f.Size, limit)
	}
	req, err := http.NewRequest(http.MethodPost, s.bytes+"/2/files/download", nil)
	if err != nil {
		return nil, attach.File{}, err
	}
	req.Header.Set("Dropbox-API-Arg", asciiJSON(map[string]string{"path": f.ID}))
	resp, err := s.c.Do(ctx, "open", req, true)
	if err != nil {
		return nil, attach.File{}, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, attach.File{}, &attach.Error{Provider: "dropbox", Op: "open", Status: resp.StatusCode, Code: "unexpected status", Kind: attach.ErrUnavailable}
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, attach.File{}, s.c.TooLarge("open", resp.ContentLength, limit)
	}
	return attach.LimitReader(resp.Body, limit), f, nil
}

// URL returns a temporary link to the file id names (files/get_temporary_link), valid for four hours.
func (s *Source) URL(ctx context.Context, id string) (attach.Link, error) {
	var out struct {
		Metadata metadata `json:"metadata"`
		Link     string   `json:"link"`
	}
	now := s.c.Now()
	if err := s.rpc(ctx, "url", "/2/files/get_temporary_link", id, &out); err != nil {
		return attach.Link{}, err
	}
	if out.Link == "" {
		return attach.Link{}, &attach.Error{Provider: "dropbox", Op: "url", Code: "no link", Kind: attach.ErrUnavailable}
	}
	return attach.Link{URL: out.Link, Expires: now.Add(TemporaryLinkLifetime)}, nil
}

// decodeError reads Dropbox's error body: {"error_summary": "path/not_found/..", "error": {...}}.
// Only the summary's tags are kept (never user_message, which may echo a path).
func decodeError(status int, body []byte) apiclient.Problem {
	var e struct {
		Summary string `json:"error_summary"`
	}
	if json.Unmarshal(body, &e) != nil {
		return apiclient.Problem{}
	}
	code := strings.TrimRight(e.Summary, "./")
	p := apiclient.Problem{Code: code}
	if status == http.StatusConflict {
		switch {
		case strings.Contains(code, "restricted_content"), strings.Contains(code, "no_permission"):
			p.Kind = attach.ErrForbidden
		case strings.Contains(code, "too_large"):
			p.Kind = attach.ErrTooLarge
		}
	}
	return p
}

// asciiJSON encodes v as JSON with every non-ASCII character escaped: Dropbox requires the
// Dropbox-API-Arg header to be ASCII.
func asciiJSON(v any) string {
	raw, _ := json.Marshal(v)
	var b strings.Builder
	for _, r := range string(raw) {
		if r < 0x7f {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&b, `\u%04x`, u)
		}
	}
	return b.String()
}
