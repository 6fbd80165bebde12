package channel

import (
	"encoding/json"
	"time"
)

// EventKind says what happened in a webhook event.
type EventKind string

// Event kinds. Adapters map their channel's event types onto these; a type that maps onto none becomes
// EventUnknown with its raw JSON kept, never an error.
const (
	EventMessage           EventKind = "message"           // the peer sent a message (Event.Message)
	EventFollow            EventKind = "follow"            // the user added the account as a friend, or unblocked it
	EventUnfollow          EventKind = "unfollow"          // the user blocked the account: it can no longer be sent to
	EventJoin              EventKind = "join"              // the account joined a group or room
	EventLeave             EventKind = "leave"             // the account left, or was removed from, a group or room
	EventMemberJoined      EventKind = "memberJoined"      // users joined a group or room the account is in (Event.Members)
	EventMemberLeft        EventKind = "memberLeft"        // users left a group or room (Event.Members)
	EventPostback          EventKind = "postback"          // the user tapped a postback action (Event.Postback)
	EventUnsend            EventKind = "unsend"            // the user unsent a message (Event.UnsentMessageID)
	EventVideoPlayComplete EventKind = "videoPlayComplete" // the user watched a tracked video to the end (Event.TrackingID)
	EventBeacon            EventKind = "beacon"            // the user came near a beacon (Event.Beacon)
	EventAccountLink       EventKind = "accountLink"       // the user linked an account (Event.AccountLink)
	EventReceipt           EventKind = "receipt"           // what became of an outbound message: delivered, read, failed (Event.Receipt)
	EventReaction          EventKind = "reaction"          // the user reacted to a message with an emoji (Event.Reaction)
	EventUnknown           EventKind = "unknown"           // a type msgkit does not model; see Event.Type and Event.Raw
)

// Mode is the channel's delivery mode for an event.
type Mode string

// Modes. Standby events are delivered for information while another system owns the conversation: store
// them, but neither assign nor reply.
const (
	ModeActive  Mode = "active"
	ModeStandby Mode = "standby"
)

// Event is one inbound webhook event, in the channel-neutral form every adapter produces.
//
// Only the fields that belong to Kind are set. Raw holds the channel's own JSON for the event when the
// adapter keeps it (always for EventUnknown), so nothing the library does not model is lost.
type Event struct {
	// ID is the channel's unique event ID (LINE: webhookEventId). Deduplicate on it: channels redeliver.
	ID string `json:"id"`
	// Account is the receiving business account's ID on the channel (LINE: the destination bot user ID;
	// WhatsApp: the phone number ID), so one webhook URL can serve several accounts. Empty when the
	// channel does not say.
	Account string    `json:"account,omitempty"`
	Kind    EventKind `json:"kind"`
	// Type is the channel's own name for the event type ("message", "things", …); for EventUnknown it is
	// the only description there is.
	Type string    `json:"type,omitempty"`
	Time time.Time `json:"time"`
	// Redelivery is the channel's hint that this event was delivered before. Deduplicate on ID regardless.
	Redelivery bool `json:"redelivery,omitempty"`
	Mode       Mode `json:"mode,omitempty"`
	// Source is the chat the event happened in, with the acting user.
	Source Peer `json:"source"`
	// ReplyToken allows one free reply on channels that have them (LINE); empty when the event has none.
	ReplyToken string `json:"replyToken,omitempty"`
	// Profile is what the webhook itself tells about the acting user (Source.UserID): WhatsApp names the
	// sender's profile in every message webhook (value.contacts[].profile.name). nil when the webhook
	// tells nothing (LINE: fetch it with a ProfileFetcher). Fields the webhook does not carry are empty.
	// Personal data: never log it.
	Profile *Profile `json:"profile,omitempty"`

	Message         *Message     `json:"message,omitempty"`         // EventMessage
	Unblocked       bool         `json:"unblocked,omitempty"`       // EventFollow: the user had blocked the account before
	Members         []Peer       `json:"members,omitempty"`         // EventMemberJoined, EventMemberLeft
	Postback        *Postback    `json:"postback,omitempty"`        // EventPostback
	UnsentMessageID string       `json:"unsentMessageId,omitempty"` // EventUnsend: the channel message ID that was unsent
	TrackingID      string       `json:"trackingId,omitempty"`      // EventVideoPlayComplete
	Beacon          *Beacon      `json:"beacon,omitempty"`          // EventBeacon
	AccountLink     *AccountLink `json:"accountLink,omitempty"`     // EventAccountLink
	Receipt         *Receipt     `json:"receipt,omitempty"`         // EventReceipt
	Reaction        *Reaction    `json:"reaction,omitempty"`        // EventReaction

	Raw json.RawMessage `json:"raw,omitempty"`
}

// Postback is the payload of a postback action the user tapped.
type Postback struct {
	Data string `json:"data"`
	// Params holds the action's extra values: LINE's date, time or datetime picker result ("date",
	// "time", "datetime") and rich menu switch ("newRichMenuAliasId", "status").
	Params map[string]string `json:"params,omitempty"`
}

// Beacon describes a beacon event.
type Beacon struct {
	HardwareID    string `json:"hwid"`
	Type          string `json:"type"` // "enter", "banner", "stay"
	DeviceMessage string `json:"dm,omitempty"`
}

// AccountLink is the result of an account-link flow.
type AccountLink struct {
	Result string `json:"result"` // "ok" or "failed"
	Nonce  string `json:"nonce"`
}

// ReceiptStatus is what a channel reports of an outbound message, in the order it happens.
type ReceiptStatus string

// Receipt statuses. A later status never goes back to an earlier one: a late "delivered" after "read"
// changes nothing.
const (
	ReceiptSent      ReceiptStatus = "sent"      // the channel's servers have it
	ReceiptDelivered ReceiptStatus = "delivered" // it reached the customer's device
	ReceiptRead      ReceiptStatus = "read"      // the customer opened it
	ReceiptFailed    ReceiptStatus = "failed"    // it could not be delivered; Receipt.Error says why
)

// Receipt is a channel's report on one outbound message.
type Receipt struct {
	// MessageID is the channel's ID of the outbound message (SendResult.MessageIDs).
	MessageID string        `json:"messageId"`
	Status    ReceiptStatus `json:"status"`
	// Error is the channel's own words for a failure: a code and title, never message content.
	Error string `json:"error,omitempty"`
}

// Reaction is an emoji the user put on (or, with Emoji empty, took off) a message.
type Reaction struct {
	MessageID string `json:"messageId"` // the channel's ID of the message reacted to
	Emoji     string `json:"emoji,omitempty"`
}
