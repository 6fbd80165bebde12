package line

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// Kind is the adapter kind of LINE channels.
const Kind = "line"

// Defaults applied by New.
const (
	DefaultAPIEndpoint     = "https://api.line.me"
	DefaultDataEndpoint    = "https://api-data.line.me"
	DefaultTimeout         = 30 * time.Second // of the default HTTP client
	DefaultMaxBodyBytes    = 1 << 20          // webhook bodies
	DefaultMaxContentBytes = 300 << 20        // downloaded media: LINE keeps files up to 300 MB
)

// LINE's send limits.
const (
	MaxMessages   = 5    // messages per reply or push
	MaxTextLength = 5000 // UTF-16 code units per text message
)

// Config identifies one LINE Official Account's Messaging API channel. All of it is secret except
// ChannelID and BotUserID: never log it.
type Config struct {
	// ChannelID is the Messaging API channel's ID (a number, as a string).
	ChannelID string
	// ChannelSecret verifies webhook signatures and, without AccessToken, issues access tokens.
	ChannelSecret string
	// PreviousSecret is the secret before a rotation. Until PreviousSecretUntil passes, webhooks signed
	// with it are accepted too, so webhooks in flight while LINE switches secrets are not lost. Zero
	// PreviousSecretUntil with a PreviousSecret set is refused: a changeover must end.
	PreviousSecret      string
	PreviousSecretUntil time.Time
	// AccessToken is a long-lived channel access token. When empty, the adapter issues stateless
	// 15-minute tokens from ChannelID and ChannelSecret and renews them ahead of expiry.
	AccessToken string
	// BotUserID is the account's own user ID (bot info's userId, U followed by 32 hexadecimal digits).
	// When set, ParseWebhook refuses a body whose "destination" names another bot, even if its signature
	// verifies (see ParseWebhook). Connector.Verify finds it; empty skips the check.
	BotUserID string
}

// Options tunes an Adapter, and a Connector, which passes them on to every Adapter it builds. The zero
// value (or nil) means the defaults.
type Options struct {
	// HTTPClient makes every API call. Default: a client with DefaultTimeout. The SDK's own default,
	// http.DefaultClient, has no timeout and is never used.
	HTTPClient *http.Client
	// APIEndpoint and DataEndpoint point the adapter elsewhere, e.g. at a fake in tests.
	APIEndpoint  string
	DataEndpoint string
	// MaxBodyBytes limits webhook bodies the adapter reads (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxContentBytes limits media downloads (default DefaultMaxContentBytes).
	MaxContentBytes int64
	// Logger receives debug records (token renewals); it never receives personal data. nil discards.
	Logger *slog.Logger
	// Now is the adapter's clock: token expiry and the secret changeover window. nil means time.Now.
	Now func() time.Time
}

// Adapter is the LINE Official Account channel.Adapter, with every optional capability of package
// channel: profiles, account info, settings check, quota, content download and limits.
//
// An Adapter is safe for concurrent use. It builds a fresh SDK client for every API call (the SDK's
// WithContext mutates a shared client), so concurrent sends never see each other's contexts. Two
// Adapters share nothing but what their Options share (e.g. an HTTPClient).
type Adapter struct {
	cfg        Config
	http       *http.Client
	api, data  string
	maxBody    int64
	maxContent int64
	log        *slog.Logger
	now        func() time.Time
	tokens     *tokenSource
}

var (
	_ channel.Adapter         = (*Adapter)(nil)
	_ channel.ProfileFetcher  = (*Adapter)(nil)
	_ channel.AccountInfoer   = (*Adapter)(nil)
	_ channel.SettingsChecker = (*Adapter)(nil)
	_ channel.QuotaReporter   = (*Adapter)(nil)
	_ channel.ContentFetcher  = (*Adapter)(nil)
	_ channel.Limiter         = (*Adapter)(nil)
	_ channel.BodyParser      = (*Adapter)(nil)
	_ channel.RuleReporter    = (*Adapter)(nil)
)

// New returns the Adapter for the channel cfg describes. It checks the configuration but makes no network
// call: the first token is issued on first use.
func New(cfg Config, opts *Options) (*Adapter, error) {
	switch {
	case cfg.ChannelSecret == "":
		return nil, errors.New("line: Config.ChannelSecret is required")
	case cfg.AccessToken == "" && cfg.ChannelID == "":
		return nil, errors.New("line: Config.ChannelID is required to issue access tokens (or set AccessToken)")
	case cfg.PreviousSecret != "" && cfg.PreviousSecretUntil.IsZero():
		return nil, errors.New("line: Config.PreviousSecretUntil is required with PreviousSecret")
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &Adapter{cfg: cfg, http: o.HTTPClient, api: o.APIEndpoint, data: o.DataEndpoint,
		maxBody: o.MaxBodyBytes, maxContent: o.MaxContentBytes, log: o.Logger, now: o.Now}
	a.tokens = newTokenSource(a)
	return a, nil
}

// withDefaults checks opts and returns a copy with every default filled in. A default HTTP client is
// made here, once, so that everything built from the result shares it (and its connection pool).
func (opts *Options) withDefaults() (Options, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxBodyBytes < 0 || o.MaxContentBytes < 0 {
		return Options{}, errors.New("line: size limits must not be negative")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: DefaultTimeout}
	}
	if o.APIEndpoint == "" {
		o.APIEndpoint = DefaultAPIEndpoint
	}
	if o.DataEndpoint == "" {
		o.DataEndpoint = DefaultDataEndpoint
	}
	for _, e := range []string{o.APIEndpoint, o.DataEndpoint} {
		if u, err := url.Parse(e); err != nil || u.Scheme == "" || u.Host == "" {
			return Options{}, fmt.Errorf("line: endpoint %q is not an absolute URL", e)
		}
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxContentBytes == 0 {
		o.MaxContentBytes = DefaultMaxContentBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// LINE's reply rules.
const (
	// ReplyWindow is how long after a user's last message the account may write to them.
	ReplyWindow = 7 * 24 * time.Hour
	// ReplyTokenTTL is how long a reply token is used: LINE's expire after about a minute.
	ReplyTokenTTL = 50 * time.Second
)

// Rules reports LINE's rules: replies for 7 days after the user's last message and nothing outside
// them, reply tokens used for 50 seconds, and pushes delivered once per retry key.
func (a *Adapter) Rules() channel.Rules {
	return channel.Rules{Window: ReplyWindow, OutsideWindow: channel.OutsideNothing, ReplyTokenTTL: ReplyTokenTTL, RetryKeys: true}
}

// Kind returns "line".
func (a *Adapter) Kind() string { return Kind }

// Limits reports LINE's limits: 5 messages per call, 5,000 UTF-16 code units of text, every message
// type but files (which go out as links), mentions (in text messages), a sender per message, and up to
// 13 quick-reply buttons (on the last message of a send).
func (a *Adapter) Limits() channel.Limits {
	return channel.Limits{
		MaxMessages: MaxMessages, MaxTextLength: MaxTextLength, TextUnit: channel.UnitUTF16,
		Types: []channel.MessageType{channel.TypeText, channel.TypeImage, channel.TypeVideo, channel.TypeAudio,
			channel.TypeSticker, channel.TypeLocation, channel.TypeLink, channel.TypeRaw},
		Mentions: true, QuickReplies: true, Sender: true, MaxQuickReplies: MaxQuickReplies,
	}
}
