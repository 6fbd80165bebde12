package channeltest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// SignatureHeader is the header that carries a Fake webhook's signature: base64(HMAC-SHA256(secret, body)).
const SignatureHeader = "X-Fake-Signature"

// Op names a Fake operation that can be scripted to fail.
type Op string

// Fake operations.
const (
	OpSend          Op = "send"
	OpProfile       Op = "profile"
	OpAccountInfo   Op = "accountInfo"
	OpCheckSettings Op = "checkSettings"
	OpQuota         Op = "quota"
	OpFetchContent  Op = "fetchContent"
)

// FakeOptions configures a Fake. The zero value is valid.
type FakeOptions struct {
	Kind   string          // adapter kind; default "fake"
	Secret string          // webhook signing secret; default "fake-secret"
	Limits *channel.Limits // default DefaultLimits()
	// Rules are what the Fake states of its channel (default DefaultRules(): LINE's).
	Rules *channel.Rules
	// Account, Quota and Settings are what the capabilities report.
	Account  channel.AccountInfo
	Quota    channel.Quota
	Settings []channel.SettingCheck
}

// DefaultRules returns a Fake's rules unless FakeOptions.Rules says otherwise: LINE's (a 7-day window the
// business cannot write outside, reply tokens used for 50 seconds, retry keys on pushes).
func DefaultRules() channel.Rules {
	return channel.Rules{Window: 7 * 24 * time.Hour, OutsideWindow: channel.OutsideNothing, ReplyTokenTTL: 50 * time.Second,
		RetryKeys: true}
}

// DefaultLimits returns a Fake's limits unless FakeOptions.Limits says otherwise: LINE's.
func DefaultLimits() channel.Limits {
	return channel.Limits{
		MaxMessages: 5, MaxTextLength: 5000, TextUnit: channel.UnitUTF16,
		Types: []channel.MessageType{channel.TypeText, channel.TypeImage, channel.TypeVideo, channel.TypeAudio,
			channel.TypeSticker, channel.TypeLocation, channel.TypeLink, channel.TypeRaw},
		Mentions: true, QuickReplies: true, Sender: true, MaxQuickReplies: 13,
	}
}

// Fake is an in-memory channel.Adapter with every optional capability, for testing applications: it signs
// and serves webhook bodies, records every send, and can be scripted to fail with any error.
//
// Webhook bodies are JSON {"events": [...]} holding channel.Event values; an event whose "kind" the Fake
// does not know parses as channel.EventUnknown with its JSON kept, as a real adapter must. Sends behave
// like LINE's: reply tokens work once, a push repeated with an accepted retry key is reported as a
// duplicate and not delivered again, and pushes are billable.
//
// A Fake is safe for concurrent use.
type Fake struct {
	kind, secret string
	limits       channel.Limits
	rules        channel.Rules

	mu        sync.Mutex
	account   channel.AccountInfo
	quota     channel.Quota
	settings  []channel.SettingCheck
	profiles  map[string]channel.Profile
	content   map[string]fakeContent
	failures  map[Op][]error
	sends     []Send
	usedReply map[string]bool
	accepted  map[string]string // retry key → request ID
	nextID    int
}

// Send is one Send call the Fake received.
type Send struct {
	To       channel.Peer
	Messages []channel.Message
	Options  channel.SendOptions
	Result   channel.SendResult // what the channel did, even when the answer was lost (LostAnswer)
	Err      error              // what the caller got; nil when the send succeeded
	// Reached is set when the channel accepted the send, whether or not its answer reached the caller.
	Reached bool
}

// Delivered reports whether the send reached the user: the channel accepted it and it was not a
// duplicate, whether or not the caller heard so.
func (s Send) Delivered() bool { return s.Reached && !s.Result.Duplicate }

type fakeContent struct {
	contentType string
	data        []byte
}

var (
	_ channel.Adapter         = (*Fake)(nil)
	_ channel.ProfileFetcher  = (*Fake)(nil)
	_ channel.AccountInfoer   = (*Fake)(nil)
	_ channel.SettingsChecker = (*Fake)(nil)
	_ channel.QuotaReporter   = (*Fake)(nil)
	_ channel.ContentFetcher  = (*Fake)(nil)
	_ channel.Limiter         = (*Fake)(nil)
	_ channel.BodyParser      = (*Fake)(nil)
	_ channel.RuleReporter    = (*Fake)(nil)
)

// NewFake returns a Fake.
func NewFake(opts *FakeOptions) *Fake {
	var o FakeOptions
	if opts != nil {
		o = *opts
	}
	f := &Fake{kind: o.Kind, secret: o.Secret, limits: DefaultLimits(), account: o.Account, quota: o.Quota,
		settings: slices.Clone(o.Settings), profiles: map[string]channel.Profile{}, content: map[string]fakeContent{},
		failures: map[Op][]error{}, usedReply: map[string]bool{}, accepted: map[string]string{}}
	if f.kind == "" {
		f.kind = "fake"
	}
	if f.secret == "" {
		f.secret = "fake-secret"
	}
	if o.Limits != nil {
		f.limits = *o.Limits
	}
	f.rules = DefaultRules()
	if o.Rules != nil {
		f.rules = *o.Rules
	}
	return f
}

// Kind implements channel.Adapter.
func (f *Fake) Kind() string { return f.kind }

// Rules implements channel.RuleReporter.
func (f *Fake) Rules() channel.Rules { return f.rules }

// Limits implements channel.Limiter.
func (f *Fake) Limits() channel.Limits { return f.limits }

// Sign returns the signature of body, as the channel would compute it.
func (f *Fake) Sign(body []byte) string { return base64.StdEncoding.EncodeToString(f.mac(body)) }

// Body returns the webhook body delivering events.
func (f *Fake) Body(events ...channel.Event) []byte {
	if events == nil {
		events = []channel.Event{}
	}
	b, err := json.Marshal(map[string]any{"events": events})
	if err != nil {
		panic(fmt.Sprintf("channeltest: events do not encode: %v", err))
	}
	return b
}

// Request returns a signed webhook POST delivering events.
func (f *Fake) Request(events ...channel.Event) *http.Request {
	return f.SignedRequest(f.Body(events...))
}

// SignedRequest returns a webhook POST of body with a valid signature.
func (f *Fake) SignedRequest(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(SignatureHeader, f.Sign(body))
	return r
}

// knownKinds are the event kinds a Fake parses as themselves.
var knownKinds = map[channel.EventKind]bool{
	channel.EventMessage: true, channel.EventFollow: true, channel.EventUnfollow: true, channel.EventJoin: true,
	channel.EventLeave: true, channel.EventMemberJoined: true, channel.EventMemberLeft: true, channel.EventPostback: true,
	channel.EventUnsend: true, channel.EventVideoPlayComplete: true, channel.EventBeacon: true, channel.EventAccountLink: true,
}

// ParseWebhook implements channel.Adapter.
func (f *Fake) ParseWebhook(r *http.Request) ([]channel.Event, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("%s webhook: reading body: %w", f.kind, err)
	}
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get(SignatureHeader))
	if err != nil || !hmac.Equal(sig, f.mac(body)) {
		return nil, fmt.Errorf("%s webhook: %w", f.kind, channel.ErrInvalidSignature)
	}
	return f.ParseBody(body)
}

// ParseBody implements channel.BodyParser: the events of a body ParseWebhook accepted.
func (f *Fake) ParseBody(body []byte) ([]channel.Event, error) {
	var envelope struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return nil, fmt.Errorf("%s webhook: body is not a webhook: %w", f.kind, channel.ErrInvalidRequest)
	}
	events := make([]channel.Event, 0, len(envelope.Events))
	for i, raw := range envelope.Events {
		var e channel.Event
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("%s webhook: event %d is malformed: %w", f.kind, i, channel.ErrInvalidRequest)
		}
		if !knownKinds[e.Kind] {
			e = channel.Event{ID: e.ID, Kind: channel.EventUnknown, Type: string(e.Kind), Time: e.Time, Source: e.Source,
				Mode: e.Mode, Raw: slices.Clone(raw)}
		}
		events = append(events, e)
	}
	return events, nil
}

func (f *Fake) mac(body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(f.secret))
	mac.Write(body)
	return mac.Sum(nil)
}

// Fail makes the next len(errs) calls of op return errs, in order (a nil entry lets that call succeed).
func (f *Fake) Fail(op Op, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[op] = append(f.failures[op], errs...)
}

// failure pops the next scripted error of op. f.mu must be held.
func (f *Fake) failure(op Op) error {
	q := f.failures[op]
	if len(q) == 0 {
		return nil
	}
	f.failures[op] = q[1:]
	return q[0]
}

// Send implements channel.Adapter: it checks the messages against the limits, then applies the scripted
// failure for OpSend if any, then the reply-token and retry-key rules.
func (f *Fake) Send(ctx context.Context, to channel.Peer, msgs []channel.Message, opt channel.SendOptions) (channel.SendResult, error) {
	if err := ctx.Err(); err != nil {
		return channel.SendResult{}, err
	}
	if err := f.check(to, msgs); err != nil {
		return channel.SendResult{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := Send{To: to, Messages: slices.Clone(msgs), Options: opt}
	failure := f.failure(OpSend)
	var lost lostAnswer
	if failure != nil && !errors.As(failure, &lost) {
		s.Err = failure
		f.sends = append(f.sends, s)
		return channel.SendResult{}, s.Err
	}
	s.Result, s.Err = f.deliver(len(msgs), opt)
	s.Reached = s.Err == nil
	if failure != nil && s.Reached {
		s.Err = lost.APIError // delivered, but the caller never hears so
	}
	f.sends = append(f.sends, s)
	if s.Err != nil {
		return channel.SendResult{}, s.Err
	}
	return s.Result, nil
}

// deliver decides the outcome of a valid send. f.mu must be held.
func (f *Fake) deliver(n int, opt channel.SendOptions) (channel.SendResult, error) {
	f.nextID++
	res := channel.SendResult{RequestID: "req-" + strconv.Itoa(f.nextID)}
	if opt.ReplyToken != "" {
		if f.usedReply[opt.ReplyToken] {
			return channel.SendResult{}, &channel.APIError{Channel: f.kind, Op: "reply", Status: http.StatusBadRequest,
				Message: "Invalid reply token", Category: channel.ErrInvalidRequest, Reason: channel.ErrReplyTokenInvalid}
		}
		f.usedReply[opt.ReplyToken] = true
	} else {
		res.Billable = true
		if accepted, ok := f.accepted[opt.RetryKey]; ok && opt.RetryKey != "" {
			res.Duplicate, res.AcceptedRequestID = true, accepted
			return res, nil
		}
		if opt.RetryKey != "" {
			f.accepted[opt.RetryKey] = res.RequestID
		}
	}
	for range n {
		f.nextID++
		res.MessageIDs = append(res.MessageIDs, "fake-msg-"+strconv.Itoa(f.nextID))
	}
	return res, nil
}

// check applies the limits and message validation a real adapter applies before calling its API.
func (f *Fake) check(to channel.Peer, msgs []channel.Message) error {
	if to.IsZero() {
		return fmt.Errorf("%s send: no recipient: %w", f.kind, channel.ErrInvalidRequest)
	}
	if len(msgs) == 0 || len(msgs) > f.limits.MaxMessages {
		return fmt.Errorf("%s send: %d messages, want 1 to %d: %w", f.kind, len(msgs), f.limits.MaxMessages, channel.ErrInvalidRequest)
	}
	for i, m := range msgs {
		if err := m.Validate(); err != nil {
			return fmt.Errorf("%s send: message %d: %w", f.kind, i, err)
		}
		if !f.limits.Supports(m.Type) {
			return fmt.Errorf("%s send: message %d: type %s not supported: %w", f.kind, i, m.Type, channel.ErrInvalidRequest)
		}
		if m.Type == channel.TypeText && f.limits.TextUnit.Count(m.Text) > f.limits.MaxTextLength {
			return fmt.Errorf("%s send: message %d: text longer than %d: %w", f.kind, i, f.limits.MaxTextLength, channel.ErrInvalidRequest)
		}
	}
	return nil
}

// Sends returns every Send call so far, in order, failed ones included.
func (f *Fake) Sends() []Send {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sends)
}

// Delivered returns the messages that reached users, in order: successful, non-duplicate sends.
func (f *Fake) Delivered() []channel.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []channel.Message
	for _, s := range f.sends {
		if s.Delivered() {
			out = append(out, s.Messages...)
		}
	}
	return out
}

// SetProfile makes Profile answer p for p.UserID.
func (f *Fake) SetProfile(p channel.Profile) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.profiles[p.UserID] = p
}

// Profile implements channel.ProfileFetcher: profiles set with SetProfile, ErrNotFound for others.
func (f *Fake) Profile(ctx context.Context, peer channel.Peer) (channel.Profile, error) {
	if err := ctx.Err(); err != nil {
		return channel.Profile{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure(OpProfile); err != nil {
		return channel.Profile{}, err
	}
	p, ok := f.profiles[peer.UserID]
	if !ok {
		return channel.Profile{}, &channel.APIError{Channel: f.kind, Op: "profile", Status: http.StatusNotFound,
			Message: "Not found", Category: channel.ErrNotFound}
	}
	return p, nil
}

// AccountInfo implements channel.AccountInfoer.
func (f *Fake) AccountInfo(ctx context.Context) (channel.AccountInfo, error) {
	if err := ctx.Err(); err != nil {
		return channel.AccountInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure(OpAccountInfo); err != nil {
		return channel.AccountInfo{}, err
	}
	return f.account, nil
}

// CheckSettings implements channel.SettingsChecker: it reports FakeOptions.Settings.
func (f *Fake) CheckSettings(ctx context.Context, _ channel.SettingsWant) ([]channel.SettingCheck, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure(OpCheckSettings); err != nil {
		return nil, err
	}
	return slices.Clone(f.settings), nil
}

// Quota implements channel.QuotaReporter. Delivered pushes count as used.
func (f *Fake) Quota(ctx context.Context) (channel.Quota, error) {
	if err := ctx.Err(); err != nil {
		return channel.Quota{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure(OpQuota); err != nil {
		return channel.Quota{}, err
	}
	q := f.quota
	for _, s := range f.sends {
		if s.Delivered() && s.Result.Billable {
			q.Used += int64(len(s.Messages))
		}
	}
	return q, nil
}

// SetContent makes FetchContent serve data for messageID.
func (f *Fake) SetContent(messageID, contentType string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.content[messageID] = fakeContent{contentType: contentType, data: slices.Clone(data)}
}

// FetchContent implements channel.ContentFetcher: content set with SetContent, ErrNotFound for others.
func (f *Fake) FetchContent(ctx context.Context, messageID string) (*channel.Content, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure(OpFetchContent); err != nil {
		return nil, err
	}
	c, ok := f.content[messageID]
	if !ok {
		return nil, &channel.APIError{Channel: f.kind, Op: "content", Status: http.StatusNotFound,
			Message: "Not found", Category: channel.ErrNotFound}
	}
	return &channel.Content{ReadCloser: io.NopCloser(bytes.NewReader(c.data)), ContentType: c.contentType, Length: int64(len(c.data))}, nil
}
