package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
)

// signInCookie holds the sign-in form's CSRF token (there is no session yet to derive one from): the
// form must send the cookie's value back, from a page of this site.
const signInCookie = "msgkit_signin"

type signInData struct {
	Next  string
	User  string
	Token string
}

// signInPage shows the sign-in form; a signed-in user goes straight on.
func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := h.d.Auth.Identify(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.signInForm(w, r, http.StatusOK, signInData{Next: next}, "")
}

func (h *Handler) signInForm(w http.ResponseWriter, r *http.Request, status int, d signInData, problem string) {
	// One token per browser, so that two open sign-in pages both work.
	if c, err := r.Cookie(signInCookie); err == nil && len(c.Value) == 32 && status != http.StatusForbidden {
		d.Token = c.Value
	} else {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		d.Token = base64.RawURLEncoding.EncodeToString(b)
	}
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: d.Token, Path: "/signin", MaxAge: int(time.Hour / time.Second),
		HttpOnly: true, Secure: isHTTPS(r), SameSite: http.SameSiteStrictMode})
	h.render(w, r, status, "signin", pageData{Title: "Sign in", Error: problem, Body: d})
}

// signIn checks the form (its CSRF token and origin), then the credentials.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		h.signInForm(w, r, http.StatusBadRequest, signInData{Next: "/inbox"}, "The form could not be read. Try again.")
		return
	}
	d := signInData{Next: safeNext(r.PostFormValue("next")), User: strings.TrimSpace(r.PostFormValue("user"))}
	c, err := r.Cookie(signInCookie)
	if err != nil || !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(auth.CSRFField))) != 1 {
		h.signInForm(w, r, http.StatusForbidden, d, "The sign-in form expired or came from another site. Sign in again.")
		return
	}
	_, err = h.d.Auth.SignIn(w, r, d.User, r.PostFormValue("password"))
	var wait *auth.RetryError
	switch {
	case errors.As(err, &wait):
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.After.Seconds()))))
		h.signInForm(w, r, http.StatusTooManyRequests, d, "Too many sign-in attempts. Try again in "+roughly(wait.After)+".")
	case errors.Is(err, auth.ErrBadCredentials):
		h.signInForm(w, r, http.StatusUnauthorized, d, "The user name or the password is wrong.")
	case err != nil:
		h.signInForm(w, r, http.StatusInternalServerError, d, "Signing in failed. Try again.")
	default:
		http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: "", Path: "/signin", MaxAge: -1, HttpOnly: true,
			Secure: isHTTPS(r), SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, d.Next, http.StatusSeeOther)
	}
}

// signOut ends the session (a form with the session's CSRF token).
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) error {
	if err := h.d.Auth.SignOut(w, r); err != nil {
		h.d.Logger.LogAttrs(r.Context(), slog.LevelError, "web: a sign-out could not be recorded")
		return &apiError{Status: http.StatusInternalServerError, Code: "signout_not_kept", Message: "You are signed out, " +
			"but the server could not record it durably: a saved copy of this session is refused until the server restarts."}
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

// safeNext keeps a local path to go to after signing in; anything else goes to the inbox.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.HasPrefix(next, "/signin") || strings.ContainsAny(next, "\r\n") {
		return "/inbox"
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/inbox"
	}
	return next
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

// roughly says a wait in words: "a minute", "9 minutes", "30 seconds".
func roughly(d time.Duration) string {
	switch {
	case d <= time.Second:
		return "a second"
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(math.Ceil(d.Seconds())))
	case d <= time.Minute:
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", int(math.Ceil(d.Minutes())))
}
