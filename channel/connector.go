package channel

import (
	"context"
	"errors"
	"fmt"
)

// Credentials are what connects one account of a channel kind, keyed as the kind's Connector reads them
// (LINE: "channel_id", "channel_secret", "access_token"). Secrets: never log them, never return them
// from a read.
type Credentials map[string]string

// Connector makes a channel kind's adapters from stored credentials, and checks credentials when an
// account is connected. A host registers one per kind it supports; the connect package builds every
// connected account's adapter through it. Implementations must be safe for concurrent use.
type Connector interface {
	// Kind is the adapter kind it makes ("line").
	Kind() string
	// Verify checks creds against the channel, as connecting an account requires: it completes them
	// (issuing an access token from an ID and a secret when none is given, say) and returns what to store
	// and what the account is. A credential the channel refuses returns a *CredentialError naming it
	// (wrapping ErrUnauthorized, or ErrInvalidRequest for one that is malformed or missing); a channel
	// that cannot be reached returns an error wrapping ErrUnavailable. Error texts never hold a secret.
	Verify(ctx context.Context, creds Credentials) (Connection, error)
	// Adapter builds the adapter of a connected account from its stored credentials, without a network
	// call. Credentials it cannot use return an error wrapping ErrInvalidRequest.
	Adapter(creds Credentials) (Adapter, error)
}

// Connection is what Connector.Verify found.
type Connection struct {
	// ExternalID is the channel's own ID of the account (LINE: the channel ID): one account is connected
	// once.
	ExternalID string
	// Credentials are what to store: the given ones, completed.
	Credentials Credentials
	// Account is what the channel says about the account.
	Account AccountInfo
}

// CredentialError says which credential a channel refused, in words an administrator can act on. It
// unwraps to its category (ErrUnauthorized, ErrInvalidRequest) and to the cause.
type CredentialError struct {
	Field    string // the Credentials key, e.g. "channel_secret"
	Reason   string // e.g. "LINE refused the channel secret for this channel ID"
	Category error
	Err      error // the cause, if any (an *APIError)
}

// Error names the field and says why.
func (e *CredentialError) Error() string {
	return fmt.Sprintf("channel: credential %s: %s", e.Field, e.Reason)
}

// Unwrap returns the category and the cause.
func (e *CredentialError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Category, e.Err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// EntryPoints are how customers start a conversation with an account with one action (FEATURES F23).
type EntryPoints struct {
	// URL opens a chat with the account (LINE: the add-friend link); a QR code of it does the same.
	URL string
	// ButtonHTML is a chat button to embed in a web site.
	ButtonHTML string
}

// EntryPointer is implemented by connectors that know their channel's entry points.
type EntryPointer interface {
	// EntryPoints returns the entry points of the account described by a.
	EntryPoints(a AccountInfo) (EntryPoints, error)
}

// EntryPointsOf returns the entry points of account a through c's EntryPointer, or an error wrapping
// errors.ErrUnsupported.
func EntryPointsOf(c Connector, a AccountInfo) (EntryPoints, error) {
	if p, ok := c.(EntryPointer); ok {
		return p.EntryPoints(a)
	}
	return EntryPoints{}, fmt.Errorf("channel: %s connectors cannot make entry points: %w", c.Kind(), errors.ErrUnsupported)
}
