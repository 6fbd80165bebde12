package line

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/channel_access_token"

	"github.com/msgkit/msgkit/channel"
)

// Credential keys of a LINE account (channel.Credentials), as Connector reads and writes them. Every
// value but the channel ID and the bot user ID is secret.
const (
	CredChannelID     = "channel_id"     // required: the Messaging API channel's ID, a number
	CredChannelSecret = "channel_secret" // required
	// CredAccessToken is a long-lived channel access token. Optional: without one, adapters issue
	// stateless 15-minute tokens from the channel ID and secret.
	CredAccessToken = "access_token"
	// CredPreviousSecret and CredPreviousSecretUntil (RFC 3339) open a secret rotation window: webhooks
	// signed with the previous secret verify until then (Config.PreviousSecret).
	CredPreviousSecret      = CredChannelSecret + "_previous"       // as connect.Service.RotateSecret writes it
	CredPreviousSecretUntil = CredChannelSecret + "_previous_until" // likewise
	// CredBotUserID is the account's bot user ID, which Verify fills in: webhooks for another bot are
	// refused (Config.BotUserID).
	CredBotUserID = "bot_user_id"
)

// LINE's "Add friend" button image (English), from the button LINE Official Account Manager generates.
// LINE serves other languages beside it (ja.png, zh-Hant.png, th.png, ko.png).
const addFriendButtonImage = "https://scdn.line-apps.com/n/line_add_friends/btn/en.png"

// Connector connects LINE Official Accounts: it checks an account's credentials against LINE (Verify),
// builds the Adapter of a connected account from its stored credentials (Adapter), and makes its
// add-friend link and button (EntryPoints). It implements channel.Connector and channel.EntryPointer.
//
// Every Adapter it builds shares its Options: one HTTP client (and connection pool), the endpoints, the
// logger and the clock.
//
// A Connector is safe for concurrent use.
type Connector struct {
	opts Options
	log  *slog.Logger
}

var (
	_ channel.Connector    = (*Connector)(nil)
	_ channel.EntryPointer = (*Connector)(nil)
)

// NewConnector returns a Connector whose adapters use opts (nil for the defaults, as for New). When
// opts has no HTTPClient, one default client is made here and shared by everything the Connector builds.
func NewConnector(opts *Options) (*Connector, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Connector{opts: o, log: o.Logger}, nil
}

// Kind returns "line".
func (c *Connector) Kind() string { return Kind }

// Adapter builds the Adapter of a connected account from its stored credentials, without a network
// call: the channel ID and secret, the access token if any, the rotation window if any, and the bot user
// ID if any (see the Cred… keys). Keys it does not know are ignored. Credentials it cannot use return a
// *channel.CredentialError wrapping channel.ErrInvalidRequest.
func (c *Connector) Adapter(creds channel.Credentials) (channel.Adapter, error) {
	cfg, err := configFrom(creds)
	if err != nil {
		return nil, err
	}
	return New(cfg, &c.opts)
}

// Verify checks a LINE account's credentials against LINE, as connecting it requires, and returns what
// to store and what the account is. ExternalID is the channel ID.
//
// The channel ID and secret are required; so is the end of the rotation window (RFC 3339) with a
// previous secret. Values are trimmed of surrounding white space (a copied secret often carries some),
// and the trimmed ones are returned for storing. A missing or malformed credential, or a key Verify does
// not know, returns a *channel.CredentialError wrapping channel.ErrInvalidRequest, before any call.
//
// Then, in this order:
//
//  1. With an access token, LINE's token verification (POST /v2/oauth/verify) says which channel it
//     belongs to: a token of another channel is refused. When LINE does not recognise it there, the
//     bot info call below decides (a token LINE accepts for the Messaging API is valid, whatever that
//     endpoint says; one it refuses was revoked, has expired or was mistyped).
//  2. A stateless token is issued from the channel ID and secret (POST /oauth2/v3/token): the only way
//     LINE checks a secret, and the secret is what verifies webhooks. The token is not stored: adapters
//     issue their own.
//  3. The bot info (GET /v2/bot/info), with the given access token, or else with the stateless token,
//     is the Account; its user ID is stored as CredBotUserID. With a given token LINE's verification
//     did not place, the bot is also fetched with the stateless token: both must be the same bot.
//
// An access token that LINE says expires within a day (a stateless or short-lived one pasted in place
// of a long-lived one) is refused with channel.ErrInvalidRequest: the account would stop soon after.
//
// Credentials LINE refuses return a *channel.CredentialError naming the field, wrapping
// channel.ErrUnauthorized and LINE's answer (a *channel.APIError). LINE's token endpoint answers a
// refused channel ID and secret with one 400 status; when its error description names client_id or
// client_secret, or an access token tells which channel is meant, the error names that field, and
// otherwise it says plainly that LINE refused the pair without saying which is wrong. LINE unreachable
// (a network failure, a timeout, a 5xx) returns an error wrapping channel.ErrUnavailable; a rate limit,
// channel.ErrRateLimited. Error texts and log records never hold the secret or a token.
func (c *Connector) Verify(ctx context.Context, creds channel.Credentials) (channel.Connection, error) {
	creds, cfg, err := verifiable(creds)
	if err != nil {
		// Not even the channel ID is logged: a malformed one may be a secret pasted into the wrong field.
		c.logFailure(ctx, err)
		return channel.Connection{}, err
	}
	v := verification{c: c, cfg: cfg}
	conn, err := v.run(ctx)
	if err != nil {
		c.logFailure(ctx, err, slog.String("channel_id", cfg.ChannelID), slog.Bool("with_access_token", cfg.AccessToken != ""))
		return channel.Connection{}, err
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "line: credentials verified", slog.String("channel_id", cfg.ChannelID),
		slog.Bool("with_access_token", cfg.AccessToken != ""), slog.String("bot_user_id", conn.Account.UserID))
	creds[CredBotUserID] = conn.Account.UserID
	conn.ExternalID, conn.Credentials = cfg.ChannelID, creds
	return conn, nil
}

// verifiable checks the form of credentials given to Verify, and returns them trimmed and read.
func verifiable(creds channel.Credentials) (channel.Credentials, Config, error) {
	creds, err := trimmed(creds)
	if err != nil {
		return nil, Config{}, err
	}
	if creds[CredChannelID] == "" {
		return nil, Config{}, badCredential(CredChannelID, "the channel ID is required: copy it from "+whereBasic+".")
	}
	cfg, err := configFrom(creds)
	return creds, cfg, err
}

// logFailure logs a failed Verify at debug level: the error's category and the refused field, never
// the error's text.
func (c *Connector) logFailure(ctx context.Context, err error, attrs ...slog.Attr) {
	if cat := channel.Category(err); cat != nil {
		attrs = append(attrs, slog.String("error_category", cat.Error()))
	}
	var ce *channel.CredentialError
	if errors.As(err, &ce) {
		attrs = append(attrs, slog.String("refused", ce.Field))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "line: credentials not verified", attrs...)
}

// verification is one Verify call's state.
type verification struct {
	c         *Connector
	cfg       Config
	stateless string // the token issued from the ID and secret, once issued
}

// minTokenLife is the least lifetime an access token must have left to be stored: a token that expires
// sooner (a stateless one, say) would stop the account soon after it was connected.
const minTokenLife = 24 * time.Hour

func (v *verification) run(ctx context.Context) (channel.Connection, error) {
	// 1. Which channel the access token belongs to, as far as LINE's verification says.
	var tokenChannel string // "" when LINE did not say
	if v.cfg.AccessToken != "" {
		id, err := v.tokenChannel(ctx)
		if err != nil {
			return channel.Connection{}, err
		}
		tokenChannel = id
	}

	// 2. The channel ID and secret.
	stateless, err := v.issue(ctx, tokenChannel)
	if err != nil {
		return channel.Connection{}, err
	}
	v.stateless = stateless
	if tokenChannel != "" && tokenChannel != v.cfg.ChannelID {
		return channel.Connection{}, &channel.CredentialError{Field: CredAccessToken, Category: channel.ErrUnauthorized,
			Reason: "this access token belongs to LINE channel " + tokenChannel + ", not to channel " + v.cfg.ChannelID +
				": copy the token of this channel from " + whereToken + "."}
	}

	// 3. The account, with the token adapters will use.
	token := v.cfg.AccessToken
	if token == "" {
		token = stateless
	}
	account, err := v.botInfo(ctx, token)
	if err != nil {
		if v.cfg.AccessToken != "" && errors.Is(err, channel.ErrUnauthorized) {
			return channel.Connection{}, &channel.CredentialError{Field: CredAccessToken, Category: channel.ErrUnauthorized, Err: err,
				Reason: "LINE refused this access token: it was revoked, has expired, or was mistyped. Issue a new long-lived token in " +
					whereToken + "."}
		}
		return channel.Connection{}, err
	}
	if v.cfg.AccessToken != "" && tokenChannel == "" {
		own, err := v.botInfo(ctx, stateless)
		if err != nil {
			return channel.Connection{}, err
		}
		if own.UserID != account.UserID {
			return channel.Connection{}, &channel.CredentialError{Field: CredAccessToken, Category: channel.ErrUnauthorized,
				Reason: "this access token belongs to another LINE channel (its bot is " + account.UserID + ", this channel's is " +
					own.UserID + "): copy the token of this channel from " + whereToken + "."}
		}
	}
	return channel.Connection{Account: account}, nil
}

// tokenChannel asks LINE which channel the access token belongs to. It returns "" when LINE's
// verification does not recognise the token (the bot info call decides then), and an error only when
// LINE could not be asked.
func (v *verification) tokenChannel(ctx context.Context) (string, error) {
	api, err := v.tokenAPI(ctx)
	if err != nil {
		return "", err
	}
	res, body, err := api.VerifyChannelTokenWithHttpInfo(v.cfg.AccessToken)
	if err != nil {
		aerr := v.scrub(apiError(ctx, v.c.opts.Now(), "verify token", res, err))
		if res != nil && res.StatusCode/100 == 4 && res.StatusCode != http.StatusTooManyRequests {
			return "", nil
		}
		return "", fmt.Errorf("line: could not verify the access token with LINE: %w", aerr)
	}
	if !digits(body.ClientId) { // not a channel ID: LINE did not say which channel
		return "", nil
	}
	if left := time.Duration(body.ExpiresIn) * time.Second; left > 0 && left < minTokenLife {
		return "", badCredential(CredAccessToken, fmt.Sprintf("this access token expires in %s, too soon to store: store a long-lived "+
			"channel access token from %s, or none, and tokens are issued from the channel ID and secret.", left.Round(time.Minute), whereToken))
	}
	return body.ClientId, nil
}

// issue issues a stateless token from the channel ID and secret, and says which of them LINE refused.
// tokenChannel, when known, is the channel the given access token belongs to.
func (v *verification) issue(ctx context.Context, tokenChannel string) (string, error) {
	api, err := v.tokenAPI(ctx)
	if err != nil {
		return "", err
	}
	res, body, err := api.IssueStatelessChannelTokenWithHttpInfo("client_credentials", "", "", v.cfg.ChannelID, v.cfg.ChannelSecret)
	if err == nil && body.AccessToken != "" {
		return body.AccessToken, nil
	}
	if err == nil {
		err = errMalformedResponse
	}
	aerr := v.scrub(apiError(ctx, v.c.opts.Now(), "issue token", res, err))
	if res == nil || (res.StatusCode != http.StatusBadRequest && res.StatusCode != http.StatusUnauthorized) {
		return "", fmt.Errorf("line: could not check the channel ID and secret with LINE: %w", aerr)
	}
	var e *channel.APIError
	errors.As(aerr, &e)
	said := strings.ToLower(e.Message)
	refused := &channel.CredentialError{Category: channel.ErrUnauthorized, Err: aerr}
	switch {
	case strings.Contains(said, "client_secret") && !strings.Contains(said, "client_id"):
		refused.Field, refused.Reason = CredChannelSecret, "LINE refused the channel secret for channel "+v.cfg.ChannelID+
			": copy it again from "+whereBasic+" (if it was reissued, use the new one)."
	case strings.Contains(said, "client_id") && !strings.Contains(said, "client_secret"):
		refused.Field, refused.Reason = CredChannelID, "LINE does not know channel "+v.cfg.ChannelID+
			": copy the channel ID of the Messaging API channel from "+whereBasic+"."
	case tokenChannel == v.cfg.ChannelID:
		refused.Field, refused.Reason = CredChannelSecret, "LINE refused the channel secret for channel "+v.cfg.ChannelID+
			" (the access token confirms the channel ID): copy it again from "+whereBasic+" (if it was reissued, use the new one)."
	case tokenChannel != "":
		refused.Field, refused.Reason = CredChannelID, "LINE refused channel ID "+v.cfg.ChannelID+" with this secret, and the access "+
			"token belongs to channel "+tokenChannel+": check that the channel ID is "+tokenChannel+" and that the secret is that channel's, in "+
			whereBasic+"."
	default:
		refused.Field, refused.Reason = CredChannelSecret, "LINE refused this channel ID and secret pair, without saying which is wrong: "+
			"copy both again from "+whereBasic+" (the secret must be that channel's current one)."
	}
	return "", refused
}

// botInfo fetches the bot info with token.
func (v *verification) botInfo(ctx context.Context, token string) (channel.AccountInfo, error) {
	cfg := v.cfg
	cfg.AccessToken, cfg.PreviousSecret, cfg.PreviousSecretUntil = token, "", time.Time{}
	a, err := New(cfg, &v.c.opts)
	if err != nil {
		return channel.AccountInfo{}, err
	}
	info, err := a.AccountInfo(ctx)
	if err != nil {
		if errors.Is(err, channel.ErrUnauthorized) {
			return channel.AccountInfo{}, v.scrub(err)
		}
		return channel.AccountInfo{}, fmt.Errorf("line: could not fetch the bot info from LINE: %w", v.scrub(err))
	}
	return info, nil
}

func (v *verification) tokenAPI(ctx context.Context) (*channel_access_token.ChannelAccessTokenAPI, error) {
	api, err := channel_access_token.NewChannelAccessTokenAPI(
		channel_access_token.WithEndpoint(v.c.opts.APIEndpoint), channel_access_token.WithHTTPClient(v.c.opts.HTTPClient))
	if err != nil {
		return nil, fmt.Errorf("line: token client: %w", err)
	}
	return api.WithContext(ctx), nil
}

// scrub removes the secret and the access token from LINE's error message and details in err, should
// LINE ever quote them back.
func (v *verification) scrub(err error) error {
	var e *channel.APIError
	if !errors.As(err, &e) {
		return err
	}
	for _, s := range []string{v.cfg.ChannelSecret, v.cfg.AccessToken, v.stateless} {
		if s == "" {
			continue
		}
		e.Message = strings.ReplaceAll(e.Message, s, "[redacted]")
		for i := range e.Details {
			e.Details[i].Message = strings.ReplaceAll(e.Details[i].Message, s, "[redacted]")
			e.Details[i].Property = strings.ReplaceAll(e.Details[i].Property, s, "[redacted]")
		}
	}
	return err
}

// EntryPoints returns the account's add-friend link and an "Add friend" button to embed in a web site,
// made from its basic ID (channel.AccountInfo.BasicID, "@" and letters and digits) as LINE documents
// them: the link is https://line.me/R/ti/p/@basicid, which opens the account's add-friend screen in
// LINE (or, without LINE installed, a page to get it); a QR code of the link does the same. The button
// is LINE's own markup and image. An account without a basic ID returns an error wrapping
// channel.ErrInvalidRequest.
func (c *Connector) EntryPoints(a channel.AccountInfo) (channel.EntryPoints, error) {
	id := strings.TrimSpace(a.BasicID)
	if strings.Trim(id, "@") == "" {
		return channel.EntryPoints{}, fmt.Errorf("line: the account has no basic ID to link to (connect it again to fetch its bot info): %w",
			channel.ErrInvalidRequest)
	}
	if !strings.HasPrefix(id, "@") {
		id = "@" + id
	}
	link := "https://line.me/R/ti/p/" + url.PathEscape(id)
	button := `<a href="` + html.EscapeString(link) + `"><img height="36" border="0" alt="Add friend" src="` + addFriendButtonImage + `"></a>`
	return channel.EntryPoints{URL: link, ButtonHTML: button}, nil
}

// configFrom reads a Config from stored credentials, checking their form. Unknown keys are ignored.
func configFrom(creds channel.Credentials) (Config, error) {
	cfg := Config{ChannelID: creds[CredChannelID], ChannelSecret: creds[CredChannelSecret], AccessToken: creds[CredAccessToken],
		PreviousSecret: creds[CredPreviousSecret], BotUserID: creds[CredBotUserID]}
	switch {
	case cfg.ChannelSecret == "":
		return Config{}, badCredential(CredChannelSecret, "the channel secret is required: copy it from "+whereBasic+".")
	case cfg.ChannelID == "" && cfg.AccessToken == "":
		return Config{}, badCredential(CredChannelID, "the channel ID is required to issue access tokens: copy it from "+whereBasic+".")
	case cfg.ChannelID != "" && !digits(cfg.ChannelID):
		return Config{}, badCredential(CredChannelID, "a channel ID is a number, such as 1650000000: copy it from "+whereBasic+".")
	}
	if until := creds[CredPreviousSecretUntil]; until != "" {
		t, err := time.Parse(time.RFC3339, until)
		if err != nil {
			return Config{}, badCredential(CredPreviousSecretUntil, "the end of the secret rotation window must be an RFC 3339 time, such as 2026-11-26T09:10:00Z.")
		}
		cfg.PreviousSecretUntil = t
	}
	if cfg.PreviousSecret != "" && cfg.PreviousSecretUntil.IsZero() {
		return Config{}, badCredential(CredPreviousSecretUntil, "a previous secret needs the end of its rotation window: a changeover must end.")
	}
	return cfg, nil
}

// trimmed returns a copy of creds with every value trimmed of surrounding white space, or an error for a
// key Verify does not know.
func trimmed(creds channel.Credentials) (channel.Credentials, error) {
	out := make(channel.Credentials, len(creds)+1)
	for k, v := range creds {
		switch k {
		case CredChannelID, CredChannelSecret, CredAccessToken, CredPreviousSecret, CredPreviousSecretUntil, CredBotUserID:
		default:
			return nil, badCredential(k, "LINE accounts have no such credential; they take "+strings.Join([]string{CredChannelID,
				CredChannelSecret, CredAccessToken, CredPreviousSecret, CredPreviousSecretUntil}, ", ")+".")
		}
		if v = strings.TrimSpace(v); v != "" {
			out[k] = v
		}
	}
	return out, nil
}

// badCredential is a credential that is missing or malformed.
func badCredential(field, reason string) error {
	return &channel.CredentialError{Field: field, Reason: reason, Category: channel.ErrInvalidRequest}
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
