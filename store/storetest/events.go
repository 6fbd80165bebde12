package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// RunChannelEvents checks store.ChannelEvents.
func RunChannelEvents(t *testing.T, h Harness) {
	event := func(id string, at time.Time) channel.Event {
		return channel.Event{ID: id, Kind: channel.EventUnknown, Type: "things", Time: at,
			Source: channel.Peer{Kind: "thing", UserID: "U1"}, Raw: json.RawMessage(`{"type":"things","things":{"deviceId":"d1"}}`)}
	}

	rule(t, h, "AppendKeepsTheEventAsReceived", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		in := store.ChannelEvent{ChannelID: ch.ID, Event: event("ev-1", T0.Add(-time.Minute))}
		got, created, err := fx.s.AppendChannelEvent(t.Context(), in)
		require.NoError(t, err)
		require.True(t, created)
		require.NotEmpty(t, got.ID)
		list, _, err := fx.s.ListChannelEvents(t.Context(), ch.ID, store.Page{})
		require.NoError(t, err)
		require.Len(t, list, 1)
		in.ID, in.CreatedAt = got.ID, T0
		require.Equal(t, in, list[0], "every field must round-trip")
		require.Equal(t, got, list[0])
	})

	rule(t, h, "AppendIsIdempotentOnTheEventID", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		first, _, err := fx.s.AppendChannelEvent(t.Context(), store.ChannelEvent{ChannelID: ch.ID, Event: event("ev-1", T0)})
		require.NoError(t, err)
		again, created, err := fx.s.AppendChannelEvent(t.Context(), store.ChannelEvent{ChannelID: ch.ID, Event: event("ev-1", T0)})
		require.NoError(t, err)
		require.False(t, created, "a redelivered event is stored once")
		require.Equal(t, first, again)
		other := fx.newChannel(t, "d")
		_, created, err = fx.s.AppendChannelEvent(t.Context(), store.ChannelEvent{ChannelID: other.ID, Event: event("ev-1", T0)})
		require.NoError(t, err)
		require.True(t, created, "the same event ID on another channel is another event")
		for range 2 {
			_, created, err = fx.s.AppendChannelEvent(t.Context(), store.ChannelEvent{ChannelID: ch.ID, Event: event("", T0)})
			require.NoError(t, err)
			require.True(t, created, "events without an ID are never merged")
		}
	})

	rule(t, h, "AppendOnUnknownChannelIsErrNotFound", func(t *testing.T, fx fixture) {
		_, _, err := fx.s.AppendChannelEvent(t.Context(), store.ChannelEvent{ChannelID: "no-such-channel", Event: event("e", T0)})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "ListOrdersByEventTimeAndPagesBothWays", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		var ids []string
		for i, d := range []time.Duration{3, 1, 2, 5, 4} {
			e, _, err := fx.s.AppendChannelEvent(t.Context(), store.ChannelEvent{ChannelID: ch.ID, Event: event(fmt.Sprint("e", i), T0.Add(d*time.Second))})
			require.NoError(t, err)
			ids = append(ids, e.ID)
		}
		first, next, err := fx.s.ListChannelEvents(t.Context(), ch.ID, store.Page{Limit: 3, Order: store.OldestFirst})
		require.NoError(t, err)
		require.Equal(t, []string{ids[1], ids[2], ids[0]}, cursorIDs(first))
		rest, next, err := fx.s.ListChannelEvents(t.Context(), ch.ID, store.Page{Limit: 3, Order: store.OldestFirst, After: next})
		require.NoError(t, err)
		require.Equal(t, []string{ids[4], ids[3]}, cursorIDs(rest))
		require.True(t, next.IsZero())
		newest, _, err := fx.s.ListChannelEvents(t.Context(), ch.ID, store.Page{Limit: 1})
		require.NoError(t, err)
		require.Equal(t, []string{ids[3]}, cursorIDs(newest))
		none, _, err := fx.s.ListChannelEvents(t.Context(), "other", store.Page{})
		require.NoError(t, err)
		require.Empty(t, none)
	})
}

// RunWebhooks checks store.Webhooks.
func RunWebhooks(t *testing.T, h Harness) {
	body := []byte(`{"destination":"U1","events":[{"type":"message","message":{"text":"\u0000 ok"}}]}` + "\x00\xff")

	rule(t, h, "ArchiveKeepsTheBodyByteForByte", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		in := store.Webhook{ChannelID: ch.ID, Body: body, ReceivedAt: T0.Add(-time.Second), ExpiresAt: T0.Add(time.Hour)}
		got, err := fx.s.ArchiveWebhook(t.Context(), in)
		require.NoError(t, err)
		require.NotEmpty(t, got.ID)
		list, _, err := fx.s.ListWebhooks(t.Context(), ch.ID, time.Time{}, time.Time{}, store.Page{})
		require.NoError(t, err)
		require.Len(t, list, 1)
		in.ID = got.ID
		require.Equal(t, in, list[0], "every field, and every byte of the body, must round-trip")
		require.Equal(t, got, list[0])
		dflt, err := fx.s.ArchiveWebhook(t.Context(), store.Webhook{ChannelID: ch.ID, Body: body})
		require.NoError(t, err)
		require.Equal(t, T0, dflt.ReceivedAt, "a zero ReceivedAt means now")
		_, err = fx.s.ArchiveWebhook(t.Context(), store.Webhook{ID: got.ID, ChannelID: ch.ID, Body: body})
		require.ErrorIs(t, err, store.ErrAlreadyExists)
		_, err = fx.s.ArchiveWebhook(t.Context(), store.Webhook{ChannelID: "no-such-channel", Body: body})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "ListSelectsTheReceivedRangeOfOneChannel", func(t *testing.T, fx fixture) {
		ch, other := fx.newChannel(t, "c"), fx.newChannel(t, "d")
		var ids []string
		for i := range 6 {
			w, err := fx.s.ArchiveWebhook(t.Context(), store.Webhook{ChannelID: ch.ID, Body: body, ReceivedAt: T0.Add(time.Duration(i) * time.Minute)})
			require.NoError(t, err)
			ids = append(ids, w.ID)
		}
		_, err := fx.s.ArchiveWebhook(t.Context(), store.Webhook{ChannelID: other.ID, Body: body, ReceivedAt: T0.Add(2 * time.Minute)})
		require.NoError(t, err)
		from, to := T0.Add(time.Minute), T0.Add(4*time.Minute)
		first, next, err := fx.s.ListWebhooks(t.Context(), ch.ID, from, to, store.Page{Limit: 2, Order: store.OldestFirst})
		require.NoError(t, err)
		require.Equal(t, ids[1:3], cursorIDs(first), "from is inclusive; oldest first")
		rest, next, err := fx.s.ListWebhooks(t.Context(), ch.ID, from, to, store.Page{Limit: 2, Order: store.OldestFirst, After: next})
		require.NoError(t, err)
		require.Equal(t, ids[3:4], cursorIDs(rest), "to is exclusive")
		require.True(t, next.IsZero())
		open, _, err := fx.s.ListWebhooks(t.Context(), ch.ID, from, time.Time{}, store.Page{})
		require.NoError(t, err)
		require.Equal(t, []string{ids[5], ids[4], ids[3], ids[2], ids[1]}, cursorIDs(open), "a zero to has no upper bound; newest first by default")
	})

	rule(t, h, "DeleteExpiredKeepsLiveAndUnboundedOnes", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		archive := func(expires time.Time) string {
			w, err := fx.s.ArchiveWebhook(t.Context(), store.Webhook{ChannelID: ch.ID, Body: body, ExpiresAt: expires})
			require.NoError(t, err)
			return w.ID
		}
		for range 3 {
			archive(T0.Add(time.Minute))
		}
		live, forever := archive(T0.Add(time.Hour)), archive(time.Time{})
		n, err := fx.s.DeleteExpiredWebhooks(t.Context(), 10)
		require.NoError(t, err)
		require.Zero(t, n, "nothing has expired yet")
		fx.clock.Advance(time.Minute)
		n, err = fx.s.DeleteExpiredWebhooks(t.Context(), 2)
		require.NoError(t, err)
		require.Equal(t, 2, n, "at most limit are deleted, expiry by the store clock")
		n, err = fx.s.DeleteExpiredWebhooks(t.Context(), 10)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		left, _, err := fx.s.ListWebhooks(t.Context(), ch.ID, time.Time{}, time.Time{}, store.Page{})
		require.NoError(t, err)
		require.ElementsMatch(t, []string{live, forever}, cursorIDs(left))
	})
}
