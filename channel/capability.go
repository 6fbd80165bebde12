package channel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ProfileFetcher is implemented by adapters that can look up a user's profile.
type ProfileFetcher interface {
	// Profile returns the profile of peer.UserID; for a group or room peer, as a member of that chat
	// (LINE answers member profiles for users who are not friends of the account). A user who blocked the
	// account or is unknown returns an error wrapping ErrNotFound. Safe for concurrent use.
	Profile(ctx context.Context, peer Peer) (Profile, error)
}

// Profile is what a channel tells about a user. All of it is personal data: never log it.
type Profile struct {
	UserID        string `json:"userId"`
	DisplayName   string `json:"displayName"`
	PictureURL    string `json:"pictureUrl,omitempty"`
	StatusMessage string `json:"statusMessage,omitempty"`
	Language      string `json:"language,omitempty"` // BCP 47, when the user shares it
}

// AccountInfoer is implemented by adapters that can describe the connected business account.
type AccountInfoer interface {
	// AccountInfo returns the account's details as the channel knows them. Safe for concurrent use.
	AccountInfo(ctx context.Context) (AccountInfo, error)
}

// AccountInfo describes a connected business account (LINE: the bot info).
type AccountInfo struct {
	UserID      string `json:"userId"`            // the account's own user ID
	BasicID     string `json:"basicId,omitempty"` // LINE: "@123abcde"
	DisplayName string `json:"displayName"`
	PictureURL  string `json:"pictureUrl,omitempty"`
	// ChatMode is the channel's own setting for who answers chats (LINE: "bot" when the channel's own chat
	// is off and webhooks receive messages, "chat" when agents use LINE's chat).
	ChatMode string `json:"chatMode,omitempty"`
}

// SettingsChecker is implemented by adapters that can verify the account is set up for the library.
type SettingsChecker interface {
	// CheckSettings inspects the account's settings against want and reports each item. It returns an
	// error only when it could not check at all (e.g. ErrUnauthorized); problems with the settings are
	// reported as checks. Safe for concurrent use.
	CheckSettings(ctx context.Context, want SettingsWant) ([]SettingCheck, error)
}

// SettingsWant is what the account should be set to.
type SettingsWant struct {
	// WebhookURL is the URL the channel should deliver webhooks to.
	WebhookURL string
}

// CheckStatus is the outcome of one settings check.
type CheckStatus string

// Check outcomes.
const (
	CheckOK      CheckStatus = "ok"      // set as required
	CheckProblem CheckStatus = "problem" // set wrongly: Detail says what to change
	CheckManual  CheckStatus = "manual"  // the API cannot see it: Detail says what to confirm by hand
	CheckFailed  CheckStatus = "failed"  // could not be checked: Detail says why
)

// SettingCheck is the result of checking one setting, in words an administrator can act on.
type SettingCheck struct {
	ID     string      `json:"id"`     // stable identifier, e.g. "webhook.url"
	Title  string      `json:"title"`  // what was checked, e.g. "Webhook URL"
	Status CheckStatus `json:"status"` // outcome
	Detail string      `json:"detail"` // what was found and, unless OK, what to do
}

// QuotaReporter is implemented by adapters that can report the account's message quota.
type QuotaReporter interface {
	// Quota returns the quota and this period's usage. Safe for concurrent use.
	Quota(ctx context.Context) (Quota, error)
}

// Quota is an account's message allowance for the current period (LINE: the calendar month).
type Quota struct {
	Limited bool  `json:"limited"` // false: no limit applies, Limit is meaningless
	Limit   int64 `json:"limit"`   // messages allowed this period
	Used    int64 `json:"used"`    // messages counted so far this period
}

// Remaining returns how many messages can still be sent this period, or -1 when there is no limit.
func (q Quota) Remaining() int64 {
	if !q.Limited {
		return -1
	}
	return max(q.Limit-q.Used, 0)
}

// ContentFetcher is implemented by adapters that can download the media a user sent.
type ContentFetcher interface {
	// FetchContent opens the content of an inbound message, named by ref: ContentRef(msg) of the
	// message as the adapter parsed it (its Media.ID when set, else its message ID). The caller must
	// close the returned Content. A ref the adapter cannot have produced returns an error wrapping
	// ErrInvalidRequest; content the channel no longer keeps, ErrNotFound. The adapter limits the stream
	// to its configured maximum size; reading past it fails. Safe for concurrent use.
	FetchContent(ctx context.Context, ref string) (*Content, error)
}

// Content is a downloaded media stream. Close it.
type Content struct {
	io.ReadCloser
	ContentType string
	Length      int64 // -1 when unknown
}

// Handshaker is implemented by adapters whose channel verifies a webhook URL with a GET request before
// it sends webhooks to it (Meta: hub.mode=subscribe, hub.verify_token, hub.challenge). The Handler
// answers GET requests through it.
type Handshaker interface {
	// Handshake answers a verification request with the body to answer 200 with, or an error wrapping
	// ErrInvalidSignature when the request is not the channel's (a wrong verify token), or
	// ErrInvalidRequest when it is malformed. Safe for concurrent use.
	Handshake(r *http.Request) ([]byte, error)
}

// Outside says what a business may send after a channel's reply window closed.
type Outside string

// What may be sent outside the reply window.
const (
	OutsideNothing   Outside = "nothing"   // the customer must write first (LINE)
	OutsideTemplates Outside = "templates" // approved templates only (WhatsApp)
	OutsideAnything  Outside = "anything"  // the window limits nothing
)

// Rules are how a channel lets a business write: its reply window, its reply tokens and what its
// retries promise. The conversation service takes its policy and its delivery from them, and assumes
// nothing from another channel.
type Rules struct {
	// Window is how long after the customer's last message the business may write freely (LINE: 7 days;
	// WhatsApp: 24 hours); 0 means no window.
	Window time.Duration
	// OutsideWindow is what may be sent after the window closed, and before the customer first wrote.
	OutsideWindow Outside
	// ReplyTokenTTL is how long an event's reply token works (LINE: about a minute; msgkit uses it for a
	// little less); 0 when the channel has none.
	ReplyTokenTTL time.Duration
	// RetryKeys is set when a send carrying SendOptions.RetryKey is delivered once however often it is
	// retried (LINE pushes). Without it, a send whose outcome is unknown is never retried.
	RetryKeys bool
}

// RuleReporter is implemented by adapters that state their channel's Rules. Rules must be constant.
type RuleReporter interface {
	Rules() Rules
}

// ReadMarker is implemented by adapters that can tell the customer their messages were read.
type ReadMarker interface {
	// MarkRead marks the inbound message messageID (the channel's ID) and those before it as read.
	MarkRead(ctx context.Context, messageID string) error
}

// BodyParser is implemented by adapters that can parse a webhook body they verified before, without its
// request: replaying archived webhooks (the secret may have rotated since) needs it.
type BodyParser interface {
	// ParseBody returns the events of a body that ParseWebhook accepted, exactly as ParseWebhook did. It
	// verifies nothing. Errors follow ParseWebhook's rules (ErrInvalidRequest, no body in the text).
	// Safe for concurrent use.
	ParseBody(body []byte) ([]Event, error)
}

// Limiter is implemented by adapters that report their per-send limits. Limits must be constant.
type Limiter interface {
	Limits() Limits
}

// Limits are the constraints of one Send call.
type Limits struct {
	// MaxMessages is the most messages one Send takes (LINE: 5).
	MaxMessages int
	// MaxTextLength is the longest text message, counted in TextUnit (LINE: 5,000 UTF-16 code units).
	MaxTextLength int
	TextUnit      TextUnit
	// Types are the message types the channel sends natively; others must be degraded (a file → a link).
	Types []MessageType
	// Mentions, QuickReplies and Sender say whether outbound messages may carry mentions, quick-reply
	// buttons and a per-message sender. A message carrying one the channel cannot send is degraded
	// (sent without it, saying so) by the conversation service, never silently.
	Mentions, QuickReplies, Sender bool
	// MaxQuickReplies is the most quick-reply buttons a message takes (LINE: 13).
	MaxQuickReplies int
}

// Supports reports whether t is in l.Types.
func (l Limits) Supports(t MessageType) bool {
	for _, s := range l.Types {
		if s == t {
			return true
		}
	}
	return false
}

func unsupported(a Adapter, what string) error {
	return fmt.Errorf("channel: %s adapter cannot %s: %w", a.Kind(), what, errors.ErrUnsupported)
}

// FetchProfile returns peer's profile through a's ProfileFetcher, or an error wrapping
// errors.ErrUnsupported if a has none.
func FetchProfile(ctx context.Context, a Adapter, peer Peer) (Profile, error) {
	if p, ok := a.(ProfileFetcher); ok {
		return p.Profile(ctx, peer)
	}
	return Profile{}, unsupported(a, "fetch profiles")
}

// FetchAccountInfo returns the account's details through a's AccountInfoer, or an error wrapping
// errors.ErrUnsupported.
func FetchAccountInfo(ctx context.Context, a Adapter) (AccountInfo, error) {
	if p, ok := a.(AccountInfoer); ok {
		return p.AccountInfo(ctx)
	}
	return AccountInfo{}, unsupported(a, "describe the account")
}

// CheckSettings checks the account's settings through a's SettingsChecker, or returns an error wrapping
// errors.ErrUnsupported.
func CheckSettings(ctx context.Context, a Adapter, want SettingsWant) ([]SettingCheck, error) {
	if p, ok := a.(SettingsChecker); ok {
		return p.CheckSettings(ctx, want)
	}
	return nil, unsupported(a, "check settings")
}

// FetchQuota returns the message quota through a's QuotaReporter, or an error wrapping
// errors.ErrUnsupported.
func FetchQuota(ctx context.Context, a Adapter) (Quota, error) {
	if p, ok := a.(QuotaReporter); ok {
		return p.Quota(ctx)
	}
	return Quota{}, unsupported(a, "report quota")
}

// FetchContent opens inbound media named by ref (ContentRef of the message) through a's
// ContentFetcher, or returns an error wrapping errors.ErrUnsupported.
func FetchContent(ctx context.Context, a Adapter, ref string) (*Content, error) {
	if p, ok := a.(ContentFetcher); ok {
		return p.FetchContent(ctx, ref)
	}
	return nil, unsupported(a, "download content")
}

// RulesOf returns a's Rules, or an error wrapping errors.ErrUnsupported if a does not state them.
func RulesOf(a Adapter) (Rules, error) {
	if p, ok := a.(RuleReporter); ok {
		return p.Rules(), nil
	}
	return Rules{}, unsupported(a, "state its rules")
}

// MarkRead marks a message read through a's ReadMarker, or returns an error wrapping
// errors.ErrUnsupported.
func MarkRead(ctx context.Context, a Adapter, messageID string) error {
	if p, ok := a.(ReadMarker); ok {
		return p.MarkRead(ctx, messageID)
	}
	return unsupported(a, "mark messages read")
}

// ParseBody parses an archived webhook body through a's BodyParser, or returns an error wrapping
// errors.ErrUnsupported.
func ParseBody(a Adapter, body []byte) ([]Event, error) {
	if p, ok := a.(BodyParser); ok {
		return p.ParseBody(body)
	}
	return nil, unsupported(a, "parse archived webhooks")
}

// LimitsOf returns a's send limits, or an error wrapping errors.ErrUnsupported if a does not report them.
func LimitsOf(a Adapter) (Limits, error) {
	if p, ok := a.(Limiter); ok {
		return p.Limits(), nil
	}
	return Limits{}, unsupported(a, "report send limits")
}
