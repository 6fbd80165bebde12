package auth_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	users, err := auth.NewUsers([]auth.User{
		{ID: "aiko", Name: "Aiko", Admin: true, Roles: []string{"sales"}, TimeZone: "Asia/Tokyo", PasswordHash: hash(t, "aiko-password")},
		{ID: "ben", Roles: []string{"sales"}, PasswordHash: hash(t, "ben-password")},
	})
	require.NoError(t, err)
	c := &clock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	a, err := auth.New(users, key, &auth.Options{Now: c.Now, Attempts: 3, AttemptWindow: 10 * time.Minute})
	require.NoError(t, err)
	return a, c
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
	require.ErrorIs(t, err, auth.ErrTooManyAttempts, "and the address is locked for every user")
	_, err = signIn(t, a, "10.0.0.2", "ben", "ben-password")
	require.NoError(t, err, "another user from another address is not")

	c.Advance(10 * time.Minute)
	_, err = signIn(t, a, "10.0.0.1", "aiko", "aiko-password")
	require.NoError(t, err, "the window passed")
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
