package storetest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// RunMessages checks store.Messages.
func RunMessages(t *testing.T, h Harness) {
	rule(t, h, "AppendAssignsIDAndTakesChannelFromConversation", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		m, created, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Direction: store.Inbound,
			Kind: channel.EventMessage, Content: channel.Text("hello"), Status: store.StatusReceived})
		require.NoError(t, err)
		require.True(t, created)
		require.NotEmpty(t, m.ID)
		require.Equal(t, c.ChannelID, m.ChannelID, "the channel comes from the conversation")
		require.Equal(t, T0, m.Time, "a zero Time means now")
		require.Equal(t, int64(1), m.Version)
	})

	rule(t, h, "GetReturnsEveryFieldAsAppended", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		in := richMessage(c)
		m, _, err := fx.s.AppendMessage(t.Context(), in)
		require.NoError(t, err)
		got, err := fx.s.GetMessage(t.Context(), m.ID)
		require.NoError(t, err)
		in.ID, in.ChannelID, in.CreatedAt, in.UpdatedAt, in.Version = m.ID, c.ChannelID, T0, T0, 1
		requireSameMessage(t, in, got)
		requireSameMessage(t, m, got)

		ev := store.Message{ConversationID: c.ID, Direction: store.Inbound, Kind: channel.EventPostback,
			ChannelMessageID: "ev-1", Status: store.StatusReceived, Time: T0,
			Event: &channel.Event{ID: "ev-1", Kind: channel.EventPostback, Type: "postback", Time: T0, Mode: channel.ModeActive,
				Source: channel.User("U1"), Postback: &channel.Postback{Data: "action=buy", Params: map[string]string{"date": "2026-12-01"}}}}
		e, _, err := fx.s.AppendMessage(t.Context(), ev)
		require.NoError(t, err)
		got, err = fx.s.GetMessage(t.Context(), e.ID)
		require.NoError(t, err)
		ev.ID, ev.ChannelID, ev.CreatedAt, ev.UpdatedAt, ev.Version = e.ID, c.ChannelID, T0, T0, 1
		requireSameMessage(t, ev, got)
	})

	rule(t, h, "AppendIsIdempotentOnChannelMessageID", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		in := store.Message{ConversationID: c.ID, Direction: store.Inbound, Kind: channel.EventMessage,
			ChannelMessageID: "m-1", Content: channel.Text("once"), Status: store.StatusReceived}
		first, created, err := fx.s.AppendMessage(t.Context(), in)
		require.NoError(t, err)
		require.True(t, created)
		in.Content = channel.Text("redelivered")
		again, created, err := fx.s.AppendMessage(t.Context(), in)
		require.NoError(t, err)
		require.False(t, created, "a redelivered message must not be appended again")
		require.Equal(t, first.ID, again.ID, "the existing message is returned")
		require.Equal(t, "once", again.Content.Text, "the existing message is returned unchanged")
		list, _, err := fx.s.ListMessages(t.Context(), c.ID, store.Page{})
		require.NoError(t, err)
		require.Len(t, list, 1, "the conversation holds the message once")
	})

	rule(t, h, "ConcurrentAppendsOfOneMessageStoreOne", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		const n = 16
		made := make([]bool, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, created, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Direction: store.Inbound,
					Kind: channel.EventMessage, ChannelMessageID: "m-1", Content: channel.Text("x")})
				if err != nil {
					t.Errorf("append %d: %v", i, err)
				}
				made[i] = created
			})
		}
		wg.Wait()
		creators := 0
		for _, m := range made {
			if m {
				creators++
			}
		}
		require.Equal(t, 1, creators, "exactly one of concurrent duplicate appends creates")
		list, _, err := fx.s.ListMessages(t.Context(), c.ID, store.Page{})
		require.NoError(t, err)
		require.Len(t, list, 1)
	})

	rule(t, h, "AppendWithoutChannelMessageIDNeverDedupes", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		for range 2 {
			_, created, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Direction: store.Outbound,
				Kind: channel.EventMessage, Content: channel.Text("same text"), Status: store.StatusQueued})
			require.NoError(t, err)
			require.True(t, created, "outbound messages not yet sent have no channel ID and are all distinct")
		}
	})

	rule(t, h, "SameChannelMessageIDOnAnotherChannelIsAnotherMessage", func(t *testing.T, fx fixture) {
		a := fx.conversationWith(t, fx.newChannel(t, "a"), "U1")
		b := fx.conversationWith(t, fx.newChannel(t, "b"), "U1")
		for _, c := range []store.Conversation{a, b} {
			_, created, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Direction: store.Inbound,
				Kind: channel.EventMessage, ChannelMessageID: "m-1", Content: channel.Text("x")})
			require.NoError(t, err)
			require.True(t, created, "message IDs are unique per channel only")
		}
	})

	rule(t, h, "AppendToUnknownConversationIsErrNotFound", func(t *testing.T, fx fixture) {
		_, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: "no-such-conversation", Content: channel.Text("x")})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "GetMissingIsErrNotFound", func(t *testing.T, fx fixture) {
		_, err := fx.s.GetMessage(t.Context(), "no-such-message")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "FindByChannelMessageID", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		m, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Direction: store.Inbound,
			Kind: channel.EventMessage, ChannelMessageID: "m-7", Content: channel.Text("x")})
		require.NoError(t, err)
		got, err := fx.s.FindMessage(t.Context(), c.ChannelID, "m-7")
		require.NoError(t, err)
		require.Equal(t, m.ID, got.ID)
		_, err = fx.s.FindMessage(t.Context(), c.ChannelID, "m-8")
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = fx.s.FindMessage(t.Context(), "other-channel", "m-7")
		require.ErrorIs(t, err, store.ErrNotFound, "the channel is part of the key")
	})

	rule(t, h, "UpdateRecordsDeliveryAndBumpsVersion", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		m, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Direction: store.Outbound,
			Kind: channel.EventMessage, Author: "agent-1", Content: channel.Text("hi"), Status: store.StatusQueued, Time: T0})
		require.NoError(t, err)
		fx.clock.Advance(time.Second)
		m.Status, m.ChannelMessageID, m.Billable, m.StatusDetail = store.StatusSent, "line-9", true, "sent as push"
		m.Outcome = store.OutcomeDegraded
		upd, err := fx.s.UpdateMessage(t.Context(), m)
		require.NoError(t, err)
		require.Equal(t, int64(2), upd.Version)
		require.Equal(t, T0.Add(time.Second), upd.UpdatedAt)
		got, err := fx.s.FindMessage(t.Context(), c.ChannelID, "line-9")
		require.NoError(t, err, "a channel message ID set by update is findable")
		requireSameMessage(t, upd, got)
		require.Equal(t, store.StatusSent, got.Status)
		require.True(t, got.Billable)
		require.Equal(t, store.OutcomeDegraded, got.Outcome, "the outcome of an outbound part round-trips")
	})

	rule(t, h, "MediaCopyIsKeptThroughItsLife", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		img := channel.Message{Type: channel.TypeImage, ID: "m-img", Media: &channel.Media{}}
		m, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Direction: store.Inbound,
			Kind: channel.EventMessage, ChannelMessageID: "m-img", Content: img, Status: store.StatusReceived, Time: T0,
			MediaCopy: &store.MediaCopy{Status: store.MediaPending}})
		require.NoError(t, err)
		require.Equal(t, &store.MediaCopy{Status: store.MediaPending}, m.MediaCopy, "a pending copy is recorded with the message")
		read := func(what string) store.Message {
			t.Helper()
			got, err := fx.s.GetMessage(t.Context(), m.ID)
			require.NoError(t, err)
			found, err := fx.s.FindMessage(t.Context(), c.ChannelID, "m-img")
			require.NoError(t, err)
			listed, _, err := fx.s.ListMessages(t.Context(), c.ID, store.Page{})
			require.NoError(t, err)
			require.Len(t, listed, 1)
			require.Equal(t, got.MediaCopy, found.MediaCopy, "%s: FindMessage returns the copy's state", what)
			require.Equal(t, got.MediaCopy, listed[0].MediaCopy, "%s: ListMessages returns the copy's state", what)
			return got
		}
		got := read("pending")
		require.Equal(t, &store.MediaCopy{Status: store.MediaPending}, got.MediaCopy)

		got.MediaCopy = &store.MediaCopy{Status: store.MediaPending, Detail: "retrying: LINE is still preparing the video"}
		got, err = fx.s.UpdateMessage(t.Context(), got)
		require.NoError(t, err)
		require.Equal(t, "retrying: LINE is still preparing the video", read("retrying").MediaCopy.Detail)

		ready := &store.MediaCopy{Status: store.MediaReady, Key: "inbound/chan/m-1", ContentType: "image/jpeg",
			Size: 5 << 30, SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
		got.MediaCopy = ready
		upd, err := fx.s.UpdateMessage(t.Context(), got)
		require.NoError(t, err)
		require.Equal(t, ready, upd.MediaCopy)
		got = read("ready")
		require.Equal(t, ready, got.MediaCopy, "every field of a ready copy round-trips (sizes beyond 32 bits too)")

		got.Status = store.StatusReceived // an unrelated update keeps the copy when the caller passes it on
		got, err = fx.s.UpdateMessage(t.Context(), got)
		require.NoError(t, err)
		require.Equal(t, ready, read("kept").MediaCopy)

		got.MediaCopy = &store.MediaCopy{Status: store.MediaFailed, Detail: "the channel no longer has the content"}
		_, err = fx.s.UpdateMessage(t.Context(), got)
		require.NoError(t, err)
		require.Equal(t, &store.MediaCopy{Status: store.MediaFailed, Detail: "the channel no longer has the content"}, read("failed").MediaCopy)

		plain, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Direction: store.Inbound,
			Kind: channel.EventMessage, Content: channel.Text("x"), MediaCopy: &store.MediaCopy{}})
		require.NoError(t, err)
		plain, err = fx.s.GetMessage(t.Context(), plain.ID)
		require.NoError(t, err)
		require.Nil(t, plain.MediaCopy, "a copy without a status is none")
	})

	rule(t, h, "MediaCopyReturnedIsTheCallersOwn", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		in := &store.MediaCopy{Status: store.MediaPending}
		m, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Direction: store.Inbound,
			Kind: channel.EventMessage, Content: channel.Text("x"), MediaCopy: in})
		require.NoError(t, err)
		in.Status = store.MediaFailed
		m.MediaCopy.Status = store.MediaFailed
		got, err := fx.s.GetMessage(t.Context(), m.ID)
		require.NoError(t, err)
		require.Equal(t, store.MediaPending, got.MediaCopy.Status, "changing a copy after storing it, or one returned, changes nothing stored")
	})

	rule(t, h, "UpdateKeepsPlaceAndIdentity", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		m, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Direction: store.Inbound,
			Kind: channel.EventMessage, Content: channel.Text("x"), Time: T0})
		require.NoError(t, err)
		m.ConversationID, m.ChannelID, m.Direction, m.Time = "x", "y", store.Outbound, T0.Add(time.Hour)
		upd, err := fx.s.UpdateMessage(t.Context(), m)
		require.NoError(t, err)
		require.Equal(t, c.ID, upd.ConversationID)
		require.Equal(t, c.ChannelID, upd.ChannelID)
		require.Equal(t, store.Inbound, upd.Direction)
		require.Equal(t, T0, upd.Time, "a message keeps its place in the conversation")
	})

	rule(t, h, "UpdateToTakenChannelMessageIDIsErrAlreadyExists", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		_, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, ChannelMessageID: "m-1", Content: channel.Text("a")})
		require.NoError(t, err)
		b, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Content: channel.Text("b")})
		require.NoError(t, err)
		b.ChannelMessageID = "m-1"
		_, err = fx.s.UpdateMessage(t.Context(), b)
		require.ErrorIs(t, err, store.ErrAlreadyExists)
	})

	rule(t, h, "UpdateWithStaleVersionIsErrConflict", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		m, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Content: channel.Text("x")})
		require.NoError(t, err)
		_, err = fx.s.UpdateMessage(t.Context(), m)
		require.NoError(t, err)
		m.Unsent = true
		_, err = fx.s.UpdateMessage(t.Context(), m)
		require.ErrorIs(t, err, store.ErrConflict)
		_, err = fx.s.UpdateMessage(t.Context(), store.Message{ID: "no-such-message", Version: 1})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "ListOrdersByTimeThenIDAndPagesBothWays", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		other := fx.conversationWith(t, fx.newChannel(t, "other"), "U2")
		// Out of order on purpose, with two messages at the same time.
		var want []string
		times := []time.Duration{5, 1, 3, 3, 2, 4, 0}
		var appended []store.Message
		for i, d := range times {
			m, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Direction: store.Inbound,
				ChannelMessageID: fmt.Sprint("m", i), Content: channel.Text(fmt.Sprint(i)), Time: T0.Add(d * time.Second)})
			require.NoError(t, err)
			appended = append(appended, m)
			_, _, err = fx.s.AppendMessage(t.Context(), store.Message{ConversationID: other.ID, Content: channel.Text("noise"),
				Time: T0.Add(d * time.Second)})
			require.NoError(t, err)
		}
		sorted := sortMessages(appended)
		for _, m := range sorted {
			want = append(want, m.ID)
		}
		for _, order := range []store.Order{store.OldestFirst, store.NewestFirst} {
			exp := want
			if order == store.NewestFirst {
				exp = reversed(want)
			}
			var all []string
			var after store.Cursor
			for pages := 0; ; pages++ {
				require.Less(t, pages, 5, "paging must end")
				got, next, err := fx.s.ListMessages(t.Context(), c.ID, store.Page{Limit: 2, After: after, Order: order})
				require.NoError(t, err)
				require.LessOrEqual(t, len(got), 2)
				for _, m := range got {
					all = append(all, m.ID)
				}
				if next.IsZero() {
					break
				}
				after = next
			}
			require.Equal(t, exp, all, "messages in order %d must be listed by (Time, ID), each once, only from the conversation", order)
		}
		// Page back: from the middle of the oldest-first list, newest-first returns what came before.
		mid := sorted[3].Cursor()
		back, _, err := fx.s.ListMessages(t.Context(), c.ID, store.Page{After: mid, Order: store.NewestFirst})
		require.NoError(t, err)
		var ids []string
		for _, m := range back {
			ids = append(ids, m.ID)
		}
		require.Equal(t, reversed(want[:3]), ids, "listing the other way from a cursor pages back")
	})

	rule(t, h, "ListOfUnknownConversationIsEmpty", func(t *testing.T, fx fixture) {
		got, next, err := fx.s.ListMessages(t.Context(), "no-such-conversation", store.Page{})
		require.NoError(t, err)
		require.Empty(t, got)
		require.True(t, next.IsZero())
	})

	rule(t, h, "CountSentCountsThisChannelsSentPartsSinceATime", func(t *testing.T, fx fixture) {
		ctx := t.Context()
		ch := fx.newChannel(t, "c")
		c := fx.conversationWith(t, ch, "U1")
		other := fx.conversationWith(t, fx.newChannel(t, "d"), "U1")
		add := func(conv store.Conversation, dir store.Direction, st store.MessageStatus, billable bool, at time.Time) {
			_, _, err := fx.s.AppendMessage(ctx, store.Message{ConversationID: conv.ID, Direction: dir, Status: st,
				Billable: billable, Content: channel.Text("x"), Time: at})
			require.NoError(t, err)
		}
		month := T0.AddDate(0, 0, -3)
		add(c, store.Outbound, store.StatusSent, true, month.Add(time.Hour))
		add(c, store.Outbound, store.StatusSent, true, month.Add(2*time.Hour))
		add(c, store.Outbound, store.StatusSent, false, month.Add(3*time.Hour))
		add(c, store.Outbound, store.StatusRead, false, month.Add(3*time.Hour))     // sent, and read since
		add(c, store.Outbound, store.StatusDelivered, true, month.Add(3*time.Hour)) // sent, and delivered since
		add(c, store.Outbound, store.StatusSent, true, month.Add(-time.Hour))       // before the period
		add(c, store.Outbound, store.StatusQueued, true, month.Add(time.Hour))      // not sent (yet)
		add(c, store.Outbound, store.StatusUncertain, true, month.Add(time.Hour))   // may or may not have been
		add(c, store.Inbound, store.StatusReceived, false, month.Add(time.Hour))
		add(other, store.Outbound, store.StatusSent, true, month.Add(time.Hour)) // another channel
		got, err := fx.s.CountSent(ctx, ch.ID, month)
		require.NoError(t, err)
		require.Equal(t, store.SendCounts{Billable: 3, Free: 2}, got)
		none, err := fx.s.CountSent(ctx, "no-such-channel", month)
		require.NoError(t, err)
		require.Zero(t, none)
	})
}

// richMessage is an inbound message using every content field.
func richMessage(c store.Conversation) store.Message {
	return store.Message{
		ConversationID: c.ID, Direction: store.Inbound, Kind: channel.EventMessage,
		ChannelMessageID: "m-rich", Author: "U1", Status: store.StatusReceived, Time: T0.Add(-time.Minute),
		Content: channel.Message{
			Type: channel.TypeText, ID: "m-rich", Text: "Hello $ @Sato 😀",
			Emojis:     []channel.Emoji{{Index: 6, Length: 1, ProductID: "p1", EmojiID: "e1"}},
			Mentions:   []channel.Mention{{Index: 8, Length: 5, UserID: "U2"}, {Index: 0, Length: 5, All: true}},
			QuoteToken: "q-1", QuotedMessageID: "m-0",
			Media: &channel.Media{URL: "https://example.com/a.jpg", PreviewURL: "https://example.com/p.jpg",
				Duration: 1500 * time.Millisecond, FileName: "a.jpg", Size: 1234, ContentType: "image/jpeg",
				Set: &channel.ImageSet{ID: "set-1", Index: 1, Total: 2}},
			Location: &channel.Location{Title: "Tower", Address: "Tokyo", Latitude: 35.65858, Longitude: 139.745433},
			Sticker:  &channel.Sticker{PackageID: "446", StickerID: "1988", ResourceType: "STATIC", Keywords: []string{"happy"}, Text: "yay"},
			Link:     &channel.Link{URL: "https://example.com", Title: "Example"},
			Raw:      json.RawMessage(`{"type":"flex","altText":"x"}`),
		},
	}
}

// requireSameMessage compares messages, allowing raw JSON to come back reformatted.
func requireSameMessage(t *testing.T, want, got store.Message) {
	t.Helper()
	require.JSONEq(t, orEmpty(want.Content.Raw), orEmpty(got.Content.Raw), "raw content must round-trip as JSON")
	want.Content.Raw, got.Content.Raw = nil, nil
	if want.Event != nil && got.Event != nil {
		require.JSONEq(t, orEmpty(want.Event.Raw), orEmpty(got.Event.Raw), "raw event must round-trip as JSON")
		we, ge := *want.Event, *got.Event
		we.Raw, ge.Raw = nil, nil
		want.Event, got.Event = &we, &ge
	}
	require.Equal(t, want, got, "every field of the message must round-trip")
}

func orEmpty(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	return string(raw)
}

// sortMessages returns ms sorted by (Time, ID).
func sortMessages(ms []store.Message) []store.Message {
	out := slices.Clone(ms)
	slices.SortFunc(out, func(a, b store.Message) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID))
	})
	return out
}
