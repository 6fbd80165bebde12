package conversation

import (
	"errors"
	"fmt"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// ErrOutsideReplyWindow is returned (wrapped in a *WindowError) when the channel's policy does not allow
// replying now: the window after the customer's last message has closed, or the customer never wrote.
var ErrOutsideReplyWindow = errors.New("conversation: outside the reply window")

// ErrTemplateRequired refines ErrOutsideReplyWindow: outside the window the channel takes approved
// templates only (WhatsApp), and the reply has something else.
var ErrTemplateRequired = errors.New("conversation: only approved templates may be sent now")

// WindowError says why a reply is refused and since when.
type WindowError struct {
	// ClosedAt is when the window closed; zero when it never opened (the customer has not written).
	ClosedAt time.Time
	// TemplatesOnly is set when the channel still takes approved templates (ErrTemplateRequired).
	TemplatesOnly bool
}

// Error explains the refusal in words an agent can act on.
func (e *WindowError) Error() string {
	switch {
	case e.TemplatesOnly && e.ClosedAt.IsZero():
		return "conversation: the customer has not written yet: the channel takes approved templates only"
	case e.TemplatesOnly:
		return fmt.Sprintf("conversation: the reply window closed at %s; outside it the channel takes approved templates only",
			e.ClosedAt.UTC().Format(time.RFC3339))
	case e.ClosedAt.IsZero():
		return "conversation: the customer has not written yet, and the business cannot start a conversation on this channel"
	}
	return fmt.Sprintf("conversation: the reply window closed at %s; the customer must write again before you can reply",
		e.ClosedAt.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrOutsideReplyWindow, and ErrTemplateRequired when templates may still be sent.
func (e *WindowError) Unwrap() []error {
	if e.TemplatesOnly {
		return []error{ErrOutsideReplyWindow, ErrTemplateRequired}
	}
	return []error{ErrOutsideReplyWindow}
}

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
	// TemplatesOnly is set when only approved templates may be sent now; Err says why others may not.
	TemplatesOnly bool
}

// Window is the usual policy: replies are possible until Length after the customer's last message (no
// limit when Length is 0), use the reply token while it is fresh, push otherwise, and the business never
// starts a conversation — unless Outside is channel.OutsideTemplates: then, outside the window, approved
// templates may still be sent (TemplatesOnly).
type Window struct {
	Length  time.Duration
	Outside channel.Outside
}

// PolicyFor is the policy a channel's Rules state: its window, and what may go outside it. A channel
// that states no window limits nothing.
func PolicyFor(r channel.Rules) Policy {
	if r.OutsideWindow == channel.OutsideAnything || (r.Window == 0 && r.OutsideWindow == "") {
		return Open{}
	}
	return Window{Length: r.Window, Outside: r.OutsideWindow}
}

// LINEWindow is LINE's reply window, and the length of the default policy: replies for 7 days after the
// customer's last message.
const LINEWindow = 7 * 24 * time.Hour

// Decide implements Policy.
func (w Window) Decide(c store.Conversation, now time.Time) Decision {
	templates := w.Outside == channel.OutsideTemplates
	if c.LastInboundAt.IsZero() {
		return Decision{Allowed: templates, TemplatesOnly: templates, Err: &WindowError{TemplatesOnly: templates}}
	}
	d := Decision{Allowed: true}
	if w.Length > 0 {
		d.WindowEnds = c.LastInboundAt.Add(w.Length)
		if now.After(d.WindowEnds) {
			return Decision{Allowed: templates, TemplatesOnly: templates, WindowEnds: d.WindowEnds,
				Err: &WindowError{ClosedAt: d.WindowEnds, TemplatesOnly: templates}}
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
