package conversation_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/storetest"
)

// inbound ingests one message from U1 and returns its conversation.
func (fx fixture) inbound(t *testing.T) store.Conversation {
	t.Helper()
	fx.ingest(t, fx.text("U1", "hi"))
	return fx.conversationWith(t, "U1")
}

// F14, F17: the first reply uses the fresh reply token (free); the next is pushed (billable).
func TestReplyUsesTheTokenThenPushes(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)

	sent, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "Yes, it ships tomorrow."})
	require.NoError(t, err)
	require.Len(t, sent.Parts, 1)
	p := sent.Parts[0]
	require.Equal(t, store.StatusSent, p.Status)
	require.Equal(t, store.OutcomeAsIs, p.Outcome)
	require.False(t, p.Billable, "a reply with the token is free")
	require.Equal(t, "alice", p.Author)
	require.NotEmpty(t, p.ChannelMessageID)
	require.False(t, sent.Conversation.Unreplied, "after a reply the conversation is no longer unreplied")
	require.Empty(t, sent.Conversation.ReplyToken, "the reply token is spent")
	require.Equal(t, "rt-1", fx.fake.Sends()[0].Options.ReplyToken)

	sent, err = fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "Anything else?"})
	require.NoError(t, err)
	require.True(t, sent.Parts[0].Billable, "without a token the reply is a billable push")
	require.Empty(t, fx.fake.Sends()[1].Options.ReplyToken)
	require.NotEmpty(t, fx.fake.Sends()[1].Options.RetryKey)
}

// An expired token is not used: LINE's tokens last about a minute.
func TestStaleTokenIsNotUsed(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	fx.clock.Advance(51 * time.Second)
	sent, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "sorry for the wait"})
	require.NoError(t, err)
	require.True(t, sent.Parts[0].Billable)
	require.Empty(t, fx.fake.Sends()[0].Options.ReplyToken)
}

// F17: replies are possible for 7 days after the customer's last message, and never before it.
func TestReplyWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		after time.Duration
		ok    bool
	}{
		{6*24*time.Hour + 23*time.Hour, true},
		{7 * 24 * time.Hour, true},
		{7*24*time.Hour + time.Second, false},
	} {
		fx := newFixture(t, nil)
		c := fx.inbound(t)
		fx.clock.Advance(tc.after)
		_, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hello"})
		if tc.ok {
			require.NoError(t, err, "%s after the last message", tc.after)
			continue
		}
		require.ErrorIs(t, err, conversation.ErrOutsideReplyWindow, "%s after the last message", tc.after)
		var we *conversation.WindowError
		require.ErrorAs(t, err, &we)
		require.Equal(t, t0.Add(7*24*time.Hour), we.ClosedAt, "the error says when the window closed")
		require.Empty(t, fx.fake.Sends(), "nothing is sent")
	}

	// The business never starts a conversation.
	fx := newFixture(t, nil)
	k, _, err := fx.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: fx.ch.ID, Peer: channel.User("U9"), Followed: true})
	require.NoError(t, err)
	c, _, err := fx.s.FindOrCreateConversation(t.Context(), store.Conversation{ChannelID: fx.ch.ID, ContactID: k.ID, Peer: k.Peer})
	require.NoError(t, err)
	_, err = fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "Special offer!"})
	require.ErrorIs(t, err, conversation.ErrOutsideReplyWindow)

	// Policies are per channel kind and swappable.
	open := newFixture(t, func(o *conversation.Options) {
		o.Policies = map[string]conversation.Policy{"line": conversation.Open{}}
	})
	k, _, _ = open.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: open.ch.ID, Peer: channel.User("U9"), Followed: true})
	c, _, _ = open.s.FindOrCreateConversation(t.Context(), store.Conversation{ChannelID: open.ch.ID, ContactID: k.ID, Peer: k.Peer})
	_, err = open.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "Special offer!"})
	require.NoError(t, err)
}

// A used or expired reply token falls back to a push, once.
func TestReplyTokenFallsBackToPush(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	fx.fake.Fail(channeltest.OpSend, channeltest.Error(channel.ErrReplyTokenInvalid))
	sent, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
	require.NoError(t, err)
	require.Equal(t, store.StatusSent, sent.Parts[0].Status)
	require.True(t, sent.Parts[0].Billable)
	sends := fx.fake.Sends()
	require.Len(t, sends, 2)
	require.NotEmpty(t, sends[0].Options.ReplyToken)
	require.Empty(t, sends[1].Options.ReplyToken, "the second attempt is a push")
	require.Len(t, fx.fake.Delivered(), 1)
}

// A rate limit is retried later with the same retry key, and delivered once.
func TestRateLimitIsRetriedWithTheSameKey(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	fx.clock.Advance(time.Minute) // no token: a push
	fx.fake.Fail(channeltest.OpSend, channeltest.Error(channel.ErrRateLimited))
	sent, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
	require.NoError(t, err)
	require.Equal(t, store.StatusQueued, sent.Parts[0].Status, "waiting for the retry")
	require.Zero(t, fx.flush(t), "not before the backoff (which honours Retry-After)")
	fx.clock.Advance(2 * time.Minute)
	require.Equal(t, 1, fx.flush(t))
	m, err := fx.s.GetMessage(t.Context(), sent.Parts[0].ID)
	require.NoError(t, err)
	require.Equal(t, store.StatusSent, m.Status)
	sends := fx.fake.Sends()
	require.Len(t, sends, 2)
	require.Equal(t, sends[0].Options.RetryKey, sends[1].Options.RetryKey, "one logical push, one retry key")
	require.Len(t, fx.fake.Delivered(), 1)
}

// A used-up quota fails at once, with a clear reason on the part.
func TestQuotaExhaustedFailsAtOnce(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	fx.clock.Advance(time.Minute)
	fx.fake.Fail(channeltest.OpSend, channeltest.Error(channel.ErrQuotaExceeded))
	sent, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
	require.NoError(t, err)
	require.Equal(t, store.StatusFailed, sent.Parts[0].Status)
	require.Contains(t, sent.Parts[0].StatusDetail, "quota is used up")
	fx.clock.Advance(time.Hour)
	require.Zero(t, fx.flush(t), "not retried")
	require.Len(t, fx.fake.Sends(), 1)
	ch, err := fx.s.GetChannel(t.Context(), fx.ch.ID)
	require.NoError(t, err)
	require.Equal(t, t0.Add(time.Minute), ch.Health.QuotaExceededAt, "the channel's status says its quota is used up")

	_, err = fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "the plan was upgraded"})
	require.NoError(t, err)
	ch, err = fx.s.GetChannel(t.Context(), fx.ch.ID)
	require.NoError(t, err)
	require.True(t, ch.Health.QuotaExceededAt.IsZero(), "a push that goes through clears it")
}

// A crash between writing the outbox and sending: another process resumes it, and it is delivered once.
func TestCrashBeforeSendIsResumedOnce(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, func(o *conversation.Options) { o.DeferDelivery = true })
	c := fx.inbound(t)
	sent, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
	require.NoError(t, err)
	require.Equal(t, store.StatusQueued, sent.Parts[0].Status)
	require.Empty(t, fx.fake.Sends(), "the process 'crashed' before sending")

	restarted, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake}, &conversation.Options{Now: fx.clock.Now})
	require.NoError(t, err)
	for range 3 {
		_, err := restarted.Flush(t.Context())
		require.NoError(t, err)
	}
	require.Len(t, fx.fake.Delivered(), 1, "resumed, and delivered exactly once")
}

// A crash after the channel accepted a push but before anything was recorded: the lease lapses, the
// send is made again with the same retry key, the channel reports a duplicate, and the customer gets
// the message once.
func TestCrashAfterSendIsDeliveredOnce(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	fx.clock.Advance(time.Minute) // the token has expired: a push
	var dead atomic.Bool
	crashing := storetest.NewFaults(fx.s, func(storetest.Call) error {
		if dead.Load() {
			return errors.New("process died")
		}
		return nil
	})
	svc, err := conversation.New(crashing, conversation.AdapterMap{fx.ch.ID: diesAfterSend{Fake: fx.fake, dead: &dead}},
		&conversation.Options{Now: fx.clock.Now, OnError: func(error) {}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = svc.Reply(ctx, c.ID, "alice", conversation.Reply{Text: "hi"})
	require.Error(t, err, "the process died right after the channel accepted the push")
	require.Len(t, fx.fake.Delivered(), 1)
	parts := fx.messages(t, c.ID)
	require.Equal(t, store.StatusQueued, parts[len(parts)-1].Status, "nothing was recorded")

	restarted, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake}, &conversation.Options{Now: fx.clock.Now})
	require.NoError(t, err)
	fx.clock.Advance(time.Minute) // the dead process's lease lapses
	n, err := restarted.Flush(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, n, "the lapsed claim is taken again")
	sends := fx.fake.Sends()
	require.Len(t, sends, 2)
	require.Equal(t, sends[0].Options.RetryKey, sends[1].Options.RetryKey)
	require.True(t, sends[1].Result.Duplicate, "the channel recognises the retry key")
	require.Len(t, fx.fake.Delivered(), 1, "delivered exactly once")
	parts = fx.messages(t, c.ID)
	require.Equal(t, store.StatusSent, parts[len(parts)-1].Status)
}

// diesAfterSend is an adapter whose process dies right after the channel accepted a send.
type diesAfterSend struct {
	*channeltest.Fake
	dead *atomic.Bool
}

func (d diesAfterSend) Send(ctx context.Context, to channel.Peer, msgs []channel.Message, opt channel.SendOptions) (channel.SendResult, error) {
	res, err := d.Fake.Send(ctx, to, msgs, opt)
	d.dead.Store(true)
	return res, err
}

// Content is split to the channel's limits: 5,000 UTF-16 code units per text, 5 messages per send.
func TestReplyIsSplitToTheChannelsLimits(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	long := strings.Repeat("😀", 2500) + "next"
	var msgs []channel.Message
	for range 5 {
		msgs = append(msgs, channel.StickerMessage("446", "1988"))
	}
	_, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: long, Messages: msgs})
	require.ErrorIs(t, err, conversation.ErrReplyTooLarge, "by default one reply is one request: at most 5 messages")
	require.Empty(t, fx.fake.Sends(), "nothing is stored or sent")
	require.Len(t, fx.messages(t, c.ID), 1, "only the customer's message")

	fx = newFixture(t, func(o *conversation.Options) { o.MaxReplyParts = 10 })
	c = fx.inbound(t)
	sent, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: long, Messages: msgs})
	require.NoError(t, err)
	require.Len(t, sent.Parts, 7)
	require.Equal(t, strings.Repeat("😀", 2500), sent.Parts[0].Content.Text, "cut at the limit, never inside a surrogate pair")
	require.Equal(t, "next", sent.Parts[1].Content.Text)
	sends := fx.fake.Sends()
	require.Len(t, sends, 2, "seven parts go out as 5 + 2")
	require.Len(t, sends[0].Messages, 5)
	require.NotEqual(t, sends[0].Options.RetryKey, sends[1].Options.RetryKey)
	for _, p := range sent.Parts {
		require.Equal(t, store.StatusSent, p.Status)
	}
}

// F16: media go out by URL; files the channel cannot send go as links; nothing is dropped silently.
func TestAttachments(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	sent, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Attachments: []conversation.Attachment{
		{URL: "https://files.example.com/item.jpg", ContentType: "image/jpeg", Name: "item.jpg"},
		{URL: "https://files.example.com/quote.pdf", ContentType: "application/pdf", Name: "Quote #42"},
		{URL: "http://intranet/secret.docx", ContentType: "application/msword", Name: "secret.docx"},
	}, Messages: []channel.Message{{Type: channel.TypeFile, Media: &channel.Media{URL: "https://files.example.com/a.zip", FileName: "a.zip"}}}})
	require.NoError(t, err)
	require.Len(t, sent.Parts, 4)
	img, pdf, bad, zip := sent.Parts[0], sent.Parts[1], sent.Parts[2], sent.Parts[3]
	require.Equal(t, channel.TypeImage, img.Content.Type)
	require.Equal(t, store.OutcomeAsIs, img.Outcome)
	require.Equal(t, channel.TypeLink, pdf.Content.Type)
	require.Equal(t, store.OutcomeDegraded, pdf.Outcome)
	require.Contains(t, pdf.StatusDetail, "sent as a link")
	require.Equal(t, store.StatusSent, pdf.Status)
	require.Equal(t, store.OutcomeRejected, bad.Outcome)
	require.Equal(t, store.StatusFailed, bad.Status)
	require.Contains(t, bad.StatusDetail, "HTTPS")
	require.Equal(t, store.OutcomeDegraded, zip.Outcome)
	require.Len(t, fx.fake.Delivered(), 3, "the rejected part is not sent, but it is recorded")
}

// F15: a saved template is rendered against the contact and the agent.
func TestTemplateReply(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	tpl, err := fx.s.CreateTemplate(t.Context(), store.Template{Name: "Shipped", ChannelKind: "line",
		Body: `Hi {{contact.display_name | default: "there"}}, {{agent.id}} here: your order has shipped.`})
	require.NoError(t, err)
	sent, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{TemplateID: tpl.ID})
	require.NoError(t, err)
	require.Equal(t, "Hi there, alice here: your order has shipped.", sent.Parts[0].Content.Text)

	bad, err := fx.s.CreateTemplate(t.Context(), store.Template{Name: "Broken", Body: "Dear {{contact.surname}}"})
	require.NoError(t, err)
	_, err = fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{TemplateID: bad.ID})
	require.Error(t, err, "a template that cannot be filled is not sent with a blank")
	require.Len(t, fx.fake.Sends(), 1)
}

func TestReplyRefusals(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	_, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "   "})
	require.ErrorIs(t, err, conversation.ErrEmptyReply)
	ch := fx.ch
	ch, err = fx.s.GetChannel(t.Context(), ch.ID)
	require.NoError(t, err)
	ch.Active = false
	_, err = fx.s.UpdateChannel(t.Context(), ch)
	require.NoError(t, err)
	_, err = fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
	require.ErrorIs(t, err, conversation.ErrChannelInactive)
}

// Run does the background work: deferred sends are delivered, profiles fetched, until the context ends.
// In a synctest bubble no time passes: the idle Run is woken by the work itself, not by its poll timer.
func TestRunDeliversAndFetchesInTheBackground(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		fx := newFixture(t, func(o *conversation.Options) { o.DeferDelivery = true })
		fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako"})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- fx.svc.Run(ctx) }()
		synctest.Wait() // Run is idle, waiting for work or its poll timer

		require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))
		c := fx.conversationWith(t, "U1")
		_, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
		require.NoError(t, err)
		synctest.Wait() // Run has done all it can without time passing
		require.Len(t, fx.fake.Delivered(), 1, "the deferred send is delivered by Run")
		k, err := fx.s.GetContact(t.Context(), c.ContactID)
		require.NoError(t, err)
		require.Equal(t, "Hanako", k.Profile.DisplayName, "the profile is fetched by Run")
		require.Equal(t, "alice", fx.conversationWith(t, "U1").Assignee, "the conversation is routed by Run")
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
}

// A send that cannot even be attempted (no adapter for its channel) is retried until its time budget
// is spent, then fails for good: it never loops forever, and the agent sees why.
func TestUndeliverableSendFailsOnceItsBudgetIsSpent(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, func(o *conversation.Options) { o.DeferDelivery = true })
	c := fx.inbound(t)
	sent, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hi"})
	require.NoError(t, err)
	broken, err := conversation.New(fx.s, conversation.AdapterMap{}, &conversation.Options{Now: fx.clock.Now,
		OnError: func(error) {}, Jobs: conversation.JobOptions{RetryFor: 30 * time.Minute, MaxBackoff: time.Minute}})
	require.NoError(t, err)
	for range 20 {
		_, err := broken.Flush(t.Context())
		require.NoError(t, err)
		m, err := fx.s.GetMessage(t.Context(), sent.Parts[0].ID)
		require.NoError(t, err)
		if fx.clock.Now().Before(t0.Add(29 * time.Minute)) {
			require.Equal(t, store.StatusQueued, m.Status, "retried while its budget lasts")
		}
		fx.clock.Advance(5 * time.Minute)
	}
	m, err := fx.s.GetMessage(t.Context(), sent.Parts[0].ID)
	require.NoError(t, err)
	require.Equal(t, store.StatusFailed, m.Status)
	require.Regexp(t, `not sent after \d+ attempts`, m.StatusDetail)
	n, err := broken.Flush(t.Context())
	require.NoError(t, err)
	require.Zero(t, n, "a failed send is not claimed again")
}

// claimFailsOnce is a memstore whose first ClaimJob fails (the store had a passing fault).
type claimFailsOnce struct {
	*memstore.Store
	failed bool
}

func (c *claimFailsOnce) ClaimJob(ctx context.Context, id string, lease time.Duration) (store.Job, error) {
	if !c.failed {
		c.failed = true
		return store.Job{}, errors.New("passing fault")
	}
	return c.Store.ClaimJob(ctx, id, lease)
}

// A reply whose inline delivery could not claim its job is delivered by Run within seconds, not after a
// lease (the job is held back from other workers only while Reply claims it).
func TestReplyWhoseInlineClaimFailsIsDeliveredSoon(t *testing.T) {
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	svc, err := conversation.New(&claimFailsOnce{Store: fx.s}, conversation.AdapterMap{fx.ch.ID: fx.fake}, fx.opts)
	require.NoError(t, err)
	sent, err := svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hello"})
	require.NoError(t, err)
	require.Equal(t, store.StatusQueued, sent.Parts[0].Status, "the inline claim failed")
	fx.clock.Advance(3 * time.Second)
	n, err := svc.Flush(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, n, "Run delivers it a few seconds later")
}

// A client that hangs up after Reply committed does not stop its delivery.
func TestReplyDeliveredAfterTheCallerGivesUp(t *testing.T) {
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	ctx, cancel := context.WithCancel(t.Context())
	svc, err := conversation.New(&cancelOnClaim{Store: fx.s, cancel: cancel}, conversation.AdapterMap{fx.ch.ID: fx.fake}, fx.opts)
	require.NoError(t, err)
	before := len(fx.fake.Sends())
	_, err = svc.Reply(ctx, c.ID, "alice", conversation.Reply{Text: "hello"})
	require.ErrorIs(t, err, context.Canceled, "the caller is told nothing more")
	require.Len(t, fx.fake.Sends(), before+1, "but the reply went out")
	msgs := fx.messages(t, c.ID)
	require.Equal(t, store.StatusSent, msgs[len(msgs)-1].Status)
}

// cancelOnClaim ends the Reply's context as its job is claimed: the client hung up after the commit.
type cancelOnClaim struct {
	*memstore.Store
	cancel context.CancelFunc
}

func (c *cancelOnClaim) ClaimJob(ctx context.Context, id string, lease time.Duration) (store.Job, error) {
	c.cancel()
	return c.Store.ClaimJob(ctx, id, lease)
}
