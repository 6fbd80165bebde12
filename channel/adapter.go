package channel

import (
	"context"
	"net/http"
)

//go:generate go tool mockgen -typed -destination ../internal/mocks/channelmock/channel.go -package channelmock . Adapter

// Adapter connects one account on one messenger channel (e.g. one LINE Official Account). It is the only
// thing a channel must implement; richer behaviour comes from the optional capability interfaces
// (ProfileFetcher, AccountInfoer, SettingsChecker, QuotaReporter, ContentFetcher, Limiter), reached
// through the helpers of the same name in this package.
//
// Implementations must be safe for concurrent use: a Handler calls ParseWebhook from many goroutines while
// senders call Send.
type Adapter interface {
	// Kind names the channel ("line"). It is constant for the adapter's life.
	Kind() string

	// ParseWebhook verifies a webhook request and returns its events in delivery order.
	//
	// It reads the body from r.Body, which the caller may have limited: a read error must be returned
	// wrapped (with %w) so the caller can detect *http.MaxBytesError. A missing or wrong signature returns
	// an error wrapping ErrInvalidSignature and no events. A body that verifies but cannot be decoded
	// returns an error wrapping ErrInvalidRequest. Event types, message types and sources the adapter does
	// not know are returned as EventUnknown / TypeRaw / a Peer with its Kind as sent, never as an error.
	// An empty event list is valid (channels send one to test the endpoint). Error text must not contain
	// the body. The returned slice belongs to the caller.
	ParseWebhook(r *http.Request) ([]Event, error)

	// Send delivers msgs, in order, to the chat to. With opt.ReplyToken set it replies (free on LINE, single
	// use, short-lived); otherwise it pushes, passing opt.RetryKey so a retry of an accepted push is not
	// delivered twice.
	//
	// It sends all messages in one call or none: more messages than the channel takes in one call, or a
	// message that fails Message.Validate, returns an error wrapping ErrInvalidRequest without calling the
	// channel. API failures return an *APIError (see the Err… categories); an expired or used reply token
	// also wraps ErrReplyTokenInvalid. It honours ctx cancellation and deadlines. msgs is not retained.
	Send(ctx context.Context, to Peer, msgs []Message, opt SendOptions) (SendResult, error)
}

// SendOptions says how to send.
type SendOptions struct {
	// ReplyToken, when set, sends as a reply to the event that carried it.
	ReplyToken string
	// RetryKey makes a push idempotent: the channel delivers a push with a given key once, however often it
	// is retried. Choose one per logical send (a UUID) and reuse it on every retry. Ignored for replies.
	RetryKey string
	// Silent asks the channel not to notify the user's device, where the channel supports it.
	Silent bool
}

// SendResult reports a successful send.
type SendResult struct {
	// MessageIDs are the channel's IDs of the sent messages, in order, when the channel returns them
	// (LINE does not for a push answered as a duplicate).
	MessageIDs []string
	// RequestID is the channel's ID of this request.
	RequestID string
	// Duplicate is set when the channel reported that a request with the same retry key was accepted
	// before (AcceptedRequestID names it): the messages were delivered once, by that earlier request.
	Duplicate         bool
	AcceptedRequestID string
	// Billable is set when the send counts against the account's message quota (a LINE push), and clear
	// when it was free (a reply).
	Billable bool
}
