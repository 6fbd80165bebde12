package channel

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Error categories. Adapters return errors that wrap exactly one of these (usually through an *APIError),
// so callers decide what to do with errors.Is and never by reading error text.
var (
	// ErrInvalidSignature: a webhook request's signature is missing or wrong. Nothing in it may be used.
	ErrInvalidSignature = errors.New("channel: invalid webhook signature")
	// ErrRateLimited: the channel asked us to slow down. Retryable, after APIError.RetryAfter if set.
	ErrRateLimited = errors.New("channel: rate limited")
	// ErrQuotaExceeded: the account's message quota (e.g. LINE's monthly limit) is used up. Not retryable
	// until the quota resets or the plan changes.
	ErrQuotaExceeded = errors.New("channel: message quota exceeded")
	// ErrUnauthorized: the credentials are wrong, expired or lack permission. Not retryable.
	ErrUnauthorized = errors.New("channel: unauthorized")
	// ErrInvalidRequest: the channel refused the request as malformed (or the adapter refused it before
	// sending). Not retryable as is.
	ErrInvalidRequest = errors.New("channel: invalid request")
	// ErrUnavailable: the channel could not be reached or failed (5xx, timeout, network). Retryable.
	ErrUnavailable = errors.New("channel: unavailable")
	// ErrNotFound: the addressed user, group, message or content does not exist (or is no longer kept).
	ErrNotFound = errors.New("channel: not found")
)

// ErrReplyTokenInvalid refines ErrInvalidRequest: the reply token was expired or already used. The message
// was not delivered; the caller may send it again without a reply token (a push).
var ErrReplyTokenInvalid = errors.New("channel: reply token expired or already used")

// APIError is an error answer from a channel's API. It unwraps to its category (one of the Err… variables
// above) and, when set, to Reason, so both errors.Is(err, ErrRateLimited) and errors.As(err, &apiErr) work.
//
// Its fields and Error text never hold message content, tokens or secrets: adapters copy only the
// channel's own error message and details, which describe the request, not its data.
type APIError struct {
	Channel    string        // adapter kind, e.g. "line"
	Op         string        // what was attempted, e.g. "push", "reply", "profile"
	Status     int           // HTTP status; 0 when no response arrived
	RequestID  string        // the channel's request ID, for its support
	RetryAfter time.Duration // how long the channel asked us to wait; 0 if it did not say
	Message    string        // the channel's error message
	Details    []ErrorDetail // the channel's per-field details
	Category   error         // one of the Err… categories
	Reason     error         // an optional refinement such as ErrReplyTokenInvalid
	Err        error         // the underlying cause (e.g. a network error), if any
}

// ErrorDetail is one item of a channel's error details.
type ErrorDetail struct {
	Property string `json:"property,omitempty"`
	Message  string `json:"message"`
}

// Error describes the failure: channel, operation, status, category, the channel's message and request ID.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Channel)
	if e.Op != "" {
		b.WriteString(" " + e.Op)
	}
	if e.Status != 0 {
		b.WriteString(": status " + strconv.Itoa(e.Status))
	}
	if e.Category != nil {
		b.WriteString(": " + strings.TrimPrefix(e.Category.Error(), "channel: "))
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	for _, d := range e.Details {
		if d.Property != "" {
			b.WriteString(" (" + d.Property + ": " + d.Message + ")")
		} else {
			b.WriteString(" (" + d.Message + ")")
		}
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " [retry after %s]", e.RetryAfter)
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the category, the reason and the cause, whichever are set.
func (e *APIError) Unwrap() []error {
	errs := make([]error, 0, 3)
	for _, err := range []error{e.Category, e.Reason, e.Err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// IsRetryable reports whether sending again later may succeed: rate limits and unavailability are
// retryable; quota, authorization, invalid-request and not-found errors are not. A nil error is not.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, ErrQuotaExceeded) {
		return false
	}
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrUnavailable)
}

// MayHaveSent reports whether a failed send may nevertheless have reached the channel and been
// delivered, so that its outcome is unknown: no answer came back (a timeout, a reset connection, a call
// cancelled midway), or the error does not say. An answer from the channel (an *APIError with a Status),
// a failure to connect, and a request the adapter refused before sending (ErrInvalidRequest without a
// Status) are known to have delivered nothing. A send that may have been delivered must only be retried
// in a way the channel deduplicates (a push with the same retry key, the same single-use reply token).
func MayHaveSent(err error) bool {
	if err == nil {
		return false
	}
	var e *APIError
	if errors.As(err, &e) && e.Status != 0 {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return false
	}
	return !errors.Is(err, ErrInvalidRequest)
}

// RetryAfter returns how long the channel asked the caller to wait before retrying, or 0 if err carries no
// such hint.
func RetryAfter(err error) time.Duration {
	var e *APIError
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// Category returns the error category err wraps (ErrRateLimited, ErrUnavailable, …), or nil if it wraps
// none. It is what a log line may say about an adapter error without repeating the error's text.
func Category(err error) error {
	for _, c := range []error{ErrInvalidSignature, ErrQuotaExceeded, ErrRateLimited, ErrUnauthorized,
		ErrInvalidRequest, ErrUnavailable, ErrNotFound} {
		if errors.Is(err, c) {
			return c
		}
	}
	return nil
}
