package blob

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MinSigningKeyLen is the shortest signing key NewServer accepts.
const MinSigningKeyLen = 32

// ServerOptions configures a Server; nil means defaults.
type ServerOptions struct {
	// Now is the clock expiry is checked against; nil means time.Now.
	Now func() time.Time
	// OnError receives errors with no caller (a bucket failing while serving); nil drops them.
	OnError func(error)
}

// Server serves a Store's objects over HTTP under signed, expiring URLs, to channels (LINE fetches
// media from them) and to the inbox. It is an http.Handler; mount it at the path of its base URL
// (without http.StripPrefix): for base "https://crm.example.com/media", mux.Handle("/media/", srv).
//
// A signed URL is base + "/" + key + "?exp=" + unix seconds + "&sig=" + signature, where the
// signature is the unpadded base64url HMAC-SHA256, under the current signing key, of
// "msgkit-blob-v1\n" + key + "\n" + exp. The key is the path below the base, so the signature covers
// the path and the expiry; keys need no escaping (ValidKey), so a URL names exactly one object.
//
// The Server answers GET and HEAD only: 403 for a forged or malformed URL (the body says "forged"),
// 410 for a genuine one past its expiry (the body says "expired"), 404 for a missing object, and
// otherwise the content with its stored Content-Type, Content-Length, Last-Modified and range
// support (http.ServeContent), "X-Content-Type-Options: nosniff", a "sandbox" Content-Security-Policy,
// and Content-Disposition inline for media, PDF and plain text, attachment for anything else (HTML,
// SVG). It never lists: a path naming no object is 403 or 404.
//
// A Server is safe for concurrent use.
type Server struct {
	store    *Store
	base     string // without a trailing slash
	basePath string // base's path, without a trailing slash
	keys     [][]byte
	now      func() time.Time
	onError  func(error)
}

// NewServer returns a Server for store whose URLs start with baseURL (absolute, with no query). keys
// are HMAC keys, each at least MinSigningKeyLen bytes: the first signs, every one verifies, so a key
// is rotated by putting the new one first and dropping the old one once the URLs it signed have
// expired. The Server copies keys.
func NewServer(store *Store, baseURL string, keys [][]byte, opts *ServerOptions) (*Server, error) {
	if store == nil {
		return nil, errors.New("blob: NewServer needs a store")
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("blob: base URL %q must be an absolute http(s) URL without a query", baseURL)
	}
	if len(keys) == 0 {
		return nil, errors.New("blob: NewServer needs at least one signing key")
	}
	s := &Server{store: store, base: strings.TrimSuffix(baseURL, "/"), basePath: strings.TrimSuffix(u.EscapedPath(), "/"), now: time.Now}
	for i, k := range keys {
		if len(k) < MinSigningKeyLen {
			return nil, fmt.Errorf("blob: signing key %d is %d bytes; at least %d are needed", i, len(k), MinSigningKeyLen)
		}
		s.keys = append(s.keys, append([]byte(nil), k...))
	}
	if opts != nil {
		if opts.Now != nil {
			s.now = opts.Now
		}
		s.onError = opts.OnError
	}
	return s, nil
}

func sign(secret []byte, key, exp string) string {
	m := hmac.New(sha256.New, secret)
	io.WriteString(m, "msgkit-blob-v1\n"+key+"\n"+exp)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SignedURL returns a URL under which the object at key can be fetched until ttl from now. It signs
// any key; one that is not valid (ValidKey) or names no object is refused when fetched.
func (s *Server) SignedURL(key string, ttl time.Duration) string {
	exp := strconv.FormatInt(s.now().Add(ttl).Unix(), 10)
	return s.base + "/" + key + "?exp=" + exp + "&sig=" + sign(s.keys[0], key, exp)
}

// Verify checks a signed URL (only its path and query are read: the host is the deployment's) and
// returns the key it grants. Errors: ErrForged (a wrong signature, a path outside the base, a key
// that is not valid, any query but exactly one exp and one sig), ErrExpired (a genuine URL past its
// expiry).
func (s *Server) Verify(u *url.URL) (string, error) {
	if u.RawPath != "" { // non-canonical escaping: never produced by SignedURL
		return "", ErrForged
	}
	key, ok := strings.CutPrefix(u.Path, s.basePath+"/")
	if !ok || !ValidKey(key) {
		return "", ErrForged
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil || len(q) != 2 || len(q["exp"]) != 1 || len(q["sig"]) != 1 {
		return "", ErrForged
	}
	exp, sig := q["exp"][0], q["sig"][0]
	when, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || strconv.FormatInt(when, 10) != exp || len(sig) != base64.RawURLEncoding.EncodedLen(sha256.Size) {
		return "", ErrForged
	}
	valid := false
	for _, k := range s.keys {
		if hmac.Equal([]byte(sig), []byte(sign(k, key, exp))) {
			valid = true
		}
	}
	if !valid {
		return "", ErrForged
	}
	if s.now().Unix() >= when {
		return "", ErrExpired
	}
	return key, nil
}

// ServeHTTP serves the object a signed URL grants.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	key, err := s.Verify(r.URL)
	switch {
	case errors.Is(err, ErrExpired):
		h.Set("Cache-Control", "no-store")
		http.Error(w, "signed URL expired", http.StatusGone)
		return
	case err != nil:
		h.Set("Cache-Control", "no-store")
		http.Error(w, "signed URL forged or malformed", http.StatusForbidden)
		return
	}
	rc, obj, err := s.store.Open(r.Context(), key)
	if err != nil {
		h.Set("Cache-Control", "no-store")
		if errors.Is(err, ErrNotFound) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if s.onError != nil {
			s.onError(fmt.Errorf("blob: serving an object: %w", err))
		}
		http.Error(w, "storage unavailable", http.StatusServiceUnavailable)
		return
	}
	defer rc.Close()
	ct := obj.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Security-Policy", "sandbox")
	disp := "attachment"
	if inline(ct) {
		disp = "inline"
	}
	if obj.Name != "" {
		if v := mime.FormatMediaType(disp, map[string]string{"filename": obj.Name}); v != "" {
			disp = v
		}
	}
	h.Set("Content-Disposition", disp)
	exp, _ := strconv.ParseInt(r.URL.Query().Get("exp"), 10, 64)
	h.Set("Cache-Control", "private, max-age="+strconv.FormatInt(max(exp-s.now().Unix(), 0), 10))
	http.ServeContent(w, r, "", obj.ModTime, rc)
}
