package store

import (
	"context"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// Direction says who sent a message.
type Direction string

// Directions.
const (
	Inbound  Direction = "in"  // from the contact
	Outbound Direction = "out" // from the business
)

// MessageStatus is where a message is in its life.
type MessageStatus string

// Message statuses.
const (
	StatusReceived  MessageStatus = "received"  // inbound, stored
	StatusQueued    MessageStatus = "queued"    // outbound, waiting to be sent (StatusDetail says if it is retrying or held)
	StatusSending   MessageStatus = "sending"   // outbound, an attempt is under way that cannot simply be repeated
	StatusSent      MessageStatus = "sent"      // outbound, accepted by the channel
	StatusDelivered MessageStatus = "delivered" // outbound, the channel reported it reached the customer's device
	StatusRead      MessageStatus = "read"      // outbound, the channel reported the customer read it
	StatusFailed    MessageStatus = "failed"    // outbound, given up; StatusDetail says why
	// StatusUncertain: outbound, an attempt's outcome could not be known and it could not be retried
	// without risking a second delivery, so it may or may not have reached the customer. StatusDetail
	// says why; an agent who wants to be sure resends it on purpose.
	StatusUncertain MessageStatus = "uncertain"
)

// Outcome is what became of one outbound part.
type Outcome string

// Outcomes.
const (
	OutcomeAsIs     Outcome = "as_is"    // sent as written
	OutcomeDegraded Outcome = "degraded" // changed to fit the channel; StatusDetail says how
	OutcomeRejected Outcome = "rejected" // not sendable on the channel; StatusDetail says why
)

// Message is one entry of a conversation's history: a message either way, or a non-message event
// (follow, postback, …) recorded on the conversation.
type Message struct {
	ID             string // assigned by the store when empty
	ConversationID string
	ChannelID      string // set by the store from the conversation
	Direction      Direction
	// Kind is the event that produced the entry: channel.EventMessage for messages.
	Kind channel.EventKind
	// ChannelMessageID is the channel's message ID (inbound, or outbound once sent); with ChannelID it makes
	// appends idempotent. Non-message entries use the event ID here.
	ChannelMessageID string
	// Author is who wrote it: the CRM user for outbound messages (empty for the system), the channel
	// user ID of the speaking member for inbound ones.
	Author  string
	Content channel.Message
	// Event is the event as received, for entries that are not messages (Kind != EventMessage).
	Event  *channel.Event
	Status MessageStatus
	// Outcome says what became of an outbound part: sent as written, degraded to fit the channel (a file
	// sent as a link), or rejected. Empty for inbound messages.
	Outcome Outcome
	// StatusDetail explains the status in words fit for an agent (a failure reason, or how a part was
	// degraded); never message content.
	StatusDetail string
	// Unsent is set when the sender took the message back; its content must no longer be shown.
	Unsent bool
	// Billable is set on outbound messages that counted against the channel's quota (LINE pushes).
	Billable bool
	// MediaCopy is the state of msgkit's own copy of an inbound message's media (image, video, audio,
	// file) in the host's blob store; nil when no copy is kept (outbound messages, other types, or a
	// service without a blob store). Stores keep it by value, and keep a copy with an empty Status as
	// none (nil).
	MediaCopy *MediaCopy
	// Time is when the message happened: the event time inbound, the enqueue time outbound.
	Time time.Time

	CreatedAt time.Time // set by the store
	UpdatedAt time.Time // set by the store
	Version   int64     // set by the store
}

// MediaStatus is where the copy of an inbound message's media is.
type MediaStatus string

// Media copy statuses: pending → ready, or pending → failed.
const (
	MediaPending MediaStatus = "pending" // recorded with the message; a durable job copies it (Detail says why it is still pending)
	MediaReady   MediaStatus = "ready"   // copied: Key, ContentType, Size and SHA256 are set
	MediaFailed  MediaStatus = "failed"  // given up: Detail says why (the channel no longer has it, too large, …)
)

// MediaCopy is msgkit's copy of an inbound message's media, kept in the host's blob store so it
// outlives the channel's own (LINE keeps content only for a while). It holds no personal data: a key
// chosen by msgkit, a sniffed type, a size, a checksum and a reason in words fit for an agent.
type MediaCopy struct {
	Status MediaStatus
	// Key is the object's key in the blob store; set when ready.
	Key string
	// ContentType is the type sniffed from the bytes; Size is in bytes; SHA256 is the hex digest of
	// the content. Set when ready.
	ContentType string
	Size        int64
	SHA256      string
	// Detail says why a copy failed, or why a pending one is still pending (a retry's reason).
	Detail string
}

// SendCounts counts sent messages.
type SendCounts struct {
	Billable int // pushes: they count against the account's message quota
	Free     int // replies
}

// Cursor returns m's position in a message list.
func (m Message) Cursor() Cursor { return Cursor{Time: m.Time, ID: m.ID} }

// Messages stores conversation history. Implementations must be safe for concurrent use.
type Messages interface {
	// AppendMessage stores m. When m.ChannelMessageID is set and a message with the same (ChannelID,
	// ChannelMessageID) exists, it stores nothing and returns the existing one with created false: a
	// redelivered message is appended once. An unknown ConversationID returns ErrNotFound. A zero Time
	// means now.
	AppendMessage(ctx context.Context, m Message) (_ Message, created bool, _ error)
	// GetMessage returns the message id, or ErrNotFound.
	GetMessage(ctx context.Context, id string) (Message, error)
	// FindMessage returns the message with the channel's message ID in channelID, or ErrNotFound.
	FindMessage(ctx context.Context, channelID, channelMessageID string) (Message, error)
	// UpdateMessage replaces the stored message m.ID if its Version equals m.Version and returns it with
	// Version+1; otherwise ErrConflict (ErrNotFound if missing). ConversationID, ChannelID, Direction and Time
	// (the message's place in its conversation) are never updated. Setting ChannelMessageID to one that another message of the channel has returns
	// ErrAlreadyExists.
	UpdateMessage(ctx context.Context, m Message) (Message, error)
	// CountSent counts the outbound messages of channelID sent (status sent, delivered or read) since
	// since (by Time), billable ones (pushes, counted against the account's quota) and free ones
	// (replies) apart.
	CountSent(ctx context.Context, channelID string, since time.Time) (SendCounts, error)
	// ListMessages returns one page of conversationID's messages ordered by (Time, ID) in p.Order, and the
	// cursor of the next page (zero when there is none).
	ListMessages(ctx context.Context, conversationID string, p Page) ([]Message, Cursor, error)
}
