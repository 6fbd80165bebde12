package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// RunConversations checks store.Conversations.
func RunConversations(t *testing.T, h Harness) {
	rule(t, h, "FindOrCreateCreatesOnceThenFinds", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		k := fx.newContact(t, ch, "U1")
		in := store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: channel.User("U1")}
		first, created, err := fx.s.FindOrCreateConversation(t.Context(), in)
		require.NoError(t, err)
		require.True(t, created)
		require.NotEmpty(t, first.ID)
		require.Equal(t, int64(1), first.Version)
		require.Equal(t, channel.User("U1").Chat(), first.Peer, "the stored peer is the chat")
		again, created, err := fx.s.FindOrCreateConversation(t.Context(), in)
		require.NoError(t, err)
		require.False(t, created, "a second call for the same peer finds")
		require.Equal(t, first, again)
		got, err := fx.s.GetConversation(t.Context(), first.ID)
		require.NoError(t, err)
		require.Equal(t, first, got)
	})

	rule(t, h, "FindOrCreateWithUnknownChannelOrContactIsErrNotFound", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		k := fx.newContact(t, ch, "U1")
		_, _, err := fx.s.FindOrCreateConversation(t.Context(), store.Conversation{ChannelID: "no-such-channel", ContactID: k.ID, Peer: k.Peer})
		require.ErrorIs(t, err, store.ErrNotFound, "unknown channel")
		_, _, err = fx.s.FindOrCreateConversation(t.Context(), store.Conversation{ChannelID: ch.ID, ContactID: "no-such-contact", Peer: k.Peer})
		require.ErrorIs(t, err, store.ErrNotFound, "unknown contact")
	})

	rule(t, h, "ConcurrentFindOrCreateCreatesOne", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		k := fx.newContact(t, ch, "U1")
		requireOneCreator(t, "conversation", func() (string, bool, error) {
			c, created, err := fx.s.FindOrCreateConversation(t.Context(), store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: k.Peer})
			return c.ID, created, err
		})
	})

	rule(t, h, "GetMissingIsErrNotFound", func(t *testing.T, fx fixture) {
		_, err := fx.s.GetConversation(t.Context(), "no-such-conversation")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "UpdateReplacesAndDerivesLastMessageAt", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		fx.clock.Advance(time.Second)
		in, out := T0.Add(-time.Hour), T0.Add(-2*time.Hour)
		c.Assignee, c.Unreplied = "agent-1", true
		c.LastInboundAt, c.LastOutboundAt = in, out
		c.ReplyToken, c.ReplyTokenExpiresAt = "rt-1", T0.Add(time.Minute)
		upd, err := fx.s.UpdateConversation(t.Context(), c)
		require.NoError(t, err)
		require.Equal(t, int64(2), upd.Version)
		require.Equal(t, in, upd.LastMessageAt, "LastMessageAt is the later of the inbound and outbound times")
		got, err := fx.s.GetConversation(t.Context(), c.ID)
		require.NoError(t, err)
		require.Equal(t, upd, got)
		want := c
		want.Version, want.UpdatedAt, want.LastMessageAt = 2, T0.Add(time.Second), in
		require.Equal(t, want, got, "every changed field must round-trip")

		got.LastOutboundAt = T0
		upd, err = fx.s.UpdateConversation(t.Context(), got)
		require.NoError(t, err)
		require.Equal(t, T0, upd.LastMessageAt, "a later outbound time moves LastMessageAt")
	})

	rule(t, h, "RecordInboundMergesTheMessageIntoTheRowAsItIs", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		c.Assignee, c.LastOutboundAt = "agent-1", T0.Add(-time.Hour)
		c, err := fx.s.UpdateConversation(t.Context(), c)
		require.NoError(t, err)
		fx.clock.Advance(time.Second)
		at := T0.Add(-time.Minute)
		got, err := fx.s.RecordInbound(t.Context(), c.ID, store.InboundNote{At: at, ReplyToken: "rt-1", ReplyTokenExpiresAt: at.Add(time.Minute)})
		require.NoError(t, err)
		want := c
		want.Unreplied, want.LastInboundAt, want.LastMessageAt = true, at, at
		want.ReplyToken, want.ReplyTokenExpiresAt = "rt-1", at.Add(time.Minute)
		want.Version, want.UpdatedAt = c.Version+1, T0.Add(time.Second)
		require.Equal(t, want, got, "an inbound message sets unreplied, its time and its reply token")
		stored, err := fx.s.GetConversation(t.Context(), c.ID)
		require.NoError(t, err)
		require.Equal(t, got, stored)

		older := at.Add(-30 * time.Second) // a redelivered older message: it changes no time or token
		got, err = fx.s.RecordInbound(t.Context(), c.ID, store.InboundNote{At: older, ReplyToken: "rt-0", ReplyTokenExpiresAt: older.Add(time.Minute)})
		require.NoError(t, err)
		require.Equal(t, at, got.LastInboundAt, "LastInboundAt never goes back")
		require.Equal(t, "rt-1", got.ReplyToken, "a token that expires sooner does not replace a later one")
		require.Equal(t, want.Version+1, got.Version)
		got, err = fx.s.RecordInbound(t.Context(), c.ID, store.InboundNote{At: T0})
		require.NoError(t, err)
		require.Equal(t, T0, got.LastInboundAt)
		require.Equal(t, T0, got.LastMessageAt, "LastMessageAt follows")
		require.Equal(t, "rt-1", got.ReplyToken, "a message without a token keeps the stored one")
		_, err = fx.s.RecordInbound(t.Context(), "no-such-conversation", store.InboundNote{At: T0})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	// NoteInbound (store.InboundNoter, or RecordInbound through the helper) changes a conversation
	// exactly as RecordInbound does, in a transaction or not, and a rolled-back one changes nothing.
	rule(t, h, "NoteInboundChangesTheConversationAsRecordInboundDoes", func(t *testing.T, fx fixture) {
		ctx := t.Context()
		ch := fx.newChannel(t, "chan-1")
		recorded, noted := fx.conversationWith(t, ch, "U1"), fx.conversationWith(t, ch, "U2")
		notes := []store.InboundNote{
			{At: T0.Add(-time.Minute), ReplyToken: "rt-1", ReplyTokenExpiresAt: T0, Preview: "hello"},
			{At: T0.Add(-2 * time.Minute), ReplyToken: "rt-0", ReplyTokenExpiresAt: T0.Add(-time.Minute), Preview: "older"},
			{At: T0, Preview: "latest"},
		}
		for i, n := range notes {
			fx.clock.Advance(time.Second)
			want, err := fx.s.RecordInbound(ctx, recorded.ID, n)
			require.NoError(t, err)
			if i == 1 { // in a transaction
				require.NoError(t, fx.s.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
					return store.NoteInbound(ctx, tx, noted.ID, n)
				}))
			} else {
				require.NoError(t, store.NoteInbound(ctx, fx.s, noted.ID, n))
			}
			got, err := fx.s.GetConversation(ctx, noted.ID)
			require.NoError(t, err)
			want.ID, want.ContactID, want.Peer, want.CreatedAt = got.ID, got.ContactID, got.Peer, got.CreatedAt
			require.Equal(t, want, got, "note %d", i)
		}
		before, err := fx.s.GetConversation(ctx, noted.ID)
		require.NoError(t, err)
		rolledBack := errors.New("rolled back")
		require.ErrorIs(t, fx.s.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
			return cmp.Or(store.NoteInbound(ctx, tx, noted.ID, store.InboundNote{At: T0.Add(time.Hour), Preview: "never"}), rolledBack)
		}), rolledBack)
		after, err := fx.s.GetConversation(ctx, noted.ID)
		require.NoError(t, err)
		require.Equal(t, before, after, "a rolled-back note changes nothing")
	})

	rule(t, h, "ConcurrentRecordInboundNeverConflicts", func(t *testing.T, fx fixture) {
		hs := handles(t, h, fx.clock, 4)
		c := fixture{s: hs[0], clock: fx.clock}.newConversation(t)
		const n = 32
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				at := T0.Add(time.Duration(i) * time.Second)
				_, errs[i] = hs[i%len(hs)].RecordInbound(t.Context(), c.ID, store.InboundNote{At: at,
					ReplyToken: fmt.Sprint("rt-", i), ReplyTokenExpiresAt: at.Add(time.Minute)})
			})
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "call %d: concurrent inbound messages must never fail", i)
		}
		got, err := hs[0].GetConversation(t.Context(), c.ID)
		require.NoError(t, err)
		require.Equal(t, T0.Add((n-1)*time.Second), got.LastInboundAt, "the latest message wins, whatever the order")
		require.Equal(t, fmt.Sprint("rt-", n-1), got.ReplyToken)
		require.Equal(t, c.Version+n, got.Version, "every call is applied")
	})

	rule(t, h, "TimesAreKeptInUTCWithMicroseconds", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		tokyo := time.FixedZone("JST", 9*3600)
		c.LastInboundAt = time.Date(2026, 11, 26, 18, 0, 0, 123456789, tokyo)
		upd, err := fx.s.UpdateConversation(t.Context(), c)
		require.NoError(t, err)
		got, err := fx.s.GetConversation(t.Context(), c.ID)
		require.NoError(t, err)
		want := time.Date(2026, 11, 26, 9, 0, 0, 123456000, time.UTC)
		require.Equal(t, want, got.LastInboundAt, "times come back in UTC, truncated to microseconds")
		require.Equal(t, upd.LastInboundAt, got.LastInboundAt, "update returns the time as stored")
	})

	rule(t, h, "UpdateKeepsIdentity", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		changed := c
		changed.ChannelID, changed.ContactID, changed.Peer = "x", "y", channel.User("U9")
		upd, err := fx.s.UpdateConversation(t.Context(), changed)
		require.NoError(t, err)
		require.Equal(t, c.ChannelID, upd.ChannelID)
		require.Equal(t, c.ContactID, upd.ContactID)
		require.Equal(t, c.Peer, upd.Peer)
	})

	rule(t, h, "UpdateWithStaleVersionIsErrConflict", func(t *testing.T, fx fixture) {
		c := fx.newConversation(t)
		_, err := fx.s.UpdateConversation(t.Context(), c)
		require.NoError(t, err)
		c.Assignee = "lost"
		_, err = fx.s.UpdateConversation(t.Context(), c)
		require.ErrorIs(t, err, store.ErrConflict)
		got, err := fx.s.GetConversation(t.Context(), c.ID)
		require.NoError(t, err)
		require.Empty(t, got.Assignee, "a conflicting update must change nothing")
	})

	rule(t, h, "UpdateMissingIsErrNotFound", func(t *testing.T, fx fixture) {
		_, err := fx.s.UpdateConversation(t.Context(), store.Conversation{ID: "no-such-conversation", Version: 1})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "ListIsNewestFirstWithContacts", func(t *testing.T, fx fixture) {
		ids := fx.inbox(t, 5)
		got, next, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{})
		require.NoError(t, err)
		require.True(t, next.IsZero(), "a list that fits one page has no next cursor")
		require.Equal(t, reversed(ids), cursorIDs(got), "conversations are listed by last message time, newest first")
		for _, e := range got {
			require.Equal(t, e.Conversation.ContactID, e.Contact.ID, "each entry carries its conversation's contact")
			require.Equal(t, e.Conversation.Peer, e.Contact.Peer)
		}
	})

	rule(t, h, "ListPagesWithKeysetCursorsBothWays", func(t *testing.T, fx fixture) {
		ids := fx.inbox(t, 7)
		for _, order := range []store.Order{store.NewestFirst, store.OldestFirst} {
			want := ids
			if order == store.NewestFirst {
				want = reversed(ids)
			}
			var all []string
			var after store.Cursor
			for pages := 0; ; pages++ {
				require.Less(t, pages, 4, "paging must end")
				got, next, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{Limit: 3, After: after, Order: order})
				require.NoError(t, err)
				require.LessOrEqual(t, len(got), 3, "a page holds at most Limit items")
				all = append(all, cursorIDs(got)...)
				if next.IsZero() {
					break
				}
				require.Equal(t, got[len(got)-1].Cursor(), next, "the next cursor is the last item's position")
				after = next
			}
			require.Equal(t, want, all, "pages in order %d must hold every item once, in order", order)
		}
	})

	rule(t, h, "ListPagingIsStableWhenConversationsArrive", func(t *testing.T, fx fixture) {
		ids := fx.inbox(t, 4)
		first, next, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{Limit: 2})
		require.NoError(t, err)
		require.Equal(t, reversed(ids)[:2], cursorIDs(first))
		fx.clock.Advance(time.Hour)
		ch, err := fx.s.GetChannel(t.Context(), first[0].Conversation.ChannelID)
		require.NoError(t, err)
		fresh := fx.conversationWith(t, ch, "late")
		fresh.LastInboundAt = fx.clock.Now()
		_, err = fx.s.UpdateConversation(t.Context(), fresh)
		require.NoError(t, err)
		second, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{Limit: 2, After: next})
		require.NoError(t, err)
		require.Equal(t, reversed(ids)[2:], cursorIDs(second), "a newer conversation must not shift a later page")
	})

	rule(t, h, "ListBreaksTimeTiesByID", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		var ids []string
		for i := range 4 {
			c := fx.conversationWith(t, ch, fmt.Sprint("U", i))
			c.LastInboundAt = T0
			_, err := fx.s.UpdateConversation(t.Context(), c)
			require.NoError(t, err)
			ids = append(ids, c.ID)
		}
		got, next, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{Limit: 2, Order: store.OldestFirst})
		require.NoError(t, err)
		rest, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{Limit: 2, Order: store.OldestFirst, After: next})
		require.NoError(t, err)
		require.ElementsMatch(t, ids, append(cursorIDs(got), cursorIDs(rest)...), "equal times must not lose or repeat items across pages")
		all := append(cursorIDs(got), cursorIDs(rest)...)
		require.IsIncreasing(t, all, "equal times are ordered by ID")
	})

	rule(t, h, "ListDefaultsToFiftyPerPage", func(t *testing.T, fx fixture) {
		fx.inbox(t, store.DefaultLimit+1)
		got, next, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{})
		require.NoError(t, err)
		require.Len(t, got, store.DefaultLimit, "Limit 0 means DefaultLimit")
		require.False(t, next.IsZero(), "more items follow")
	})

	rule(t, h, "ListFiltersByView", func(t *testing.T, fx fixture) {
		a, b := fx.newChannel(t, "a"), fx.newChannel(t, "b")
		today := T0.Add(-time.Hour)
		type spec struct {
			ch        store.Channel
			user      string
			assignee  string
			owner     string // record owner; "" = unregistered
			unreplied bool
			inbound   time.Time
		}
		specs := []spec{
			{a, "U1", "agent-1", "", true, today},                          // 0: unregistered, mine, unreplied, today
			{a, "U2", "agent-1", "agent-2", false, today},                  // 1: linked to agent-2's record, mine
			{a, "U3", "agent-2", "agent-1", true, T0.Add(-48 * time.Hour)}, // 2: my record, unreplied, old
			{b, "U4", "", "", false, T0.Add(-72 * time.Hour)},              // 3: other channel, unassigned, old
		}
		ids := make([]string, len(specs))
		for i, s := range specs {
			c := fx.conversationWith(t, s.ch, s.user)
			if s.owner != "" {
				_, err := fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: c.ContactID,
					To: store.RecordRef{Kind: store.RecordContact, ID: "rec-" + s.user, Owner: s.owner}, Reason: store.LinkLinked})
				require.NoError(t, err)
				c, err = fx.s.GetConversation(t.Context(), c.ID)
				require.NoError(t, err)
			}
			c.Assignee, c.Unreplied, c.LastInboundAt = s.assignee, s.unreplied, s.inbound
			_, err := fx.s.UpdateConversation(t.Context(), c)
			require.NoError(t, err)
			ids[i] = c.ID
		}
		cases := []struct {
			name string
			view store.View
			want []int // indexes into specs
		}{
			{"all", store.View{}, []int{0, 1, 2, 3}},
			{"channel", store.View{ChannelID: b.ID}, []int{3}},
			{"unregistered", store.View{Linkage: store.Unregistered}, []int{0, 3}},
			{"linked", store.View{Linkage: store.Linked}, []int{1, 2}},
			{"unregistered unreplied", store.View{Linkage: store.Unregistered, Unreplied: true}, []int{0}},
			{"unregistered today", store.View{Linkage: store.Unregistered, InboundSince: T0.Add(-2 * time.Hour)}, []int{0}},
			{"mine", store.View{Assignee: "agent-1"}, []int{0, 1}},
			{"unassigned", store.View{Unassigned: true}, []int{3}},
			{"my unreplied", store.View{Assignee: "agent-1", Unreplied: true}, []int{0}},
			{"my records", store.View{RecordOwner: "agent-1"}, []int{2}},
			{"my records unreplied", store.View{RecordOwner: "agent-1", Unreplied: true}, []int{2}},
			{"my records today", store.View{RecordOwner: "agent-1", InboundSince: T0.Add(-2 * time.Hour)}, nil},
			{"since is inclusive", store.View{InboundSince: today}, []int{0, 1}},
		}
		for _, tc := range cases {
			got, _, err := fx.s.ListConversations(t.Context(), tc.view, store.Page{})
			require.NoError(t, err, tc.name)
			var want []string
			for _, i := range tc.want {
				want = append(want, ids[i])
			}
			require.ElementsMatch(t, want, cursorIDs(got), "view %q selects the wrong conversations", tc.name)
			n, err := fx.s.CountConversations(t.Context(), tc.view, 0)
			require.NoError(t, err, tc.name)
			require.Equal(t, len(want), n, "view %q counts the wrong conversations", tc.name)
		}
	})
}

// inbox creates n conversations on one channel whose last inbound messages are a minute apart, and
// returns their IDs oldest first.
func (fx fixture) inbox(t *testing.T, n int) []string {
	t.Helper()
	ch := fx.newChannel(t, "inbox")
	ids := make([]string, n)
	for i := range n {
		c := fx.conversationWith(t, ch, fmt.Sprintf("U%03d", i))
		c.LastInboundAt = T0.Add(time.Duration(i-n) * time.Minute)
		_, err := fx.s.UpdateConversation(t.Context(), c)
		require.NoError(t, err)
		ids[i] = c.ID
	}
	return ids
}

func reversed[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
