package conversation_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/storetest"
)

// signals records what a Notifier is told; safe for concurrent use (Run calls it from its workers).
type signals struct {
	mu   sync.Mutex
	list []conversation.Notification
	fail error // returned by the next call, then cleared
}

func (s *signals) NewMessage(_ context.Context, n conversation.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, n)
	err := s.fail
	s.fail = nil
	return err
}

// take returns what was told since the last take, as "user event" lines.
func (s *signals) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, n := range s.list {
		out = append(out, fmt.Sprint(n.UserID, " ", n.Event))
	}
	s.list = nil
	return out
}

func (s *signals) all() []conversation.Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]conversation.Notification(nil), s.list...)
}

// notifyFixture is the fixture with a recording Notifier.
func notifyFixture(t *testing.T) (fixture, *signals) {
	t.Helper()
	sig := &signals{}
	fx := newFixture(t, func(o *conversation.Options) { o.Notifier = sig })
	return fx, sig
}

// listed returns user's notifications, oldest first, as "event conversation" lines.
func (fx fixture) listed(t *testing.T, user string) []string {
	t.Helper()
	list, _, err := fx.svc.Notifications(t.Context(), user, store.NotificationFilter{}, store.Page{Limit: store.MaxLimit, Order: store.OldestFirst})
	require.NoError(t, err)
	var out []string
	for _, n := range list {
		out = append(out, fmt.Sprint(n.Event, " ", n.ConversationID))
	}
	return out
}

func (fx fixture) state(t *testing.T, convID, user string) store.NotificationState {
	t.Helper()
	st, err := fx.s.GetNotificationState(t.Context(), convID, user)
	require.NoError(t, err)
	return st
}

// F12: a new message is listed for the responsible user and signalled, with the listed notification's
// ID; reading it clears the unread count.
func TestNewMessageIsListedAndSignalled(t *testing.T) {
	t.Parallel()
	fx, sig := notifyFixture(t)
	fx.ingest(t, fx.text("U1", "hi"))
	c := fx.conversationWith(t, "U1")
	told := sig.all()
	require.Len(t, told, 1)
	n := told[0]
	require.Equal(t, store.NotifyMessage, n.Event)
	require.Equal(t, "alice", n.UserID)
	require.Equal(t, fx.messages(t, c.ID)[0].ID, n.MessageID)

	list, _, err := fx.svc.Notifications(t.Context(), "alice", store.NotificationFilter{Unread: true}, store.Page{})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, store.Notification{ID: n.ID, UserID: "alice", Key: "message:" + n.MessageID, Event: store.NotifyMessage,
		ChannelID: fx.ch.ID, ConversationID: c.ID, MessageID: n.MessageID, At: t0, CreatedAt: t0}, list[0],
		"the Notifier is told the ID of the listed notification")
	unread, err := fx.svc.UnreadNotifications(t.Context(), "alice", 100)
	require.NoError(t, err)
	require.Equal(t, 1, unread)
	_, err = fx.svc.MarkNotificationRead(t.Context(), "alice", n.ID)
	require.NoError(t, err)
	unread, err = fx.svc.UnreadNotifications(t.Context(), "alice", 100)
	require.NoError(t, err)
	require.Zero(t, unread)
	require.Empty(t, fx.listed(t, "bob"), "only the responsible user is notified")
}

// The record-owner path (F7, F12): a message from a sender linked to a CRM record notifies the
// record's owner, who gets the conversation, and says it is linked.
func TestLinkedSenderNotifiesTheRecordOwner(t *testing.T) {
	t.Parallel()
	fx, sig := notifyFixture(t)
	fx.ingest(t, channel.Event{ID: "follow", Kind: channel.EventFollow, Time: t0, Mode: channel.ModeActive, Source: channel.User("U1")})
	c := fx.conversationWith(t, "U1")
	_, err := fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: c.ContactID,
		To: store.RecordRef{Kind: store.RecordContact, ID: "C-7", Owner: "carol"}})
	require.NoError(t, err)
	sig.take()

	fx.ingest(t, fx.text("U1", "it's me again"))
	told := sig.all()
	require.Len(t, told, 1)
	require.Equal(t, "carol", told[0].UserID, "the owner of the linked record is told")
	require.True(t, told[0].Linked)
	require.Equal(t, "carol", fx.conversationWith(t, "U1").Assignee)
	require.Equal(t, []string{"message " + c.ID}, fx.listed(t, "carol"))
	require.Empty(t, fx.listed(t, "alice"))
}

// A job that runs twice — it told the Notifier, and the process died before recording that the job was
// done — may tell the Notifier twice (with the same notification ID), but lists the signal once. For
// each kind of signal.
func TestASignalRunTwiceIsListedOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, kind string
		cause      func(t *testing.T, fx fixture, convID string)
		event      store.NotificationEvent
	}{
		{"new message", "inbound", func(t *testing.T, fx fixture, _ string) {
			require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "again")}))
		}, store.NotifyMessage},
		{"assignment", "assigned", func(t *testing.T, fx fixture, convID string) {
			_, err := fx.svc.Assign(t.Context(), convID, "bob", "manager")
			require.NoError(t, err)
		}, store.NotifyAssigned},
		{"snooze ended", "snooze", func(t *testing.T, fx fixture, convID string) {
			_, err := fx.svc.Snooze(t.Context(), convID, "alice", conversation.SnoozeOptions{Until: t0.Add(time.Hour)})
			require.NoError(t, err)
			fx.clock.Advance(time.Hour)
		}, store.NotifySnoozeEnded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fx, sig := notifyFixture(t)
			fx.ingest(t, fx.text("U1", "hi"))
			c := fx.conversationWith(t, "U1")
			sig.take()
			_, err := fx.svc.MarkNotificationsRead(t.Context(), "alice", store.Cursor{Time: t0.Add(time.Hour)})
			require.NoError(t, err, "the first message's is read: unread ones are new")
			var once sync.Once
			crash := errors.New("killed before the job was recorded done")
			faults := storetest.NewFaults(fx.s, func(call storetest.Call) error {
				var err error
				if call.Method == "CompleteJob" {
					once.Do(func() { err = crash })
				}
				return err
			})
			fx.svc, err = conversation.New(faults, conversation.AdapterMap{fx.ch.ID: fx.fake}, fx.opts)
			require.NoError(t, err)

			tc.cause(t, fx, c.ID)
			fx.flush(t)
			fx.clock.Advance(2 * time.Minute) // the crashed claim's lease lapses
			fx.flush(t)
			told := sig.all()
			require.Len(t, told, 2, "the job ran again, and told again")
			require.Equal(t, told[0], told[1], "the same notification both times")
			require.Equal(t, tc.event, told[0].Event)
			list, _, err := fx.svc.Notifications(t.Context(), told[0].UserID, store.NotificationFilter{Unread: true}, store.Page{})
			require.NoError(t, err)
			require.Equal(t, []string{told[0].ID}, cursorIDs(list), "listed once")
			jobs, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Kind: tc.kind, Status: store.JobDone}, store.Page{})
			require.NoError(t, err)
			require.NotEmpty(t, jobs, "the %s job finished the second time", tc.kind)
		})
	}
}

// A Notifier that fails is tried again, with backoff; the signal is listed once.
func TestAFailingNotifierIsRetried(t *testing.T) {
	t.Parallel()
	fx, sig := notifyFixture(t)
	sig.fail = errors.New("push service down")
	fx.ingest(t, fx.text("U1", "hi"))
	require.Len(t, sig.take(), 1)
	fx.clock.Advance(time.Minute)
	fx.flush(t)
	require.Equal(t, []string{"alice message"}, sig.take(), "told again")
	require.Len(t, fx.listed(t, "alice"), 1)
}

// F13: a snooze until a time silences new messages, and when it is due Run signals the user again
// (released by the injected clock) and lists it.
func TestSnoozeUntilATimeSignalsAgainWhenDue(t *testing.T) {
	t.Parallel()
	fx, sig := notifyFixture(t)
	fx.ingest(t, fx.text("U1", "hi"))
	c := fx.conversationWith(t, "U1")
	require.Equal(t, []string{"alice message"}, sig.take())

	st, err := fx.svc.Snooze(t.Context(), c.ID, "alice", conversation.SnoozeOptions{Until: t0.Add(time.Hour)})
	require.NoError(t, err)
	require.Equal(t, t0.Add(time.Hour), st.SnoozedUntil)
	inbox, _, err := fx.s.ListConversations(t.Context(), store.View{Assignee: "alice", Viewer: "alice"}, store.Page{})
	require.NoError(t, err)
	require.Equal(t, t0.Add(time.Hour), inbox[0].Notification.SnoozedUntil, "the views show the snooze")

	fx.clock.Advance(10 * time.Minute)
	fx.ingest(t, fx.text("U1", "hello?"))
	require.Empty(t, sig.take(), "snoozed: a new message signals nothing")
	require.Equal(t, []string{"message " + c.ID}, fx.listed(t, "alice"), "nor is listed")

	fx.clock.Advance(49*time.Minute + 59*time.Second)
	fx.flush(t)
	require.Empty(t, sig.take(), "not yet due")
	fx.clock.Advance(time.Second)
	require.Equal(t, 1, fx.flush(t))
	told := sig.all()
	require.Equal(t, []string{"alice snooze_ended"}, sig.take(), "due: the signal comes back")
	require.Equal(t, t0.Add(time.Hour), told[0].At)
	require.Equal(t, c.ID, told[0].ConversationID)
	require.Equal(t, []string{"message " + c.ID, "snooze_ended " + c.ID}, fx.listed(t, "alice"))
	fx.clock.Advance(time.Hour)
	require.Zero(t, fx.flush(t))
	require.Empty(t, sig.take(), "once")

	fx.ingest(t, fx.text("U1", "anyone?"))
	require.Equal(t, []string{"alice message"}, sig.take(), "after the snooze, messages signal again")
}

// Snoozing again moves the end (the earlier one passes silently), snoozing to the same end records one
// job, and Unsnooze cancels: nothing lives only in memory, and a stale end does nothing.
func TestResnoozeAndUnsnooze(t *testing.T) {
	t.Parallel()
	fx, sig := notifyFixture(t)
	fx.ingest(t, fx.text("U1", "hi"))
	c := fx.conversationWith(t, "U1")
	sig.take()
	snooze := func(until time.Time) {
		t.Helper()
		_, err := fx.svc.Snooze(t.Context(), c.ID, "alice", conversation.SnoozeOptions{Until: until})
		require.NoError(t, err)
	}
	snooze(t0.Add(time.Hour))
	snooze(t0.Add(time.Hour))
	pending, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Kind: "snooze", Status: store.JobPending}, store.Page{})
	require.NoError(t, err)
	require.Len(t, pending, 1, "snoozing to the same end again coalesces")
	snooze(t0.Add(2 * time.Hour))

	fx.clock.Advance(time.Hour)
	require.Equal(t, 1, fx.flush(t), "the first end's job runs")
	require.Empty(t, sig.take(), "but the snooze moved: it does nothing")
	fx.clock.Advance(time.Hour)
	fx.flush(t)
	require.Equal(t, []string{"alice snooze_ended"}, sig.take(), "the moved end signals")

	snooze(t0.Add(3 * time.Hour))
	st, err := fx.svc.Unsnooze(t.Context(), c.ID, "alice")
	require.NoError(t, err)
	require.True(t, st.SnoozedUntil.IsZero())
	fx.ingest(t, fx.text("U1", "still there?"))
	require.Equal(t, []string{"alice message"}, sig.take(), "unsnoozed: messages signal again")
	fx.clock.Advance(time.Hour)
	fx.flush(t)
	require.Empty(t, sig.take(), "a cancelled snooze's end does nothing")
}

// The snooze's end is released by Run itself, on its own timers: with testing/synctest, Run waits on
// a fake clock, and an hour passes in an instant once every goroutine is idle.
func TestRunReleasesADueSnooze(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sig := &signals{}
		fx := newFixture(t, func(o *conversation.Options) { o.Notifier = sig })
		// The bubble's clock for the service and a store on it: Run sees time pass.
		s := memstore.New(nil)
		ch, err := s.CreateChannel(t.Context(), store.Channel{Name: "Shop", Kind: "line", ExternalID: "1", Active: true})
		require.NoError(t, err)
		svc, err := conversation.New(s, conversation.AdapterMap{ch.ID: fx.fake}, &conversation.Options{Notifier: sig})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel() // a failure below must not leave Run blocking the bubble
		done := make(chan error, 1)
		go func() { done <- svc.Run(ctx) }()

		e := fx.text("U1", "hi")
		e.Time = time.Now()
		require.NoError(t, svc.Ingest(t.Context(), ch.ID, []channel.Event{e}))
		synctest.Wait()
		list, _, err := s.ListConversations(t.Context(), store.View{}, store.Page{})
		require.NoError(t, err)
		_, err = svc.Snooze(t.Context(), list[0].Conversation.ID, "alice", conversation.SnoozeOptions{Until: time.Now().Add(time.Hour)})
		require.NoError(t, err)

		time.Sleep(time.Hour - time.Second)
		synctest.Wait()
		require.Empty(t, sig.take(), "not before its end")
		time.Sleep(2 * time.Second) // Run polls every second
		synctest.Wait()
		require.Equal(t, []string{"alice snooze_ended"}, sig.take())
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
}

// Snooze until the customer writes: messages up to the latest one stored when it began signal nothing,
// even when their work runs after; the next message ends it and signals.
func TestSnoozeUntilTheCustomerWrites(t *testing.T) {
	t.Parallel()
	fx, sig := notifyFixture(t)
	fx.ingest(t, fx.text("U1", "hi"))
	c := fx.conversationWith(t, "U1")
	sig.take()
	fx.clock.Advance(time.Minute)
	require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "are you there?")}))

	st, err := fx.svc.Snooze(t.Context(), c.ID, "alice", conversation.SnoozeOptions{UntilCustomerWrites: true})
	require.NoError(t, err)
	require.True(t, st.SnoozedUntilInbound)
	require.Equal(t, t0.Add(time.Minute), st.Through, "it covers the messages stored so far")
	fx.flush(t) // the second message's work runs after the snooze began
	require.Empty(t, sig.take(), "a message from before the snooze signals nothing")
	fx.clock.Advance(time.Hour)
	require.Zero(t, fx.flush(t), "no timer")

	fx.ingest(t, fx.text("U1", "hello??"))
	require.Equal(t, []string{"alice message"}, sig.take(), "the customer wrote again: it signals")
	require.False(t, fx.state(t, c.ID, "alice").SnoozedUntilInbound, "and the snooze is over")
	fx.ingest(t, fx.text("U1", "!"))
	require.Equal(t, []string{"alice message"}, sig.take())
}

// Only one kind of snooze at a time, ending in the future.
func TestSnoozeNeedsOneFutureEnd(t *testing.T) {
	t.Parallel()
	fx, _ := notifyFixture(t)
	fx.ingest(t, fx.text("U1", "hi"))
	c := fx.conversationWith(t, "U1")
	for name, o := range map[string]conversation.SnoozeOptions{
		"neither": {},
		"both":    {Until: t0.Add(time.Hour), UntilCustomerWrites: true},
		"past":    {Until: t0.Add(-time.Second)},
		"now":     {Until: t0},
	} {
		_, err := fx.svc.Snooze(t.Context(), c.ID, "alice", o)
		require.ErrorIs(t, err, conversation.ErrInvalidSnooze, name)
	}
	_, err := fx.svc.Snooze(t.Context(), "no-such-conversation", "alice", conversation.SnoozeOptions{Until: t0.Add(time.Hour)})
	require.ErrorIs(t, err, store.ErrNotFound)
	jobs, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Kind: "snooze"}, store.Page{})
	require.NoError(t, err)
	require.Empty(t, jobs)
}

// F13 "ignore, reply later": the conversation stays unreplied in the views, new messages from before it
// signal nothing, and the customer writing again ends it and signals. A reply by the user ends it too.
func TestIgnoreUntilTheCustomerWritesAgain(t *testing.T) {
	t.Parallel()
	fx, sig := notifyFixture(t)
	fx.ingest(t, fx.text("U1", "hi"))
	c := fx.conversationWith(t, "U1")
	sig.take()
	require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "same moment")}))

	_, err := fx.svc.Ignore(t.Context(), c.ID, "alice")
	require.NoError(t, err)
	fx.flush(t)
	require.Empty(t, sig.take(), "ignored: a message from before signals nothing")
	unreplied, _, err := fx.s.ListConversations(t.Context(), store.View{Assignee: "alice", Unreplied: true, Viewer: "alice"}, store.Page{})
	require.NoError(t, err)
	require.Len(t, unreplied, 1, "it stays unreplied in the views")
	require.True(t, unreplied[0].Notification.Ignored, "marked ignored for its user")
	n, err := fx.s.CountConversations(t.Context(), store.View{Assignee: "alice", Unreplied: true}, 0)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	fx.clock.Advance(time.Minute)
	fx.ingest(t, fx.text("U1", "hello?"))
	require.Equal(t, []string{"alice message"}, sig.take(), "the customer wrote again")
	require.False(t, fx.state(t, c.ID, "alice").Ignored, "which ends the ignore")

	_, err = fx.svc.Ignore(t.Context(), c.ID, "alice")
	require.NoError(t, err)
	_, err = fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "Sorry, here now"})
	require.NoError(t, err)
	require.False(t, fx.state(t, c.ID, "alice").Ignored, "a reply ends it too")

	_, err = fx.svc.Ignore(t.Context(), c.ID, "alice")
	require.NoError(t, err)
	st, err := fx.svc.Unignore(t.Context(), c.ID, "alice")
	require.NoError(t, err)
	require.False(t, st.Ignored)
	fx.clock.Advance(time.Minute)
	fx.ingest(t, fx.text("U1", "thanks"))
	require.Equal(t, []string{"alice message"}, sig.take())
}

// F12 signal settings: muted events and channels neither signal nor list; the others still do.
func TestSettingsMuteEventsAndChannels(t *testing.T) {
	t.Parallel()
	fx, sig := notifyFixture(t)
	_, err := fx.svc.SetNotificationSettings(t.Context(), store.NotificationSettings{UserID: "alice", MutedChannels: []string{fx.ch.ID}})
	require.NoError(t, err)
	fx.ingest(t, fx.text("U1", "hi"))
	c := fx.conversationWith(t, "U1")
	require.Equal(t, "alice", c.Assignee)
	require.Empty(t, sig.take(), "a muted channel signals nothing")
	require.Empty(t, fx.listed(t, "alice"), "nor lists")

	_, err = fx.svc.SetNotificationSettings(t.Context(), store.NotificationSettings{UserID: "alice",
		MutedEvents: []store.NotificationEvent{store.NotifyMessage}})
	require.NoError(t, err)
	fx.ingest(t, fx.text("U1", "hello?"))
	require.Empty(t, sig.take(), "a muted event signals nothing")
	_, err = fx.svc.Assign(t.Context(), c.ID, "bob", "manager")
	require.NoError(t, err)
	_, err = fx.svc.Assign(t.Context(), c.ID, "alice", "manager")
	require.NoError(t, err)
	fx.flush(t)
	require.Equal(t, []string{"alice assigned"}, sig.take(), "an event not muted signals")
	require.Equal(t, []string{"assigned " + c.ID}, fx.listed(t, "alice"))

	_, err = fx.svc.SetNotificationSettings(t.Context(), store.NotificationSettings{UserID: "alice",
		MutedEvents: []store.NotificationEvent{"coffee_break"}})
	require.ErrorIs(t, err, conversation.ErrUnknownEvent)
	got, err := fx.svc.NotificationSettings(t.Context(), "bob")
	require.NoError(t, err)
	require.Equal(t, store.NotificationSettings{UserID: "bob"}, got, "a user without settings gets every signal")
}

// Manual assignment (Assign, Reassign) tells the new owner; assigning to oneself does not, and an
// assignment overtaken before Run got to it tells only the latest owner.
func TestManualAssignmentNotifiesTheNewOwner(t *testing.T) {
	t.Parallel()
	fx, sig := notifyFixture(t)
	fx.ingest(t, fx.text("U1", "hi"))
	c := fx.conversationWith(t, "U1")
	sig.take()

	got, err := fx.svc.Assign(t.Context(), c.ID, "bob", "manager")
	require.NoError(t, err)
	require.Equal(t, "bob", got.Assignee)
	fx.flush(t)
	told := sig.all()
	require.Equal(t, []string{"bob assigned"}, sig.take())
	require.Equal(t, c.ID, told[0].ConversationID)
	require.Equal(t, []string{"assigned " + c.ID}, fx.listed(t, "bob"))
	history, err := fx.s.ListAssignments(t.Context(), c.ID)
	require.NoError(t, err)
	require.Equal(t, store.AssignManual, history[len(history)-1].Reason)
	require.Equal(t, "manager", history[len(history)-1].By)

	_, err = fx.svc.Reassign(t.Context(), c.ID, "bob", "carol", "manager")
	require.NoError(t, err)
	_, err = fx.svc.Reassign(t.Context(), c.ID, "bob", "dave", "another manager")
	require.ErrorIs(t, err, store.ErrConflict, "from is no longer the assignee")
	fx.flush(t)
	require.Equal(t, []string{"carol assigned"}, sig.take())

	_, err = fx.svc.Assign(t.Context(), c.ID, "dave", "dave")
	require.NoError(t, err)
	fx.flush(t)
	require.Empty(t, sig.take(), "taking it oneself tells nobody")

	_, err = fx.svc.Assign(t.Context(), c.ID, "erin", "manager")
	require.NoError(t, err)
	_, err = fx.svc.Assign(t.Context(), c.ID, "frank", "manager")
	require.NoError(t, err)
	fx.flush(t)
	require.Equal(t, []string{"frank assigned"}, sig.take(), "erin no longer has it when Run gets to it")

	fx.ingest(t, fx.text("U1", "hello?"))
	require.Equal(t, []string{"frank message"}, sig.take(), "a manual assignment sticks; the owner gets the messages")
}

// The job that tells the new owner is recorded in the assignment's transaction: if it cannot be
// recorded, the assignment is not made either.
func TestAnAssignmentAndItsNotificationAreOneTransaction(t *testing.T) {
	t.Parallel()
	fx, sig := notifyFixture(t)
	fx.ingest(t, fx.text("U1", "hi"))
	c := fx.conversationWith(t, "U1")
	sig.take()
	down := errors.New("store down")
	faults := storetest.NewFaults(fx.s, func(call storetest.Call) error {
		if call.Method == "EnqueueJob" {
			return down
		}
		return nil
	})
	svc, err := conversation.New(faults, conversation.AdapterMap{fx.ch.ID: fx.fake}, fx.opts)
	require.NoError(t, err)
	_, err = svc.Assign(t.Context(), c.ID, "bob", "manager")
	require.ErrorIs(t, err, down)
	_, err = svc.Reassign(t.Context(), c.ID, "alice", "bob", "manager")
	require.ErrorIs(t, err, down)
	require.Equal(t, "alice", fx.conversationWith(t, "U1").Assignee, "no assignment without its notification")
	history, err := fx.s.ListAssignments(t.Context(), c.ID)
	require.NoError(t, err)
	require.Len(t, history, 1, "only the first, automatic one")
}

// assign.Drain, through the Service, tells each new owner: conversations that waited while nobody was
// available are assigned when someone comes back, and their new owners hear of it.
func TestDrainNotifiesTheNewOwners(t *testing.T) {
	t.Parallel()
	fx, sig := notifyFixture(t)
	fx.dir.SetAvailable("alice", false)
	fx.dir.SetAvailable("bob", false)
	fx.ingest(t, fx.text("U1", "hi"), fx.text("U2", "hello"))
	require.Empty(t, fx.conversationWith(t, "U1").Assignee, "nobody available: it waits")
	require.Empty(t, sig.take(), "and nobody is told")

	fx.dir.SetAvailable("bob", true)
	n, err := fx.svc.Drain(t.Context(), fx.ch.ID)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	fx.flush(t)
	require.Equal(t, []string{"bob assigned", "bob assigned"}, sig.take())
	require.ElementsMatch(t, []string{"assigned " + fx.conversationWith(t, "U1").ID, "assigned " + fx.conversationWith(t, "U2").ID},
		fx.listed(t, "bob"))
	unread, err := fx.svc.UnreadNotifications(t.Context(), "bob", 1)
	require.NoError(t, err)
	require.Equal(t, 1, unread, "the count stops at its limit")

	fx.ingest(t, fx.text("U3", "me too"))
	require.Equal(t, []string{"bob message"}, sig.take(), "routed on arrival: the message tells the owner, no assignment signal")
}

// Mark all read up to what the user saw: a notification that arrived since stays unread.
func TestMarkAllReadUpToWhatWasShown(t *testing.T) {
	t.Parallel()
	fx, _ := notifyFixture(t)
	fx.ingest(t, fx.text("U1", "one"))
	fx.clock.Advance(time.Second)
	fx.ingest(t, fx.text("U1", "two"))
	shown, _, err := fx.svc.Notifications(t.Context(), "alice", store.NotificationFilter{Unread: true}, store.Page{})
	require.NoError(t, err)
	require.Len(t, shown, 2)
	fx.clock.Advance(time.Second)
	fx.ingest(t, fx.text("U1", "three"))

	n, err := fx.svc.MarkNotificationsRead(t.Context(), "alice", shown[0].Cursor())
	require.NoError(t, err)
	require.Equal(t, 2, n)
	unread, _, err := fx.svc.Notifications(t.Context(), "alice", store.NotificationFilter{Unread: true}, store.Page{})
	require.NoError(t, err)
	require.Len(t, unread, 1, "the one that arrived after the list was shown stays unread")
	require.True(t, shown[0].Cursor().Before(unread[0].Cursor()))
}

func cursorIDs(ns []store.Notification) []string {
	var ids []string
	for _, n := range ns {
		ids = append(ids, n.ID)
	}
	return ids
}
