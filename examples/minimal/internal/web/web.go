// Package web is the example inbox's web front end: server-rendered pages (html/template, with their
// styles, script and icons embedded), sign-in and sign-out, the notifications panel, and a Server-Sent
// Events stream that tells an open page when its views, its open conversation or the user's
// notifications changed.
//
// Pages read through the JSON API in-process, as the signed-in user (their own session cookie), so the
// API's rules are the only ones: a page shows what the API would answer that user. The page's script
// calls the same API for what agents do (reply with templates and attachments, upload, link, assign),
// sending the session's CSRF token; the channel, template and notification forms post to this package,
// which checks the token and calls the API likewise. Inbound media are shown through the API's signed
// URLs to msgkit's own copies, loaded from HTTPS or from this site only. The channel pages are for
// admins only: agents get a 403 page, and no Channels link.
//
// Every string a customer, an agent or a channel supplied reaches the page through html/template, or,
// in the script, through textContent; pages are served with a Content-Security-Policy that allows no
// inline script.
//
// # Concurrency
//
// A Handler is safe for concurrent use. Each open event stream is served by its request's goroutine
// alone, polling every Deps.Poll until the client goes away, its session ends, or Close is called; at
// most Deps.MaxStreams are open at once.
package web

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps is what the web front end needs.
type Deps struct {
	// API is the JSON API (package api). The Handler reads it in-process and serves it under /api/ and
	// /healthz, so that one handler serves the whole inbox but the webhooks.
	API  http.Handler
	Auth *auth.Authenticator
	// Kinds are the channel kinds the connect form offers, with their credential fields; nil means
	// DefaultKinds().
	Kinds []Kind
	Now   func() time.Time // nil: time.Now
	// Logger receives request failures by route and status only; nil discards.
	Logger *slog.Logger
	// Poll is how often an event stream looks for changes (default 1.5s).
	Poll time.Duration
	// Heartbeat is how often an idle event stream sends a comment to keep proxies from closing it
	// (default 20s).
	Heartbeat time.Duration
	// MaxStreams bounds the event streams open at once (default 256); more are answered 503.
	MaxStreams int
	// DemoCustomer, in the demo only, has a demo customer write (through the channel's signed webhook):
	// admins get the page /demo to do it from. nil: no such page.
	DemoCustomer func(ctx context.Context, m DemoMessage) error
}

// Kind is a channel kind the connect form offers.
type Kind struct {
	Name   string // the connector's kind, e.g. "line"
	Label  string // e.g. "LINE"
	Help   string // where the administrator finds the credentials
	Fields []Field
}

// Field is one credential the connect form asks for.
type Field struct {
	Key      string // the credential's key (channel.Credentials)
	Label    string
	Help     string
	Secret   bool // a password field, never shown again
	Required bool
}

// DefaultKinds returns LINE and WhatsApp with the credentials their connectors read.
func DefaultKinds() []Kind {
	return []Kind{
		{Name: "line", Label: "LINE", Help: "From the LINE Developers console: your provider → the Messaging API channel.",
			Fields: []Field{
				{Key: line.CredChannelID, Label: "Channel ID", Help: "Basic settings → Channel ID (a number).", Required: true},
				{Key: line.CredChannelSecret, Label: "Channel secret", Help: "Basic settings → Channel secret.", Secret: true, Required: true},
				{Key: line.CredAccessToken, Label: "Channel access token", Secret: true,
					Help: "Messaging API → Channel access token (long-lived). Leave empty to issue short-lived tokens from the ID and secret."},
			}},
		{Name: "whatsapp", Label: "WhatsApp", Help: "From Meta for Developers: your app → WhatsApp → API Setup.",
			Fields: []Field{
				{Key: whatsapp.CredPhoneNumberID, Label: "Phone number ID", Required: true},
				{Key: whatsapp.CredAccessToken, Label: "Access token", Help: "A system user's permanent token.", Secret: true, Required: true},
				{Key: whatsapp.CredAppSecret, Label: "App secret", Help: "App settings → Basic → App secret.", Secret: true, Required: true},
				{Key: whatsapp.CredVerifyToken, Label: "Webhook verify token", Help: "Any string; enter the same one in Meta's webhook settings.", Secret: true},
				{Key: whatsapp.CredBusinessAccountID, Label: "WhatsApp Business Account ID", Help: "Optional: used to check the webhook subscription."},
			}},
	}
}

// Handler serves the web inbox. Create it with New.
type Handler struct {
	d       Deps
	mux     *http.ServeMux
	pages   map[string]*template.Template
	frag    *template.Template
	assets  map[string]string // asset name → its URL with a content hash
	static  http.Handler
	ctx     context.Context // done once Close is called
	close   context.CancelFunc
	streams chan struct{} // a token per open event stream
	once    sync.Once
}

// New returns the web front end over d. It serves everything but the webhooks; a server wires it as
//
//	h, err := web.New(web.Deps{API: apiHandler, Auth: authn})
//	mux.Handle("POST /webhooks/{channel}", webhooks)
//	mux.Handle("/", h)
//	srv := &http.Server{Handler: mux}
//	srv.RegisterOnShutdown(h.Close)
func New(d Deps) (*Handler, error) {
	if d.API == nil || d.Auth == nil {
		return nil, errors.New("web: Deps needs API and Auth")
	}
	if d.Kinds == nil {
		d.Kinds = DefaultKinds()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Poll <= 0 {
		d.Poll = 1500 * time.Millisecond
	}
	if d.Heartbeat <= 0 {
		d.Heartbeat = 20 * time.Second
	}
	if d.MaxStreams <= 0 {
		d.MaxStreams = 256
	}
	h := &Handler{d: d, mux: http.NewServeMux(), streams: make(chan struct{}, d.MaxStreams)}
	h.ctx, h.close = context.WithCancel(context.Background())
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	h.static = http.StripPrefix("/static/", http.FileServerFS(static))
	if h.assets, err = hashAssets(static); err != nil {
		return nil, err
	}
	if err := h.parseTemplates(); err != nil {
		return nil, err
	}
	h.routes()
	return h, nil
}

// maxForm bounds the body of a form posted to a page (the API bounds its own).
const maxForm = 64 << 10

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && !strings.HasPrefix(r.URL.Path, "/api/") {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	}
	h.mux.ServeHTTP(w, r)
}

// Close ends the open event streams and refuses new ones; the pages go on being served. Call it when
// the server shuts down (http.Server.RegisterOnShutdown(h.Close)): Shutdown waits for requests to
// finish, and an event stream does not finish by itself. Close is idempotent.
func (h *Handler) Close() { h.once.Do(h.close) }

// hashAssets gives each embedded asset a URL that changes with its content, so that it can be cached.
func hashAssets(static fs.FS) (map[string]string, error) {
	out := map[string]string{}
	err := fs.WalkDir(static, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[p] = "/static/" + p + "?v=" + hex.EncodeToString(sum[:6])
		return nil
	})
	return out, err
}

func (h *Handler) routes() {
	m := h.mux
	m.Handle("/api/", h.d.API)
	m.Handle("/healthz", h.d.API)
	m.HandleFunc("GET /static/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.static.ServeHTTP(w, r)
	})
	m.HandleFunc("GET /signin", h.signInPage)
	m.HandleFunc("POST /signin", h.signIn)
	m.Handle("POST /signout", h.page(h.signOut))
	m.Handle("GET /{$}", h.page(func(w http.ResponseWriter, r *http.Request) error {
		http.Redirect(w, r, "/inbox", http.StatusSeeOther)
		return nil
	}))
	m.Handle("GET /inbox", h.page(h.inbox))
	m.Handle("GET /inbox/views", h.fragment(h.viewsFragment))
	m.Handle("GET /inbox/list", h.fragment(h.listFragment))
	m.Handle("GET /inbox/c/{id}", h.fragment(h.paneFragment))
	m.Handle("GET /inbox/c/{id}/link", h.fragment(h.linkFragment))
	m.Handle("GET /inbox/files/{source}", h.fragment(h.filesFragment))
	m.Handle("GET /records/{kind}/{rid}", h.page(h.record))
	m.Handle("GET /channels", h.admin(h.channels))
	m.Handle("POST /channels", h.admin(h.connect))
	m.Handle("GET /channels/{id}", h.admin(h.channelPage))
	m.Handle("GET /channels/{id}/qr.png", h.admin(h.qrPNG))
	m.Handle("GET /channels/{id}/qr.svg", h.admin(h.qrSVG))
	m.Handle("POST /channels/{id}/{action}", h.admin(h.channelAction))
	m.Handle("GET /templates", h.page(h.templates))
	m.Handle("POST /templates", h.page(h.saveTemplate))
	m.Handle("POST /templates/{id}/delete", h.page(h.deleteTemplate))
	if h.d.DemoCustomer != nil {
		m.Handle("GET /demo", h.admin(h.demoPage))
		m.Handle("POST /demo", h.admin(h.demoWrite))
	}
	m.Handle("GET /notifications", h.fragment(h.notesFragment))
	m.Handle("POST /notifications", h.fragment(h.noteAction))
	m.Handle("GET /events", h.fragment(h.events))
	m.Handle("/", h.page(func(http.ResponseWriter, *http.Request) error { return errNotFound }))
}

// isHTTPS reports whether the client reached the server over HTTPS (directly or through a proxy).
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// origin is the scheme and host the client addressed.
func origin(r *http.Request) string {
	if isHTTPS(r) {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}
