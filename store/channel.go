package store

import (
	"context"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// Channel is a connected messenger account (FEATURES F1–F4): one LINE Official Account, say.
type Channel struct {
	ID   string // assigned by the store when empty
	Name string // the administrator's name for it
	Kind string // adapter kind, e.g. "line"
	// ExternalID is the messenger's own ID of the account (LINE: the channel ID). (Kind, ExternalID) is unique.
	ExternalID string
	// Credentials are the adapter's secrets (e.g. "secret", "token"). The store keeps them as given;
	// encrypt them before they reach a store you do not trust. Never log them.
	Credentials map[string]string
	// Account is what the channel reported about the account when it was connected (FEATURES F2).
	Account channel.AccountInfo
	// Active is false while the integration is deactivated: webhooks are acknowledged and ignored and
	// nothing is sent (FEATURES F4).
	Active bool
	// Assignment is how new conversations from unregistered senders get an owner (FEATURES F6).
	Assignment AssignmentRule
	// Health is what msgkit last learned about the account's setup and sending (FEATURES F3, F21).
	Health ChannelHealth
	// DisconnectedAt is when the account was disconnected: its credentials removed, its history kept.
	// Zero while connected.
	DisconnectedAt time.Time

	CreatedAt time.Time // set by the store
	UpdatedAt time.Time // set by the store
	Version   int64     // set by the store: 1 on create, +1 on every update
}

// ChannelHealth is what msgkit last learned about a channel's setup and sending.
type ChannelHealth struct {
	// Checks are the settings check's items as of CheckedAt (zero: never checked).
	Checks    []channel.SettingCheck
	CheckedAt time.Time
	// QuotaExceededAt is when a send last failed because the account's message quota was used up; zero
	// when it has not, or a send has succeeded since.
	QuotaExceededAt time.Time
}

// PoolKind says how an assignment pool's members are given.
type PoolKind string

// Pool kinds.
const (
	PoolUsers PoolKind = "users" // PoolIDs are user IDs
	PoolRole  PoolKind = "role"  // PoolIDs name roles; the CRM says who holds them
	PoolGroup PoolKind = "group" // PoolIDs name groups; the CRM says who is in them
)

// AssignmentRule is a channel's rule for assigning conversations. The zero value assigns nobody.
type AssignmentRule struct {
	Strategy string   // assigner name, e.g. "round_robin"; empty: no automatic assignment
	Pool     PoolKind // what PoolIDs are
	PoolIDs  []string
	// MaxOpen caps the open unreplied conversations per member for strategies that honour it; 0: no cap.
	MaxOpen int
}

// Channels stores connected channels. Implementations must be safe for concurrent use; returned values
// are copies the caller owns.
type Channels interface {
	// CreateChannel stores c, assigning ID (when empty), CreatedAt, UpdatedAt and Version 1, and returns the
	// stored record. An existing ID, or an existing (Kind, ExternalID) when ExternalID is set, returns
	// ErrAlreadyExists.
	CreateChannel(ctx context.Context, c Channel) (Channel, error)
	// GetChannel returns the channel id, or ErrNotFound.
	GetChannel(ctx context.Context, id string) (Channel, error)
	// UpdateChannel replaces the stored channel c.ID if its Version equals c.Version, and returns it with
	// Version+1 and a new UpdatedAt. A different version returns ErrConflict; a missing ID ErrNotFound.
	// Changing (Kind, ExternalID) to that of another channel returns ErrAlreadyExists.
	UpdateChannel(ctx context.Context, c Channel) (Channel, error)
	// ListChannels returns every channel, oldest first (by CreatedAt, then ID).
	ListChannels(ctx context.Context) ([]Channel, error)
	// DeleteChannel deletes the channel id and everything the store keeps of it: its contacts (with their
	// link history), conversations (with their assignments and notification states), messages, channel
	// events and archived webhooks. Jobs are kept, whatever they name: a job recorded in the same
	// transaction is how a caller has what the channel kept outside the store (files in a blob store)
	// deleted after the commit (conversation.Service.EraseChannel). A missing channel returns ErrNotFound.
	DeleteChannel(ctx context.Context, id string) error
}
