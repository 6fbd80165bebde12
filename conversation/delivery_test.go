package conversation_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
)

// lastPart returns the conversation's latest message.
func (fx fixture) lastPart(t *testing.T, convID string) store.Message {
	t.Helper()
	msgs := fx.messages(t, convID)
	return msgs[len(msgs)-1]
}

// A reply whose answer was lost after LINE delivered it is retried only with its own reply token, which
// LINE refuses as used: the part becomes uncertain, never a second delivery by push.
func TestLostAnswerToAReplyIsNeverPushedAgain(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	fx.fake.Fail(channeltest.OpSend, channeltest.LostAnswer())
	sent, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "Yes, in stock."})
	require.NoError(t, err)
	require.Equal(t, store.StatusSending, sent.Parts[0].Status, "the outcome of the attempt is unknown")
	require.Len(t, fx.fake.Delivered(), 1, "LINE delivered it")

	fx.clock.Advance(5 * time.Second) // the retry, while the token is fresh
	fx.flush(t)
	p := fx.lastPart(t, c.ID)
	require.Equal(t, store.StatusUncertain, p.Status)
	require.Contains(t, p.StatusDetail, "most likely reached the customer")
	sends := fx.fake.Sends()
	require.Len(t, sends, 2)
	require.Equal(t, sends[0].Options.ReplyToken, sends[1].Options.ReplyToken, "retried with the same token only")
	require.Len(t, fx.fake.Delivered(), 1, "delivered once")
	require.Zero(t, fx.flush(t), "settled: nothing more to do")
}

// When the answer was lost and the token expires before the retry, nothing is sent again: the part is
// uncertain.
func TestLostAnswerAfterTheTokenExpiredIsUncertain(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	fx.fake.Fail(channeltest.OpSend, channeltest.LostAnswer())
	_, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
	require.NoError(t, err)
	fx.clock.Advance(time.Minute)
	fx.flush(t)
	p := fx.lastPart(t, c.ID)
	require.Equal(t, store.StatusUncertain, p.Status)
	require.Contains(t, p.StatusDetail, "reply token has expired")
	require.Len(t, fx.fake.Sends(), 1, "no push: it could deliver twice")
}

// A reply token attempt that never reached LINE (the process died after marking it) is retried with the
// token and delivered once.
func TestAttemptThatNeverLeftIsRetriedWithTheToken(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, func(o *conversation.Options) { o.DeferDelivery = true })
	c := fx.inbound(t)
	sent, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
	require.NoError(t, err)
	// A process marked the part sending and died before the call.
	m := sent.Parts[0]
	m.Status = store.StatusSending
	_, err = fx.s.UpdateMessage(t.Context(), m)
	require.NoError(t, err)
	fx.flush(t)
	p := fx.lastPart(t, c.ID)
	require.Equal(t, store.StatusSent, p.Status)
	require.False(t, p.Billable, "still the free reply")
	require.Len(t, fx.fake.Delivered(), 1)
}

// FEATURES B7: a failure that may pass does not waste the free reply: the retry uses the token while it
// is fresh, and pushes only once it has expired.
func TestTransientFailureKeepsTheFreeReply(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	fx.fake.Fail(channeltest.OpSend, channeltest.Error(channel.ErrUnavailable))
	_, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
	require.NoError(t, err)
	p := fx.lastPart(t, c.ID)
	require.Equal(t, store.StatusQueued, p.Status, "a 500 delivered nothing")
	require.Regexp(t, `retrying: attempt 1 failed \(channel: unavailable \(status 500\)\); next attempt at `, p.StatusDetail,
		"the agent sees that it is retried, and when")
	fx.clock.Advance(10 * time.Second)
	fx.flush(t)
	p = fx.lastPart(t, c.ID)
	require.Equal(t, store.StatusSent, p.Status)
	require.False(t, p.Billable, "the retry used the reply token")
	require.NotContains(t, p.StatusDetail, "retrying", "the retry note is gone once sent")

	fx = newFixture(t, nil)
	c = fx.inbound(t)
	fx.fake.Fail(channeltest.OpSend, channeltest.Error(channel.ErrUnavailable))
	_, err = fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
	require.NoError(t, err)
	fx.clock.Advance(time.Minute) // the token expired meanwhile: a push, which delivered nothing before
	fx.flush(t)
	p = fx.lastPart(t, c.ID)
	require.Equal(t, store.StatusSent, p.Status)
	require.True(t, p.Billable)
}

// An error the adapter did not categorise (a plain network error) may pass: the send is retried, not
// failed on the first try.
func TestUncategorisedErrorsAreRetried(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	fx.clock.Advance(time.Minute)
	fx.fake.Fail(channeltest.OpSend, errors.New("dial tcp: connection refused"), context.Canceled)
	_, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
	require.NoError(t, err)
	require.Equal(t, store.StatusQueued, fx.lastPart(t, c.ID).Status)
	for range 2 {
		fx.clock.Advance(time.Minute)
		fx.flush(t)
	}
	require.Equal(t, store.StatusSent, fx.lastPart(t, c.ID).Status)
	require.Len(t, fx.fake.Delivered(), 1)
}

// A reply with an idempotency key is sent once, however often the client repeats the call: across a
// restart, concurrently, and after the first call's answer was lost.
func TestIdempotentReply(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	r := conversation.Reply{Text: "Your order has shipped.", IdempotencyKey: "req-42"}
	first, err := fx.svc.Reply(t.Context(), c.ID, "alice", r)
	require.NoError(t, err)
	again, err := fx.svc.Reply(t.Context(), c.ID, "alice", r)
	require.NoError(t, err)
	require.Equal(t, first.Parts, again.Parts, "the repeat returns the first call's parts")
	restarted, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake}, &conversation.Options{Now: fx.clock.Now})
	require.NoError(t, err)
	again, err = restarted.Reply(t.Context(), c.ID, "alice", r)
	require.NoError(t, err)
	require.Equal(t, first.Parts, again.Parts, "across processes and restarts")
	require.Len(t, fx.fake.Delivered(), 1)

	var wg sync.WaitGroup
	results := make([]conversation.Sent, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Go(func() {
			results[i], errs[i] = fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "once", IdempotencyKey: "req-43"})
		})
	}
	wg.Wait()
	for i := range results {
		require.NoError(t, errs[i])
		require.Equal(t, results[0].Parts[0].ID, results[i].Parts[0].ID, "concurrent repeats share one reply")
	}
	require.Len(t, fx.fake.Delivered(), 2)
	require.Len(t, fx.messages(t, c.ID), 3, "the customer's message and two replies")

	_, err = fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "a new one", IdempotencyKey: "req-44"})
	require.NoError(t, err)
	require.Len(t, fx.fake.Delivered(), 3, "another key is another reply")
}

// A reply racing the customer's next message and another agent's reply never fails, and the free reply
// token is used at most once.
func TestRepliesRacingTheCustomerAndEachOther(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range 4 {
		wg.Go(func() {
			_, errs[i] = fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "racing reply"})
		})
	}
	wg.Go(func() { errs[4] = fx.svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hello?")}) })
	wg.Go(func() { _, errs[5] = fx.svc.Flush(t.Context()) })
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	fx.flush(t)
	tokens := map[string]int{}
	for _, s := range fx.fake.Sends() {
		if s.Options.ReplyToken != "" {
			tokens[s.Options.ReplyToken]++
		}
	}
	for tok, n := range tokens {
		require.Equal(t, 1, n, "reply token %s used once", tok)
	}
	require.Len(t, fx.fake.Delivered(), 4, "every reply delivered once")
}

// Sends queued while a channel is deactivated are held, and go out once it is active again; with
// FailWhileInactive they fail for good instead.
func TestSendsAreHeldWhileTheChannelIsDeactivated(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, func(o *conversation.Options) { o.DeferDelivery = true })
	c := fx.inbound(t)
	fx.clock.Advance(time.Minute)
	_, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
	require.NoError(t, err)
	setActive(t, fx, false)
	fx.flush(t)
	p := fx.lastPart(t, c.ID)
	require.Equal(t, store.StatusQueued, p.Status)
	require.Contains(t, p.StatusDetail, "held: the channel is deactivated")
	fx.clock.Advance(5 * time.Hour) // longer than any retry budget: a hold is waiting, not failing
	fx.flush(t)
	require.Equal(t, store.StatusQueued, fx.lastPart(t, c.ID).Status)
	require.Empty(t, fx.fake.Sends())

	setActive(t, fx, true)
	fx.clock.Advance(time.Minute)
	fx.fake.Fail(channeltest.OpSend, channeltest.Error(channel.ErrUnavailable))
	fx.flush(t)
	p = fx.lastPart(t, c.ID)
	require.Equal(t, store.StatusQueued, p.Status, "a failure after the hold is retried: the budget restarted when the hold ended")
	require.Contains(t, p.StatusDetail, "retrying")
	fx.clock.Advance(time.Minute)
	fx.flush(t)
	p = fx.lastPart(t, c.ID)
	require.Equal(t, store.StatusSent, p.Status, "sent once the channel is active again")
	require.NotContains(t, p.StatusDetail, "held")

	fx = newFixture(t, func(o *conversation.Options) { o.DeferDelivery, o.FailWhileInactive = true, true })
	c = fx.inbound(t)
	_, err = fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
	require.NoError(t, err)
	setActive(t, fx, false)
	fx.flush(t)
	p = fx.lastPart(t, c.ID)
	require.Equal(t, store.StatusFailed, p.Status)
	require.Contains(t, p.StatusDetail, "the channel was deactivated")
}

// Quick replies and a sender go with the reply where the channel can carry them; where it cannot, the
// part is degraded and says so. Nothing is dropped silently.
func TestReplyExtrasAreFittedToTheChannel(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	qr := []channel.QuickReply{{Label: "Yes", Text: "yes"}, {Label: "No", Text: "no"}}
	sender := &channel.Sender{Name: "Aiko"}
	sent, err := fx.svc.Reply(t.Context(), c.ID, "aiko", conversation.Reply{Text: "Shall we ship?",
		Messages: []channel.Message{channel.StickerMessage("446", "1988")}, QuickReplies: qr, Sender: sender})
	require.NoError(t, err)
	require.Nil(t, sent.Parts[0].Content.QuickReplies, "quick replies go under the last part")
	require.Equal(t, qr, sent.Parts[1].Content.QuickReplies)
	for _, p := range sent.Parts {
		require.Equal(t, sender, p.Content.Sender)
		require.Equal(t, store.OutcomeAsIs, p.Outcome)
	}

	plain := channeltest.DefaultLimits()
	plain.Mentions, plain.QuickReplies, plain.Sender = false, false, false
	fx = newFixture(t, nil)
	fx.useAdapter(t, channeltest.NewFake(&channeltest.FakeOptions{Limits: &plain}))
	c = fx.inbound(t)
	text := channel.Text("@Hanako see this")
	text.Mentions = []channel.Mention{{Index: 0, Length: 7, UserID: "U1"}}
	sent, err = fx.svc.Reply(t.Context(), c.ID, "aiko", conversation.Reply{Messages: []channel.Message{text}, QuickReplies: qr, Sender: sender})
	require.NoError(t, err)
	p := sent.Parts[0]
	require.Equal(t, store.OutcomeDegraded, p.Outcome)
	require.Contains(t, p.StatusDetail, "without its mentions")
	require.Contains(t, p.StatusDetail, "without its quick replies")
	require.Contains(t, p.StatusDetail, "under the account's name")
	require.Equal(t, store.StatusSent, p.Status)

	many := make([]channel.QuickReply, 14)
	for i := range many {
		many[i] = channel.QuickReply{Label: "x", Text: "x"}
	}
	fx = newFixture(t, nil)
	c = fx.inbound(t)
	sent, err = fx.svc.Reply(t.Context(), c.ID, "aiko", conversation.Reply{Text: "pick one", QuickReplies: many})
	require.NoError(t, err)
	require.Equal(t, store.OutcomeRejected, sent.Parts[0].Outcome)
	require.Contains(t, sent.Parts[0].StatusDetail, "14 quick replies")
}

// A reply delivers its own parts at once, and nothing else: other conversations' sends are Run's.
func TestReplyDeliversOnlyItsOwnParts(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	a := fx.inbound(t)
	fx.ingest(t, fx.text("U2", "me too"))
	b := fx.conversationWith(t, "U2")
	fx.fake.Fail(channeltest.OpSend, channeltest.Error(channel.ErrRateLimited))
	_, err := fx.svc.Reply(t.Context(), a.ID, "alice", conversation.Reply{Text: "for U1"})
	require.NoError(t, err)
	fx.clock.Advance(time.Minute) // U1's send is due again
	_, err = fx.svc.Reply(t.Context(), b.ID, "bob", conversation.Reply{Text: "for U2"})
	require.NoError(t, err)
	sends := fx.fake.Sends()
	require.Len(t, sends, 2, "U1's rate-limited attempt and U2's reply, nothing more")
	require.Equal(t, "U2", sends[1].To.ID)
	require.Equal(t, store.StatusQueued, fx.lastPart(t, a.ID).Status, "U1's retry is left to Run")
	fx.flush(t)
	require.Equal(t, store.StatusSent, fx.lastPart(t, a.ID).Status)
}
