package api

import (
	"net/http"
	"time"

	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
)

func (a *API) routes() {
	m := a.mux
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	m.Handle("POST /api/token", a.wrap(func(w http.ResponseWriter, r *http.Request, _ auth.User) error { return a.token(w, r) }))
	m.Handle("DELETE /api/token", a.user(a.revokeToken))

	m.Handle("GET /api/me", a.user(a.me))
	m.Handle("GET /api/users", a.user(a.users))
	m.Handle("GET /api/views", a.user(a.views))
	m.Handle("GET /api/conversations", a.user(a.listConversations))
	m.Handle("GET /api/conversations/{id}", a.user(a.getConversation))
	m.Handle("GET /api/conversations/{id}/messages", a.user(a.messages))
	m.Handle("POST /api/conversations/{id}/reply", a.user(a.reply))
	m.Handle("POST /api/conversations/{id}/assign", a.user(a.assign))
	m.Handle("GET /api/conversations/{id}/suggestions", a.user(a.suggestions))
	m.Handle("POST /api/conversations/{id}/link", a.user(a.link))
	m.Handle("POST /api/conversations/{id}/unlink", a.user(a.unlink))
	m.Handle("GET /api/conversations/{id}/links", a.user(a.linkHistory))
	m.Handle("POST /api/conversations/{id}/preview", a.user(a.previewTemplate))
	m.Handle("GET /api/records/{kind}/{rid}/timeline", a.user(a.timeline))
	m.Handle("POST /api/conversations/{id}/snooze", a.user(a.snooze))
	m.Handle("POST /api/conversations/{id}/unsnooze", a.user(notificationAction(a.d.Service.Unsnooze)))
	m.Handle("POST /api/conversations/{id}/ignore", a.user(notificationAction(a.d.Service.Ignore)))
	m.Handle("POST /api/conversations/{id}/unignore", a.user(notificationAction(a.d.Service.Unignore)))

	m.Handle("GET /api/notifications", a.user(a.notifications))
	m.Handle("POST /api/notifications/{id}/read", a.user(a.readNotification))
	m.Handle("POST /api/notifications/read", a.user(a.readNotifications))
	m.Handle("GET /api/notifications/settings", a.user(a.settings))
	m.Handle("PUT /api/notifications/settings", a.user(a.settings))

	m.Handle("GET /api/sources", a.user(a.sources))
	m.Handle("GET /api/sources/{name}/files", a.user(a.sourceFiles))
	m.Handle("POST /api/uploads", a.user(a.upload))

	m.Handle("GET /api/templates", a.user(a.listTemplates))
	m.Handle("POST /api/templates", a.user(a.saveTemplate))
	m.Handle("PUT /api/templates/{id}", a.user(a.saveTemplate))
	m.Handle("DELETE /api/templates/{id}", a.user(a.deleteTemplate))

	m.Handle("GET /api/channels", a.user(a.listChannels))
	m.Handle("GET /api/channels/{id}", a.user(a.getChannel))
	m.Handle("GET /api/channels/{id}/entry-points", a.user(a.entryPoints))
	m.Handle("POST /api/channels", a.admin(a.connectChannel))
	m.Handle("POST /api/channels/{id}/check", a.admin(a.checkChannel))
	m.Handle("POST /api/channels/{id}/deactivate", a.admin(a.deactivateChannel))
	m.Handle("POST /api/channels/{id}/reactivate", a.admin(a.reactivateChannel))
	m.Handle("PUT /api/channels/{id}/assignment", a.admin(a.setAssignment))
	m.Handle("GET /api/channels/{id}/quota", a.admin(a.quota))

	// Anything else under /api is an unknown route: JSON, like every other answer.
	m.Handle("/api/", a.wrap(func(http.ResponseWriter, *http.Request, auth.User) error { return notFound("route") }))
}

// revokeToken ends the bearer token the request carries (or the session, for a browser), before its
// expiry: it is refused from then on.
func (a *API) revokeToken(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	if err := a.d.Auth.Revoke(r); err != nil {
		return err
	}
	return ok(w, map[string]bool{"revoked": true})
}

// token exchanges an API client's credentials for a bearer token: {"user": …, "password": …}.
func (a *API) token(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	tok, exp, err := a.d.Auth.IssueToken(r, in.User, in.Password)
	if err != nil {
		return err
	}
	return ok(w, struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expiresAt"`
	}{tok, exp})
}
