package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/deepcheck"
	"github.com/msgkit/msgkit/store"
)

// RunOwnership checks the store's copy semantics for every record type with slices, maps, pointers or
// raw JSON in it (store package doc, "Ownership"): the store keeps its own copy of what it is given and
// hands out copies, so a caller that changes a value after passing it in, or a value it got back, does
// not change what the store holds. Each rule fills every field reachable through a reference, then
// changes, in place, the value it passed and the values it got back, and reads the record again.
func RunOwnership(t *testing.T, h Harness) {
	rule(t, h, "ChannelsAreCopiedInAndOut", func(t *testing.T, fx fixture) {
		var c store.Channel
		fillRefs(&c.Credentials, &c.Assignment.PoolIDs, &c.Health.Checks, &c.Account)
		c.Name, c.Kind, c.ExternalID = "Shop", "line", "1"
		got, err := fx.s.CreateChannel(t.Context(), c)
		require.NoError(t, err)
		requireOwned(t, func() any { return must(t)(fx.s.GetChannel(t.Context(), got.ID)) }, &c, &got)
		list, err := fx.s.ListChannels(t.Context())
		require.NoError(t, err)
		requireOwned(t, func() any { return must(t)(fx.s.GetChannel(t.Context(), got.ID)) }, &list)
		upd, err := fx.s.GetChannel(t.Context(), got.ID)
		require.NoError(t, err)
		fillRefs(&upd.Credentials)
		upd2, err := fx.s.UpdateChannel(t.Context(), upd)
		require.NoError(t, err)
		requireOwned(t, func() any { return must(t)(fx.s.GetChannel(t.Context(), got.ID)) }, &upd, &upd2)
	})

	rule(t, h, "MessagesAreCopiedInAndOut", func(t *testing.T, fx fixture) {
		conv := fx.newConversation(t)
		m := store.Message{ConversationID: conv.ID, Direction: store.Inbound, Kind: channel.EventMessage, ChannelMessageID: "m1",
			Status: store.StatusReceived, Time: T0}
		fillRefs(&m.Content)
		fixRaw(&m.Content)
		got, _, err := fx.s.AppendMessage(t.Context(), m)
		require.NoError(t, err)
		read := func() any { return must(t)(fx.s.GetMessage(t.Context(), got.ID)) }
		requireOwned(t, read, &m, &got)
		byChannel, err := fx.s.FindMessage(t.Context(), got.ChannelID, "m1")
		require.NoError(t, err)
		list, _, err := fx.s.ListMessages(t.Context(), conv.ID, store.Page{})
		require.NoError(t, err)
		requireOwned(t, read, &byChannel, &list)

		// A non-message entry keeps its event.
		e := store.Message{ConversationID: conv.ID, Direction: store.Inbound, Kind: channel.EventPostback, ChannelMessageID: "ev-2",
			Status: store.StatusReceived, Time: T0}
		e.Event = &channel.Event{}
		fillRefs(e.Event)
		fixEventRaw(e.Event)
		gotE, _, err := fx.s.AppendMessage(t.Context(), e)
		require.NoError(t, err)
		requireOwned(t, func() any { return must(t)(fx.s.GetMessage(t.Context(), gotE.ID)) }, &e, &gotE)

		upd, err := fx.s.GetMessage(t.Context(), got.ID)
		require.NoError(t, err)
		upd.Status = store.StatusRead
		upd2, err := fx.s.UpdateMessage(t.Context(), upd)
		require.NoError(t, err)
		requireOwned(t, read, &upd, &upd2)
	})

	rule(t, h, "JobsAreCopiedInAndOut", func(t *testing.T, fx fixture) {
		j := store.Job{Kind: "send", Payload: json.RawMessage(`{"a":["b","c"]}`), NextAttemptAt: T0}
		got, _, err := fx.s.EnqueueJob(t.Context(), j)
		require.NoError(t, err)
		read := func() any { return must(t)(fx.s.GetJob(t.Context(), got.ID)) }
		requireOwned(t, read, &j, &got)
		claimed, err := fx.s.ClaimJobs(t.Context(), 10, time.Minute)
		require.NoError(t, err)
		list, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{}, store.Page{})
		require.NoError(t, err)
		requireOwned(t, read, &claimed, &list)
	})

	rule(t, h, "ChannelEventsAreCopiedInAndOut", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		e := store.ChannelEvent{ChannelID: ch.ID}
		fillRefs(&e.Event)
		fixEventRaw(&e.Event)
		got, _, err := fx.s.AppendChannelEvent(t.Context(), e)
		require.NoError(t, err)
		read := func() any { return must2(t)(fx.s.ListChannelEvents(t.Context(), ch.ID, store.Page{})) }
		requireOwned(t, read, &e, &got)
		list, _, err := fx.s.ListChannelEvents(t.Context(), ch.ID, store.Page{})
		require.NoError(t, err)
		requireOwned(t, read, &list)
	})

	rule(t, h, "WebhooksAreCopiedInAndOut", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		w := store.Webhook{ChannelID: ch.ID, Body: []byte(`{"events":[]}`), ReceivedAt: T0}
		got, err := fx.s.ArchiveWebhook(t.Context(), w)
		require.NoError(t, err)
		read := func() any {
			return must2(t)(fx.s.ListWebhooks(t.Context(), ch.ID, time.Time{}, T0.Add(time.Hour), store.Page{}))
		}
		requireOwned(t, read, &w, &got)
		list, _, err := fx.s.ListWebhooks(t.Context(), ch.ID, time.Time{}, T0.Add(time.Hour), store.Page{})
		require.NoError(t, err)
		requireOwned(t, read, &list)
	})

	rule(t, h, "RequestsAreCopiedInAndOut", func(t *testing.T, fx fixture) {
		r := store.Request{Scope: "reply/c1", Key: "k1", Result: json.RawMessage(`{"parts":["p1"]}`)}
		got, _, err := fx.s.RememberRequest(t.Context(), r)
		require.NoError(t, err)
		read := func() any { return must(t)(fx.s.GetRequest(t.Context(), "reply/c1", "k1")) }
		requireOwned(t, read, &r, &got)
		again := must(t)(fx.s.GetRequest(t.Context(), "reply/c1", "k1"))
		requireOwned(t, read, &again)
	})

	rule(t, h, "NotificationSettingsAreCopiedInAndOut", func(t *testing.T, fx fixture) {
		st := store.NotificationSettings{UserID: "u"}
		fillRefs(&st.MutedEvents, &st.MutedChannels)
		got, err := fx.s.PutNotificationSettings(t.Context(), st)
		require.NoError(t, err)
		read := func() any { return must(t)(fx.s.GetNotificationSettings(t.Context(), "u")) }
		requireOwned(t, read, &st, &got)
		again := must(t)(fx.s.GetNotificationSettings(t.Context(), "u"))
		requireOwned(t, read, &again)
	})

	rule(t, h, "InboxEntriesAreCopies", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		_, err := fx.s.PutNotificationState(t.Context(), store.NotificationState{ConversationID: c.ID, UserID: "u", Ignored: true})
		require.NoError(t, err)
		read := func() any {
			return must2(t)(fx.s.ListConversations(t.Context(), store.View{Viewer: "u"}, store.Page{}))
		}
		list, _, err := fx.s.ListConversations(t.Context(), store.View{Viewer: "u"}, store.Page{})
		require.NoError(t, err)
		require.NotNil(t, list[0].Notification)
		requireOwned(t, read, &list)
	})
}

// fillRefs fills every field of each pointed-to value (deepcheck.Fill).
func fillRefs(vs ...any) {
	for _, v := range vs {
		deepcheck.Fill(v)
	}
}

// fixRaw makes the raw JSON fields of m valid JSON (Fill puts one byte in them).
func fixRaw(m *channel.Message) {
	m.Raw = json.RawMessage(`{"raw":[1,2]}`)
	if m.Template != nil {
		m.Template.Components = json.RawMessage(`[{"type":"body"}]`)
	}
}

func fixEventRaw(e *channel.Event) {
	e.Raw = json.RawMessage(`{"raw":true}`)
	if e.Message != nil {
		fixRaw(e.Message)
	}
}

// requireOwned reads the record with read, changes every value in vals in place (what the caller passed
// and what it got back), reads it again and requires both reads equal. The first read is kept as JSON, so
// a read that shares the store's memory cannot change along with it.
func requireOwned(t *testing.T, read func() any, vals ...any) {
	t.Helper()
	snapshot := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	}
	before := snapshot(read())
	for _, v := range vals {
		deepcheck.Mutate(v)
	}
	require.JSONEq(t, before, snapshot(read()), "changing a value passed to or returned by the store changed what it holds")
}

// must returns a getter's value, failing the test on its error.
func must(t *testing.T) func(any, error) any {
	return func(v any, err error) any {
		t.Helper()
		require.NoError(t, err)
		return v
	}
}

// must2 is must for list calls, which return a cursor too.
func must2(t *testing.T) func(any, store.Cursor, error) any {
	return func(v any, _ store.Cursor, err error) any {
		t.Helper()
		require.NoError(t, err)
		return v
	}
}
