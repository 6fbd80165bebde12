package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// Credential keys a Connector reads.
const (
	CredPhoneNumberID     = "phone_number_id"     // required
	CredAccessToken       = "access_token"        // required, secret
	CredAppSecret         = "app_secret"          // required, secret
	CredVerifyToken       = "verify_token"        // optional, secret: answers Meta's GET handshake
	CredBusinessAccountID = "business_account_id" // optional
	// CredAppSecret + "_previous" and CredAppSecret + "_previous_until" (RFC 3339), written by a secret
	// rotation, keep the previous app secret verifying webhooks until then.
	credPreviousSuffix      = "_previous"
	credPreviousUntilSuffix = "_previous_until"
)

// Connector is the channel.Connector of WhatsApp phone numbers, and their channel.EntryPointer. It is
// safe for concurrent use.
type Connector struct {
	opts Options
}

var (
	_ channel.Connector    = (*Connector)(nil)
	_ channel.EntryPointer = (*Connector)(nil)
)

// NewConnector returns a Connector whose adapters use opts (nil for the defaults).
func NewConnector(opts *Options) *Connector {
	var o Options
	if opts != nil {
		o = *opts
	}
	return &Connector{opts: o}
}

// Kind returns "whatsapp".
func (c *Connector) Kind() string { return Kind }

// Verify implements channel.Connector: it reads the phone number (GET /{phone-number-id}?fields=
// display_phone_number,verified_name) with the access token. A token Meta refuses is a
// *channel.CredentialError on CredAccessToken (ErrUnauthorized); a phone number ID Meta does not know
// (or the token cannot reach) one on CredPhoneNumberID (ErrInvalidRequest); a missing credential, one
// on that credential. The app secret cannot be checked through the API: the first signed webhook proves
// it (channel.Handler reports signature failures). ExternalID is the phone number ID; the account's
// UserID is the phone number ID, BasicID its display number and DisplayName its verified name.
func (c *Connector) Verify(ctx context.Context, creds channel.Credentials) (channel.Connection, error) {
	for _, f := range []string{CredPhoneNumberID, CredAccessToken, CredAppSecret} {
		if strings.TrimSpace(creds[f]) == "" {
			return channel.Connection{}, &channel.CredentialError{Field: f, Category: channel.ErrInvalidRequest, Reason: "it is required"}
		}
	}
	a, err := c.adapter(creds)
	if err != nil {
		return channel.Connection{}, &channel.CredentialError{Field: CredPhoneNumberID, Category: channel.ErrInvalidRequest,
			Reason: "it is not a WhatsApp phone number ID", Err: err}
	}
	info, err := a.AccountInfo(ctx)
	var apiErr *channel.APIError
	switch {
	case err == nil:
	case errors.Is(err, channel.ErrUnauthorized):
		return channel.Connection{}, &channel.CredentialError{Field: CredAccessToken, Category: channel.ErrUnauthorized,
			Reason: "Meta refused the access token: it is wrong, expired or lacks the whatsapp_business_messaging permission", Err: err}
	case errors.Is(err, channel.ErrNotFound) || errors.As(err, &apiErr) && apiErr.Status == 400 && errors.Is(err, channel.ErrInvalidRequest):
		return channel.Connection{}, &channel.CredentialError{Field: CredPhoneNumberID, Category: channel.ErrInvalidRequest,
			Reason: "Meta knows no phone number with this ID that the access token may use", Err: err}
	default:
		return channel.Connection{}, err
	}
	return channel.Connection{ExternalID: creds[CredPhoneNumberID], Credentials: creds, Account: info}, nil
}

// Adapter implements channel.Connector: the adapter of a connected phone number, without a network call.
func (c *Connector) Adapter(creds channel.Credentials) (channel.Adapter, error) {
	a, err := c.adapter(creds)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", channel.ErrInvalidRequest, err)
	}
	return a, nil
}

func (c *Connector) adapter(creds channel.Credentials) (*Adapter, error) {
	cfg := Config{PhoneNumberID: creds[CredPhoneNumberID], AccessToken: creds[CredAccessToken], AppSecret: creds[CredAppSecret],
		VerifyToken: creds[CredVerifyToken], BusinessAccountID: creds[CredBusinessAccountID]}
	if prev := creds[CredAppSecret+credPreviousSuffix]; prev != "" {
		until, err := time.Parse(time.RFC3339, creds[CredAppSecret+credPreviousUntilSuffix])
		if err != nil {
			return nil, errors.New("whatsapp connector: the previous app secret has no valid end (RFC 3339)")
		}
		cfg.PreviousAppSecret, cfg.PreviousAppSecretUntil = prev, until
	}
	return New(cfg, &c.opts)
}

// EntryPoints implements channel.EntryPointer: the wa.me link of the display number (a.BasicID), which
// opens a chat with the business on any device, and a chat button linking to it.
func (c *Connector) EntryPoints(a channel.AccountInfo) (channel.EntryPoints, error) {
	var number strings.Builder
	for _, r := range a.BasicID {
		if r >= '0' && r <= '9' {
			number.WriteRune(r)
		}
	}
	if number.Len() < 7 {
		return channel.EntryPoints{}, fmt.Errorf("whatsapp connector: the account has no display phone number: %w", channel.ErrNotFound)
	}
	link := "https://wa.me/" + number.String()
	label := "Chat with us on WhatsApp"
	if a.DisplayName != "" {
		label = "Chat with " + a.DisplayName + " on WhatsApp"
	}
	button := `<a href="` + html.EscapeString(link) + `" target="_blank" rel="noopener" ` +
		`style="display:inline-block;padding:10px 16px;border-radius:20px;background:#25D366;color:#fff;` +
		`font:600 15px sans-serif;text-decoration:none">` + html.EscapeString(label) + `</a>`
	return channel.EntryPoints{URL: link, ButtonHTML: button}, nil
}
