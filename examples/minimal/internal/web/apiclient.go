package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
)

// apiError is an error answer of the API: its status, code and message (fit to show an agent).
type apiError struct {
	Status  int
	Code    string
	Message string
	Details json.RawMessage
}

func (e *apiError) Error() string { return fmt.Sprintf("api: %d %s: %s", e.Status, e.Code, e.Message) }

// errNotFound answers a page that does not exist.
var errNotFound = &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "This page does not exist."}

// maxAnswer bounds an in-process API answer the pages read.
const maxAnswer = 8 << 20

// call asks the API, in-process, as the user who made r: their cookie, their CSRF token on changes. It
// decodes a 2xx answer into out (when not nil) and returns its body; other answers are *apiError.
func (h *Handler) call(r *http.Request, method, path string, in, out any) ([]byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(r.Context(), method, path, body)
	if err != nil {
		return nil, err
	}
	req.Host, req.RemoteAddr, req.TLS = r.Host, r.RemoteAddr, r.TLS
	if c := r.Header.Values("Cookie"); len(c) > 0 {
		req.Header["Cookie"] = c
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		req.Header.Set("X-Forwarded-Proto", p)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet && method != http.MethodHead {
		id, _ := auth.From(r.Context())
		req.Header.Set(auth.CSRFHeader, id.CSRF)
		req.Header.Set("Origin", origin(r))
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	h.d.API.ServeHTTP(rec, req)
	raw := rec.body.Bytes()
	if rec.status >= 300 {
		e := &apiError{Status: rec.status, Code: "error", Message: http.StatusText(rec.status)}
		var wrapped struct {
			Error struct {
				Code    string          `json:"code"`
				Message string          `json:"message"`
				Details json.RawMessage `json:"details"`
			} `json:"error"`
		}
		if json.Unmarshal(raw, &wrapped) == nil && wrapped.Error.Code != "" {
			e.Code, e.Message, e.Details = wrapped.Error.Code, wrapped.Error.Message, wrapped.Error.Details
		}
		return raw, e
	}
	if rec.overflow {
		return nil, errors.New("web: the API's answer is too large")
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return raw, fmt.Errorf("web: decoding %s %s: %w", method, path, err)
		}
	}
	return raw, nil
}

func (h *Handler) get(r *http.Request, path string, out any) ([]byte, error) {
	return h.call(r, http.MethodGet, path, nil, out)
}

// recorder is the ResponseWriter of an in-process API call.
type recorder struct {
	header   http.Header
	status   int
	wrote    bool
	body     bytes.Buffer
	overflow bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	if r.body.Len()+len(b) > maxAnswer {
		r.overflow = true
		return 0, errors.New("web: answer too large")
	}
	return r.body.Write(b)
}

// pathf builds an API path with its parameters escaped.
func pathf(format string, args ...string) string {
	esc := make([]any, len(args))
	for i, a := range args {
		esc[i] = url.PathEscape(a)
	}
	return fmt.Sprintf(format, esc...)
}

// The API's answers, as the pages read them.

type apiView struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	More  bool   `json:"more"`
}

type apiRecord struct {
	Kind  string `json:"kind"`
	ID    string `json:"id"`
	Name  string `json:"name"`
	Owner string `json:"owner"`
	Match string `json:"match"`
}

type apiRow struct {
	ID      string `json:"id"`
	Channel struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"channel"`
	Contact struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		PictureURL string `json:"pictureUrl"`
		Pending    bool   `json:"pending"`
	} `json:"contact"`
	Record        *apiRecord `json:"record"`
	Assignee      string     `json:"assignee"`
	Unreplied     bool       `json:"unreplied"`
	Preview       string     `json:"preview"`
	LastMessageAt time.Time  `json:"lastMessageAt"`
	Reply         struct {
		Allowed       bool       `json:"allowed"`
		Until         *time.Time `json:"until"`
		TemplatesOnly bool       `json:"templatesOnly"`
	} `json:"reply"`
	Notification *struct {
		SnoozedUntil        *time.Time `json:"snoozedUntil"`
		UntilCustomerWrites bool       `json:"untilCustomerWrites"`
		Ignored             bool       `json:"ignored"`
	} `json:"notification"`
	Cursor string `json:"cursor"`
	// Peer is set by GET /api/conversations/{id} only.
	Peer struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
	} `json:"peer"`
}

type apiMessage struct {
	ID             string           `json:"id"`
	Direction      string           `json:"direction"`
	Kind           string           `json:"kind"`
	Author         string           `json:"author"`
	Content        *channel.Message `json:"content"`
	Status         string           `json:"status"`
	Outcome        string           `json:"outcome"`
	Detail         string           `json:"detail"`
	Billable       bool             `json:"billable"`
	Unsent         bool             `json:"unsent"`
	Time           time.Time        `json:"time"`
	ConversationID string           `json:"conversationId"`
	ChannelID      string           `json:"channelId"`
	Media          *apiMedia        `json:"media"`
}

// apiMedia is msgkit's copy of an inbound message's media.
type apiMedia struct {
	Status      string `json:"status"` // pending, ready, failed
	URL         string `json:"url"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	Detail      string `json:"detail"`
}

type apiTemplate struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ChannelKind string    `json:"channelKind"`
	Body        string    `json:"body"`
	Version     int64     `json:"version"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

type apiFinding struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Field    string `json:"field"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Message  string `json:"message"`
}

type apiChannel struct {
	ID         string              `json:"id"`
	Name       string              `json:"name"`
	Kind       string              `json:"kind"`
	ExternalID string              `json:"externalId"`
	Account    channel.AccountInfo `json:"account"`
	Active     bool                `json:"active"`
	Disconnect *time.Time          `json:"disconnectedAt"`
	Assignment struct {
		Strategy string   `json:"strategy"`
		Pool     string   `json:"pool"`
		PoolIDs  []string `json:"poolIds"`
		MaxOpen  int      `json:"maxOpen"`
	} `json:"assignment"`
	Checks     []channel.SettingCheck `json:"checks"`
	CheckedAt  *time.Time             `json:"checkedAt"`
	WebhookURL string                 `json:"webhookUrl"`
}

type apiQuota struct {
	SentBillable int        `json:"sentBillable"`
	SentFree     int        `json:"sentFree"`
	Since        time.Time  `json:"since"`
	ExceededAt   *time.Time `json:"exceededAt"`
	Limited      bool       `json:"limited"`
	Limit        int64      `json:"limit"`
	Used         int64      `json:"used"`
	Remaining    int64      `json:"remaining"`
	ChannelError string     `json:"channelError"`
	Quota        string     `json:"quota"` // "not applicable": the channel has no quota (Note says why)
	Note         string     `json:"note"`
}

type apiEntryPoints struct {
	URL        string `json:"url"`
	ButtonHTML string `json:"buttonHtml"`
	QRPng      string `json:"qrPng"`
	QRSvg      string `json:"qrSvg"`
}
