package conversation_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
)

// A profile fetch that fails with an error that may pass (LINE answering 503) is retried later, not
// recorded as a failure for good.
func TestTransientProfileFailureIsRetried(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako"})
	fx.fake.Fail(channeltest.OpProfile, channeltest.Error(channel.ErrUnavailable))
	fx.ingest(t, fx.text("U1", "hi"))
	c := fx.conversationWith(t, "U1")
	k, err := fx.s.GetContact(t.Context(), c.ContactID)
	require.NoError(t, err)
	require.Equal(t, store.ProfilePending, k.ProfileStatus, "a transient failure is not final")

	fx.clock.Advance(time.Minute)
	fx.flush(t)
	k, err = fx.s.GetContact(t.Context(), c.ContactID)
	require.NoError(t, err)
	require.Equal(t, store.ProfileFetched, k.ProfileStatus, "the retry fetches it")
	require.Equal(t, "Hanako", k.Profile.DisplayName)
}

// Every media hook runs, however many media messages arrive at once: there is no in-memory queue to
// overflow. A failing hook is retried.
func TestEveryMediaHookRunsAndFailuresAreRetried(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := map[string]int{}
	failFirst := true
	fx := newFixture(t, func(o *conversation.Options) {
		o.Media = func(_ context.Context, m store.Message) error {
			mu.Lock()
			defer mu.Unlock()
			calls[m.ChannelMessageID]++
			if failFirst {
				failFirst = false
				return errors.New("blob store unreachable")
			}
			return nil
		}
	})
	var events []channel.Event
	for range 40 {
		e := fx.text("U1", "")
		img := channel.Image("https://example.com/a.jpg", "https://example.com/a-preview.jpg")
		img.ID = e.Message.ID
		e.Message = &img
		events = append(events, e)
	}
	fx.ingest(t, events...)
	fx.clock.Advance(time.Minute)
	fx.flush(t)
	require.Len(t, calls, 40, "every media message gets its hook")
	retried := 0
	for _, n := range calls {
		retried += n - 1
	}
	require.Equal(t, 1, retried, "the failed hook ran again")
}

// FEATURES F4/B1: the order of follow and unfollow events is their time, not their delivery; and a message
// from the user proves they follow. A stale unfollow never locks agents out.
func TestFollowStateFollowsEventTime(t *testing.T) {
	t.Parallel()
	user := channel.User("U1")
	follow := func(at time.Time, id string, kind channel.EventKind) channel.Event {
		return channel.Event{ID: id, Kind: kind, Time: at, Mode: channel.ModeActive, Source: user}
	}
	followed := func(fx fixture) bool {
		c := fx.conversationWith(t, "U1")
		k, err := fx.s.GetContact(t.Context(), c.ContactID)
		require.NoError(t, err)
		return k.Followed
	}

	fx := newFixture(t, nil)
	fx.ingest(t, follow(t0.Add(time.Minute), "ev-follow", channel.EventFollow))
	fx.ingest(t, follow(t0, "ev-old-unfollow", channel.EventUnfollow)) // redelivered late
	require.True(t, followed(fx), "an unfollow older than the follow changes nothing")
	fx.clock.Advance(2 * time.Minute)
	fx.ingest(t, fx.text("U1", "are you there?"))
	c := fx.conversationWith(t, "U1")
	_, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "yes"})
	require.NoError(t, err, "the customer can be answered")

	fx = newFixture(t, nil)
	fx.clock.Advance(time.Hour)
	fx.ingest(t, fx.text("U1", "hello"))                                                     // at t0+1h
	fx.ingest(t, follow(t0.Add(30*time.Minute), "ev-stale-unfollow", channel.EventUnfollow)) // older than the message
	require.True(t, followed(fx), "an unfollow older than the user's last message changes nothing")
	fx.ingest(t, follow(t0.Add(2*time.Hour), "ev-unfollow", channel.EventUnfollow))
	require.False(t, followed(fx), "a newer unfollow applies")
	fx.ingest(t, follow(t0.Add(90*time.Minute), "ev-stale-follow", channel.EventFollow))
	require.False(t, followed(fx), "a follow older than the unfollow changes nothing")
	fx.clock.Advance(2 * time.Hour)
	fx.ingest(t, fx.text("U1", "I'm back")) // at t0+3h
	require.True(t, followed(fx), "a newer message proves the user follows again")
}

// Events that belong to no conversation (no source; a source of a kind msgkit does not know) are kept
// in the channel's event log, once each: nothing acknowledged is thrown away.
func TestEventsWithoutAChatAreKept(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	noSource := channel.Event{ID: "ev-1", Kind: channel.EventUnknown, Type: "activated", Time: t0, Raw: json.RawMessage(`{"type":"activated"}`)}
	oddSource := channel.Event{ID: "ev-2", Kind: channel.EventFollow, Type: "follow", Time: t0,
		Source: channel.Peer{Kind: "square", ID: "S1", UserID: "U1"}}
	for range 2 {
		fx.ingest(t, noSource, oddSource)
	}
	list, _, err := fx.s.ListChannelEvents(t.Context(), fx.ch.ID, store.Page{Order: store.OldestFirst})
	require.NoError(t, err)
	require.Len(t, list, 2, "each kept once, however often delivered")
	require.JSONEq(t, `{"type":"activated"}`, string(list[0].Event.Raw))
	require.Equal(t, channel.PeerKind("square"), list[1].Event.Source.Kind)
	conversations, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{})
	require.NoError(t, err)
	require.Empty(t, conversations, "they open no conversation")
}

// The host's Directory is asked about one user per message of a routed conversation, not about the
// whole pool every time.
func TestAvailabilityIsAskedLazily(t *testing.T) {
	t.Parallel()
	dir := &countingDirectory{}
	fx := newFixture(t, func(o *conversation.Options) {
		rr, err := assign.NewRoundRobin(dir)
		require.NoError(t, err)
		o.Assigner = assign.Strategies{assign.StrategyRoundRobin: rr}
	})
	ch, err := fx.s.GetChannel(t.Context(), fx.ch.ID)
	require.NoError(t, err)
	ch.Assignment.PoolIDs = []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	_, err = fx.s.UpdateChannel(t.Context(), ch)
	require.NoError(t, err)
	fx.ingest(t, fx.text("U1", "hi"))
	require.Equal(t, int64(1), dir.available.Load(), "a new conversation asks about the member whose turn it is")
	for range 5 {
		fx.ingest(t, fx.text("U1", "more"))
	}
	require.Equal(t, int64(6), dir.available.Load(), "a returning sender's message asks about their assignee only")
}

type countingDirectory struct {
	assign.MemoryDirectory
	available atomic.Int64
}

func (d *countingDirectory) Available(ctx context.Context, user string) (bool, error) {
	d.available.Add(1)
	return d.MemoryDirectory.Available(ctx, user)
}

// B3: a channel's archived webhooks replay with no duplicates, recovering what the host's handling lost,
// and what arrived while the channel was deactivated.
func TestReplayRecoversWithoutDuplicates(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, func(o *conversation.Options) { o.Archive = 24 * time.Hour })
	// A host's sink with a bug: it drops some events before handing the delivery on.
	buggy := func(ctx context.Context, d channel.Delivery) error {
		d.Events = slices.DeleteFunc(d.Events, func(e channel.Event) bool { return e.Message != nil && e.Message.Text == "three" })
		return fx.svc.Receive(ctx, d)
	}
	h, err := channel.NewHandler(fx.ch.ID, fx.fake, buggy, nil)
	require.NoError(t, err)
	post := func(events ...channel.Event) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, fx.fake.Request(events...))
		require.Equal(t, http.StatusOK, w.Code)
	}
	post(fx.text("U1", "one"), fx.text("U2", "two"))
	fx.clock.Advance(time.Minute)
	post(fx.text("U1", "three"))
	fx.flush(t)
	require.Len(t, fx.messages(t, fx.conversationWith(t, "U1").ID), 1, "the bug lost a message")

	r, err := fx.svc.Replay(t.Context(), fx.ch.ID, t0, time.Time{})
	require.NoError(t, err)
	require.Equal(t, conversation.Replayed{Webhooks: 2, Events: 3, New: 1}, r)
	msgs := fx.messages(t, fx.conversationWith(t, "U1").ID)
	require.Len(t, msgs, 2, "the lost message is back, and nothing is doubled")
	require.Equal(t, "three", msgs[1].Content.Text)
	r, err = fx.svc.Replay(t.Context(), fx.ch.ID, t0, time.Time{})
	require.NoError(t, err)
	require.Zero(t, r.New, "replaying again stores nothing")

	// While deactivated, webhooks are acknowledged, not processed, but archived: a replay takes them in.
	setActive(t, fx, false)
	fx.clock.Advance(time.Minute)
	from := fx.clock.Now()
	post(fx.text("U3", "anyone?"))
	setActive(t, fx, true)
	r, err = fx.svc.Replay(t.Context(), fx.ch.ID, from, time.Time{})
	require.NoError(t, err)
	require.Equal(t, conversation.Replayed{Webhooks: 1, Events: 1, New: 1}, r, "only the range asked for")
	require.Len(t, fx.messages(t, fx.conversationWith(t, "U3").ID), 1)
}

func setActive(t *testing.T, fx fixture, active bool) {
	t.Helper()
	ch, err := fx.s.GetChannel(t.Context(), fx.ch.ID)
	require.NoError(t, err)
	ch.Active = active
	_, err = fx.s.UpdateChannel(t.Context(), ch)
	require.NoError(t, err)
}
