package memstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

var errRollback = errors.New("roll back")

// TestIndexesMatchAScan drives a store through random writes, a third of them in transactions that are
// rolled back, and after each one checks every secondary index against what a scan of the conversations
// and contacts derives, independently of the code that maintains them.
func TestIndexesMatchAScan(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 15))
			now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
			s := New(&Options{Now: func() time.Time { return now }})
			ctx := context.Background()
			for step := range 400 {
				now = now.Add(time.Duration(rng.IntN(120)) * time.Second)
				op := randomWrite(t, ctx, rng, s)
				if rng.IntN(3) == 0 {
					err := s.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
						for range 1 + rng.IntN(4) {
							randomWrite(t, ctx, rng, tx)
						}
						return errRollback
					})
					require.ErrorIs(t, err, errRollback)
					op += " + rolled-back tx"
				}
				requireIndexesMatchScan(t, s, fmt.Sprintf("step %d (%s)", step, op))
				requireViewsMatchScan(t, s, rng, fmt.Sprintf("step %d (%s)", step, op))
			}
		})
	}
}

var (
	testUsers   = []string{"", "u1", "u2", "u3"}
	testRecords = []store.RecordRef{
		{},
		{Kind: store.RecordLead, ID: "r1", Owner: "u1"},
		{Kind: store.RecordContact, ID: "r1", Owner: "u2"},
		{Kind: store.RecordLead, ID: "r2", Owner: "u2"},
		{Kind: store.RecordContact, ID: "r3"},
	}
)

// randomWrite makes one random write through s and names it. Writes the store refuses (a conflict, a
// deleted channel) are part of the sequence too.
func randomWrite(t *testing.T, ctx context.Context, rng *rand.Rand, s store.Store) string {
	t.Helper()
	h := handleOf(s)
	pick := func(m map[string]bool) string {
		var ids []string
		for id := range m {
			ids = append(ids, id)
		}
		if len(ids) == 0 {
			return ""
		}
		slices.Sort(ids)
		return ids[rng.IntN(len(ids))]
	}
	channels, contacts, convs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for id := range h.st.channels {
		channels[id] = true
	}
	for id := range h.st.contacts {
		contacts[id] = true
	}
	for id := range h.st.convs {
		convs[id] = true
	}
	switch op := rng.IntN(10); {
	case op == 0 || len(channels) == 0:
		_, err := s.CreateChannel(ctx, store.Channel{Kind: "line", Name: "c"})
		require.NoError(t, err)
		return "create channel"
	case op == 1 || len(convs) == 0:
		ch := pick(channels)
		peer := channel.User(fmt.Sprint("p", rng.IntN(30)))
		k, _, err := s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch, Peer: peer, Record: testRecords[rng.IntN(len(testRecords))]})
		require.NoError(t, err)
		_, _, err = s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch, ContactID: k.ID, Peer: peer})
		require.NoError(t, err)
		return "create contact and conversation"
	case op == 2:
		_, err := s.RecordInbound(ctx, pick(convs), store.InboundNote{At: h.now().Add(-time.Duration(rng.IntN(3600)) * time.Second)})
		require.NoError(t, err)
		return "record inbound"
	case op == 3:
		c := h.st.convs[pick(convs)]
		c.Unreplied = rng.IntN(2) == 0
		c.Assignee = testUsers[rng.IntN(len(testUsers))]
		c.LastOutboundAt = h.now()
		_, err := s.UpdateConversation(ctx, c)
		require.NoError(t, err)
		return "update conversation"
	case op == 4:
		c := h.st.convs[pick(convs)]
		_, err := s.AssignConversation(ctx, store.Assignment{ConversationID: c.ID, From: c.Assignee, To: testUsers[rng.IntN(len(testUsers))]})
		require.NoError(t, err)
		return "assign"
	case op == 5:
		k := h.st.contacts[pick(contacts)]
		_, err := s.LinkContact(ctx, store.LinkChange{ContactID: k.ID, From: k.Record, To: testRecords[rng.IntN(len(testRecords))]})
		require.NoError(t, err)
		return "link"
	case op == 6:
		_, _, err := s.AppendMessage(ctx, store.Message{ConversationID: pick(convs), Direction: store.Inbound,
			Time: h.now().Add(-time.Duration(rng.IntN(3600)) * time.Second), Content: channel.Text("hi")})
		require.NoError(t, err)
		return "append message"
	case op == 8:
		c := h.st.convs[pick(convs)]
		_, _, err := s.AddNotification(ctx, store.Notification{UserID: testUsers[1+rng.IntN(len(testUsers)-1)],
			Key: fmt.Sprint("k", rng.IntN(50)), Event: store.NotifyMessage, ChannelID: c.ChannelID, ConversationID: c.ID, At: h.now()})
		require.NoError(t, err)
		return "add notification"
	case op == 7 && rng.IntN(4) == 0:
		require.NoError(t, s.DeleteChannel(ctx, pick(channels)))
		return "delete channel"
	default:
		c := h.st.convs[pick(convs)]
		_, err := s.UpdateConversation(ctx, c)
		require.NoError(t, err)
		return "unchanged update"
	}
}

func handleOf(s store.Store) *handle {
	switch s := s.(type) {
	case *Store:
		return &s.handle
	case *handle:
		return s
	}
	panic(fmt.Sprintf("not a memstore: %T", s))
}

// requireIndexesMatchScan checks views, notesByUser, convsByContact and recordContacts against a scan.
func requireIndexesMatchScan(t *testing.T, s *Store, at string) {
	t.Helper()
	st := s.st
	// The keys of every index that should be non-empty, and what each holds, from the conversations.
	want := map[viewKey][]store.Cursor{}
	for _, c := range st.convs {
		var in []string
		in = append(in, "")
		if c.Assignee == "" {
			in = append(in, "n")
		} else {
			in = append(in, "a\x00"+c.Assignee)
		}
		if c.Record.ID == "" {
			in = append(in, "u")
		} else {
			in = append(in, "l")
			if c.Record.Owner != "" {
				in = append(in, "o\x00"+c.Record.Owner)
			}
		}
		for _, scope := range in {
			for _, ch := range []string{"", c.ChannelID} {
				for _, unreplied := range []bool{false, true} {
					if unreplied && !c.Unreplied {
						continue
					}
					k := viewKey{scope: scope, channel: ch, unreplied: unreplied}
					want[k] = append(want[k], store.Cursor{Time: c.LastMessageAt, ID: c.ID})
				}
			}
		}
	}
	got := map[viewKey][]store.Cursor{}
	for k, tree := range st.views {
		tree.Ascend(func(c store.Cursor) bool {
			got[k] = append(got[k], c)
			return true
		})
	}
	for k := range want {
		slices.SortFunc(want[k], func(a, b store.Cursor) int { return compareCursors(a, b, store.OldestFirst) })
	}
	require.Equal(t, want, got, "view indexes after %s", at)

	wantByContact, wantByRecord := map[string][]string{}, map[[2]string][]string{}
	for _, c := range st.convs {
		wantByContact[c.ContactID] = append(wantByContact[c.ContactID], c.ID)
	}
	for _, k := range st.contacts {
		if k.Record.ID != "" {
			key := [2]string{string(k.Record.Kind), k.Record.ID}
			wantByRecord[key] = append(wantByRecord[key], k.ID)
		}
	}
	wantNotes, gotNotes := map[string][]store.Cursor{}, map[string][]store.Cursor{}
	for _, n := range st.notes {
		wantNotes[n.UserID] = append(wantNotes[n.UserID], n.Cursor())
	}
	for user := range wantNotes {
		slices.SortFunc(wantNotes[user], func(a, b store.Cursor) int { return compareCursors(a, b, store.OldestFirst) })
	}
	for user, tree := range st.notesByUser {
		tree.Ascend(func(c store.Cursor) bool {
			gotNotes[user] = append(gotNotes[user], c)
			return true
		})
	}
	require.Equal(t, wantNotes, gotNotes, "notifications by user after %s", at)
	require.Equal(t, sortedLists(wantByContact), sortedLists(st.convsByContact), "conversations by contact after %s", at)
	require.Equal(t, sortedLists(wantByRecord), sortedLists(st.recordContacts), "contacts by record after %s", at)
}

func sortedLists[K comparable](m map[K][]string) map[K][]string {
	out := make(map[K][]string, len(m))
	for k, ids := range m {
		out[k] = slices.Sorted(slices.Values(ids))
	}
	return out
}

// requireViewsMatchScan checks that a random view lists what filtering a scan of every conversation
// selects: the index a view walks holds all it selects.
func requireViewsMatchScan(t *testing.T, s *Store, rng *rand.Rand, at string) {
	t.Helper()
	v := store.View{
		Assignee:    testUsers[rng.IntN(len(testUsers))],
		Unassigned:  rng.IntN(6) == 0,
		RecordOwner: testUsers[rng.IntN(len(testUsers))],
		Linkage:     store.Linkage(rng.IntN(3)),
		Unreplied:   rng.IntN(2) == 0,
	}
	if rng.IntN(3) == 0 {
		for id := range s.st.channels {
			v.ChannelID = id
			break
		}
	}
	if rng.IntN(3) == 0 {
		v.InboundSince = s.now().Add(-30 * time.Minute)
	}
	var want []string
	for _, c := range s.st.convs {
		if selects(v, store.InboxEntry{Conversation: c}) {
			want = append(want, c.ID)
		}
	}
	got, _, err := s.ListConversations(context.Background(), v, store.Page{Limit: 1000})
	require.NoError(t, err)
	require.Less(t, len(want), store.MaxLimit, "a view's rows fit one page")
	var ids []string
	for _, e := range got {
		ids = append(ids, e.Conversation.ID)
	}
	slices.Sort(want)
	slices.Sort(ids)
	require.Equal(t, want, ids, "view %+v after %s", v, at)
}
