package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
)

// route is one API route: its method, its path with {conv}, {chan}, {tpl} or {rec} standing for IDs, a
// valid body when it takes one, and whether it is for admins.
type route struct {
	method, path, body string
	admin              bool
}

func allRoutes() []route {
	return []route{
		{http.MethodGet, "/api/me", "", false},
		{http.MethodGet, "/api/users", "", false},
		{http.MethodGet, "/api/views", "", false},
		{http.MethodGet, "/api/conversations", "", false},
		{http.MethodGet, "/api/conversations/{conv}", "", false},
		{http.MethodGet, "/api/conversations/{conv}/messages", "", false},
		{http.MethodPost, "/api/conversations/{conv}/reply", `{"text": "Thanks!"}`, false},
		{http.MethodPost, "/api/conversations/{conv}/assign", `{"to": "ben"}`, false},
		{http.MethodGet, "/api/conversations/{conv}/suggestions", "", false},
		{http.MethodPost, "/api/conversations/{conv}/link", `{"kind": "lead", "create": true}`, false},
		{http.MethodPost, "/api/conversations/{conv}/unlink", `{}`, false},
		{http.MethodGet, "/api/conversations/{conv}/links", "", false},
		{http.MethodPost, "/api/conversations/{conv}/preview", `{"body": "Hello {{contact.display_name}}"}`, false},
		{http.MethodGet, "/api/records/lead/{rec}/timeline", "", false},
		{http.MethodPost, "/api/conversations/{conv}/snooze", `{"untilCustomerWrites": true}`, false},
		{http.MethodPost, "/api/conversations/{conv}/unsnooze", "", false},
		{http.MethodPost, "/api/conversations/{conv}/ignore", "", false},
		{http.MethodPost, "/api/conversations/{conv}/unignore", "", false},
		{http.MethodGet, "/api/notifications", "", false},
		{http.MethodPost, "/api/notifications/{notif}/read", "", false},
		{http.MethodPost, "/api/notifications/read", `{"through": "MjAyNi0xMS0yN1QwOTowMDowMFp8eA"}`, false},
		{http.MethodGet, "/api/notifications/settings", "", false},
		{http.MethodPut, "/api/notifications/settings", `{"mutedEvents": ["assigned"], "mutedChannels": []}`, false},
		{http.MethodGet, "/api/sources", "", false},
		{http.MethodGet, "/api/sources/crm/files", "", false},
		{http.MethodPost, "/api/uploads", "", false},
		{http.MethodGet, "/api/templates", "", false},
		{http.MethodPost, "/api/templates", `{"name": "hello", "body": "Hello!"}`, false},
		{http.MethodPut, "/api/templates/{tpl}", `{"name": "hello", "body": "Hi!", "version": 1}`, false},
		{http.MethodDelete, "/api/templates/{tpl}?version=1", "", false},
		{http.MethodGet, "/api/channels", "", false},
		{http.MethodGet, "/api/channels/{chan}", "", false},
		{http.MethodGet, "/api/channels/{chan}/entry-points", "", false},
		{http.MethodPost, "/api/channels", `{"kind": "fake", "name": "Osaka", "credentials": {"account": "1651", "secret": "s", "token": "t"}}`, true},
		{http.MethodPost, "/api/channels/{chan}/check", `{}`, true},
		{http.MethodPost, "/api/channels/{chan}/deactivate", `{}`, true},
		{http.MethodPost, "/api/channels/{chan}/reactivate", `{}`, true},
		{http.MethodPut, "/api/channels/{chan}/assignment", `{"strategy": ""}`, true},
		{http.MethodGet, "/api/channels/{chan}/quota", "", true},
	}
}

func (r route) at(ids map[string]string) string {
	p := r.path
	for k, v := range ids {
		p = strings.ReplaceAll(p, "{"+k+"}", v)
	}
	return p
}

// Every route refuses a request without a sign-in, admin routes refuse agents, and every route with an ID
// answers an unknown ID with the same 404.
func TestEveryRouteChecksWhoAsksAndWhat(t *testing.T) {
	w := newWorld(t)
	conv := w.customer(t, "U1", "hello")
	real := map[string]string{"conv": conv, "chan": w.ch.ID, "tpl": "tpl-none", "rec": "L-none", "notif": "n-none"}
	unknown := map[string]string{"conv": "no-such-conversation", "chan": "no-such-channel", "tpl": "no-such-template",
		"rec": "no-such-record", "notif": "no-such-notification"}
	for _, r := range allRoutes() {
		name := r.method + " " + r.path
		w.call(t, "", r.method, r.at(real), r.body, http.StatusUnauthorized, nil)
		req, err := http.NewRequest(r.method, w.srv.URL+r.at(real), strings.NewReader(r.body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer not-a-token")
		res, err := w.srv.Client().Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusUnauthorized, res.StatusCode, "%s: a forged token", name)
		if r.admin {
			w.call(t, "ben", r.method, r.at(real), r.body, http.StatusForbidden, nil)
		}
		if strings.Contains(r.path, "{") {
			raw := w.call(t, "aiko", r.method, r.at(unknown), r.body, http.StatusNotFound, nil)
			require.Equal(t, "not_found", errorCode(t, raw), name)
		}
	}
}

// Routes that take a body refuse malformed JSON, unknown fields, trailing data and oversized bodies.
func TestEveryBodyIsCheckedStrictly(t *testing.T) {
	w := newWorld(t)
	conv := w.customer(t, "U1", "hello")
	ids := map[string]string{"conv": conv, "chan": w.ch.ID, "tpl": "tpl-none", "rec": "L-none", "notif": "n-none"}
	huge := `{"text": "` + strings.Repeat("x", 1<<20) + `"}`
	for _, r := range allRoutes() {
		if r.body == "" || r.path == "/api/uploads" {
			continue
		}
		path := r.at(ids)
		for what, body := range map[string]string{
			"malformed":     `{"text": `,
			"not an object": `[1, 2]`,
			"unknown field": `{"autor": "mallory"}`,
			"trailing data": r.body + ` {"text": "again"}`,
		} {
			raw := w.call(t, "aiko", r.method, path, body, http.StatusBadRequest, nil)
			require.Equal(t, "bad_request", errorCode(t, raw), "%s %s: %s", r.method, r.path, what)
		}
		raw := w.call(t, "aiko", r.method, path, huge, http.StatusRequestEntityTooLarge, nil)
		require.Equal(t, "too_large", errorCode(t, raw))
	}
}

func TestHealthzNeedsNoSignIn(t *testing.T) {
	w := newWorld(t)
	var out map[string]string
	w.call(t, "", http.MethodGet, "/healthz", "", http.StatusOK, &out)
	require.Equal(t, "ok", out["status"])
	raw := w.call(t, "aiko", http.MethodGet, "/api/no-such-route", "", http.StatusNotFound, nil)
	require.Equal(t, "not_found", errorCode(t, raw))
}

func TestTokens(t *testing.T) {
	w := newWorld(t)
	raw := w.call(t, "", http.MethodPost, "/api/token", `{"user": "ben", "password": "wrong"}`, http.StatusUnauthorized, nil)
	require.Equal(t, "unauthorized", errorCode(t, raw))
	for range 4 {
		w.call(t, "", http.MethodPost, "/api/token", `{"user": "ben", "password": "wrong"}`, http.StatusUnauthorized, nil)
	}
	raw = w.call(t, "", http.MethodPost, "/api/token", `{"user": "ben", "password": "ben-password"}`, http.StatusTooManyRequests, nil)
	require.Equal(t, "too_many_attempts", errorCode(t, raw), "sign-in attempts are limited")
	w.call(t, "", http.MethodPost, "/api/token", `{"user": "aiko", "password": "aiko-password"}`, http.StatusOK, nil)
}

func TestRevokeToken(t *testing.T) {
	w := newWorld(t)
	w.call(t, "aiko", http.MethodGet, "/api/me", "", http.StatusOK, nil)
	var out map[string]bool
	w.call(t, "aiko", http.MethodDelete, "/api/token", "", http.StatusOK, &out)
	require.True(t, out["revoked"])
	raw := w.call(t, "aiko", http.MethodGet, "/api/me", "", http.StatusUnauthorized, nil)
	require.Equal(t, "unauthorized", errorCode(t, raw), "a revoked token is refused before its expiry")
	w.call(t, "ben", http.MethodGet, "/api/me", "", http.StatusOK, nil)
}

// A browser session may read; a state-changing request needs the session's CSRF token and this site's
// Origin — a form posted from another site is refused.
func TestSessionsNeedCSRFToChangeThings(t *testing.T) {
	w := newWorld(t)
	conv := w.customer(t, "U1", "hello")
	rec := httptest.NewRecorder()
	_, err := w.authn.SignIn(rec, httptest.NewRequest(http.MethodPost, "/signin", nil), "ben", "ben-password")
	require.NoError(t, err)
	cookie := rec.Result().Cookies()[0]

	do := func(method, path, body string, headers map[string]string) (int, []byte) {
		req, err := http.NewRequest(method, w.srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.AddCookie(cookie)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := w.srv.Client().Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, raw
	}
	status, raw := do(http.MethodGet, "/api/me", "", nil)
	require.Equal(t, http.StatusOK, status)
	var me struct{ ID, CSRF string }
	require.NoError(t, json.Unmarshal(raw, &me))
	require.Equal(t, "ben", me.ID)
	require.NotEmpty(t, me.CSRF)

	reply := "/api/conversations/" + conv + "/reply"
	status, _ = do(http.MethodPost, reply, `{"text": "hi"}`, map[string]string{"Origin": w.srv.URL})
	require.Equal(t, http.StatusForbidden, status, "no CSRF token")
	status, _ = do(http.MethodPost, reply, "text=hi", map[string]string{"Origin": "https://evil.test",
		"Content-Type": "application/x-www-form-urlencoded", auth.CSRFHeader: me.CSRF})
	require.Equal(t, http.StatusForbidden, status, "a cross-site form post")
	status, raw = do(http.MethodPost, reply, `{"text": "hi"}`, map[string]string{"Origin": w.srv.URL, auth.CSRFHeader: me.CSRF})
	require.Equal(t, http.StatusOK, status, "%s", raw)
}

// Error messages say what happened without Go package prefixes ("channel: credential …").
func TestErrorMessagesHaveNoPackagePrefixes(t *testing.T) {
	w := newWorld(t)
	raw := w.call(t, "aiko", http.MethodPost, "/api/channels",
		`{"kind": "fake", "name": "Kobe", "credentials": {"account": "1777", "secret": "s", "token": "revoked"}}`, http.StatusUnprocessableEntity, nil)
	require.Equal(t, "credentials_refused", errorCode(t, raw))
	var e struct{ Error struct{ Message string } }
	require.NoError(t, json.Unmarshal(raw, &e))
	require.True(t, strings.HasPrefix(e.Error.Message, "credential token: "), e.Error.Message)
	for _, prefix := range []string{"channel: ", "conversation: ", "connect: ", "auth: "} {
		require.NotContains(t, e.Error.Message, prefix)
	}
	raw = w.call(t, "", http.MethodPost, "/api/token", `{"user": "ben", "password": "wrong"}`, http.StatusUnauthorized, nil)
	require.NoError(t, json.Unmarshal(raw, &e))
	require.Equal(t, "wrong user or password", e.Error.Message)
}
