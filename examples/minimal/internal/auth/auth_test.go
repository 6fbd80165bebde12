package auth_test

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

var key = []byte("0123456789abcdef0123456789abcdef")

func hash(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	require.NoError(t, err)
	return string(h)
}

func newAuth(t *testing.T) (*auth.Authenticator, *clock) {
	t.Helper()
	return newAuthWith(t, auth.Options{})
}

// newAuthWith is newAuth with options o (its clock, attempts and window set here).
func newAuthWith(t *testing.T, o auth.Options) (*auth.Authenticator, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	o.Now, o.Attempts, o.AttemptWindow = c.Now, 3, 10*time.Minute
	return newAuthOn(t, o), c
}

func newAuthOn(t *testing.T, o auth.Options) *auth.Authenticator {
	t.Helper()
	users, err := auth.NewUsers([]auth.User{
		{ID: "aiko", Name: "Aiko", Admin: true, Roles: []string{"sales"}, TimeZone: "Asia/Tokyo", PasswordHash: hash(t, "aiko-password")},
		{ID: "ben", Roles: []string{"sales"}, PasswordHash: hash(t, "ben-password")},
	})
	require.NoError(t, err)
	a, err := auth.New(users, key, &o)
	require.NoError(t, err)
	return a
}

// signIn signs id in from client addr and returns the session cookie.
func signIn(t *testing.T, a *auth.Authenticator, addr, id, password string) (*http.Cookie, error) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://inbox.test/signin", nil)
	r.RemoteAddr = addr + ":4242"
	w := httptest.NewRecorder()
	_, err := a.SignIn(w, r, id, password)
	for _, c := range w.Result().Cookies() {
		if c.Name == auth.CookieName {
			return c, err
		}
	}
	return nil, err
}

func TestUsersFile(t *testing.T) {
	good := `[{"id": "aiko", "name": "Aiko", "admin": true, "roles": ["sales"], "timeZone": "Asia/Tokyo",
		"passwordHash": "` + hash(t, "aiko-password") + `"}]`
	users, err := auth.DecodeUsers(strings.NewReader(good))
	require.NoError(t, err)
	u, ok := users.Get("aiko")
	require.True(t, ok)
	require.Equal(t, "Asia/Tokyo", u.Location().String())
	require.Equal(t, []string{"aiko"}, users.WithRole("sales"))

	for name, body := range map[string]string{
		"unknown field":   `[{"id": "x", "pasword": "oops"}]`,
		"plain password":  `[{"id": "x", "passwordHash": "hunter22"}]`,
		"no id":           `[{"passwordHash": "` + hash(t, "x-password") + `"}]`,
		"unknown zone":    `[{"id": "x", "timeZone": "Mars/Olympus", "passwordHash": "` + hash(t, "x-password") + `"}]`,
		"listed twice":    `[{"id": "x", "passwordHash": "` + hash(t, "x-password") + `"}, {"id": "x", "passwordHash": "` + hash(t, "x-password") + `"}]`,
		"not a JSON list": `{"id": "x"}`,
	} {
		_, err := auth.DecodeUsers(strings.NewReader(body))
		require.Error(t, err, name)
		require.NotContains(t, err.Error(), "hunter22", "an error never repeats a secret")
	}
	_, err = auth.HashPassword("short")
	require.Error(t, err)
}

func TestSessionCookie(t *testing.T) {
	a, c := newAuth(t)
	cookie, err := signIn(t, a, "10.0.0.1", "aiko", "aiko-password")
	require.NoError(t, err)
	require.True(t, cookie.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, cookie.SameSite)
	require.False(t, cookie.Secure, "plain HTTP in development")

	r := httptest.NewRequest(http.MethodGet, "http://inbox.test/", nil)
	r.AddCookie(cookie)
	id, err := a.Check(r)
	require.NoError(t, err)
	require.Equal(t, "aiko", id.User.ID)
	require.False(t, id.Bearer)
	require.NotEmpty(t, id.CSRF)

	tampered := *cookie
	tampered.Value = strings.Replace(cookie.Value, cookie.Value[:4], "czB8", 1)
	r = httptest.NewRequest(http.MethodGet, "http://inbox.test/", nil)
	r.AddCookie(&tampered)
	_, err = a.Check(r)
	require.ErrorIs(t, err, auth.ErrSignedOut, "a changed cookie is refused")

	c.Advance(12*time.Hour + time.Second)
	r = httptest.NewRequest(http.MethodGet, "http://inbox.test/", nil)
	r.AddCookie(cookie)
	_, err = a.Check(r)
	require.ErrorIs(t, err, auth.ErrSignedOut, "an expired session is refused")

	// Over HTTPS the cookie is Secure.
	r = httptest.NewRequest(http.MethodPost, "https://inbox.test/signin", nil)
	r.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	_, err = a.SignIn(w, r, "ben", "ben-password")
	require.NoError(t, err)
	require.True(t, w.Result().Cookies()[0].Secure)
}

func TestWrongCredentialsSayNothingAboutWhich(t *testing.T) {
	a, _ := newAuth(t)
	_, errWrongPassword := signIn(t, a, "10.0.0.1", "aiko", "nope-nope")
	_, errNoUser := signIn(t, a, "10.0.0.2", "mallory", "nope-nope")
	require.ErrorIs(t, errWrongPassword, auth.ErrBadCredentials)
	require.Equal(t, errWrongPassword.Error(), errNoUser.Error())
	require.Equal(t, http.StatusUnauthorized, auth.Status(errNoUser))
}

func TestSignInAttemptsAreLimited(t *testing.T) {
	a, c := newAuth(t)
	for i := range 3 {
		_, err := signIn(t, a, "10.0.0.1", "aiko", "guess-"+string(rune('a'+i)))
		require.ErrorIs(t, err, auth.ErrBadCredentials)
	}
	_, err := signIn(t, a, "10.0.0.9", "aiko", "aiko-password")
	require.ErrorIs(t, err, auth.ErrTooManyAttempts, "the user is locked from every address, even with the right password")
	var re *auth.RetryError
	require.ErrorAs(t, err, &re)
	require.Equal(t, 10*time.Minute, re.After)
	require.Equal(t, http.StatusTooManyRequests, auth.Status(err))
	_, err = signIn(t, a, "10.0.0.1", "ben", "ben-password")
	require.NoError(t, err, "a colleague at the same address (one proxy for the team) is not locked out")

	c.Advance(10 * time.Minute)
	_, err = signIn(t, a, "10.0.0.1", "aiko", "aiko-password")
	require.NoError(t, err, "the window passed")
}

func TestAddressLimitBoundsSpraying(t *testing.T) {
	a, c := newAuthWith(t, auth.Options{AddressAttempts: 12})
	for i := range 11 {
		_, err := signIn(t, a, "10.0.0.1", "user-"+string(rune('a'+i)), "Summer2026!")
		require.ErrorIs(t, err, auth.ErrBadCredentials, "attempt %d", i+1)
	}
	_, err := signIn(t, a, "10.0.0.1", "ben", "ben-password")
	require.NoError(t, err, "below the address's bound, a right password works")
	_, err = signIn(t, a, "10.0.0.1", "mallory", "Summer2026!")
	require.ErrorIs(t, err, auth.ErrBadCredentials)
	_, err = signIn(t, a, "10.0.0.1", "ben", "ben-password")
	require.ErrorIs(t, err, auth.ErrTooManyAttempts, "12 failures on many users lock the address")
	_, err = signIn(t, a, "10.0.0.2", "ben", "ben-password")
	require.NoError(t, err, "not the users, from elsewhere")
	c.Advance(10 * time.Minute)
	_, err = signIn(t, a, "10.0.0.1", "ben", "ben-password")
	require.NoError(t, err, "the window passed")

	// The address's bound is never below a few users' worth of lockouts.
	b, _ := newAuthWith(t, auth.Options{AddressAttempts: 2})
	for range 3 {
		_, err := signIn(t, b, "10.0.0.1", "aiko", "wrong-wrong")
		require.ErrorIs(t, err, auth.ErrBadCredentials)
	}
	_, err = signIn(t, b, "10.0.0.1", "ben", "ben-password")
	require.NoError(t, err)
}

func TestRightPasswordForgetsFailures(t *testing.T) {
	a, _ := newAuth(t)
	for range 2 {
		for range 2 {
			_, err := signIn(t, a, "10.0.0.1", "aiko", "wrong-wrong")
			require.ErrorIs(t, err, auth.ErrBadCredentials)
		}
		_, err := signIn(t, a, "10.0.0.1", "aiko", "aiko-password")
		require.NoError(t, err, "two failures, then the right password: four failures in all, but never three since a success")
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	path := filepath.Join(t.TempDir(), "revoked.json")
	rv, err := auth.OpenRevocations(path)
	require.NoError(t, err)
	a, c := newAuthWith(t, auth.Options{Revocations: rv})
	saved, err := signIn(t, a, "10.0.0.1", "aiko", "aiko-password")
	require.NoError(t, err)
	other, err := signIn(t, a, "10.0.0.2", "aiko", "aiko-password")
	require.NoError(t, err)
	get := func(a *auth.Authenticator, cookie *http.Cookie) error {
		r := httptest.NewRequest(http.MethodGet, "http://inbox.test/", nil)
		r.AddCookie(cookie)
		_, err := a.Check(r)
		return err
	}
	require.NoError(t, get(a, saved))

	r := httptest.NewRequest(http.MethodPost, "http://inbox.test/signout", nil)
	r.AddCookie(saved)
	w := httptest.NewRecorder()
	require.NoError(t, a.SignOut(w, r))
	require.Equal(t, -1, w.Result().Cookies()[0].MaxAge, "the browser's cookie is cleared")
	require.ErrorIs(t, get(a, saved), auth.ErrSignedOut, "a saved copy of the cookie no longer works")
	require.NoError(t, get(a, other), "the user's other sessions go on")

	// A restart (a new Authenticator on the same key and revocations file) still refuses it.
	rv2, err := auth.OpenRevocations(path)
	require.NoError(t, err)
	b := newAuthOn(t, auth.Options{Now: c.Now, Revocations: rv2})
	require.ErrorIs(t, get(b, saved), auth.ErrSignedOut, "signed out across a restart")
	require.NoError(t, get(b, other))

	// Signing out with no session clears the cookie and is no error.
	w = httptest.NewRecorder()
	require.NoError(t, b.SignOut(w, httptest.NewRequest(http.MethodPost, "http://inbox.test/signout", nil)))

	// A bearer token is revoked the same way.
	tok, _, err := b.IssueToken(httptest.NewRequest(http.MethodPost, "http://inbox.test/api/token", nil), "ben", "ben-password")
	require.NoError(t, err)
	api := httptest.NewRequest(http.MethodDelete, "http://inbox.test/api/token", nil)
	api.Header.Set("Authorization", "Bearer "+tok)
	_, err = b.Check(api)
	require.NoError(t, err)
	require.NoError(t, b.Revoke(api))
	_, err = b.Check(api)
	require.ErrorIs(t, err, auth.ErrSignedOut)
	require.ErrorIs(t, b.Revoke(api), auth.ErrSignedOut, "nothing left to revoke")

	// Expired entries leave the file when it is next written.
	c.Advance(25 * time.Hour)
	fresh, err := signIn(t, b, "10.0.0.1", "ben", "ben-password")
	require.NoError(t, err)
	r = httptest.NewRequest(http.MethodPost, "http://inbox.test/signout", nil)
	r.AddCookie(fresh)
	require.NoError(t, b.SignOut(httptest.NewRecorder(), r))
	stored, err := os.ReadFile(path)
	require.NoError(t, err)
	var list map[string]int64
	require.NoError(t, json.Unmarshal(stored, &list))
	require.Len(t, list, 1, "only the fresh session is kept")

	// A damaged file is an error, not an empty list.
	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o600))
	_, err = auth.OpenRevocations(path)
	require.Error(t, err)
}

// Sign-outs at the same moment are all kept: each rewrite of the file holds every revocation before it.
func TestConcurrentSignOutsAreAllKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "revoked.json")
	rv, err := auth.OpenRevocations(path)
	require.NoError(t, err)
	a, c := newAuthWith(t, auth.Options{Revocations: rv})
	cookies := make([]*http.Cookie, 20)
	for i := range cookies {
		cookies[i], err = signIn(t, a, "10.0.0.1", "ben", "ben-password")
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(cookies))
	for i, cookie := range cookies {
		wg.Go(func() {
			r := httptest.NewRequest(http.MethodPost, "http://inbox.test/signout", nil)
			r.AddCookie(cookie)
			errs[i] = a.SignOut(httptest.NewRecorder(), r)
		})
	}
	wg.Wait()
	rv2, err := auth.OpenRevocations(path)
	require.NoError(t, err)
	b := newAuthOn(t, auth.Options{Now: c.Now, Revocations: rv2})
	for i, cookie := range cookies {
		require.NoError(t, errs[i])
		r := httptest.NewRequest(http.MethodGet, "http://inbox.test/", nil)
		r.AddCookie(cookie)
		_, err := b.Check(r)
		require.ErrorIs(t, err, auth.ErrSignedOut, "session %d stays signed out after a restart", i)
	}
}

// A revocation that cannot be written says so, and the session is refused in this process anyway.
func TestSignOutThatCannotBeKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	require.NoError(t, os.Mkdir(dir, 0o700))
	rv, err := auth.OpenRevocations(filepath.Join(dir, "revoked.json"))
	require.NoError(t, err)
	a, _ := newAuthWith(t, auth.Options{Revocations: rv})
	cookie, err := signIn(t, a, "10.0.0.1", "ben", "ben-password")
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(dir)) // nowhere to write
	r := httptest.NewRequest(http.MethodPost, "http://inbox.test/signout", nil)
	r.AddCookie(cookie)
	w := httptest.NewRecorder()
	require.Error(t, a.SignOut(w, r))
	require.Equal(t, -1, w.Result().Cookies()[0].MaxAge, "the cookie is cleared anyway")
	r = httptest.NewRequest(http.MethodGet, "http://inbox.test/", nil)
	r.AddCookie(cookie)
	_, err = a.Check(r)
	require.ErrorIs(t, err, auth.ErrSignedOut, "refused in this process")
}

func TestStateChangingRequestsNeedOriginAndCSRF(t *testing.T) {
	a, _ := newAuth(t)
	cookie, err := signIn(t, a, "10.0.0.1", "aiko", "aiko-password")
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodGet, "http://inbox.test/", nil)
	r.AddCookie(cookie)
	id, err := a.Check(r)
	require.NoError(t, err)

	post := func(origin, token string, form bool) error {
		body := url.Values{"text": {"hi"}}
		if form && token != "" {
			body.Set(auth.CSRFField, token)
		}
		r := httptest.NewRequest(http.MethodPost, "http://inbox.test/api/x", strings.NewReader(body.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(cookie)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if !form && token != "" {
			r.Header.Set(auth.CSRFHeader, token)
		}
		_, err := a.Check(r)
		return err
	}
	require.NoError(t, post("http://inbox.test", id.CSRF, false))
	require.NoError(t, post("http://inbox.test", id.CSRF, true), "a form sends the token as a field")
	require.ErrorIs(t, post("http://evil.test", id.CSRF, false), auth.ErrCrossSite, "another site's page")
	require.ErrorIs(t, post("", id.CSRF, false), auth.ErrCrossSite, "no origin at all")
	require.ErrorIs(t, post("http://inbox.test", "", false), auth.ErrCrossSite, "no token")
	require.ErrorIs(t, post("http://inbox.test", id.CSRF+"x", false), auth.ErrCrossSite, "a wrong token")

	other, err := signIn(t, a, "10.0.0.1", "ben", "ben-password")
	require.NoError(t, err)
	r = httptest.NewRequest(http.MethodGet, "http://inbox.test/", nil)
	r.AddCookie(other)
	bens, err := a.Check(r)
	require.NoError(t, err)
	require.NotEqual(t, id.CSRF, bens.CSRF, "each session has its own token")
	require.ErrorIs(t, post("http://inbox.test", bens.CSRF, false), auth.ErrCrossSite, "another session's token")
}

func TestBearerTokens(t *testing.T) {
	a, c := newAuth(t)
	r := httptest.NewRequest(http.MethodPost, "http://inbox.test/api/token", nil)
	tok, exp, err := a.IssueToken(r, "ben", "ben-password")
	require.NoError(t, err)
	require.Equal(t, c.Now().Add(24*time.Hour), exp)

	api := httptest.NewRequest(http.MethodPost, "http://inbox.test/api/x", nil)
	api.Header.Set("Authorization", "Bearer "+tok)
	id, err := a.Check(api)
	require.NoError(t, err, "an API client needs no CSRF token or origin")
	require.True(t, id.Bearer)
	require.Equal(t, "ben", id.User.ID)

	cookie, err := signIn(t, a, "10.0.0.1", "ben", "ben-password")
	require.NoError(t, err)
	asToken := httptest.NewRequest(http.MethodGet, "http://inbox.test/api/x", nil)
	asToken.Header.Set("Authorization", "Bearer "+cookie.Value)
	_, err = a.Check(asToken)
	require.ErrorIs(t, err, auth.ErrSignedOut, "a session cookie is not a bearer token")
	asCookie := httptest.NewRequest(http.MethodGet, "http://inbox.test/api/x", nil)
	asCookie.AddCookie(&http.Cookie{Name: auth.CookieName, Value: tok})
	_, err = a.Check(asCookie)
	require.ErrorIs(t, err, auth.ErrSignedOut, "nor a token a cookie")

	basic := httptest.NewRequest(http.MethodGet, "http://inbox.test/api/x", nil)
	basic.SetBasicAuth("ben", "ben-password")
	_, err = a.Check(basic)
	require.ErrorIs(t, err, auth.ErrSignedOut)
}

func TestRequireAdmin(t *testing.T) {
	a, _ := newAuth(t)
	var refused []error
	refuse := func(w http.ResponseWriter, _ *http.Request, err error) {
		refused = append(refused, err)
		w.WriteHeader(auth.Status(err))
	}
	h := a.RequireAdmin(refuse, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := auth.From(r.Context())
		require.True(t, ok)
		_, _ = w.Write([]byte(id.User.ID))
	}))
	for user, want := range map[string]int{"aiko": http.StatusOK, "ben": http.StatusForbidden} {
		cookie, err := signIn(t, a, "10.0.0.1", user, user+"-password")
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodGet, "http://inbox.test/admin", nil)
		r.AddCookie(cookie)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, want, w.Code, user)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://inbox.test/admin", nil))
	require.Equal(t, http.StatusUnauthorized, w.Code)
	require.ErrorIs(t, refused[len(refused)-1], auth.ErrSignedOut)
}
