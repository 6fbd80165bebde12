package store

import (
	"context"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// Conversation is the running thread between the business and one contact on one channel.
type Conversation struct {
	ID        string // assigned by the store when empty
	ChannelID string
	ContactID string
	// Peer is the chat; the store keeps Peer.Chat(). (ChannelID, Peer.Kind, Peer.ID) is unique.
	Peer channel.Peer
	// Assignee is the user responsible for answering; empty while unassigned.
	Assignee string
	// Unreplied is set by an inbound message and cleared by a reply.
	Unreplied      bool
	LastInboundAt  time.Time // the customer's last message; the reply window counts from it
	LastOutboundAt time.Time
	// LastMessageAt orders the inbox. Set by the store: the later of LastInboundAt and LastOutboundAt, or
	// CreatedAt while there is neither (a conversation opened by a follow sorts by when it opened).
	LastMessageAt time.Time
	// Preview is the latest message's preview for the inbox: its text cut short, "[sticker]", "[image]"…,
	// empty for an unsent one. RecordInbound sets it for an inbound message at least as new as the latest
	// (of messages sent at the same moment, the one recorded last); UpdateConversation stores it as given.
	Preview string
	// Record mirrors its contact's linked record, kept by the store (set at creation, changed by
	// Links.LinkContact), so the inbox's record views need no join. Updates leave it as stored.
	Record RecordRef
	// ReplyToken is the latest unused reply token and ReplyTokenExpiresAt when it stops working.
	ReplyToken          string
	ReplyTokenExpiresAt time.Time

	CreatedAt time.Time // set by the store
	UpdatedAt time.Time // set by the store
	Version   int64     // set by the store
}

// InboundNote is what an inbound message changes on its conversation (Conversations.RecordInbound).
type InboundNote struct {
	At time.Time // when the message was sent
	// Preview becomes the conversation's Preview when the message is its latest.
	Preview string
	// ReplyToken is the message's reply token and ReplyTokenExpiresAt when it stops working; empty when it
	// has none, or must not be used (a standby event).
	ReplyToken          string
	ReplyTokenExpiresAt time.Time
}

// Linkage filters conversations by whether their contact is linked to a CRM record.
type Linkage int

// Linkage filters.
const (
	AnyLinkage   Linkage = iota
	Unregistered         // contact not linked (FEATURES F18)
	Linked               // contact linked to a record
)

// View selects conversations for an inbox list (FEATURES F18–F20). Zero fields do not filter; set fields
// all apply.
type View struct {
	ChannelID   string
	Assignee    string  // conversations assigned to this user ("my conversations")
	Unassigned  bool    // only conversations without an assignee (waiting for one)
	RecordOwner string  // conversations whose contact is linked to a record this user owns ("my records")
	Linkage     Linkage // Unregistered for the unregistered views
	Unreplied   bool    // only conversations awaiting a reply
	// InboundSince keeps conversations whose last inbound message is at or after it ("today's").
	InboundSince time.Time
	// Viewer, when set, makes each entry carry this user's notification state for its conversation.
	Viewer string
}

// InboxEntry is one row of an inbox list: the conversation and its contact, so a list shows who it is
// with and whether they are linked (FEATURES F7, F10) without another lookup.
type InboxEntry struct {
	Conversation Conversation
	Contact      Contact
	// Notification is View.Viewer's notification state for the conversation; nil when there is none or
	// no Viewer was given.
	Notification *NotificationState
}

// Cursor returns the entry's position in a conversation list.
func (e InboxEntry) Cursor() Cursor {
	return Cursor{Time: e.Conversation.LastMessageAt, ID: e.Conversation.ID}
}

// Conversations stores conversations. Implementations must be safe for concurrent use.
type Conversations interface {
	// FindOrCreateConversation returns the conversation with c's (ChannelID, Peer.Kind, Peer.ID), or
	// creates it from c; created reports which. Concurrent calls for one peer create it once. An unknown
	// ChannelID or ContactID returns ErrNotFound.
	FindOrCreateConversation(ctx context.Context, c Conversation) (_ Conversation, created bool, _ error)
	// GetConversation returns the conversation id, or ErrNotFound.
	GetConversation(ctx context.Context, id string) (Conversation, error)
	// UpdateConversation replaces the stored conversation c.ID if its Version equals c.Version and returns
	// it with Version+1; otherwise ErrConflict (ErrNotFound if missing). The identity (ChannelID,
	// ContactID, Peer) is never updated.
	UpdateConversation(ctx context.Context, c Conversation) (Conversation, error)
	// RecordInbound applies an inbound message to conversation id in one atomic step, whatever else
	// changed the conversation since it was read, so concurrent messages never conflict: Unreplied is set,
	// LastInboundAt becomes the later of its value and n.At, and n's reply token replaces the stored one
	// when it expires later. It returns the updated conversation (Version+1), or ErrNotFound.
	RecordInbound(ctx context.Context, id string, n InboundNote) (Conversation, error)
	// ListConversations returns one page of the conversations v selects, ordered by (LastMessageAt, ID) in
	// p.Order, each with its contact (and v.Viewer's notification state), and the cursor to pass as
	// p.After for the next page (zero when there is none). A page costs what it returns, not the number of
	// conversations: backends keep indexes for every View a standard inbox view uses.
	ListConversations(ctx context.Context, v View, p Page) ([]InboxEntry, Cursor, error)
	// CountConversations counts the conversations v selects, up to limit: a badge says "99+" rather than
	// counting every row (limit ≤ 0 means no limit). v.Viewer is ignored.
	CountConversations(ctx context.Context, v View, limit int) (int, error)
}

// InboundNoter is implemented by stores that can record an inbound message on its conversation without
// answering. NoteInbound changes conversation id as RecordInbound does, for a caller that knows the
// conversation exists (it found or created it in the same transaction) and needs nothing back: it
// returns no conversation, and a missing one may go unreported. Inside a transaction a backend may then
// send it with the transaction's next statement or its commit instead of waiting for its answer
// (store/postgres does).
type InboundNoter interface {
	NoteInbound(ctx context.Context, id string, n InboundNote) error
}

// NoteInbound records n on conversation id with s's InboundNoter when it has one, else with
// RecordInbound.
func NoteInbound(ctx context.Context, s Conversations, id string, n InboundNote) error {
	if c, ok := s.(InboundNoter); ok {
		return c.NoteInbound(ctx, id, n)
	}
	_, err := s.RecordInbound(ctx, id, n)
	return err
}
