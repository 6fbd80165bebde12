// Package onedrive is an attach.Source for files in OneDrive and SharePoint document libraries,
// through Microsoft Graph (v1.0) driveItem resources.
//
// A reference is a driveItem ID in the configured drive ("01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K",
// "D4648F06C91D9D3D!54927"), or a path from the drive's root starting with "/" ("/Quotes/q1.pdf").
// The drive is Options.Drive: "me/drive" (the token's user) by default, or "drives/{drive-id}",
// "users/{user-id}/drive", "sites/{site-id}/drive", "groups/{group-id}/drive".
//
// Resolve calls GET /{drive}/items/{id} (or /{drive}/root:{path}). An item without the file facet (a
// folder, a package such as a OneNote notebook) is ErrNotFound. Open resolves first (a size over the
// limit is refused before any download), then fetches the item's @microsoft.graph.downloadUrl without
// the token (it is pre-authenticated); when the answer lacks one it calls GET …/content, which
// answers 302 Found to the same URL. URL returns @microsoft.graph.downloadUrl: Graph documents it as
// valid for a short time only, so Link.Expires is zero.
//
// # Errors
//
// 401 (InvalidAuthenticationToken) and 403 (accessDenied) are attach.ErrForbidden, 404 (itemNotFound)
// attach.ErrNotFound, 429 (activityLimitReached) and 5xx attach.ErrUnavailable with Retry-After. Each
// is an *attach.Error with Provider "onedrive", Graph's error code and request-id (never its message).
//
// # Concurrency
//
// A Source is safe for concurrent use.
//
// # Testing
//
// The tests run against an httptest fake of the endpoints above; testdata/README.md cites the shapes.
package onedrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/internal/apiclient"
)

// Options configures a Source. The zero value (or nil) means Graph's global endpoint, the token
// user's own drive, a new HTTP client and time.Now.
type Options struct {
	HTTPClient *http.Client     // its redirect policy is replaced: the token never follows a redirect
	GraphURL   string           // default "https://graph.microsoft.com/v1.0" (national clouds differ)
	Drive      string           // default "me/drive"
	Now        func() time.Time // for Retry-After dates
}

// Source reads files from one drive. It implements attach.Source and attach.URLer.
type Source struct {
	c    *apiclient.Client
	base string // graph URL + "/" + drive
}

var (
	_ attach.Source = (*Source)(nil)
	_ attach.URLer  = (*Source)(nil)
)

// New returns a Source that authenticates with token. It returns an error when token is nil, the
// endpoint is not an absolute URL, or the drive is not a Graph drive path.
func New(token attach.TokenSource, opts *Options) (*Source, error) {
	if token == nil {
		return nil, errors.New("onedrive: New needs a token source")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	graph := o.GraphURL
	if graph == "" {
		graph = "https://graph.microsoft.com/v1.0"
	}
	if !strings.HasPrefix(graph, "https://") && !strings.HasPrefix(graph, "http://") {
		return nil, fmt.Errorf("onedrive: endpoint %q is not an absolute URL", graph)
	}
	drive := strings.Trim(o.Drive, "/")
	if drive == "" {
		drive = "me/drive"
	}
	if drive != "me/drive" && !strings.HasSuffix(drive, "/drive") && !strings.HasPrefix(drive, "drives/") {
		return nil, fmt.Errorf("onedrive: %q is not a drive path such as me/drive or drives/{id}", drive)
	}
	c := apiclient.New("onedrive", o.HTTPClient, token, o.Now)
	c.RequestIDHeader = "request-id"
	c.Decode = decodeError
	return &Source{c: c, base: strings.TrimSuffix(graph, "/") + "/" + drive}, nil
}

type item struct {
	ID          string                     `json:"id"`
	Name        string                     `json:"name"`
	Size        int64                      `json:"size"`
	File        *struct{ MimeType string } `json:"file"`
	DownloadURL string                     `json:"@microsoft.graph.downloadUrl"`
}

// itemURL is the Graph URL of the item id names.
func (s *Source) itemURL(id string) (string, bool) {
	if id == "" || strings.ContainsAny(id, "?#") {
		return "", false
	}
	if strings.HasPrefix(id, "/") {
		segs := strings.Split(strings.Trim(id, "/"), "/")
		for i, seg := range segs {
			if seg == "" || seg == "." || seg == ".." {
				return "", false
			}
			segs[i] = url.PathEscape(seg)
		}
		return s.base + "/root:/" + strings.Join(segs, "/") + ":", true
	}
	return s.base + "/items/" + url.PathEscape(id), true
}

func (s *Source) get(ctx context.Context, op, id string) (item, error) {
	u, ok := s.itemURL(id)
	if !ok {
		return item{}, &attach.Error{Provider: "onedrive", Op: op, Code: "malformed reference", Kind: attach.ErrNotFound}
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return item{}, err
	}
	resp, err := s.c.Do(ctx, op, req, true)
	if err != nil {
		return item{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return item{}, &attach.Error{Provider: "onedrive", Op: op, Status: resp.StatusCode, Code: "unexpected status", Kind: attach.ErrUnavailable}
	}
	var it item
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&it); err != nil {
		return item{}, s.c.Failure(ctx, op, fmt.Errorf("decoding the answer: %w", err))
	}
	if it.File == nil || it.ID == "" {
		return item{}, &attach.Error{Provider: "onedrive", Op: op, Code: "not a file", Kind: attach.ErrNotFound}
	}
	return it, nil
}

func (it item) file() attach.File {
	return attach.File{ID: it.ID, Name: it.Name, ContentType: it.File.MimeType, Size: it.Size}
}

// Resolve returns the file id names.
func (s *Source) Resolve(ctx context.Context, id string) (attach.File, error) {
	it, err := s.get(ctx, "resolve", id)
	if err != nil {
		return attach.File{}, err
	}
	return it.file(), nil
}

// Open resolves id, refuses a file over limit, and downloads it from its pre-authenticated URL.
func (s *Source) Open(ctx context.Context, id string, limit int64) (io.ReadCloser, attach.File, error) {
	it, err := s.get(ctx, "open", id)
	if err != nil {
		return nil, attach.File{}, err
	}
	f := it.file()
	if f.Size > limit {
		return nil, attach.File{}, s.c.TooLarge("open", f.Size, limit)
	}
	dl := it.DownloadURL
	if dl == "" {
		if dl, err = s.contentRedirect(ctx, it.ID); err != nil {
			return nil, attach.File{}, err
		}
	}
	rc, err := s.c.Fetch(ctx, "open", dl, limit)
	if err != nil {
		return nil, attach.File{}, err
	}
	return rc, f, nil
}

// contentRedirect calls GET /{drive}/items/{id}/content and returns where it redirects.
func (s *Source) contentRedirect(ctx context.Context, id string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, s.base+"/items/"+url.PathEscape(id)+"/content", nil)
	if err != nil {
		return "", err
	}
	resp, err := s.c.Do(ctx, "open", req, true)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	loc, lerr := resp.Location()
	if resp.StatusCode < 300 || lerr != nil {
		return "", &attach.Error{Provider: "onedrive", Op: "open", Status: resp.StatusCode, Code: "no redirect", Kind: attach.ErrUnavailable}
	}
	return loc.String(), nil
}

// URL returns the item's @microsoft.graph.downloadUrl.
func (s *Source) URL(ctx context.Context, id string) (attach.Link, error) {
	it, err := s.get(ctx, "url", id)
	if err != nil {
		return attach.Link{}, err
	}
	if it.DownloadURL == "" {
		dl, err := s.contentRedirect(ctx, it.ID)
		if err != nil {
			return attach.Link{}, err
		}
		return attach.Link{URL: dl}, nil
	}
	return attach.Link{URL: it.DownloadURL}, nil
}

// decodeError reads Graph's error body: {"error": {"code": "itemNotFound", "message": "…",
// "innerError": {"request-id": "…"}}}; the message is dropped.
func decodeError(_ int, body []byte) apiclient.Problem {
	var e struct {
		Error struct {
			Code  string `json:"code"`
			Inner struct {
				RequestID string `json:"request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return apiclient.Problem{}
	}
	return apiclient.Problem{Code: e.Error.Code, RequestID: e.Error.Inner.RequestID}
}
