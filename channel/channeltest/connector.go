package channeltest

import (
	"context"
	"fmt"
	"net/url"
	"sync"

	"github.com/msgkit/msgkit/channel"
)

// Credential keys a Connector reads.
const (
	CredAccount = "account" // the account's external ID (required)
	CredSecret  = "secret"  // the webhook signing secret (required)
	CredToken   = "token"   // an access token, "revoked" is refused (optional)
)

// Connector is a channel.Connector for Fakes, for testing code that connects accounts: Verify accepts any
// account and secret, refuses the token "revoked", and fails with scripted errors; Adapter makes a Fake
// signing with the account's secret, whose settings check reports one item, OK (the same Fake for the
// same credentials, so a test can script it).
// It is safe for concurrent use.
type Connector struct {
	kind string

	mu       sync.Mutex
	failures []error
	verified int
	fakes    map[string]*Fake // account + secret → its Fake
}

var (
	_ channel.Connector    = (*Connector)(nil)
	_ channel.EntryPointer = (*Connector)(nil)
)

// NewConnector returns a Connector of kind ("fake" when empty).
func NewConnector(kind string) *Connector {
	if kind == "" {
		kind = "fake"
	}
	return &Connector{kind: kind, fakes: map[string]*Fake{}}
}

// Kind implements channel.Connector.
func (c *Connector) Kind() string { return c.kind }

// Fail makes the next Verify calls fail with errs, in order.
func (c *Connector) Fail(errs ...error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures = append(c.failures, errs...)
}

// Verified returns how many Verify calls were made: a test can check that nothing reached the channel.
func (c *Connector) Verified() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.verified
}

// Verify implements channel.Connector.
func (c *Connector) Verify(ctx context.Context, creds channel.Credentials) (channel.Connection, error) {
	if err := ctx.Err(); err != nil {
		return channel.Connection{}, err
	}
	c.mu.Lock()
	c.verified++
	var failure error
	if len(c.failures) > 0 {
		failure, c.failures = c.failures[0], c.failures[1:]
	}
	c.mu.Unlock()
	if failure != nil {
		return channel.Connection{}, failure
	}
	for _, field := range []string{CredAccount, CredSecret} {
		if creds[field] == "" {
			return channel.Connection{}, &channel.CredentialError{Field: field, Category: channel.ErrInvalidRequest,
				Reason: "it is required"}
		}
	}
	if creds[CredToken] == "revoked" {
		return channel.Connection{}, &channel.CredentialError{Field: CredToken, Category: channel.ErrUnauthorized,
			Reason: "the channel refused the access token: it was revoked or has expired"}
	}
	account := creds[CredAccount]
	return channel.Connection{ExternalID: account, Credentials: creds,
		Account: channel.AccountInfo{UserID: "U" + account, BasicID: "@" + account, DisplayName: "Shop " + account, ChatMode: "bot"}}, nil
}

// Adapter implements channel.Connector.
func (c *Connector) Adapter(creds channel.Credentials) (channel.Adapter, error) {
	if creds[CredAccount] == "" || creds[CredSecret] == "" {
		return nil, fmt.Errorf("%s connector: account and secret are required: %w", c.kind, channel.ErrInvalidRequest)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := creds[CredAccount] + "\x00" + creds[CredSecret]
	if f, ok := c.fakes[key]; ok {
		return f, nil
	}
	f := NewFake(&FakeOptions{Kind: c.kind, Secret: creds[CredSecret],
		Account:  channel.AccountInfo{UserID: "U" + creds[CredAccount], BasicID: "@" + creds[CredAccount], ChatMode: "bot"},
		Settings: []channel.SettingCheck{{ID: "webhook", Title: "Webhook", Status: channel.CheckOK, Detail: "Webhooks reach the CRM."}}})
	c.fakes[key] = f
	return f, nil
}

// EntryPoints implements channel.EntryPointer: a made-up link from the basic ID.
func (c *Connector) EntryPoints(a channel.AccountInfo) (channel.EntryPoints, error) {
	if a.BasicID == "" {
		return channel.EntryPoints{}, fmt.Errorf("%s connector: the account has no basic ID: %w", c.kind, channel.ErrNotFound)
	}
	link := "https://chat.example.com/add/" + url.PathEscape(a.BasicID)
	return channel.EntryPoints{URL: link, ButtonHTML: `<a href="` + link + `">Chat with us</a>`}, nil
}
