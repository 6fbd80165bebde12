package auth

import (
	"errors"
	"net/http"
)

// Refusal writes the answer to a request Check refused; the API answers JSON, pages redirect to sign-in.
type Refusal func(w http.ResponseWriter, r *http.Request, err error)

// Require serves next only to signed-in users whose request passes Check, with their Identity in the
// request's context; others get refuse.
func (a *Authenticator) Require(refuse Refusal, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := a.Check(r)
		if err != nil {
			refuse(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
	})
}

// RequireAdmin is Require for admin users only; others get refuse with ErrForbidden.
func (a *Authenticator) RequireAdmin(refuse Refusal, next http.Handler) http.Handler {
	return a.Require(refuse, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, _ := From(r.Context()); !id.User.Admin {
			refuse(w, r, ErrForbidden)
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// Status is the HTTP status for an error of this package: 401 signed out or wrong credentials, 403
// forbidden or cross-site, 429 too many attempts; 0 for other errors.
func Status(err error) int {
	switch {
	case errors.Is(err, ErrSignedOut), errors.Is(err, ErrBadCredentials):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden), errors.Is(err, ErrCrossSite):
		return http.StatusForbidden
	case errors.Is(err, ErrTooManyAttempts):
		return http.StatusTooManyRequests
	}
	return 0
}
