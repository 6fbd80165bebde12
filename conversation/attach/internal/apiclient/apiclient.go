// Package apiclient is the HTTP plumbing the cloud-drive sources share: bearer tokens from an
// attach.TokenSource, no redirects followed behind the caller's back, provider errors mapped to the
// attach categories with Retry-After, URLs redacted from network errors, size limits.
package apiclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/msgkit/msgkit/conversation/attach"
)

// Problem is what a provider's error body says.
type Problem struct {
	Code      string // the provider's error code
	RequestID string // the provider's request ID, when the body carries it
	Kind      error  // an attach category overriding the one the status implies; nil keeps it
}

// Client calls one provider's API. It is safe for concurrent use once built.
type Client struct {
	Provider        string
	HTTP            *http.Client // follows no redirects (see New)
	Token           attach.TokenSource
	Now             func() time.Time
	RequestIDHeader string                                // the header carrying the provider's request ID
	Decode          func(status int, body []byte) Problem // reads the provider's error body
}

// New returns a Client over a copy of hc that follows no redirects (a redirect is returned to the
// caller, which decides whether the next hop gets the token). A nil hc means a new client with its
// own transport: never http.DefaultClient. A nil now means time.Now.
func New(provider string, hc *http.Client, token attach.TokenSource, now func() time.Time) *Client {
	var c http.Client
	if hc != nil {
		c = *hc
	} else if t, ok := http.DefaultTransport.(*http.Transport); ok {
		c.Transport = t.Clone()
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if now == nil {
		now = time.Now
	}
	return &Client{Provider: provider, HTTP: &c, Token: token, Now: now}
}

// Do sends req (with the bearer token when auth is set) and returns the response when its status is
// 2xx or 3xx; otherwise it reads the error body and returns an *attach.Error.
func (c *Client) Do(ctx context.Context, op string, req *http.Request, auth bool) (*http.Response, error) {
	req = req.WithContext(ctx)
	if auth {
		tok, err := c.Token.Token(ctx)
		if err != nil {
			kind := attach.ErrForbidden
			if errors.Is(err, attach.ErrUnavailable) {
				kind = attach.ErrUnavailable
			}
			if ctx.Err() != nil {
				kind = nil
			}
			return nil, &attach.Error{Provider: c.Provider, Op: op, Code: "token", Kind: kind, Err: err}
		}
		if tok == "" {
			return nil, &attach.Error{Provider: c.Provider, Op: op, Code: "token", Kind: attach.ErrForbidden}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, c.Failure(ctx, op, err)
	}
	if resp.StatusCode < 400 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return nil, c.StatusError(op, resp, body)
}

// Failure wraps a transport error: ErrUnavailable, or no category when ctx ended. Any URL in it is
// redacted to scheme and host (a pre-authenticated download URL is a credential).
func (c *Client) Failure(ctx context.Context, op string, err error) error {
	e := &attach.Error{Provider: c.Provider, Op: op, Kind: attach.ErrUnavailable, Err: Redact(err)}
	if ctx.Err() != nil {
		e.Kind = nil
	}
	return e
}

// StatusError maps an error answer to an *attach.Error: 401 and 403 are ErrForbidden, 404 and 410
// ErrNotFound, 413 ErrTooLarge, 408, 429 and 5xx ErrUnavailable (with Retry-After), and any other
// 4xx ErrNotFound (the provider refused the reference as malformed); the provider's Decode may
// override the category and gives the error code.
func (c *Client) StatusError(op string, resp *http.Response, body []byte) *attach.Error {
	e := &attach.Error{Provider: c.Provider, Op: op, Status: resp.StatusCode, Kind: KindOf(resp.StatusCode)}
	if c.RequestIDHeader != "" {
		e.RequestID = resp.Header.Get(c.RequestIDHeader)
	}
	if c.Decode != nil {
		p := c.Decode(resp.StatusCode, body)
		e.Code = p.Code
		if p.RequestID != "" {
			e.RequestID = p.RequestID
		}
		if p.Kind != nil {
			e.Kind = p.Kind
		}
	}
	if errors.Is(e.Kind, attach.ErrUnavailable) {
		e.RetryAfter = RetryAfter(resp.Header, c.Now())
	}
	if errors.Is(e.Kind, attach.ErrTooLarge) {
		e.Size = -1
	}
	return e
}

// KindOf returns the category an HTTP error status implies.
func KindOf(status int) error {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return attach.ErrForbidden
	case status == http.StatusRequestEntityTooLarge:
		return attach.ErrTooLarge
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return attach.ErrUnavailable
	default:
		return attach.ErrNotFound
	}
}

// RetryAfter parses a Retry-After header: delay seconds or an HTTP date (relative to now).
// It returns 0 when absent, malformed or past.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 || s > 7*24*3600 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Redact returns err with the URL of a *url.Error cut to its scheme and host.
func Redact(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	short := "[redacted url]"
	if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
		short = u.Scheme + "://" + u.Host + "/[redacted]"
	}
	return &url.Error{Op: ue.Op, URL: short, Err: ue.Err}
}

// TooLarge returns the ErrTooLarge error for a stated size over limit.
func (c *Client) TooLarge(op string, size, limit int64) error {
	return &attach.Error{Provider: c.Provider, Op: op, Kind: attach.ErrTooLarge, Size: size, Limit: limit}
}

// Fetch GETs a pre-authenticated download URL (no token sent) and returns its body limited to limit
// bytes. A Content-Length over limit is refused before reading. A redirect is followed once more
// (CDNs redirect to a regional host), again without the token.
func (c *Client) Fetch(ctx context.Context, op, rawURL string, limit int64) (io.ReadCloser, error) {
	for hop := 0; ; hop++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return nil, &attach.Error{Provider: c.Provider, Op: op, Kind: attach.ErrUnavailable, Err: Redact(&url.Error{Op: "parse", URL: rawURL, Err: errors.New("bad download URL")})}
		}
		resp, err := c.Do(ctx, op, req, false)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 300 {
			resp.Body.Close()
			loc, lerr := resp.Location()
			if hop >= 3 || lerr != nil || (resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusMovedPermanently &&
				resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusTemporaryRedirect && resp.StatusCode != http.StatusPermanentRedirect) {
				return nil, &attach.Error{Provider: c.Provider, Op: op, Status: resp.StatusCode, Code: "redirect", Kind: attach.ErrUnavailable}
			}
			rawURL = loc.String()
			continue
		}
		if resp.ContentLength > limit {
			resp.Body.Close()
			return nil, c.TooLarge(op, resp.ContentLength, limit)
		}
		return attach.LimitReader(resp.Body, limit), nil
	}
}
