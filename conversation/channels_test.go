package conversation_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
)

// whatsAppLike is a Fake with WhatsApp's rules: 24 hours, templates only outside them, no reply tokens,
// no retry keys.
func whatsAppLike() *channeltest.Fake {
	limits := channeltest.DefaultLimits()
	limits.Types = append(limits.Types, channel.TypeTemplate)
	return channeltest.NewFake(&channeltest.FakeOptions{Kind: "whatsapp", Limits: &limits,
		Rules: &channel.Rules{Window: 24 * time.Hour, OutsideWindow: channel.OutsideTemplates}})
}

// The reply policy is what the channel's adapter states, not LINE's: a 24-hour window outside which only
// approved templates go, with an error naming the rule.
func TestPolicyComesFromTheChannel(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	fx.useAdapter(t, whatsAppLike())
	c := fx.inbound(t)
	require.Empty(t, c.ReplyToken, "no reply tokens on this channel")
	_, err := fx.svc.Reply(t.Context(), c.ID, "aiko", conversation.Reply{Text: "within the day"})
	require.NoError(t, err)
	fx.clock.Advance(25 * time.Hour)
	_, err = fx.svc.Reply(t.Context(), c.ID, "aiko", conversation.Reply{Text: "a day later"})
	require.ErrorIs(t, err, conversation.ErrTemplateRequired)
	require.ErrorIs(t, err, conversation.ErrOutsideReplyWindow)
	require.ErrorContains(t, err, "approved templates only")
	sent, err := fx.svc.Reply(t.Context(), c.ID, "aiko", conversation.Reply{
		Messages: []channel.Message{channel.TemplateMessage("order_shipped", "en_US", "#42")}})
	require.NoError(t, err, "a template may go outside the window")
	require.Equal(t, store.StatusSent, sent.Parts[0].Status)

	plain := newFixture(t, nil)
	plain.useAdapter(t, channeltest.NewFake(&channeltest.FakeOptions{Kind: "sms", Rules: &channel.Rules{}}))
	c = plain.inbound(t)
	plain.clock.Advance(30 * 24 * time.Hour)
	_, err = plain.svc.Reply(t.Context(), c.ID, "aiko", conversation.Reply{Text: "a month later"})
	require.NoError(t, err, "a channel that states no window gets none assumed from another")
}

// On a channel without retry keys, a send whose answer was lost is never retried blind: it is
// uncertain, delivered at most once.
func TestNoRetryKeysNoBlindRetries(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	fake := whatsAppLike()
	fx.useAdapter(t, fake)
	c := fx.inbound(t)
	fake.Fail(channeltest.OpSend, channeltest.LostAnswer())
	sent, err := fx.svc.Reply(t.Context(), c.ID, "aiko", conversation.Reply{Text: "hello"})
	require.NoError(t, err)
	require.Equal(t, store.StatusSending, sent.Parts[0].Status)
	fx.clock.Advance(time.Minute)
	fx.flush(t)
	p := fx.lastPart(t, c.ID)
	require.Equal(t, store.StatusUncertain, p.Status)
	require.Contains(t, p.StatusDetail, "cannot tell a repeat from a new message")
	require.Len(t, fake.Sends(), 1, "never retried")

	fake.Fail(channeltest.OpSend, channeltest.Error(channel.ErrRateLimited))
	_, err = fx.svc.Reply(t.Context(), c.ID, "aiko", conversation.Reply{Text: "again"})
	require.NoError(t, err)
	fx.clock.Advance(time.Minute)
	fx.flush(t)
	require.Equal(t, store.StatusSent, fx.lastPart(t, c.ID).Status, "a failure with an answer delivered nothing: retried")
}

// Receipts move an outbound part forward, never back; a receipt for a message msgkit does not know is
// kept in the channel's event log.
func TestReceiptsMoveAPartForwardOnly(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	c := fx.inbound(t)
	sent, err := fx.svc.Reply(t.Context(), c.ID, "aiko", conversation.Reply{Text: "on its way"})
	require.NoError(t, err)
	wamid := sent.Parts[0].ChannelMessageID
	require.NotEmpty(t, wamid)
	receipt := func(id string, st channel.ReceiptStatus, msgID string) channel.Event {
		return channel.Event{ID: id, Kind: channel.EventReceipt, Time: fx.clock.Now(), Source: channel.User("U1"),
			Receipt: &channel.Receipt{MessageID: msgID, Status: st}}
	}
	fx.ingest(t, receipt("r1", channel.ReceiptRead, wamid), receipt("r2", channel.ReceiptDelivered, wamid)) // out of order
	require.Equal(t, store.StatusRead, fx.lastPart(t, c.ID).Status, "a late delivered never overwrites read")
	fx.ingest(t, receipt("r3", channel.ReceiptFailed, wamid))
	require.Equal(t, store.StatusRead, fx.lastPart(t, c.ID).Status, "nor does a failure after it was read")

	second, err := fx.svc.Reply(t.Context(), c.ID, "aiko", conversation.Reply{Text: "another"})
	require.NoError(t, err)
	fx.ingest(t, channel.Event{ID: "r4", Kind: channel.EventReceipt, Time: fx.clock.Now(), Source: channel.User("U1"),
		Receipt: &channel.Receipt{MessageID: second.Parts[0].ChannelMessageID, Status: channel.ReceiptFailed, Error: "131026 Message undeliverable"}})
	p := fx.lastPart(t, c.ID)
	require.Equal(t, store.StatusFailed, p.Status)
	require.Contains(t, p.StatusDetail, "131026 Message undeliverable")

	fx.ingest(t, receipt("r5", channel.ReceiptDelivered, "sent-by-another-system"))
	events, _, err := fx.s.ListChannelEvents(t.Context(), fx.ch.ID, store.Page{})
	require.NoError(t, err)
	require.Len(t, events, 1, "kept, not lost")
	require.Len(t, fx.messages(t, c.ID), 3, "receipts add no entry to the conversation")
}

// An event for another account than the channel's is kept in the channel's event log, not processed as
// this account's.
func TestEventsForAnotherAccountAreKeptApart(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	ch, err := fx.s.GetChannel(t.Context(), fx.ch.ID)
	require.NoError(t, err)
	ch.Account.UserID = "Ubot-mine"
	_, err = fx.s.UpdateChannel(t.Context(), ch)
	require.NoError(t, err)
	mine, other := fx.text("U1", "to me"), fx.text("U2", "to another account")
	mine.Account, other.Account = "Ubot-mine", "Ubot-other"
	fx.ingest(t, mine, other)
	list, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{})
	require.NoError(t, err)
	require.Len(t, list, 1)
	events, _, err := fx.s.ListChannelEvents(t.Context(), fx.ch.ID, store.Page{})
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, "Ubot-other", events[0].Event.Account)
}
