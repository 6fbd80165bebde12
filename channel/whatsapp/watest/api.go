package watest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults applied by New: the IDs of Meta's own documentation examples.
const (
	DefaultPhoneNumberID      = "106540352242922"
	DefaultDisplayPhoneNumber = "15550783881"
	DefaultVerifiedName       = "watest"
	DefaultBusinessAccountID  = "102290129340398"
	// DefaultWindow is the customer service window the API enforces on messages other than templates.
	DefaultWindow = 24 * time.Hour
	// MaxTextLength is the longest text body the API accepts (Meta: 4,096 characters).
	MaxTextLength = 4096
)

// maxRequestBytes bounds a request body the API reads.
const maxRequestBytes = 4 << 20

// Options configures an API. nil (or a zero field) means the documented default.
type Options struct {
	// AccessToken, when set, is the only bearer token accepted; unset, any non-empty one is.
	AccessToken string
	// PhoneNumberID, DisplayPhoneNumber, VerifiedName and BusinessAccountID describe the business phone
	// number (defaults: the Default… constants). Requests for another phone number ID answer "no such
	// object".
	PhoneNumberID, DisplayPhoneNumber, VerifiedName, BusinessAccountID string
	// Window is the customer service window: a message other than a template to a user who has not
	// written (through Webhook or CustomerWrote) within it answers 131047. 0 means DefaultWindow; a
	// negative Window turns the check off.
	Window time.Duration
	// Now is the API's clock: the window, timestamps. nil means time.Now.
	Now func() time.Time
	// IDBase offsets the numbers in the IDs the API makes up (wamids, media IDs), which count from 1 by
	// default: a demo restarted on its database, whose new API would repeat the IDs its earlier run
	// stored, gives a base above every number used before (e.g. time.Now().UnixMicro()). It must not be
	// negative.
	IDBase int64
}

// Media is content a customer sent, as the media endpoints serve it.
type Media struct {
	// Type is the message type: "image", "video", "audio", "document" or "sticker".
	Type     string
	MimeType string
	Data     []byte
	// FileName names a document; Caption is an image's, video's or document's caption. Webhooks carry them.
	FileName, Caption string
}

// Request is one HTTP request the API received, faulted or not.
type Request struct {
	Op      Op
	Method  string
	Path    string
	Query   string
	Header  http.Header
	Body    []byte
	TraceID string    // the x-fb-trace-id of its answer (also when the answer was lost)
	Fault   FaultKind // the scripted fault it met; "" if none
	Time    time.Time
}

// Sent is one message WhatsApp accepted.
type Sent struct {
	ID   string // the wamid answered
	To   string
	Type string
	// Body is the request body as received.
	Body    json.RawMessage
	TraceID string
	Time    time.Time
}

// Text returns the body of a text message, or "".
func (s Sent) Text() string {
	var m struct {
		Text struct {
			Body string `json:"body"`
		} `json:"text"`
	}
	_ = json.Unmarshal(s.Body, &m)
	return m.Text.Body
}

// API is a fake of the WhatsApp Business Cloud API (the Graph API's messages, media and phone number
// endpoints) as an http.Handler. Point a WhatsApp adapter's Endpoint at wherever it is served
// (NewServer does that for you).
//
// It behaves as WhatsApp does where a client's correctness depends on it: requests need a bearer token
// (401, code 190); a message other than a template to a customer who has not written within the window
// answers 131047; malformed messages answer 400 code 100; each accepted message is answered with its
// own "wamid.…" ID; media IDs resolve to a download URL that needs the token; every answer carries
// x-fb-trace-id. Faults scripted with Fail make any request answer an error, time out or have its
// connection reset, before or after WhatsApp handled it.
//
// An API is safe for concurrent use. Close releases requests held by timeout faults.
type API struct {
	opts   Options
	closed chan struct{}
	once   sync.Once

	mu       sync.Mutex
	seq      int // requests
	msgSeq   int64
	mediaSeq int64
	faults   map[Op][]Fault
	requests []Request
	sent     []Sent
	reads    []string
	inbound  map[string]time.Time // wa_id → when the customer last wrote
	media    map[string]Media
}

// New returns an API configured by opts (nil for the defaults).
func New(opts *Options) *API {
	var o Options
	if opts != nil {
		o = *opts
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.PhoneNumberID, DefaultPhoneNumberID)
	def(&o.DisplayPhoneNumber, DefaultDisplayPhoneNumber)
	def(&o.VerifiedName, DefaultVerifiedName)
	def(&o.BusinessAccountID, DefaultBusinessAccountID)
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &API{opts: o, closed: make(chan struct{}), faults: map[Op][]Fault{},
		inbound: map[string]time.Time{}, media: map[string]Media{}, msgSeq: max(o.IDBase, 0), mediaSeq: max(o.IDBase, 0)}
}

// Close releases every request held by a timeout fault and makes later ones give up at once. The API
// keeps answering other requests.
func (a *API) Close() { a.once.Do(func() { close(a.closed) }) }

// Fail scripts faults for the next requests of op, in order; later requests are handled normally.
// Faults for OpAny apply to the next requests of any operation that has no fault of its own scripted.
func (a *API) Fail(op Op, faults ...Fault) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.faults[op] = append(a.faults[op], faults...)
}

// CustomerWrote records that the customer waID wrote at t, opening the customer service window
// (Webhook does it for the messages it writes).
func (a *API) CustomerWrote(waID string, t time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if t.After(a.inbound[waID]) {
		a.inbound[waID] = t
	}
}

// AddMedia makes m the content of a new media ID, which it returns (Webhook does it for the media
// messages it writes).
func (a *API) AddMedia(m Media) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.addMedia(m)
}

func (a *API) addMedia(m Media) string {
	a.mediaSeq++
	id := strconv.FormatInt(1003383421387000+a.mediaSeq, 10)
	a.media[id] = m
	return id
}

// RemoveMedia forgets a media ID, as WhatsApp does once it stops keeping the content.
func (a *API) RemoveMedia(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.media, id)
}

// Sent returns every message WhatsApp accepted, in order. The slice is the caller's.
func (a *API) Sent() []Sent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Sent(nil), a.sent...)
}

// Reads returns the message IDs marked as read, in order. The slice is the caller's.
func (a *API) Reads() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.reads...)
}

// Requests returns every request the API received, in order, including those that met a fault. The
// slice is the caller's.
func (a *API) Requests() []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Request(nil), a.requests...)
}

// answer is an HTTP answer the API gives (or, after an "after" fault, would have given).
type answer struct {
	status int
	header http.Header
	body   []byte
}

// ServeHTTP answers one request of the Graph API.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		write(w, "", graphAnswer(http.StatusRequestEntityTooLarge, CodeInvalidParam, 0, "Request entity too large", "", ""))
		return
	}
	op, param := a.route(r, body)

	a.mu.Lock()
	now := a.opts.Now()
	a.seq++
	trace := fmt.Sprintf("AWtest%017d", a.seq)
	fault, faulted := a.nextFault(op)
	if fault.Kind == Pass {
		faulted = false
	}
	a.requests = append(a.requests, Request{Op: op, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: body, TraceID: trace, Fault: fault.Kind, Time: now})
	var ans answer
	if !faulted || fault.Kind == TimeoutAfter || fault.Kind == ResetAfter {
		ans = a.handle(op, param, r, body, trace, now)
	}
	a.mu.Unlock()

	switch {
	case !faulted:
		write(w, trace, ans)
	case fault.Kind == Answer:
		status := fault.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		write(w, trace, answer{status: status, header: fault.Header, body: []byte(fault.Body)})
	case fault.Kind == TimeoutBefore || fault.Kind == TimeoutAfter:
		select {
		case <-r.Context().Done():
		case <-a.closed:
		}
		drop(w, false)
	case fault.Kind == ResetBefore || fault.Kind == ResetAfter:
		drop(w, true)
	default:
		write(w, trace, graphAnswer(http.StatusInternalServerError, CodeSomethingBad, 0, "watest: unknown fault kind "+string(fault.Kind), "", trace))
	}
}

func (a *API) nextFault(op Op) (Fault, bool) {
	for _, o := range []Op{op, OpAny} {
		if q := a.faults[o]; len(q) > 0 {
			a.faults[o] = q[1:]
			return q[0], true
		}
	}
	return Fault{}, false
}

func write(w http.ResponseWriter, trace string, ans answer) {
	for k, v := range ans.header {
		w.Header()[k] = v
	}
	if trace != "" {
		w.Header().Set("X-Fb-Trace-Id", trace)
	}
	w.WriteHeader(ans.status)
	_, _ = w.Write(ans.body)
}

// drop closes the request's connection without an answer; with reset, abortively (TCP RST).
func drop(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok && reset {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// downloadPath is where media content is served, as Meta's lookaside host serves it.
const downloadPath = "/whatsapp_business/attachments/"

// route names the operation of a request and its path parameter.
func (a *API) route(r *http.Request, body []byte) (Op, string) {
	if r.Method == http.MethodGet && r.URL.Path == downloadPath {
		return OpDownload, r.URL.Query().Get("mid")
	}
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(seg) < 2 || !version(seg[0]) || seg[1] == "" {
		return OpUnknown, ""
	}
	switch {
	case len(seg) == 2 && r.Method == http.MethodGet && seg[1] == a.opts.PhoneNumberID:
		return OpPhoneNumber, seg[1]
	case len(seg) == 2 && r.Method == http.MethodGet:
		return OpMedia, seg[1]
	case len(seg) == 3 && r.Method == http.MethodPost && seg[2] == "messages":
		var m struct {
			Status string `json:"status"`
		}
		if json.Unmarshal(body, &m) == nil && m.Status == "read" {
			return OpMarkRead, seg[1]
		}
		return OpSend, seg[1]
	}
	return OpUnknown, ""
}

func version(s string) bool {
	major, minor, ok := strings.Cut(strings.TrimPrefix(s, "v"), ".")
	_, e1 := strconv.Atoi(major)
	_, e2 := strconv.Atoi(minor)
	return ok && strings.HasPrefix(s, "v") && e1 == nil && e2 == nil
}

// handle answers a request as WhatsApp would, changing the API's state. a.mu is held.
func (a *API) handle(op Op, param string, r *http.Request, body []byte, trace string, now time.Time) answer {
	if op == OpUnknown {
		return graphAnswer(http.StatusBadRequest, CodeInvalidParam, 0, "Unsupported request - method type: "+strings.ToLower(r.Method), "", trace)
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" || a.opts.AccessToken != "" && token != a.opts.AccessToken {
		return graphAnswer(http.StatusUnauthorized, CodeAccessToken, 0, "Invalid OAuth access token - Cannot parse access token", "", trace)
	}
	switch op {
	case OpPhoneNumber:
		return jsonAnswer(map[string]string{"verified_name": a.opts.VerifiedName, "display_phone_number": a.opts.DisplayPhoneNumber,
			"id": a.opts.PhoneNumberID, "quality_rating": "GREEN"})
	case OpMedia:
		m, ok := a.media[param]
		if !ok {
			return noObject(param, trace)
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		return jsonAnswer(map[string]string{"messaging_product": "whatsapp", "id": param, "mime_type": m.MimeType,
			"file_size": strconv.Itoa(len(m.Data)), "sha256": "",
			"url": scheme + "://" + r.Host + downloadPath + "?mid=" + param + "&ext=" + strconv.FormatInt(now.Unix(), 10)})
	case OpDownload:
		m, ok := a.media[param]
		if !ok {
			return answer{status: http.StatusNotFound, header: http.Header{"Content-Type": {"text/plain"}}, body: []byte("Not found")}
		}
		return answer{status: http.StatusOK, header: http.Header{"Content-Type": {m.MimeType}}, body: m.Data}
	}
	if param != a.opts.PhoneNumberID {
		return noObject(param, trace)
	}
	if op == OpMarkRead {
		var m struct {
			MessagingProduct string `json:"messaging_product"`
			MessageID        string `json:"message_id"`
		}
		if json.Unmarshal(body, &m) != nil || m.MessagingProduct != "whatsapp" || m.MessageID == "" {
			return invalid("messaging_product and message_id are required", trace)
		}
		a.reads = append(a.reads, m.MessageID)
		return jsonAnswer(map[string]bool{"success": true})
	}
	return a.send(body, trace, now)
}

// sendable lists the message types the API sends.
var sendable = map[string]bool{"text": true, "image": true, "video": true, "audio": true, "document": true, "sticker": true,
	"location": true, "contacts": true, "interactive": true, "template": true, "reaction": true}

func (a *API) send(body []byte, trace string, now time.Time) answer {
	var m struct {
		MessagingProduct string `json:"messaging_product"`
		RecipientType    string `json:"recipient_type"`
		To               string `json:"to"`
		Type             string `json:"type"`
	}
	var all map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || json.Unmarshal(body, &all) != nil {
		return invalid("the request body is not a JSON object", trace)
	}
	if m.Type == "" {
		m.Type = "text"
	}
	switch {
	case m.MessagingProduct != "whatsapp":
		return invalid("messaging_product must be whatsapp", trace)
	case m.To == "":
		return invalid("to is required", trace)
	case !sendable[m.Type]:
		return invalid("type is not a valid message type", trace)
	case len(all[m.Type]) == 0:
		return invalid("the "+m.Type+" object is required", trace)
	}
	var obj struct {
		Body     string                `json:"body"`
		Link     string                `json:"link"`
		ID       string                `json:"id"`
		Name     string                `json:"name"`
		Language struct{ Code string } `json:"language"`
	}
	_ = json.Unmarshal(all[m.Type], &obj)
	switch m.Type {
	case "text":
		if obj.Body == "" || len([]rune(obj.Body)) > MaxTextLength {
			return invalid("text.body must hold 1 to 4096 characters", trace)
		}
	case "image", "video", "audio", "document", "sticker":
		if obj.Link == "" && obj.ID == "" {
			return invalid(m.Type+" needs a link or an id", trace)
		}
	case "template":
		if obj.Name == "" || obj.Language.Code == "" {
			return invalid("template name and language.code are required", trace)
		}
	}
	if m.Type != "template" && m.RecipientType != "group" && a.opts.Window > 0 {
		last, ok := a.inbound[m.To]
		if !ok || !now.Before(last.Add(a.opts.Window)) {
			return graphAnswer(http.StatusBadRequest, CodeReEngagement, 0, "(#131047) Re-engagement message",
				"Message failed to send because more than 24 hours have passed since the customer last replied to this number.", trace)
		}
	}
	id := a.nextMessageID()
	a.sent = append(a.sent, Sent{ID: id, To: m.To, Type: m.Type, Body: bytes.Clone(body), TraceID: trace, Time: now})
	return jsonAnswer(map[string]any{"messaging_product": "whatsapp",
		"contacts": []map[string]string{{"input": m.To, "wa_id": m.To}}, "messages": []map[string]string{{"id": id}}})
}

func (a *API) nextMessageID() string {
	a.msgSeq++
	return fmt.Sprintf("wamid.HBgLd2F0ZXN0FQIAERgS%014X", a.msgSeq)
}

func invalid(details, trace string) answer {
	return graphAnswer(http.StatusBadRequest, CodeInvalidParam, 0, "(#100) Invalid parameter", details, trace)
}

func noObject(id, trace string) answer {
	return graphAnswer(http.StatusBadRequest, CodeInvalidParam, SubcodeNoObject, "Unsupported get request. Object with ID '"+id+
		"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", "", trace)
}

func graphAnswer(status, code, subcode int, message, details, trace string) answer {
	return answer{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: errorBody(code, subcode, message, details, trace)}
}

func jsonAnswer(v any) answer {
	b, _ := json.Marshal(v)
	return answer{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, body: b}
}

// Server is an API served over HTTP on a local port, for tests and demos. It is safe for concurrent use.
type Server struct {
	*API
	// URL is the server's base URL (http://127.0.0.1:port): the adapter's Endpoint.
	URL string
	srv *httptest.Server
}

// NewServer starts an API configured by opts (nil for the defaults) on a local port. Close it.
func NewServer(opts *Options) *Server {
	api := New(opts)
	srv := httptest.NewServer(api)
	return &Server{API: api, URL: srv.URL, srv: srv}
}

// Close releases held requests and shuts the server down.
func (s *Server) Close() {
	s.API.Close()
	s.srv.Close()
}
