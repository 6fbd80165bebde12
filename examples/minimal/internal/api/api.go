// Package api is the example inbox's JSON API: what a CRM's own front end would call. Every route but
// /healthz and sign-in needs a signed-in user (a session cookie with its CSRF token, or a bearer token);
// the acting agent is always that user, never a field of the request. Channel administration needs an
// admin.
//
// Errors are {"error": {"code": "…", "message": "…"}} with the status that fits: 400 malformed JSON,
// trailing data or unknown fields; 401 signed out; 403 not allowed or cross-site; 404 unknown IDs on every
// route alike; 409 a state that forbids it (outside the reply window, a concurrent change); 413 a body
// over its limit; 422 content that cannot be sent or saved; 429 too many sign-in attempts; 503 a channel
// or source that cannot be reached.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/attach/upload"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/template"
)

// MaxBody bounds a request body (uploads have their own limit).
const MaxBody = 1 << 20

// Deps is what the API serves.
type Deps struct {
	Store     store.Store
	Service   *conversation.Service
	Connect   *connect.Service
	Templates *conversation.Templates
	Linker    *linking.Linker
	Records   linking.Records
	Auth      *auth.Authenticator
	// Strategies are the assignment strategies the Service's Assigner has (the names in its
	// assign.Strategies). A channel rule naming another strategy is refused: its conversations would never
	// be assigned, and their notifications never sent.
	Strategies []string
	// Assign assigns a conversation by hand (the signed-in user assigning it to "to"); it notifies the new
	// owner.
	Assign func(ctx context.Context, conversationID, to, by string) (store.Conversation, error)
	// Sources are the attachment sources the reply box offers (registered in the Service's
	// Options.Files.Sources under the same names).
	Sources []Source
	// Uploads keeps agents' uploads, registered as a source named UploadsName; nil: no uploads.
	Uploads     *upload.Source
	UploadsName string
	// MaxUpload bounds an upload (0: DefaultMaxUpload).
	MaxUpload int64
	// InboxURL maps the URL of a file msgkit keeps, as channels fetch it (under the base URL of the
	// Service's Files.Server), to the URL the inbox shows: for a deployment whose channels reach it at
	// another address than its agents do. nil shows the channels' URL.
	InboxURL func(string) string
	// Fields are the merge fields templates may use (the schema given to Templates), listed with the
	// templates for their authors; nil lists none.
	Fields template.Fields
	Now    func() time.Time
	Logger *slog.Logger // nil discards
}

// API is the JSON API's handler.
type API struct {
	d   Deps
	mux *http.ServeMux
}

// New returns the API over d.
func New(d Deps) (*API, error) {
	if d.Store == nil || d.Service == nil || d.Connect == nil || d.Templates == nil || d.Linker == nil || d.Auth == nil {
		return nil, errors.New("api: Deps needs Store, Service, Connect, Templates, Linker and Auth")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.InboxURL == nil {
		d.InboxURL = func(u string) string { return u }
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Uploads != nil && d.UploadsName == "" {
		return nil, errors.New("api: Deps.Uploads needs the name it is registered under (UploadsName)")
	}
	a := &API{d: d, mux: http.NewServeMux()}
	a.routes()
	return a, nil
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// handler is a route that returns its error for fail to answer.
type handler func(w http.ResponseWriter, r *http.Request, me auth.User) error

// user serves h to signed-in users.
func (a *API) user(h handler) http.Handler {
	return a.d.Auth.Require(a.refuse, a.wrap(h))
}

// admin serves h to signed-in admins.
func (a *API) admin(h handler) http.Handler {
	return a.d.Auth.RequireAdmin(a.refuse, a.wrap(h))
}

func (a *API) wrap(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := auth.From(r.Context())
		if err := h(w, r, id.User); err != nil {
			a.fail(w, r, err)
		}
	})
}

func (a *API) refuse(w http.ResponseWriter, r *http.Request, err error) { a.fail(w, r, err) }

// Error is an error with its HTTP status and code, for errors the API makes itself.
type Error struct {
	Status  int
	Code    string
	Message string
	// Details, when set, is sent as the error's "details" (e.g. a template's findings).
	Details any
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

func badRequest(format string, args ...any) error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: fmt.Sprintf(format, args...)}
}

// notFound is the one answer for an unknown ID, whatever the route and whoever asks.
func notFound(what string) error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: what + " not found"}
}

// fail answers err: an *Error as it says, an error of msgkit by its category. Unexpected errors are
// logged by category only (never their text, which may name customers) and answered 500.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := classify(err)
	if e.Status >= 500 {
		a.d.Logger.LogAttrs(r.Context(), slog.LevelError, "api: request failed", slog.String("route", r.Pattern),
			slog.Int("status", e.Status), slog.String("code", e.Code))
	}
	if e.Status == http.StatusTooManyRequests {
		var re *auth.RetryError
		if errors.As(err, &re) {
			w.Header().Set("Retry-After", fmt.Sprint(int(re.After.Seconds()+0.5)))
		}
	}
	body := map[string]any{"code": e.Code, "message": e.Message}
	if e.Details != nil {
		body["details"] = e.Details
	}
	writeJSON(w, e.Status, map[string]any{"error": body})
}

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func ok(w http.ResponseWriter, v any) error {
	writeJSON(w, http.StatusOK, v)
	return nil
}

// decode reads a JSON body into v: one value, no unknown fields, no trailing data, at most MaxBody bytes.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
				Message: fmt.Sprintf("the body is over %d bytes", tooLarge.Limit)}
		}
		if errors.Is(err, io.EOF) {
			return badRequest("the body must be a JSON object")
		}
		return badRequest("the body is not valid JSON for this route: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("the body has data after its JSON value")
	}
	return nil
}

// noBody checks that an action without parameters got none: an empty body or {}.
func noBody(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength == 0 {
		return nil
	}
	var none struct{}
	return decode(w, r, &none)
}

// jsonProblem describes a decoding error without repeating the body's values.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be %s", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends too early"
	}
	return "malformed"
}
