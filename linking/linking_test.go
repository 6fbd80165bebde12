package linking_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/mocks/linkingmock"
	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

type fixture struct {
	s        *memstore.Store
	records  *linking.MemoryRecords
	l        *linking.Linker
	now      *time.Time
	channels map[string]store.Channel // by external ID
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	now := t0
	s := memstore.New(&memstore.Options{Now: func() time.Time { return now }})
	records := &linking.MemoryRecords{}
	l, err := linking.New(s, records)
	require.NoError(t, err)
	return fixture{s: s, records: records, l: l, now: &now, channels: map[string]store.Channel{}}
}

// conversation creates a channel-bound contact (with a fetched profile) and its conversation.
func (fx fixture) conversation(t *testing.T, channelExt, user, name string) store.Conversation {
	t.Helper()
	ch, ok := fx.channels[channelExt]
	if !ok {
		var err error
		ch, err = fx.s.CreateChannel(t.Context(), store.Channel{Kind: "line", ExternalID: channelExt})
		require.NoError(t, err)
		fx.channels[channelExt] = ch
	}
	k, _, err := fx.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: ch.ID, Peer: channel.User(user),
		Profile:       channel.Profile{UserID: user, DisplayName: name, PictureURL: "https://profile.example/" + user, Language: "ja"},
		ProfileStatus: store.ProfileFetched})
	require.NoError(t, err)
	c, _, err := fx.s.FindOrCreateConversation(t.Context(), store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: k.Peer})
	require.NoError(t, err)
	return c
}

func TestSuggestUsesTheProfileName(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	fx.records.Add(linking.Record{Kind: store.RecordLead, ID: "L1", DisplayName: "Hanako Yamada", Owner: "alice"})
	fx.records.Add(linking.Record{Kind: store.RecordContact, ID: "C1", DisplayName: "Taro Sato", Owner: "bob"})
	c := fx.conversation(t, "1", "U1", "hanako")
	got, err := fx.l.Suggest(t.Context(), c.ContactID, "", 10)
	require.NoError(t, err)
	require.Equal(t, []string{"L1"}, recordIDs(got), "candidates match the LINE display name")
	got, err = fx.l.Suggest(t.Context(), c.ContactID, "sato", 10)
	require.NoError(t, err)
	require.Equal(t, []string{"C1"}, recordIDs(got), "what the agent types wins")
}

func recordIDs(rs []linking.Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestLinkAndTheLinkedIndicator(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	fx.records.Add(linking.Record{Kind: store.RecordLead, ID: "L1", DisplayName: "Hanako", Owner: "alice"})
	c := fx.conversation(t, "1", "U1", "Hanako")

	_, err := fx.l.Link(t.Context(), c.ContactID, store.RecordLead, "L404", "agent")
	require.ErrorIs(t, err, linking.ErrRecordNotFound)

	k, err := fx.l.Link(t.Context(), c.ContactID, store.RecordLead, "L1", "agent")
	require.NoError(t, err)
	require.Equal(t, store.RecordRef{Kind: store.RecordLead, ID: "L1", Owner: "alice", Name: "Hanako"}, k.Record,
		"the record's owner and name are kept with the link")

	inbox, _, err := fx.s.ListConversations(t.Context(), store.View{Linkage: store.Linked}, store.Page{})
	require.NoError(t, err)
	require.Len(t, inbox, 1)
	require.Equal(t, "L1", inbox[0].Contact.Record.ID, "every inbox row shows whether and to what it is linked")
	unregistered, _, err := fx.s.ListConversations(t.Context(), store.View{Linkage: store.Unregistered}, store.Page{})
	require.NoError(t, err)
	require.Empty(t, unregistered)

	_, err = fx.l.Link(t.Context(), c.ContactID, store.RecordLead, "L1", "agent")
	require.ErrorIs(t, err, linking.ErrAlreadyLinked)
	require.ErrorIs(t, err, store.ErrConflict)

	owner, linked, err := fx.l.OwnerOf(t.Context(), c.ContactID)
	require.NoError(t, err)
	require.True(t, linked)
	require.Equal(t, "alice", owner, "a linked contact's conversations belong to the record owner")
}

// Two agents press [+] on the same sender at once: exactly one link wins.
func TestConcurrentLinksHaveOneWinner(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	c := fx.conversation(t, "1", "U1", "Hanako")
	for i := range 8 {
		fx.records.Add(linking.Record{Kind: store.RecordContact, ID: fmt.Sprint("C", i), Owner: "alice"})
	}
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = fx.l.Link(t.Context(), c.ContactID, store.RecordContact, fmt.Sprint("C", i), fmt.Sprint("agent-", i))
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		require.ErrorIs(t, err, store.ErrConflict)
	}
	require.Equal(t, 1, wins)
	history, err := fx.l.History(t.Context(), c.ContactID)
	require.NoError(t, err)
	require.Len(t, history, 1)
}

func TestCreateAndLinkFromTheProfile(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	c := fx.conversation(t, "1", "U1", "Hanako")
	r, k, err := fx.l.CreateAndLink(t.Context(), c.ContactID, store.RecordContact, "bob", "agent")
	require.NoError(t, err)
	require.Equal(t, "Hanako", r.DisplayName)
	require.Equal(t, "bob", r.Owner)
	require.Equal(t, r.Ref(), k.Record)
	history, _ := fx.l.History(t.Context(), c.ContactID)
	require.Equal(t, store.LinkCreated, history[0].Reason)
	require.Equal(t, "agent", history[0].By)
}

// Interaction check: no record is created in the CRM for a contact that is linked already.
func TestCreateAndLinkCreatesNothingForALinkedContact(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	c := fx.conversation(t, "1", "U1", "Hanako")
	records := linkingmock.NewMockRecords(gomock.NewController(t))
	l, err := linking.New(fx.s, records)
	require.NoError(t, err)
	records.EXPECT().Create(gomock.Any(), gomock.Any()).Return(linking.Record{Kind: store.RecordLead, ID: "L1", Owner: "alice"}, nil).Times(1)
	_, _, err = l.CreateAndLink(t.Context(), c.ContactID, store.RecordLead, "alice", "agent")
	require.NoError(t, err)
	_, _, err = l.CreateAndLink(t.Context(), c.ContactID, store.RecordLead, "alice", "agent") // no second Create
	require.ErrorIs(t, err, linking.ErrAlreadyLinked)
}

func TestUnlinkRelinkAndUndo(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	a := fx.records.Add(linking.Record{Kind: store.RecordLead, ID: "L1", Owner: "alice"})
	b := fx.records.Add(linking.Record{Kind: store.RecordContact, ID: "C1", Owner: "bob"})
	c := fx.conversation(t, "1", "U1", "Hanako")
	_, err := fx.l.Link(t.Context(), c.ContactID, a.Kind, a.ID, "agent")
	require.NoError(t, err)

	_, err = fx.l.Relink(t.Context(), c.ContactID, b.Ref(), a.Kind, a.ID, "agent")
	require.ErrorIs(t, err, store.ErrConflict, "relinking from a record the agent no longer sees")
	k, err := fx.l.Relink(t.Context(), c.ContactID, a.Ref(), b.Kind, b.ID, "agent")
	require.NoError(t, err)
	require.Equal(t, b.Ref(), k.Record)

	history, _ := fx.l.History(t.Context(), c.ContactID)
	relink := history[len(history)-1]
	require.Equal(t, store.LinkRelink, relink.Reason)
	require.Equal(t, a.Ref(), relink.From, "the history says from what")
	k, err = fx.l.Undo(t.Context(), c.ContactID, relink.ID, "supervisor")
	require.NoError(t, err)
	require.Equal(t, a.Ref(), k.Record, "undoing the relink restores the first link")
	_, err = fx.l.Undo(t.Context(), c.ContactID, relink.ID, "supervisor")
	require.ErrorIs(t, err, store.ErrConflict, "a change can be undone only while its result stands")
	_, err = fx.l.Undo(t.Context(), c.ContactID, "no-such-change", "supervisor")
	require.ErrorIs(t, err, store.ErrNotFound)

	k, err = fx.l.Unlink(t.Context(), c.ContactID, "agent")
	require.NoError(t, err)
	require.True(t, k.Record.IsZero())
	k, err = fx.l.Unlink(t.Context(), c.ContactID, "agent")
	require.NoError(t, err, "unlinking an unregistered contact changes nothing")
	history, _ = fx.l.History(t.Context(), c.ContactID)
	var reasons []store.LinkReason
	for _, h := range history {
		reasons = append(reasons, h.Reason)
	}
	require.Equal(t, []store.LinkReason{store.LinkLinked, store.LinkRelink, store.LinkUndo, store.LinkUnlink}, reasons, "every change is recorded")
}

// The same person writes on two LINE accounts: both contacts link to one record; a CRM merge and an owner
// change follow the record.
func TestSeveralContactsMergesAndOwnerChanges(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	a := fx.records.Add(linking.Record{Kind: store.RecordLead, ID: "L1", Owner: "alice"})
	b := fx.records.Add(linking.Record{Kind: store.RecordContact, ID: "C9", DisplayName: "Hanako Yamada", Owner: "bob"})
	c1 := fx.conversation(t, "tokyo", "U1", "Hanako")
	*fx.now = fx.now.Add(time.Second)
	c2 := fx.conversation(t, "osaka", "U7", "Hanako Y.")
	for _, c := range []store.Conversation{c1, c2} {
		_, err := fx.l.Link(t.Context(), c.ContactID, a.Kind, a.ID, "agent")
		require.NoError(t, err)
	}
	linked, err := fx.l.Contacts(t.Context(), a.Kind, a.ID)
	require.NoError(t, err)
	require.Len(t, linked, 2, "two contacts, two channels, one record")

	moved, err := fx.l.Merged(t.Context(), a.Ref(), b.Ref(), "crm")
	require.NoError(t, err)
	require.Equal(t, 2, moved)
	left, _ := fx.l.Contacts(t.Context(), a.Kind, a.ID)
	require.Empty(t, left, "nothing stays linked to the merged-away record")
	history, _ := fx.l.History(t.Context(), c1.ContactID)
	require.Equal(t, store.LinkMerge, history[len(history)-1].Reason)

	moved, err = fx.l.OwnerChanged(t.Context(), b.Kind, b.ID, "carol", "crm")
	require.NoError(t, err)
	require.Equal(t, 2, moved)
	moved, err = fx.l.OwnerChanged(t.Context(), b.Kind, b.ID, "carol", "crm")
	require.NoError(t, err)
	require.Zero(t, moved, "an owner change to the same owner changes nothing")
	mine, _, err := fx.s.ListConversations(t.Context(), store.View{RecordOwner: "carol"}, store.Page{})
	require.NoError(t, err)
	require.Len(t, mine, 2, "the new owner sees the conversations in the my-records view")
	require.Equal(t, b.DisplayName, mine[0].Conversation.Record.Name, "an owner change keeps the record's name")
}

func TestTimelineAcrossChannelsInOrder(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	r := fx.records.Add(linking.Record{Kind: store.RecordContact, ID: "C1", Owner: "alice"})
	c1 := fx.conversation(t, "tokyo", "U1", "Hanako")
	c2 := fx.conversation(t, "osaka", "U2", "Hanako")
	for _, c := range []store.Conversation{c1, c2} {
		_, err := fx.l.Link(t.Context(), c.ContactID, r.Kind, r.ID, "agent")
		require.NoError(t, err)
	}
	texts := map[string]string{}
	for i, step := range []struct {
		c  store.Conversation
		at time.Duration
	}{{c2, 3}, {c1, 1}, {c1, 4}, {c2, 2}} {
		m, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: step.c.ID, Content: channel.Text(fmt.Sprint("m", i)), Time: t0.Add(step.at * time.Minute)})
		require.NoError(t, err)
		texts[m.ID] = m.Content.Text
	}
	page, next, err := fx.l.Timeline(t.Context(), r.Kind, r.ID, store.Page{Limit: 3, Order: store.OldestFirst})
	require.NoError(t, err)
	rest, _, err := fx.l.Timeline(t.Context(), r.Kind, r.ID, store.Page{Limit: 3, Order: store.OldestFirst, After: next})
	require.NoError(t, err)
	var got []string
	for _, m := range append(page, rest...) {
		got = append(got, m.Content.Text)
	}
	require.Equal(t, []string{"m1", "m3", "m0", "m2"}, got, "chronological across both channels")
}
