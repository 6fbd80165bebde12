package channeltest

import (
	"errors"
	"net/http"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// Error returns the *channel.APIError a channel typically answers for category (one of the channel.Err…
// categories), for scripting a Fake: rate limits carry a one-second Retry-After, ErrReplyTokenInvalid
// is an invalid request with that reason.
func Error(category error) *channel.APIError {
	e := &channel.APIError{Channel: "fake", Op: "send", RequestID: "req-failed", Category: category}
	switch category {
	case channel.ErrRateLimited:
		e.Status, e.Message, e.RetryAfter = http.StatusTooManyRequests, "Too many requests", time.Second
	case channel.ErrQuotaExceeded:
		e.Status, e.Message = http.StatusTooManyRequests, "You have reached your monthly limit."
	case channel.ErrUnauthorized:
		e.Status, e.Message = http.StatusUnauthorized, "Authentication failed"
	case channel.ErrNotFound:
		e.Status, e.Message = http.StatusNotFound, "Not found"
	case channel.ErrUnavailable:
		e.Status, e.Message = http.StatusInternalServerError, "Internal server error"
	case channel.ErrReplyTokenInvalid:
		e.Status, e.Message, e.Category, e.Reason = http.StatusBadRequest, "Invalid reply token", channel.ErrInvalidRequest, channel.ErrReplyTokenInvalid
	default:
		e.Status, e.Message = http.StatusBadRequest, "The request body has 1 error(s)"
	}
	return e
}

// LostAnswer scripts a send (Fail(OpSend, LostAnswer())) that reaches the channel and is delivered, but
// whose answer never comes back: the caller gets an error with no status, whose outcome
// channel.MayHaveSent reports as unknown — a timeout or a reset connection after the request went out.
func LostAnswer() error {
	return lostAnswer{&channel.APIError{Channel: "fake", Op: "send", Category: channel.ErrUnavailable,
		Err: errors.New("connection reset by peer after the request was sent")}}
}

// lostAnswer marks a scripted failure that happens after delivery.
type lostAnswer struct{ *channel.APIError }

func (l lostAnswer) Unwrap() error { return l.APIError }
