package web

import (
	"bytes"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
)

// pageData is what every page's layout reads.
type pageData struct {
	Title  string
	Nav    string // the top bar's current section: inbox, channels, templates
	Me     *auth.User
	CSRF   string
	Assets map[string]string
	Flash  string // a notice at the top of the page
	Error  string // an error at the top of the page
	Body   any    // the page's own data
	Demo   bool   // the demo's "a customer writes" page exists
}

// securityHeaders are set on every page and fragment: no inline script, no framing, no sniffing.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https:; script-src 'self'; style-src 'self'; "+
		"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

func (h *Handler) parseTemplates() error {
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return err
	}
	h.frag = base
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	h.pages = map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" || name == "parts" {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return err
		}
		if h.pages[name], err = t.ParseFS(templateFS, p); err != nil {
			return err
		}
	}
	return nil
}

var funcs = template.FuncMap{
	"initials": initials,
	"tone":     tone,
}

// render writes page name with data, status and the layout.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data pageData) {
	t, ok := h.pages[name]
	if !ok {
		panic("web: no page template " + name)
	}
	if data.Assets == nil {
		data.Assets = h.assets
	}
	data.Demo = h.d.DemoCustomer != nil
	if id, ok := auth.From(r.Context()); ok && data.Me == nil {
		u := id.User
		data.Me, data.CSRF = &u, id.CSRF
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		h.d.Logger.LogAttrs(r.Context(), slog.LevelError, "web: rendering a page failed", slog.String("page", name))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderFragment writes the named part of a page, for the script to put in place.
func (h *Handler) renderFragment(w http.ResponseWriter, r *http.Request, name string, data any) error {
	var buf bytes.Buffer
	if err := h.frag.ExecuteTemplate(&buf, name, data); err != nil {
		h.d.Logger.LogAttrs(r.Context(), slog.LevelError, "web: rendering a fragment failed", slog.String("fragment", name))
		return err
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := w.Write(buf.Bytes())
	return err
}

// pageFunc serves a page; an error is answered with an error page (or a redirect to sign in).
type pageFunc func(w http.ResponseWriter, r *http.Request) error

// page serves f to signed-in users; others are sent to sign in (a GET) or refused.
func (h *Handler) page(f pageFunc) http.Handler {
	return h.d.Auth.Require(h.refusePage, h.serve(f, false))
}

// admin serves f to signed-in admins.
func (h *Handler) admin(f pageFunc) http.Handler {
	return h.d.Auth.RequireAdmin(h.refusePage, h.serve(f, false))
}

// fragment serves f to the page's script: errors are answered in plain text with their status (401
// tells the script to sign in again).
func (h *Handler) fragment(f pageFunc) http.Handler {
	return h.d.Auth.Require(func(w http.ResponseWriter, r *http.Request, err error) {
		status := auth.Status(err)
		if status == 0 {
			status = http.StatusForbidden
		}
		securityHeaders(w)
		http.Error(w, http.StatusText(status), status)
	}, h.serve(f, true))
}

func (h *Handler) serve(f pageFunc, fragment bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := f(w, r)
		if err == nil {
			return
		}
		var e *apiError
		if !errors.As(err, &e) {
			e = &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "Something went wrong. Try again."}
			if r.Context().Err() == nil {
				h.d.Logger.LogAttrs(r.Context(), slog.LevelError, "web: request failed", slog.String("route", r.Pattern))
			}
		}
		if fragment {
			securityHeaders(w)
			http.Error(w, e.Message, e.Status)
			return
		}
		if e.Status == http.StatusUnauthorized {
			h.toSignIn(w, r)
			return
		}
		h.errorPage(w, r, e)
	})
}

// refusePage answers a page request Require refused: to sign in when signed out, a page saying why
// otherwise.
func (h *Handler) refusePage(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, auth.ErrSignedOut) && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		h.toSignIn(w, r)
	case errors.Is(err, auth.ErrSignedOut):
		h.errorPage(w, r, &apiError{Status: http.StatusUnauthorized, Code: "unauthorized",
			Message: "Your session has ended. Sign in again, then repeat what you were doing."})
	case errors.Is(err, auth.ErrCrossSite):
		h.errorPage(w, r, &apiError{Status: http.StatusForbidden, Code: "cross_site",
			Message: "This form expired or came from another site. Go back, reload the page and try again."})
	default:
		h.errorPage(w, r, &apiError{Status: http.StatusForbidden, Code: "forbidden",
			Message: "Only administrators can do this."})
	}
}

func (h *Handler) toSignIn(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, e *apiError) {
	title := map[int]string{http.StatusNotFound: "Not found", http.StatusForbidden: "Not allowed",
		http.StatusUnauthorized: "Signed out"}[e.Status]
	if title == "" {
		title = "Something went wrong"
	}
	if e.Status == http.StatusNotFound && e != errNotFound {
		e = &apiError{Status: http.StatusNotFound, Code: e.Code, Message: "There is nothing here: it may have been removed."}
	}
	h.render(w, r, e.Status, "error", pageData{Title: title, Body: e})
}

// initials are up to two letters of name for an avatar without a picture.
func initials(name string) string {
	var out []rune
	for _, f := range strings.Fields(name) {
		for _, c := range f {
			out = append(out, c)
			break
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return strings.ToUpper(string(out))
}

// tone is one of the avatar colours (a class, since the pages allow no inline style), stable for an ID.
func tone(id string) int {
	var n uint32 = 2166136261
	for i := 0; i < len(id); i++ {
		n = (n ^ uint32(id[i])) * 16777619
	}
	return int(n % 8)
}
