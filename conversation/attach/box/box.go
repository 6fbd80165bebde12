// Package box is an attach.Source for files in Box, through Box's Content API (api.box.com/2.0).
//
// A reference is a Box file ID (the number at the end of a file's web URL, such as "12345").
// Resolve calls GET /2.0/files/{id}. Open resolves first (a size over the limit is refused before any
// download), then calls GET /2.0/files/{id}/content, which answers 302 Found with the download URL in
// Location (dl.boxcloud.com): that URL is fetched without the token. When the file is not ready
// (just uploaded), Box answers 202 Accepted with Retry-After: that is attach.ErrUnavailable with the
// delay. URL returns the redirect's Location: Box documents it as short-lived, so Link.Expires is zero.
//
// Box's metadata states no content type: File.ContentType is guessed from the name's extension.
//
// # Errors
//
// 401 and 403 (access_denied_insufficient_permissions) are attach.ErrForbidden, 404 attach.ErrNotFound,
// 429 (rate_limit_exceeded) and 5xx attach.ErrUnavailable with Retry-After; a folder, web link or
// non-numeric ID is attach.ErrNotFound. Each is an *attach.Error with Provider "box", Box's error code
// and request_id (never its message).
//
// # Concurrency
//
// A Source is safe for concurrent use.
//
// # Testing
//
// The tests run against an httptest fake of the endpoints above; testdata/README.md cites the shapes.
package box

import (
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

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/internal/apiclient"
)

// Options configures a Source. The zero value (or nil) means Box's production API, a new HTTP client
// and time.Now.
type Options struct {
	HTTPClient *http.Client     // its redirect policy is replaced: the token never follows a redirect
	APIURL     string           // default "https://api.box.com"
	Now        func() time.Time // for Retry-After dates
}

// Source reads files from Box as the token's user. It implements attach.Source and attach.URLer.
type Source struct {
	c   *apiclient.Client
	api string
}

var (
	_ attach.Source = (*Source)(nil)
	_ attach.URLer  = (*Source)(nil)
)

// New returns a Source that authenticates with token. It returns an error when token is nil or the
// endpoint is not an absolute URL.
func New(token attach.TokenSource, opts *Options) (*Source, error) {
	if token == nil {
		return nil, errors.New("box: New needs a token source")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	api := o.APIURL
	if api == "" {
		api = "https://api.box.com"
	}
	if !strings.HasPrefix(api, "https://") && !strings.HasPrefix(api, "http://") {
		return nil, fmt.Errorf("box: endpoint %q is not an absolute URL", api)
	}
	c := apiclient.New("box", o.HTTPClient, token, o.Now)
	c.RequestIDHeader = "Box-Request-Id"
	c.Decode = decodeError
	return &Source{c: c, api: strings.TrimSuffix(api, "/")}, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (s *Source) notFound(op, code string) error {
	return &attach.Error{Provider: "box", Op: op, Code: code, Kind: attach.ErrNotFound}
}

// Resolve returns the file id names (GET /2.0/files/{id}).
func (s *Source) Resolve(ctx context.Context, id string) (attach.File, error) {
	return s.resolve(ctx, "resolve", id)
}

func (s *Source) resolve(ctx context.Context, op, id string) (attach.File, error) {
	if !validID(id) {
		return attach.File{}, s.notFound(op, "malformed id")
	}
	req, err := http.NewRequest(http.MethodGet, s.api+"/2.0/files/"+id+"?fields=id,type,name,size", nil)
	if err != nil {
		return attach.File{}, err
	}
	resp, err := s.c.Do(ctx, op, req, true)
	if err != nil {
		return attach.File{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return attach.File{}, &attach.Error{Provider: "box", Op: op, Status: resp.StatusCode, Code: "unexpected status", Kind: attach.ErrUnavailable}
	}
	var m struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Name string `json:"name"`
		Size int64  `json:"size"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m); err != nil {
		return attach.File{}, s.c.Failure(ctx, op, fmt.Errorf("decoding the answer: %w", err))
	}
	if m.Type != "file" || m.ID == "" {
		return attach.File{}, s.notFound(op, "not a file")
	}
	return attach.File{ID: m.ID, Name: m.Name, ContentType: mime.TypeByExtension(strings.ToLower(path.Ext(m.Name))), Size: m.Size}, nil
}

// content calls GET /2.0/files/{id}/content and returns the download URL it redirects to, or the
// response itself when Box streams the content directly.
func (s *Source) content(ctx context.Context, op, id string) (string, *http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, s.api+"/2.0/files/"+id+"/content", nil)
	if err != nil {
		return "", nil, err
	}
	resp, err := s.c.Do(ctx, op, req, true)
	if err != nil {
		return "", nil, err
	}
	switch {
	case resp.StatusCode == http.StatusAccepted: // not ready yet
		resp.Body.Close()
		return "", nil, &attach.Error{Provider: "box", Op: op, Status: resp.StatusCode, Code: "not ready",
			Kind: attach.ErrUnavailable, RetryAfter: apiclient.RetryAfter(resp.Header, s.c.Now())}
	case resp.StatusCode == http.StatusOK:
		return "", resp, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			return "", nil, &attach.Error{Provider: "box", Op: op, Status: resp.StatusCode, Code: "no location", Kind: attach.ErrUnavailable}
		}
		return loc.String(), nil, nil
	default:
		resp.Body.Close()
		return "", nil, &attach.Error{Provider: "box", Op: op, Status: resp.StatusCode, Code: "unexpected status", Kind: attach.ErrUnavailable}
	}
}

// Open resolves id, refuses a file over limit, and downloads it through Box's redirect.
func (s *Source) Open(ctx context.Context, id string, limit int64) (io.ReadCloser, attach.File, error) {
	f, err := s.resolve(ctx, "open", id)
	if err != nil {
		return nil, attach.File{}, err
	}
	if f.Size > limit {
		return nil, attach.File{}, s.c.TooLarge("open", f.Size, limit)
	}
	loc, resp, err := s.content(ctx, "open", f.ID)
	if err != nil {
		return nil, attach.File{}, err
	}
	if resp != nil {
		if resp.ContentLength > limit {
			resp.Body.Close()
			return nil, attach.File{}, s.c.TooLarge("open", resp.ContentLength, limit)
		}
		return attach.LimitReader(resp.Body, limit), f, nil
	}
	rc, err := s.c.Fetch(ctx, "open", loc, limit)
	if err != nil {
		return nil, attach.File{}, err
	}
	return rc, f, nil
}

// URL returns the short-lived download URL Box redirects /2.0/files/{id}/content to.
func (s *Source) URL(ctx context.Context, id string) (attach.Link, error) {
	if !validID(id) {
		return attach.Link{}, s.notFound("url", "malformed id")
	}
	loc, resp, err := s.content(ctx, "url", id)
	if err != nil {
		return attach.Link{}, err
	}
	if resp != nil {
		resp.Body.Close()
		return attach.Link{}, &attach.Error{Provider: "box", Op: "url", Status: resp.StatusCode, Code: "no redirect", Kind: attach.ErrUnavailable}
	}
	return attach.Link{URL: loc}, nil
}

// decodeError reads Box's error body: {"type": "error", "status": 404, "code": "not_found",
// "message": "…", "request_id": "…"}; the message is dropped.
func decodeError(_ int, body []byte) apiclient.Problem {
	var e struct {
		Code      string `json:"code"`
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(body, &e) != nil {
		return apiclient.Problem{}
	}
	return apiclient.Problem{Code: e.Code, RequestID: e.RequestID}
}
