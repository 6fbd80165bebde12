package conversation

import (
	"errors"
	"fmt"
	"time"

	"github.com/msgkit/msgkit/store"
)

// ErrOutsideReplyWindow is returned (wrapped in a *WindowError) when the channel's policy does not allow
// replying now: the window after the customer's last message has closed, or the customer never wrote.
var ErrOutsideReplyWindow = errors.New("conversation: outside the reply window")

// WindowError says why a reply is refused and since when.
type WindowError struct {
	// ClosedAt is when the window closed; zero when it never opened (the customer has not written).
	ClosedAt time.Time
}

// Error explains the refusal in words an agent can act on.
func (e *WindowError) Error() string {
	if e.ClosedAt.IsZero() {
		return "conversation: the customer has not written yet, and the business cannot start a conversation on this channel"
	}
	return fmt.Sprintf("conversation: the reply window closed at %s; the customer must write again before you can reply",
		e.ClosedAt.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrOutsideReplyWindow.
func (e *WindowError) Unwrap() error { return ErrOutsideReplyWindow }

// Policy decides whether and how the business may reply in a conversation now. It is a pure function of
// the conversation and the time, so it is trivial to test and to swap per channel kind.
type Policy interface {
	Decide(c store.Conversation, now time.Time) Decision
}

// Decision is a Policy's answer.
type Decision struct {
	// Allowed is whether a reply may be sent; when not, Err says why (a *WindowError).
	Allowed bool
	Err     error
	// UseReplyToken is set when the conversation holds a fresh, unused reply token: the reply goes out free.
	// Otherwise it is pushed.
	UseReplyToken bool
	// WindowEnds is when replying stops being possible; zero for no limit.
	WindowEnds time.Time
}

// Window is the usual policy: replies are possible until Length after the customer's last message (no
// limit when Length is 0), use the reply token while it is fresh, push otherwise, and the business never
// starts a conversation.
type Window struct {
	Length time.Duration
}

// LINEWindow is LINE's reply window, and the length of the default policy: replies for 7 days after the
// customer's last message.
const LINEWindow = 7 * 24 * time.Hour

// Decide implements Policy.
func (w Window) Decide(c store.Conversation, now time.Time) Decision {
	if c.LastInboundAt.IsZero() {
		return Decision{Err: &WindowError{}}
	}
	d := Decision{Allowed: true}
	if w.Length > 0 {
		d.WindowEnds = c.LastInboundAt.Add(w.Length)
		if now.After(d.WindowEnds) {
			return Decision{Err: &WindowError{ClosedAt: d.WindowEnds}, WindowEnds: d.WindowEnds}
		}
	}
	d.UseReplyToken = c.ReplyToken != "" && now.Before(c.ReplyTokenExpiresAt)
	return d
}

// Open allows every reply, including business-initiated ones, on channels that permit them.
type Open struct{}

// Decide implements Policy.
func (Open) Decide(c store.Conversation, now time.Time) Decision {
	return Decision{Allowed: true, UseReplyToken: c.ReplyToken != "" && now.Before(c.ReplyTokenExpiresAt)}
}
