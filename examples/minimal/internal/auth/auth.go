package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Errors of sign-in and of requests.
var (
	// ErrBadCredentials: the user or the password is wrong (which, is not said).
	ErrBadCredentials = errors.New("auth: wrong user or password")
	// ErrTooManyAttempts: too many failed sign-ins; see RetryAfter.
	ErrTooManyAttempts = errors.New("auth: too many sign-in attempts")
	// ErrSignedOut: the request carries no valid session or token.
	ErrSignedOut = errors.New("auth: sign in first")
	// ErrForbidden: the signed-in user may not do this.
	ErrForbidden = errors.New("auth: not allowed")
	// ErrCrossSite: a state-changing request from a page of another site, or without the CSRF token.
	ErrCrossSite = errors.New("auth: cross-site request refused")
)

// CookieName is the session cookie's name.
const CookieName = "msgkit_session"

// CSRFHeader carries the CSRF token on a state-changing request made by script; a form sends it as the
// field CSRFField.
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf"
)

// Options configures an Authenticator. The zero value means the defaults.
type Options struct {
	Now func() time.Time // nil: time.Now
	// SessionTTL is how long a web session lasts (default 12h); TokenTTL a bearer token (default 24h).
	SessionTTL, TokenTTL time.Duration
	// Attempts failed sign-ins of one user are allowed in AttemptWindow (defaults 5 and 10 minutes); then
	// that user's sign-ins, from every address, are refused until the window has passed. A right password
	// forgets the user's failures.
	Attempts      int
	AttemptWindow time.Duration
	// AddressAttempts failed sign-ins from one client address, whichever users they name, are allowed in
	// AttemptWindow (default 100, and never fewer than 4×Attempts): a bound against trying a few passwords
	// on many users, high enough that a team behind one proxy address is not locked out by one member's
	// typos. Past it every sign-in from the address is refused until the window has passed.
	AddressAttempts int
	// Revocations keeps the sessions and tokens that were signed out until they expire (nil: in memory
	// only, so a restart forgets them; see OpenRevocations for a file that survives restarts).
	Revocations *Revocations
}

// Authenticator signs users in and recognises them on every request.
type Authenticator struct {
	users   *Users
	key     []byte
	o       Options
	limiter *limiter
}

// New returns an Authenticator for users, signing with key (at least 32 bytes, secret).
func New(users *Users, key []byte, opts *Options) (*Authenticator, error) {
	if len(key) < 32 {
		return nil, errors.New("auth: the signing key needs at least 32 bytes")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = 24 * time.Hour
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.AttemptWindow <= 0 {
		o.AttemptWindow = 10 * time.Minute
	}
	if o.AddressAttempts <= 0 {
		o.AddressAttempts = 100
	}
	o.AddressAttempts = max(o.AddressAttempts, 4*o.Attempts)
	if o.Revocations == nil {
		o.Revocations = &Revocations{revoked: map[string]time.Time{}}
	}
	return &Authenticator{users: users, key: key, o: o, limiter: newLimiter(o.AttemptWindow, o.Now)}, nil
}

// Users returns the users the Authenticator knows.
func (a *Authenticator) Users() *Users { return a.users }

// RetryError is ErrTooManyAttempts with when to try again.
type RetryError struct{ After time.Duration }

// Error says how long to wait.
func (e *RetryError) Error() string {
	return fmt.Sprintf("auth: too many sign-in attempts; try again in %s", e.After.Round(time.Second))
}

// Unwrap returns ErrTooManyAttempts.
func (e *RetryError) Unwrap() error { return ErrTooManyAttempts }

// check verifies a sign-in attempt from client (its address), counting failures per user (the lockout,
// at Attempts) and per client (the bound against spraying, at AddressAttempts).
func (a *Authenticator) check(client, id, password string) (User, error) {
	userKey, clientKey := limitKey{"user:" + id, a.o.Attempts}, limitKey{"client:" + client, a.o.AddressAttempts}
	if wait := a.limiter.blocked(userKey, clientKey); wait > 0 {
		return User{}, &RetryError{After: wait}
	}
	u, ok := a.users.check(id, password)
	if !ok {
		a.limiter.fail(userKey.key, clientKey.key)
		return User{}, ErrBadCredentials
	}
	a.limiter.reset(userKey.key)
	return u, nil
}

// SignIn checks the credentials of a web sign-in and, when they are right, sets the session cookie.
func (a *Authenticator) SignIn(w http.ResponseWriter, r *http.Request, id, password string) (User, error) {
	u, err := a.check(clientOf(r), id, password)
	if err != nil {
		return User{}, err
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: a.sign("s", u.ID, a.o.Now().Add(a.o.SessionTTL)), Path: "/",
		MaxAge: int(a.o.SessionTTL / time.Second), HttpOnly: true, Secure: isHTTPS(r), SameSite: http.SameSiteLaxMode})
	return u, nil
}

// SignOut ends the session r carries, on the server (a copy of its cookie no longer works; see Revoke),
// and clears the cookie. The cookie is cleared even when the revocation could not be recorded, which
// the error then says.
func (a *Authenticator) SignOut(w http.ResponseWriter, r *http.Request) error {
	err := a.Revoke(r)
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: isHTTPS(r),
		SameSite: http.SameSiteLaxMode})
	if errors.Is(err, ErrSignedOut) {
		return nil // nothing valid to end
	}
	return err
}

// Revoke ends the session or bearer token r carries: it is refused from now on, though it has not
// expired. It returns ErrSignedOut when r carries no valid one.
func (a *Authenticator) Revoke(r *http.Request) error {
	kind, value, err := credentialOf(r)
	if err != nil {
		return err
	}
	_, sid, exp, err := a.verify(kind, value)
	if err != nil {
		return err
	}
	return a.o.Revocations.revoke(sid, exp, a.o.Now())
}

// credentialOf returns the bearer token ("t") or the session cookie ("s") r carries.
func credentialOf(r *http.Request) (kind, value string, err error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return "", "", ErrSignedOut
		}
		return "t", tok, nil
	}
	c, err := r.Cookie(CookieName)
	if err != nil {
		return "", "", ErrSignedOut
	}
	return "s", c.Value, nil
}

// IssueToken checks an API client's credentials and returns a bearer token and its expiry.
func (a *Authenticator) IssueToken(r *http.Request, id, password string) (string, time.Time, error) {
	u, err := a.check(clientOf(r), id, password)
	if err != nil {
		return "", time.Time{}, err
	}
	exp := a.o.Now().Add(a.o.TokenTTL)
	return a.sign("t", u.ID, exp), exp, nil
}

// Identity is who made a request, and how.
type Identity struct {
	User User
	// Bearer is set when the request carried a bearer token (an API client), not a session cookie.
	Bearer bool
	// CSRF is the session's CSRF token, for pages to put in their forms; empty for bearer requests.
	CSRF string
}

type ctxKey struct{}

// From returns the identity Require put in ctx.
func From(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}

// Identify returns who made r: a valid bearer token, or a valid session cookie. It does not check CSRF.
func (a *Authenticator) Identify(r *http.Request) (Identity, error) {
	kind, value, err := credentialOf(r)
	if err != nil {
		return Identity{}, err
	}
	u, sid, _, err := a.verify(kind, value)
	if err != nil {
		return Identity{}, err
	}
	if kind == "t" {
		return Identity{User: u, Bearer: true}, nil
	}
	return Identity{User: u, CSRF: a.csrf(sid)}, nil
}

// Check returns who made r and refuses what a signed-in user's browser must not be made to do: a
// state-changing request (not GET, HEAD or OPTIONS) with a session cookie must come from this site (its
// Origin, or Referer, names this host) and carry the session's CSRF token in CSRFHeader or the form
// field CSRFField. Bearer requests carry no ambient credentials and need neither.
func (a *Authenticator) Check(r *http.Request) (Identity, error) {
	id, err := a.Identify(r)
	if err != nil || id.Bearer || safeMethod(r.Method) {
		return id, err
	}
	if !sameOrigin(r) {
		return Identity{}, ErrCrossSite
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(CSRFField)
	}
	if !hmac.Equal([]byte(got), []byte(id.CSRF)) {
		return Identity{}, ErrCrossSite
	}
	return id, nil
}

// WithIdentity returns ctx carrying id, as Require does.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// sign makes a session ("s") or token ("t") value for user until exp: base64url of
// kind|user|exp|random, a dot, and the HMAC of that.
func (a *Authenticator) sign(kind, user string, exp time.Time) string {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	payload := kind + "|" + user + "|" + strconv.FormatInt(exp.Unix(), 10) + "|" + base64.RawURLEncoding.EncodeToString(nonce)
	enc := base64.RawURLEncoding.EncodeToString([]byte(payload))
	return enc + "." + base64.RawURLEncoding.EncodeToString(a.mac("value", enc))
}

// verify checks a signed value of kind, unexpired and not revoked, and returns its user, its session ID
// and its expiry.
func (a *Authenticator) verify(kind, value string) (User, string, time.Time, error) {
	enc, sig, ok := strings.Cut(value, ".")
	if !ok {
		return User{}, "", time.Time{}, ErrSignedOut
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, a.mac("value", enc)) {
		return User{}, "", time.Time{}, ErrSignedOut
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return User{}, "", time.Time{}, ErrSignedOut
	}
	f := strings.Split(string(raw), "|")
	if len(f) != 4 || f[0] != kind {
		return User{}, "", time.Time{}, ErrSignedOut
	}
	exp, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || !a.o.Now().Before(time.Unix(exp, 0)) {
		return User{}, "", time.Time{}, ErrSignedOut
	}
	u, ok := a.users.Get(f[1])
	if !ok {
		return User{}, "", time.Time{}, ErrSignedOut // removed from the users file since
	}
	if a.o.Revocations.isRevoked(f[3]) {
		return User{}, "", time.Time{}, ErrSignedOut // signed out
	}
	return u, f[3], time.Unix(exp, 0), nil
}

func (a *Authenticator) mac(purpose, s string) []byte {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(purpose + "\x00" + s))
	return m.Sum(nil)
}

// csrf is the CSRF token of session sid.
func (a *Authenticator) csrf(sid string) string {
	return base64.RawURLEncoding.EncodeToString(a.mac("csrf", sid))
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether r's Origin (or, without one, its Referer) is this host.
func sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" || src == "null" {
		return false
	}
	u, err := url.Parse(src)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// clientOf is the client's address, without the port.
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
