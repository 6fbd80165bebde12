// Package gdrive is an attach.Source for files in Google Drive, through the Drive API v3 REST
// interface.
//
// It speaks REST with net/http rather than through Google's generated client
// (google.golang.org/api/drive/v3): the three calls below are all it needs, and the client would add
// some 230 packages to an importer's build (gRPC, OpenTelemetry, Google's auth stack) and about 70
// lines to go.sum, for nothing these calls use.
//
// A reference is a Drive file ID. Resolve calls files.get (GET /drive/v3/files/{id} with
// fields=id,name,mimeType,size). Open resolves first, then downloads: a binary file with files.get
// and alt=media; a Google Workspace file (Docs, Sheets, Slides, Drawings), which has no bytes of its
// own, with files.export as PDF by default (Options.Export changes the format per type). An export's
// size is unknown beforehand (File.Size is -1) and Drive refuses exports over 10 MB
// (exportSizeLimitExceeded, reported as ErrTooLarge); File.Name gets the export's extension. Folders,
// shortcuts, forms and other Workspace types without an export are ErrNotFound. Shared drives are
// included (supportsAllDrives=true). Drive has no temporary direct URL, so Source is not an
// attach.URLer.
//
// # Errors
//
// 401 is attach.ErrForbidden; 403 is read by its reason: rateLimitExceeded, userRateLimitExceeded,
// sharingRateLimitExceeded and backendError are attach.ErrUnavailable (Drive's documented "403 rate
// limit" answers), exportSizeLimitExceeded attach.ErrTooLarge, others (insufficientFilePermissions,
// appNotAuthorizedToFile, domainPolicy, cannotDownloadAbusiveFile) attach.ErrForbidden; 404 is
// attach.ErrNotFound; 429 and 5xx attach.ErrUnavailable with Retry-After. Each is an *attach.Error with
// Provider "gdrive" and Drive's reason as Code (never its message).
//
// # Concurrency
//
// A Source is safe for concurrent use.
//
// # Testing
//
// The tests run against an httptest fake of the endpoints above; testdata/README.md cites the shapes.
package gdrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/internal/apiclient"
)

// Google Workspace types exported by default, each as PDF.
const (
	TypeDocument     = "application/vnd.google-apps.document"
	TypeSpreadsheet  = "application/vnd.google-apps.spreadsheet"
	TypePresentation = "application/vnd.google-apps.presentation"
	TypeDrawing      = "application/vnd.google-apps.drawing"
)

// Options configures a Source. The zero value (or nil) means Google's production endpoint, PDF
// exports, a new HTTP client and time.Now.
type Options struct {
	HTTPClient *http.Client     // its redirect policy is replaced: the token never follows a redirect
	APIURL     string           // default "https://www.googleapis.com"
	Now        func() time.Time // for Retry-After dates
	// Export maps a Google Workspace type to the type to export it as (for example TypeSpreadsheet to
	// "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"). Types it does not name are
	// exported as "application/pdf" when they are one of the Type… constants.
	Export map[string]string
}

// Source reads files from Google Drive as the token's user. It implements attach.Source.
type Source struct {
	c      *apiclient.Client
	api    string
	export map[string]string
}

var _ attach.Source = (*Source)(nil)

// New returns a Source that authenticates with token. It returns an error when token is nil or the
// endpoint is not an absolute URL.
func New(token attach.TokenSource, opts *Options) (*Source, error) {
	if token == nil {
		return nil, errors.New("gdrive: New needs a token source")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	api := o.APIURL
	if api == "" {
		api = "https://www.googleapis.com"
	}
	if !strings.HasPrefix(api, "https://") && !strings.HasPrefix(api, "http://") {
		return nil, fmt.Errorf("gdrive: endpoint %q is not an absolute URL", api)
	}
	export := map[string]string{TypeDocument: "application/pdf", TypeSpreadsheet: "application/pdf",
		TypePresentation: "application/pdf", TypeDrawing: "application/pdf"}
	for k, v := range o.Export {
		export[k] = v
	}
	c := apiclient.New("gdrive", o.HTTPClient, token, o.Now)
	c.Decode = decodeError
	return &Source{c: c, api: strings.TrimSuffix(api, "/"), export: export}, nil
}

// extensions for the export types Drive documents.
var extensions = map[string]string{
	"application/pdf": ".pdf",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         ".xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
	"application/vnd.oasis.opendocument.text":                                   ".odt",
	"application/vnd.oasis.opendocument.spreadsheet":                            ".ods",
	"text/plain": ".txt", "text/csv": ".csv", "image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg",
}

type meta struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	MimeType string `json:"mimeType"`
	Size     string `json:"size"` // int64 as a JSON string; absent for Workspace files
}

// resolved is a file and how to download it.
type resolved struct {
	file     attach.File
	exportAs string // "" for a binary file
}

func (s *Source) resolve(ctx context.Context, op, id string) (resolved, error) {
	if id == "" || strings.ContainsAny(id, "/?#") {
		return resolved{}, &attach.Error{Provider: "gdrive", Op: op, Code: "malformed id", Kind: attach.ErrNotFound}
	}
	q := url.Values{"fields": {"id,name,mimeType,size"}, "supportsAllDrives": {"true"}}
	req, err := http.NewRequest(http.MethodGet, s.api+"/drive/v3/files/"+url.PathEscape(id)+"?"+q.Encode(), nil)
	if err != nil {
		return resolved{}, err
	}
	resp, err := s.c.Do(ctx, op, req, true)
	if err != nil {
		return resolved{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resolved{}, &attach.Error{Provider: "gdrive", Op: op, Status: resp.StatusCode, Code: "unexpected status", Kind: attach.ErrUnavailable}
	}
	var m meta
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m); err != nil {
		return resolved{}, s.c.Failure(ctx, op, fmt.Errorf("decoding the answer: %w", err))
	}
	if strings.HasPrefix(m.MimeType, "application/vnd.google-apps.") {
		as, ok := s.export[m.MimeType]
		if !ok {
			return resolved{}, &attach.Error{Provider: "gdrive", Op: op, Code: "not exportable", Kind: attach.ErrNotFound}
		}
		name := m.Name
		if ext := extensions[as]; ext != "" && !strings.HasSuffix(strings.ToLower(name), ext) {
			name += ext
		}
		return resolved{file: attach.File{ID: m.ID, Name: name, ContentType: as, Size: -1}, exportAs: as}, nil
	}
	size, err := strconv.ParseInt(m.Size, 10, 64)
	if err != nil {
		size = -1
	}
	return resolved{file: attach.File{ID: m.ID, Name: m.Name, ContentType: m.MimeType, Size: size}}, nil
}

// Resolve returns the file id names (files.get). A Google Workspace file is described as its export.
func (s *Source) Resolve(ctx context.Context, id string) (attach.File, error) {
	r, err := s.resolve(ctx, "resolve", id)
	return r.file, err
}

// Open resolves id, refuses a file over limit, and downloads it (alt=media) or exports it.
func (s *Source) Open(ctx context.Context, id string, limit int64) (io.ReadCloser, attach.File, error) {
	r, err := s.resolve(ctx, "open", id)
	if err != nil {
		return nil, attach.File{}, err
	}
	if r.file.Size > limit {
		return nil, attach.File{}, s.c.TooLarge("open", r.file.Size, limit)
	}
	u := s.api + "/drive/v3/files/" + url.PathEscape(r.file.ID)
	if r.exportAs != "" {
		u += "/export?" + url.Values{"mimeType": {r.exportAs}}.Encode()
	} else {
		u += "?" + url.Values{"alt": {"media"}, "supportsAllDrives": {"true"}}.Encode()
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, attach.File{}, err
	}
	resp, err := s.c.Do(ctx, "open", req, true)
	if err != nil {
		return nil, attach.File{}, err
	}
	if resp.StatusCode >= 300 { // a redirect to a content host: followed without the token
		resp.Body.Close()
		loc, lerr := resp.Location()
		if lerr != nil {
			return nil, attach.File{}, &attach.Error{Provider: "gdrive", Op: "open", Status: resp.StatusCode, Code: "no location", Kind: attach.ErrUnavailable}
		}
		rc, err := s.c.Fetch(ctx, "open", loc.String(), limit)
		if err != nil {
			return nil, attach.File{}, err
		}
		return rc, r.file, nil
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, attach.File{}, s.c.TooLarge("open", resp.ContentLength, limit)
	}
	return attach.LimitReader(resp.Body, limit), r.file, nil
}

// decodeError reads Drive's error body: {"error": {"code": 403, "message": "…", "errors":
// [{"domain": "usageLimits", "reason": "userRateLimitExceeded", "message": "…"}]}}.
func decodeError(status int, body []byte) apiclient.Problem {
	var e struct {
		Error struct {
			Errors []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
			Status string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return apiclient.Problem{}
	}
	var p apiclient.Problem
	if len(e.Error.Errors) > 0 {
		p.Code = e.Error.Errors[0].Reason
	} else {
		p.Code = e.Error.Status
	}
	switch p.Code {
	case "rateLimitExceeded", "userRateLimitExceeded", "sharingRateLimitExceeded", "backendError":
		p.Kind = attach.ErrUnavailable
	case "exportSizeLimitExceeded":
		p.Kind = attach.ErrTooLarge
	case "notFound":
		p.Kind = attach.ErrNotFound
	}
	if status == http.StatusUnauthorized {
		p.Kind = attach.ErrForbidden
	}
	return p
}
