package whatsapp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// Kind is the adapter kind of WhatsApp channels.
const Kind = "whatsapp"

// Defaults applied by New.
const (
	DefaultEndpoint        = "https://graph.facebook.com"
	DefaultAPIVersion      = "v25.0"          // the Graph API version Meta's Cloud API reference shows
	DefaultTimeout         = 30 * time.Second // of the default HTTP client
	DefaultMaxBodyBytes    = 1 << 20          // webhook bodies
	DefaultMaxContentBytes = 100 << 20        // downloaded media: WhatsApp documents go up to 100 MB
)

// WhatsApp's send limits, as this adapter applies them.
const (
	// MaxMessages is the most messages one Send takes. WhatsApp has no batch: each message is its own
	// API call, so a send is kept short to bound what a failure half-way leaves delivered (see Send).
	MaxMessages = 5
	// MaxTextLength is the longest text message: Meta documents 4,096 characters; the adapter counts
	// UTF-16 code units, which is never more lenient than any way of counting characters.
	MaxTextLength = 4096
	// Window is WhatsApp's customer service window: how long after the customer's last message the
	// business may send anything; after it, only approved templates.
	Window = 24 * time.Hour
)

// Config identifies one WhatsApp Business phone number on the Cloud API. AccessToken, AppSecret and
// VerifyToken are secret: never log them.
type Config struct {
	// PhoneNumberID is the business phone number's ID (not the number itself): messages are sent from it,
	// and webhooks name it as metadata.phone_number_id.
	PhoneNumberID string
	// AccessToken is a system user (or business integration) access token with the
	// whatsapp_business_messaging permission.
	AccessToken string
	// AppSecret is the Meta app's secret: webhooks are signed with it (X-Hub-Signature-256).
	AppSecret string
	// PreviousAppSecret is the secret before a reset. Until PreviousAppSecretUntil passes, webhooks
	// signed with it are accepted too. Zero PreviousAppSecretUntil with a PreviousAppSecret set is refused.
	PreviousAppSecret      string
	PreviousAppSecretUntil time.Time
	// VerifyToken is the token entered with the webhook URL in the app dashboard; Meta echoes it in the
	// GET verification handshake. Without it, every handshake is refused.
	VerifyToken string
	// BusinessAccountID is the WhatsApp Business Account (WABA) ID, when known. Optional: informational.
	BusinessAccountID string
}

// Options tunes an Adapter. The zero value (or nil) means the defaults.
type Options struct {
	// HTTPClient makes every API call. Default: a client with DefaultTimeout (never http.DefaultClient).
	HTTPClient *http.Client
	// Endpoint is the Graph API's base URL (default DefaultEndpoint); point it at watest in tests.
	Endpoint string
	// APIVersion is the Graph API version, "vNN.N" (default DefaultAPIVersion).
	APIVersion string
	// MaxBodyBytes limits webhook bodies the adapter reads (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxContentBytes limits media downloads (default DefaultMaxContentBytes).
	MaxContentBytes int64
	// Logger receives debug records (the adapter logs nothing yet); never personal data, tokens or
	// bodies. nil discards.
	Logger *slog.Logger
	// Now is the adapter's clock: the secret changeover window and Retry-After dates. nil means time.Now.
	Now func() time.Time
}

// Adapter is the WhatsApp Business Cloud API channel.Adapter, written on net/http.
//
// An Adapter is safe for concurrent use; it holds no state that changes after New. Two Adapters share
// nothing but what their Options share (e.g. an HTTPClient).
type Adapter struct {
	cfg        Config
	http       *http.Client
	base       string // endpoint + "/" + version
	maxBody    int64
	maxContent int64
	log        *slog.Logger
	now        func() time.Time
}

var (
	_ channel.Adapter        = (*Adapter)(nil)
	_ channel.BodyParser     = (*Adapter)(nil)
	_ channel.Handshaker     = (*Adapter)(nil)
	_ channel.ContentFetcher = (*Adapter)(nil)
	_ channel.Limiter        = (*Adapter)(nil)
	_ channel.RuleReporter   = (*Adapter)(nil)
	_ channel.ReadMarker     = (*Adapter)(nil)
	_ channel.AccountInfoer  = (*Adapter)(nil)
)

// New returns the Adapter for the phone number cfg describes. It checks the configuration but makes no
// network call.
func New(cfg Config, opts *Options) (*Adapter, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	switch {
	case cfg.PhoneNumberID == "":
		return nil, errors.New("whatsapp: Config.PhoneNumberID is required")
	case strings.ContainsAny(cfg.PhoneNumberID, "/?#% "):
		return nil, errors.New("whatsapp: Config.PhoneNumberID is malformed")
	case cfg.AccessToken == "":
		return nil, errors.New("whatsapp: Config.AccessToken is required")
	case cfg.AppSecret == "":
		return nil, errors.New("whatsapp: Config.AppSecret is required")
	case cfg.PreviousAppSecret != "" && cfg.PreviousAppSecretUntil.IsZero():
		return nil, errors.New("whatsapp: Config.PreviousAppSecretUntil is required with PreviousAppSecret")
	case o.MaxBodyBytes < 0 || o.MaxContentBytes < 0:
		return nil, errors.New("whatsapp: size limits must not be negative")
	}
	if o.Endpoint == "" {
		o.Endpoint = DefaultEndpoint
	}
	if u, err := url.Parse(o.Endpoint); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("whatsapp: endpoint %q is not an absolute URL", o.Endpoint)
	}
	if o.APIVersion == "" {
		o.APIVersion = DefaultAPIVersion
	}
	if !validVersion(o.APIVersion) {
		return nil, fmt.Errorf("whatsapp: API version %q is not of the form vNN.N", o.APIVersion)
	}
	a := &Adapter{cfg: cfg, http: o.HTTPClient, base: strings.TrimRight(o.Endpoint, "/") + "/" + o.APIVersion,
		maxBody: o.MaxBodyBytes, maxContent: o.MaxContentBytes, log: o.Logger, now: o.Now}
	if a.http == nil {
		a.http = &http.Client{Timeout: DefaultTimeout}
	}
	if a.maxBody == 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	if a.maxContent == 0 {
		a.maxContent = DefaultMaxContentBytes
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a, nil
}

// validVersion reports whether v looks like a Graph API version: "v" digits "." digits.
func validVersion(v string) bool {
	major, minor, ok := strings.Cut(strings.TrimPrefix(v, "v"), ".")
	return ok && strings.HasPrefix(v, "v") && digits(major) && digits(minor)
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Kind returns "whatsapp".
func (a *Adapter) Kind() string { return Kind }

// PhoneNumberID returns the phone number ID the adapter sends from: what Event.Account holds for the
// webhooks of this number.
func (a *Adapter) PhoneNumberID() string { return a.cfg.PhoneNumberID }

// Limits reports the adapter's limits: MaxMessages messages per Send (one API call each), MaxTextLength
// UTF-16 code units of text, text, image, video, audio, location, link (sent as text), template and
// raw messages; no mentions, quick replies or per-message sender. Stickers are sent only when
// Sticker.StickerID is the https URL of a WebP sticker (a sticker by link), so they are not listed.
func (a *Adapter) Limits() channel.Limits {
	return channel.Limits{
		MaxMessages: MaxMessages, MaxTextLength: MaxTextLength, TextUnit: channel.UnitUTF16,
		Types: []channel.MessageType{channel.TypeText, channel.TypeImage, channel.TypeVideo, channel.TypeAudio,
			channel.TypeLocation, channel.TypeLink, channel.TypeTemplate, channel.TypeRaw},
	}
}

// Rules reports WhatsApp's rules: a 24-hour customer service window, approved templates only outside
// it (and before the customer first wrote), no reply tokens, and no retry keys: a send whose outcome is
// unknown must not be retried.
func (a *Adapter) Rules() channel.Rules {
	return channel.Rules{Window: Window, OutsideWindow: channel.OutsideTemplates}
}
