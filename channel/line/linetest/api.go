package linetest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// Defaults applied by New.
const (
	// DefaultReplyTokenTTL is how long a reply token works after its webhook (LINE: about a minute).
	DefaultReplyTokenTTL = time.Minute
	// DefaultTokenTTL is the lifetime of an issued stateless channel access token (LINE: 15 minutes).
	DefaultTokenTTL = 15 * time.Minute
	// RetryKeyTTL is how long an accepted retry key makes a repeated push answer 409 (LINE: 24 hours).
	RetryKeyTTL = 24 * time.Hour
	// DefaultBotUserID is the account's user ID unless Options.Bot says otherwise; webhooks name it as
	// their destination.
	DefaultBotUserID = "U0123456789abcdef0123456789abcdef"
	// DefaultChannelID is the channel the token verification endpoint names for the tokens it accepts
	// when Options.ChannelID is unset.
	DefaultChannelID = "1650000000"
	// LongLivedTokenTTL is what the token verification endpoint answers as the remaining lifetime of a
	// long-lived token (Options.AccessToken, or any token when that is unset).
	LongLivedTokenTTL = 10 * 365 * 24 * time.Hour
)

// maxRequestBytes bounds a request body the API reads.
const maxRequestBytes = 4 << 20

// Options configures an API. nil (or a zero field) means the documented default.
type Options struct {
	// ChannelID and ChannelSecret, when set, are the only credentials the token endpoint accepts;
	// unset, it accepts any. It answers a channel ID other than ChannelID with 400 invalid_client
	// "invalid client_id", and ChannelID with another secret with 400 invalid_client "invalid
	// client_secret" (see TokenErrorInvalidClientID).
	ChannelID, ChannelSecret string
	// AccessToken, when set, is the only long-lived channel access token accepted (tokens the API
	// issued are accepted until they expire). Unset, any non-empty bearer token is accepted. Revoked
	// tokens (RevokeAccessToken) are refused either way.
	AccessToken string
	// ReplyTokenTTL is how long a reply token works after it was issued (default DefaultReplyTokenTTL).
	ReplyTokenTTL time.Duration
	// TokenTTL is the lifetime of issued stateless access tokens (default DefaultTokenTTL).
	TokenTTL time.Duration
	// MonthlyLimit is the account's message quota: pushes past it answer 429 "You have reached your
	// monthly limit.". 0 means no limit (quota type "none").
	MonthlyLimit int64
	// Bot is what the bot info endpoint answers; zero fields take defaults (DefaultBotUserID, "@linetest",
	// "linetest", chat mode "bot", mark-as-read mode "auto").
	Bot BotInfo
	// WebhookURL and WebhookActive are what the webhook endpoint info answers (SetWebhookEndpoint
	// changes them).
	WebhookURL    string
	WebhookActive bool
	// Now is the API's clock: reply-token expiry, token expiry, retry-key memory, timestamps. nil means
	// time.Now.
	Now func() time.Time
	// IDBase offsets the numbers in the IDs the API makes up (message IDs, webhook event IDs), which
	// count from 1 by default: a demo restarted on its database, whose new API would repeat the IDs its
	// earlier run stored, gives a base above every number used before (e.g. time.Now().UnixMicro()).
	// It must not be negative.
	IDBase int64
}

// BotInfo is the account's bot info, in LINE's JSON.
type BotInfo struct {
	UserID         string `json:"userId"`
	BasicID        string `json:"basicId"`
	DisplayName    string `json:"displayName"`
	PictureURL     string `json:"pictureUrl,omitempty"`
	ChatMode       string `json:"chatMode"`       // "bot" or "chat"
	MarkAsReadMode string `json:"markAsReadMode"` // "auto" or "manual"
}

// Content is media a user sent, as the data API serves it.
type Content struct {
	// Type is the message type: "image", "video", "audio" or "file".
	Type        string
	ContentType string
	Data        []byte
	// FileName names a file; Duration is the length of a video or audio clip. Webhooks carry them.
	FileName string
	Duration time.Duration
	// Transcoding is the preparation status of a video or audio clip: "processing", "succeeded" (the
	// default) or "failed". While it is not "succeeded", a download answers 200 with an empty body, as
	// an early download from LINE can.
	Transcoding string
}

// Transcoding statuses.
const (
	TranscodingProcessing = "processing"
	TranscodingSucceeded  = "succeeded"
	TranscodingFailed     = "failed"
)

// Request is one HTTP request the API received, faulted or not.
type Request struct {
	Op        Op
	Method    string
	Path      string
	Header    http.Header
	Body      []byte
	RequestID string    // the x-line-request-id of its answer (also when the answer was lost)
	Fault     FaultKind // the scripted fault it met; "" if none
	Time      time.Time
}

// Delivery is one reply or push that LINE accepted and delivered.
type Delivery struct {
	Op Op // OpReply or OpPush
	// To is the push's recipient, or for a reply the chat of the webhook event that carried the token
	// ("" for a token issued by NewReplyToken("")).
	To         string
	ReplyToken string // replies
	RetryKey   string // pushes: the X-Line-Retry-Key, "" if none
	RequestID  string
	// Messages are the message objects as sent, in order.
	Messages             []json.RawMessage
	Sent                 []SentMessage
	NotificationDisabled bool
	Time                 time.Time
}

// SentMessage is LINE's record of one sent message: its ID and quote token.
type SentMessage struct {
	ID         string `json:"id"`
	QuoteToken string `json:"quoteToken,omitempty"`
}

// Texts returns the text of each text or textV2 message of d, in order.
func (d Delivery) Texts() []string {
	var out []string
	for _, raw := range d.Messages {
		var m struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if json.Unmarshal(raw, &m) == nil && (m.Type == "text" || m.Type == "textV2") {
			out = append(out, m.Text)
		}
	}
	return out
}

// API is a fake of LINE's Messaging API, data API, stateless token endpoint and token verification
// endpoint, as an http.Handler.
// Point a LINE adapter's API and data endpoints at wherever it is served (NewServer does that for you).
//
// It behaves as LINE does where a client's correctness depends on it: reply tokens work once and expire
// (ReplyTokenTTL, by the Options.Now clock), a push repeated with an accepted X-Line-Retry-Key answers
// 409 with x-line-accepted-request-id and the accepted request's sentMessages, a malformed retry key is
// refused with 400, pushes count against the monthly quota, requests need a bearer token, every answer
// carries x-line-request-id. Faults scripted with Fail make any request answer an error, time out or
// have its connection reset, before or after LINE handled it.
//
// An API is safe for concurrent use. Close releases requests held by timeout faults.
type API struct {
	opts   Options
	now    func() time.Time
	closed chan struct{}
	once   sync.Once

	mu          sync.Mutex
	seq         int // requests
	msgSeq      int64
	tokenSeq    int
	eventSeq    int64
	faults      map[Op][]Fault
	requests    []Request
	deliveries  []Delivery
	replyTokens map[string]*replyToken
	accepted    map[string]acceptedPush // lower-cased retry key →
	issued      map[string]time.Time    // stateless access token → expiry
	revoked     map[string]bool         // access tokens revoked
	profiles    map[string]channel.Profile
	content     map[string]Content
	usage       int64
}

type replyToken struct {
	chat   string
	issued time.Time
	used   bool
}

type acceptedPush struct {
	requestID string
	sent      []SentMessage
	at        time.Time
}

// New returns an API configured by opts (nil for the defaults).
func New(opts *Options) *API {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.ReplyTokenTTL <= 0 {
		o.ReplyTokenTTL = DefaultReplyTokenTTL
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = DefaultTokenTTL
	}
	if o.Bot.UserID == "" {
		o.Bot.UserID = DefaultBotUserID
	}
	if o.Bot.BasicID == "" {
		o.Bot.BasicID = "@linetest"
	}
	if o.Bot.DisplayName == "" {
		o.Bot.DisplayName = "linetest"
	}
	if o.Bot.ChatMode == "" {
		o.Bot.ChatMode = "bot"
	}
	if o.Bot.MarkAsReadMode == "" {
		o.Bot.MarkAsReadMode = "auto"
	}
	a := &API{opts: o, now: o.Now, closed: make(chan struct{}),
		faults: map[Op][]Fault{}, replyTokens: map[string]*replyToken{}, accepted: map[string]acceptedPush{},
		issued: map[string]time.Time{}, revoked: map[string]bool{}, profiles: map[string]channel.Profile{}, content: map[string]Content{}}
	if a.now == nil {
		a.now = time.Now
	}
	a.msgSeq, a.eventSeq = max(o.IDBase, 0), max(o.IDBase, 0)
	return a
}

// Close releases every request held by a timeout fault (its connection is closed without an answer) and
// makes later timeout faults give up at once. The API keeps answering other requests.
func (a *API) Close() { a.once.Do(func() { close(a.closed) }) }

// Fail scripts faults for the next requests of op, in order: the first request of op meets faults[0],
// the next faults[1], and so on; later requests are handled normally. Faults for OpAny apply to the next
// requests of any operation that has no fault of its own scripted.
func (a *API) Fail(op Op, faults ...Fault) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.faults[op] = append(a.faults[op], faults...)
}

// NewReplyToken issues a reply token for chat (a user, group or room ID; "" if it does not matter),
// valid from now for Options.ReplyTokenTTL and for one reply. Webhook issues them for its events.
func (a *API) NewReplyToken(chat string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.issueReplyToken("", chat, a.now())
}

func (a *API) issueReplyToken(token, chat string, now time.Time) string {
	if token == "" {
		a.tokenSeq++
		token = fmt.Sprintf("rt%030d", a.tokenSeq)
	}
	a.replyTokens[token] = &replyToken{chat: chat, issued: now}
	return token
}

// SetProfile makes p the profile LINE reports for p.UserID (and for that user as a group or room
// member). Webhook sets one for each new user it writes for; users without a profile answer 404.
func (a *API) SetProfile(p channel.Profile) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.profiles[p.UserID] = p
}

// AddContent makes c the content of message messageID on the data API. Webhook adds the content of
// the media messages it writes.
func (a *API) AddContent(messageID string, c Content) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.content[messageID] = c
}

// SetTranscoding sets the preparation status of a video or audio message's content (one of the
// Transcoding… constants).
func (a *API) SetTranscoding(messageID, status string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.content[messageID]; ok {
		c.Transcoding = status
		a.content[messageID] = c
	}
}

// RevokeAccessToken revokes token, as an administrator does in the LINE Developers console (or with
// LINE's revoke endpoint): from now on API calls with it answer 401 and the token verification endpoint
// answers 400.
func (a *API) RevokeAccessToken(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.revoked[token] = true
}

// SetWebhookEndpoint sets what the webhook endpoint info answers.
func (a *API) SetWebhookEndpoint(url string, active bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.opts.WebhookURL, a.opts.WebhookActive = url, active
}

// Deliveries returns every reply and push LINE delivered, in order. The slice is the caller's.
func (a *API) Deliveries() []Delivery {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Delivery(nil), a.deliveries...)
}

// DeliveriesByReplyToken counts deliveries per reply token. As on LINE a token delivers at most once,
// so every count is 1; a token missing from the map delivered nothing.
func (a *API) DeliveriesByReplyToken() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := map[string]int{}
	for _, d := range a.deliveries {
		if d.Op == OpReply {
			n[d.ReplyToken]++
		}
	}
	return n
}

// DeliveriesByRetryKey counts push deliveries per X-Line-Retry-Key ("" counts pushes without one, which
// LINE does not deduplicate). As on LINE a key delivers at most once within RetryKeyTTL.
func (a *API) DeliveriesByRetryKey() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := map[string]int{}
	for _, d := range a.deliveries {
		if d.Op == OpPush {
			n[d.RetryKey]++
		}
	}
	return n
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

// ServeHTTP answers one request of LINE's API.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		write(w, "", errorAnswer(http.StatusRequestEntityTooLarge, "Request entity too large"))
		return
	}
	op, params := route(r.Method, r.URL.Path)

	a.mu.Lock()
	now := a.now()
	a.seq++
	reqID := fmt.Sprintf("00000000-0000-4000-8000-%012d", a.seq)
	fault, faulted := a.nextFault(op)
	a.requests = append(a.requests, Request{Op: op, Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(),
		Body: body, RequestID: reqID, Fault: fault.Kind, Time: now})
	var ans answer
	if !faulted || fault.Kind == TimeoutAfter || fault.Kind == ResetAfter {
		ans = a.handle(op, params, r, body, reqID, now)
	}
	a.mu.Unlock()

	switch {
	case !faulted:
		write(w, reqID, ans)
	case fault.Kind == Answer:
		status := fault.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		write(w, reqID, answer{status: status, header: fault.Header, body: []byte(fault.Body)})
	case fault.Kind == TimeoutBefore || fault.Kind == TimeoutAfter:
		select {
		case <-r.Context().Done(): // the client gave up and closed the connection
		case <-a.closed:
		}
		drop(w, false)
	case fault.Kind == ResetBefore || fault.Kind == ResetAfter:
		drop(w, true)
	default:
		write(w, reqID, errorAnswer(http.StatusInternalServerError, "linetest: unknown fault kind "+string(fault.Kind)))
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

func write(w http.ResponseWriter, reqID string, ans answer) {
	for k, v := range ans.header {
		w.Header()[k] = v
	}
	if reqID != "" {
		w.Header().Set("X-Line-Request-Id", reqID)
	}
	w.WriteHeader(ans.status)
	_, _ = w.Write(ans.body)
}

// drop closes the request's connection without an answer; with reset, abortively (TCP RST).
func drop(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2 or a writer that cannot hijack: the server aborts the stream
	}
	if tcp, ok := conn.(*net.TCPConn); ok && reset {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// route names the operation of a request and its path parameters.
func route(method, path string) (Op, []string) {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	is := func(m string, parts ...string) bool {
		if method != m || len(seg) != len(parts) {
			return false
		}
		for i, p := range parts {
			if p != "*" && p != seg[i] || p == "*" && seg[i] == "" {
				return false
			}
		}
		return true
	}
	switch {
	case is(http.MethodPost, "v2", "bot", "message", "reply"):
		return OpReply, nil
	case is(http.MethodPost, "v2", "bot", "message", "push"):
		return OpPush, nil
	case is(http.MethodGet, "v2", "bot", "message", "quota"):
		return OpQuota, nil
	case is(http.MethodGet, "v2", "bot", "message", "quota", "consumption"):
		return OpQuotaConsumption, nil
	case is(http.MethodGet, "v2", "bot", "message", "*", "content"):
		return OpContent, []string{seg[3]}
	case is(http.MethodGet, "v2", "bot", "message", "*", "content", "transcoding"):
		return OpTranscoding, []string{seg[3]}
	case is(http.MethodGet, "v2", "bot", "profile", "*"):
		return OpProfile, []string{seg[3]}
	case is(http.MethodGet, "v2", "bot", "group", "*", "member", "*"), is(http.MethodGet, "v2", "bot", "room", "*", "member", "*"):
		return OpProfile, []string{seg[5], seg[3]}
	case is(http.MethodGet, "v2", "bot", "info"):
		return OpBotInfo, nil
	case is(http.MethodGet, "v2", "bot", "channel", "webhook", "endpoint"):
		return OpWebhookEndpoint, nil
	case is(http.MethodPost, "v2", "bot", "channel", "webhook", "test"):
		return OpWebhookTest, nil
	case is(http.MethodPost, "oauth2", "v3", "token"):
		return OpToken, nil
	case is(http.MethodPost, "v2", "oauth", "verify"):
		return OpVerifyToken, nil
	}
	return OpUnknown, nil
}

// handle answers a request as LINE would, changing the API's state. a.mu is held.
func (a *API) handle(op Op, params []string, r *http.Request, body []byte, reqID string, now time.Time) answer {
	if op == OpUnknown {
		return errorAnswer(http.StatusNotFound, MessageNotFound)
	}
	switch op {
	case OpToken:
		return a.issueToken(body, now)
	case OpVerifyToken:
		return a.verifyToken(body, now)
	}
	if !a.authorized(r.Header.Get("Authorization"), now) {
		return errorAnswer(http.StatusUnauthorized, MessageUnauthenticated)
	}
	switch op {
	case OpReply:
		return a.reply(body, reqID, now)
	case OpPush:
		return a.push(r.Header.Get("X-Line-Retry-Key"), body, reqID, now)
	case OpProfile:
		p, ok := a.profiles[params[0]]
		switch {
		case !ok:
			return errorAnswer(http.StatusNotFound, MessageNotFound)
		case len(params) > 1: // a group or room member
			return jsonAnswer(map[string]string{"userId": p.UserID, "displayName": p.DisplayName, "pictureUrl": p.PictureURL})
		}
		return jsonAnswer(p)
	case OpBotInfo:
		return jsonAnswer(a.opts.Bot)
	case OpWebhookEndpoint:
		return jsonAnswer(map[string]any{"endpoint": a.opts.WebhookURL, "active": a.opts.WebhookActive})
	case OpWebhookTest:
		var req struct {
			Endpoint string `json:"endpoint"`
		}
		_ = json.Unmarshal(body, &req)
		if req.Endpoint == "" && a.opts.WebhookURL == "" {
			return jsonAnswer(map[string]any{"success": false, "timestamp": now.UTC().Format(time.RFC3339), "statusCode": 0,
				"reason": "NO_WEBHOOK_URL", "detail": "no webhook URL is set"})
		}
		return jsonAnswer(map[string]any{"success": true, "timestamp": now.UTC().Format(time.RFC3339), "statusCode": 200,
			"reason": "OK", "detail": "200"})
	case OpQuota:
		if a.opts.MonthlyLimit <= 0 {
			return jsonAnswer(map[string]any{"type": "none"})
		}
		return jsonAnswer(map[string]any{"type": "limited", "value": a.opts.MonthlyLimit})
	case OpQuotaConsumption:
		return jsonAnswer(map[string]any{"totalUsage": a.usage})
	case OpContent:
		c, ok := a.content[params[0]]
		if !ok {
			return errorAnswer(http.StatusNotFound, MessageNotFound)
		}
		h := http.Header{"Content-Type": {c.ContentType}}
		if transcoded(c) && c.Transcoding != "" && c.Transcoding != TranscodingSucceeded {
			return answer{status: http.StatusOK, header: h}
		}
		return answer{status: http.StatusOK, header: h, body: c.Data}
	case OpTranscoding:
		c, ok := a.content[params[0]]
		switch {
		case !ok:
			return errorAnswer(http.StatusNotFound, MessageNotFound)
		case !transcoded(c):
			return errorAnswer(http.StatusBadRequest, "The message is not a video or an audio")
		}
		return jsonAnswer(map[string]string{"status": cmp.Or(c.Transcoding, TranscodingSucceeded)})
	}
	return errorAnswer(http.StatusNotFound, MessageNotFound)
}

func transcoded(c Content) bool { return c.Type == "video" || c.Type == "audio" }

func (a *API) authorized(h string, now time.Time) bool {
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return false
	}
	_, ok = a.tokenLife(token, now)
	return ok
}

// tokenLife returns how long token has left, and whether the API accepts it.
func (a *API) tokenLife(token string, now time.Time) (time.Duration, bool) {
	switch exp, issued := a.issued[token]; {
	case token == "" || a.revoked[token]:
		return 0, false
	case issued:
		return exp.Sub(now), now.Before(exp)
	}
	return LongLivedTokenTTL, a.opts.AccessToken == "" || token == a.opts.AccessToken
}

// verifyToken answers LINE's token verification (POST /v2/oauth/verify): the channel the token belongs
// to and its remaining lifetime, or 400 for a token LINE does not accept.
func (a *API) verifyToken(body []byte, now time.Time) answer {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("access_token") == "" {
		return tokenError(TokenErrorInvalidRequest, TokenErrorMissing)
	}
	left, ok := a.tokenLife(form.Get("access_token"), now)
	if !ok {
		return tokenError(TokenErrorInvalidRequest, TokenErrorInvalidToken)
	}
	return jsonAnswer(map[string]any{"client_id": cmp.Or(a.opts.ChannelID, DefaultChannelID),
		"expires_in": int64(left / time.Second), "scope": "P CM"})
}

func (a *API) issueToken(body []byte, now time.Time) answer {
	form, err := url.ParseQuery(string(body))
	switch {
	case err != nil || form.Get("grant_type") != "client_credentials":
		return tokenError("unsupported_grant_type", "grant_type must be client_credentials")
	case form.Get("client_id") == "" || form.Get("client_secret") == "":
		return tokenError(TokenErrorInvalidRequest, TokenErrorMissing)
	case a.opts.ChannelID != "" && form.Get("client_id") != a.opts.ChannelID:
		return tokenError(TokenErrorInvalidClient, TokenErrorInvalidClientID)
	case a.opts.ChannelSecret != "" && form.Get("client_secret") != a.opts.ChannelSecret:
		return tokenError(TokenErrorInvalidClient, TokenErrorInvalidClientSecret)
	}
	a.tokenSeq++
	token := fmt.Sprintf("stateless-%d", a.tokenSeq)
	a.issued[token] = now.Add(a.opts.TokenTTL)
	return jsonAnswer(map[string]any{"access_token": token, "expires_in": int(a.opts.TokenTTL / time.Second), "token_type": "Bearer"})
}

type sendRequest struct {
	To                   string            `json:"to"`
	ReplyToken           string            `json:"replyToken"`
	Messages             []json.RawMessage `json:"messages"`
	NotificationDisabled bool              `json:"notificationDisabled"`
}

// sendable reports whether LINE sends messages of type t.
func sendable(t string) bool {
	switch t {
	case "text", "textV2", "sticker", "image", "video", "audio", "location", "imagemap", "template", "flex", "coupon":
		return true
	}
	return false
}

// parseSend decodes and checks a reply or push body, or returns LINE's 400 answer.
func parseSend(body []byte, push bool) (sendRequest, *answer) {
	var req sendRequest
	bad := func(property, message string) (sendRequest, *answer) {
		ans := jsonStatus(http.StatusBadRequest, map[string]any{"message": "The request body has 1 error(s)",
			"details": []map[string]string{{"message": message, "property": property}}})
		return req, &ans
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return bad("", "The request body is not valid JSON")
	}
	if push && req.To == "" {
		return bad("to", "Must not be empty")
	}
	if len(req.Messages) < 1 || len(req.Messages) > 5 {
		return bad("messages", "Size must be between 1 and 5")
	}
	for i, raw := range req.Messages {
		var m struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw, &m) != nil || !sendable(m.Type) {
			return bad(fmt.Sprintf("messages[%d].type", i), "Invalid message type")
		}
	}
	return req, nil
}

func (a *API) reply(body []byte, reqID string, now time.Time) answer {
	req, bad := parseSend(body, false)
	if bad != nil {
		return *bad
	}
	t := a.replyTokens[req.ReplyToken]
	if t == nil || t.used || !now.Before(t.issued.Add(a.opts.ReplyTokenTTL)) {
		return errorAnswer(http.StatusBadRequest, MessageInvalidToken)
	}
	t.used = true
	sent := a.sent(len(req.Messages))
	a.deliveries = append(a.deliveries, Delivery{Op: OpReply, To: t.chat, ReplyToken: req.ReplyToken, RequestID: reqID,
		Messages: req.Messages, Sent: sent, NotificationDisabled: req.NotificationDisabled, Time: now})
	return jsonAnswer(map[string]any{"sentMessages": sent})
}

func (a *API) push(key string, body []byte, reqID string, now time.Time) answer {
	if key != "" && !isUUID(key) {
		return errorAnswer(http.StatusBadRequest, "The value of the X-Line-Retry-Key header is invalid")
	}
	norm := strings.ToLower(key)
	if acc, ok := a.accepted[norm]; ok && key != "" && now.Before(acc.at.Add(RetryKeyTTL)) {
		ans := jsonStatus(http.StatusConflict, map[string]any{"message": "The retry key is already accepted", "sentMessages": acc.sent})
		ans.header.Set("X-Line-Accepted-Request-Id", acc.requestID)
		return ans
	}
	req, bad := parseSend(body, true)
	if bad != nil {
		return *bad
	}
	if a.opts.MonthlyLimit > 0 && a.usage >= a.opts.MonthlyLimit {
		return errorAnswer(http.StatusTooManyRequests, MessageMonthlyLimit)
	}
	sent := a.sent(len(req.Messages))
	a.usage++ // LINE counts a push once per recipient, however many message objects it carries
	if key != "" {
		a.accepted[norm] = acceptedPush{requestID: reqID, sent: sent, at: now}
	}
	a.deliveries = append(a.deliveries, Delivery{Op: OpPush, To: req.To, RetryKey: key, RequestID: reqID,
		Messages: req.Messages, Sent: sent, NotificationDisabled: req.NotificationDisabled, Time: now})
	return jsonAnswer(map[string]any{"sentMessages": sent})
}

func (a *API) sent(n int) []SentMessage {
	sent := make([]SentMessage, n)
	for i := range sent {
		id := a.nextMessageID()
		sent[i] = SentMessage{ID: id, QuoteToken: "q" + id}
	}
	return sent
}

func (a *API) nextMessageID() string {
	a.msgSeq++
	return strconv.FormatInt(500000000000000000+a.msgSeq, 10)
}

// isUUID reports whether s is a UUID in LINE's hexadecimal form, 8-4-4-4-12.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// tokenError is the token endpoints' 400 answer, {"error": code, "error_description": description}.
func tokenError(code, description string) answer {
	return jsonStatus(http.StatusBadRequest, map[string]string{"error": code, "error_description": description})
}

func errorAnswer(status int, message string) answer {
	return jsonStatus(status, map[string]string{"message": message})
}

func jsonAnswer(v any) answer { return jsonStatus(http.StatusOK, v) }

func jsonStatus(status int, v any) answer {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(v)
	return answer{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: b.Bytes()}
}

// Server is an API served over HTTP on a local port, for tests and demos.
//
// A Server is safe for concurrent use.
type Server struct {
	*API
	// URL is the server's base URL (http://127.0.0.1:port): the adapter's API and data endpoint.
	URL string
	srv *httptest.Server
}

// NewServer starts an API configured by opts (nil for the defaults) on a local port. Close it.
func NewServer(opts *Options) *Server {
	api := New(opts)
	srv := httptest.NewServer(api)
	return &Server{API: api, URL: srv.URL, srv: srv}
}

// Close releases held requests and shuts the server down; it returns once every other request is
// answered.
func (s *Server) Close() {
	s.API.Close()
	s.srv.Close()
}
