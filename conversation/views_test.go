package conversation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

// viewsWorld is an inbox of four conversations on two channels, built through the service on one backend:
//
//	A  LINE      U1  wrote 2026-11-25 15:00 UTC (midnight in Tokyo)  alice  unregistered     unreplied
//	B  LINE      U2  wrote 2026-11-25 14:59:59, bob replied 11-26 08:00  bob  alice's record  replied
//	C  WhatsApp  U3  wrote 2026-11-26 01:00                          alice  alice's record   unreplied
//	D  LINE      U4  followed 2026-11-24, never wrote                nobody unregistered     (no profile)
//
// and the clock at 2026-11-26 09:00 UTC: 18:00 in Tokyo, 01:00 in Los Angeles.
type viewsWorld struct {
	svc        *conversation.Service
	s          store.Store
	line, wa   store.Channel
	a, b, c, d string // conversation IDs
}

var (
	tokyo      = mustZone("Asia/Tokyo")
	losAngeles = mustZone("America/Los_Angeles")
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func newViewsWorld(t *testing.T, open func(*testing.T, func() time.Time) store.Store) viewsWorld {
	t.Helper()
	ctx := t.Context()
	clk := &clock{now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	s := open(t, clk.Now)
	lineFake := channeltest.NewFake(&channeltest.FakeOptions{Kind: "line", Account: channel.AccountInfo{DisplayName: "Tokyo Shop"}})
	waRules := channel.Rules{Window: 24 * time.Hour, OutsideWindow: channel.OutsideTemplates}
	waFake := channeltest.NewFake(&channeltest.FakeOptions{Kind: "whatsapp", Rules: &waRules})
	for _, f := range []*channeltest.Fake{lineFake, waFake} {
		for _, u := range []string{"U1", "U2", "U3"} {
			f.SetProfile(channel.Profile{UserID: u, DisplayName: "Customer " + u, PictureURL: "https://img.test/" + u})
		}
	}
	line, err := s.CreateChannel(ctx, store.Channel{Name: "LINE (admin name)", Kind: "line", ExternalID: "L", Active: true,
		Account: channel.AccountInfo{DisplayName: "Tokyo Shop"}})
	require.NoError(t, err)
	wa, err := s.CreateChannel(ctx, store.Channel{Name: "WhatsApp support", Kind: "whatsapp", ExternalID: "W", Active: true})
	require.NoError(t, err)
	svc, err := conversation.New(s, conversation.AdapterMap{line.ID: lineFake, wa.ID: waFake}, &conversation.Options{Now: clk.Now})
	require.NoError(t, err)
	w := viewsWorld{svc: svc, s: s, line: line, wa: wa}

	seq := 0
	write := func(ch store.Channel, user string, at time.Time) string {
		seq++
		clk.now = at
		m := channel.Text(fmt.Sprintf("message %d", seq))
		m.ID = fmt.Sprint("msg-", seq)
		require.NoError(t, svc.Ingest(ctx, ch.ID, []channel.Event{{ID: fmt.Sprint("ev-", seq), Kind: channel.EventMessage,
			Time: at, Mode: channel.ModeActive, Source: channel.User(user), Message: &m}}))
		_, err := svc.Flush(ctx)
		require.NoError(t, err)
		return conversationOf(t, s, ch.ID, user).ID
	}
	assignTo := func(conv, user string) {
		_, err := s.AssignConversation(ctx, store.Assignment{ConversationID: conv, To: user, Reason: store.AssignManual})
		require.NoError(t, err)
	}
	link := func(conv, owner, recordID string) {
		c, err := s.GetConversation(ctx, conv)
		require.NoError(t, err)
		_, err = s.LinkContact(ctx, store.LinkChange{ContactID: c.ContactID, Reason: store.LinkLinked,
			To: store.RecordRef{Kind: store.RecordLead, ID: recordID, Owner: owner, Name: "Lead " + recordID}})
		require.NoError(t, err)
	}

	clk.now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	require.NoError(t, svc.Ingest(ctx, line.ID, []channel.Event{{ID: "ev-follow", Kind: channel.EventFollow,
		Time: clk.now, Source: channel.User("U4")}}))
	_, err = svc.Flush(ctx)
	require.NoError(t, err)
	w.d = conversationOf(t, s, line.ID, "U4").ID

	w.b = write(line, "U2", time.Date(2026, 11, 25, 14, 59, 59, 0, time.UTC))
	w.a = write(line, "U1", time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC))
	w.c = write(wa, "U3", time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC))
	assignTo(w.a, "alice")
	assignTo(w.b, "bob")
	assignTo(w.c, "alice")
	link(w.b, "alice", "L-2")
	link(w.c, "alice", "L-3")
	clk.now = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	_, err = svc.Reply(ctx, w.b, "bob", conversation.Reply{Text: "Your order shipped."})
	require.NoError(t, err)
	clk.now = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	_, err = svc.Flush(ctx)
	require.NoError(t, err)
	return w
}

// conversationOf finds the conversation with user on channel ch.
func conversationOf(t *testing.T, s store.Store, ch, user string) store.Conversation {
	t.Helper()
	list, _, err := s.ListConversations(t.Context(), store.View{ChannelID: ch}, store.Page{Limit: store.MaxLimit})
	require.NoError(t, err)
	for _, e := range list {
		if e.Conversation.Peer.ID == user {
			return e.Conversation
		}
	}
	t.Fatalf("no conversation with %s", user)
	return store.Conversation{}
}

// Every standard view selects what its name says, for the viewing user, with "today" starting at
// midnight in the user's zone — on every backend.
func TestStandardViews(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newViewsWorld(t, open)
			ids := func(rows []conversation.InboxRow) []string {
				out := []string{}
				for _, r := range rows {
					out = append(out, r.ConversationID)
				}
				return out
			}
			cases := []struct {
				view conversation.ViewName
				loc  *time.Location
				want []string // newest first
			}{
				{conversation.ViewAll, tokyo, []string{w.b, w.c, w.a, w.d}},
				{conversation.ViewUnregistered, tokyo, []string{w.a, w.d}},
				{conversation.ViewUnregisteredUnreplied, tokyo, []string{w.a}},
				{conversation.ViewUnregisteredToday, tokyo, []string{w.a}}, // written at Tokyo's midnight: today
				{conversation.ViewUnregisteredToday, time.UTC, []string{}}, // 15:00 the day before in UTC
				{conversation.ViewMine, tokyo, []string{w.c, w.a}},
				{conversation.ViewMineUnreplied, tokyo, []string{w.c, w.a}},
				{conversation.ViewMineToday, tokyo, []string{w.c, w.a}},
				{conversation.ViewMineToday, time.UTC, []string{w.c}},
				{conversation.ViewMineToday, losAngeles, []string{}}, // 01:00 in LA: nobody wrote today yet
				{conversation.ViewMyRecords, tokyo, []string{w.b, w.c}},
				{conversation.ViewMyRecordsUnreplied, tokyo, []string{w.c}},
				{conversation.ViewMyRecordsToday, tokyo, []string{w.c}}, // B wrote one second before midnight
			}
			for _, tc := range cases {
				rows, next, err := w.svc.View(t.Context(), conversation.ViewQuery{View: tc.view, User: "alice", Location: tc.loc})
				require.NoError(t, err, tc.view)
				require.Equal(t, tc.want, ids(rows), "view %s in %s", tc.view, tc.loc)
				require.True(t, next.IsZero(), "fewer matches than a page: no next page")
			}

			rows, _, err := w.svc.View(t.Context(), conversation.ViewQuery{View: conversation.ViewAll, User: "alice", ChannelID: w.wa.ID})
			require.NoError(t, err)
			require.Equal(t, []string{w.c}, ids(rows), "a view narrowed to one channel")

			counts, err := w.svc.ViewCounts(t.Context(), "alice", tokyo, "", 0)
			require.NoError(t, err)
			require.Equal(t, map[conversation.ViewName]int{
				conversation.ViewAll: 4, conversation.ViewUnregistered: 2, conversation.ViewUnregisteredUnreplied: 1,
				conversation.ViewUnregisteredToday: 1, conversation.ViewMine: 2, conversation.ViewMineUnreplied: 2,
				conversation.ViewMineToday: 2, conversation.ViewMyRecords: 2, conversation.ViewMyRecordsUnreplied: 1,
				conversation.ViewMyRecordsToday: 1,
			}, counts)
			capped, err := w.svc.ViewCounts(t.Context(), "alice", tokyo, "", 2)
			require.NoError(t, err)
			require.Equal(t, 2, capped[conversation.ViewAll], "a count stops at its limit")
			nobody, err := w.svc.ViewCounts(t.Context(), "", nil, w.line.ID, 0)
			require.NoError(t, err)
			require.Equal(t, map[conversation.ViewName]int{conversation.ViewAll: 3, conversation.ViewUnregistered: 2,
				conversation.ViewUnregisteredUnreplied: 1, conversation.ViewUnregisteredToday: 0}, nobody,
				"without a user, only the views that belong to nobody")
		})
	}
}

// A row carries what a unified inbox shows, without another query.
func TestViewRowsCarryWhatTheInboxShows(t *testing.T) {
	w := newViewsWorld(t, backends()["memstore"])
	_, err := w.s.PutNotificationState(t.Context(), store.NotificationState{ConversationID: w.c, UserID: "alice", Ignored: true})
	require.NoError(t, err)
	rows, _, err := w.svc.View(t.Context(), conversation.ViewQuery{View: conversation.ViewAll, User: "alice"})
	require.NoError(t, err)
	require.Len(t, rows, 4)
	byID := map[string]conversation.InboxRow{}
	for _, r := range rows {
		byID[r.ConversationID] = r
	}

	b := byID[w.b]
	require.Equal(t, conversation.ChannelLabel{ID: w.line.ID, Kind: "line", Name: "Tokyo Shop"}, b.Channel,
		"the account's name as customers see it")
	require.Equal(t, conversation.ContactLabel{ID: b.Contact.ID, Name: "Customer U2", PictureURL: "https://img.test/U2"}, b.Contact)
	require.Equal(t, store.RecordRef{Kind: store.RecordLead, ID: "L-2", Owner: "alice", Name: "Lead L-2"}, b.Record)
	require.Equal(t, "bob", b.Assignee)
	require.False(t, b.Unreplied)
	require.Equal(t, "Your order shipped.", b.Preview)
	require.Equal(t, time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC), b.LastMessageAt)
	require.Equal(t, conversation.ReplyWindow{Allowed: true, Until: time.Date(2026, 12, 2, 14, 59, 59, 0, time.UTC)}, b.Reply,
		"LINE: 7 days after the customer's last message")
	require.Nil(t, b.Notification)

	c := byID[w.c]
	require.Equal(t, conversation.ChannelLabel{ID: w.wa.ID, Kind: "whatsapp", Name: "WhatsApp support"}, c.Channel,
		"the administrator's name when the account reported none")
	require.Equal(t, "message 3", c.Preview)
	require.Equal(t, conversation.ReplyWindow{Allowed: true, Until: time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)}, c.Reply,
		"WhatsApp: 24 hours")
	require.NotNil(t, c.Notification)
	require.True(t, c.Notification.Ignored, "the viewer's notification state")

	a := byID[w.a]
	require.True(t, a.Record.IsZero(), "unregistered")
	require.True(t, a.Unreplied)

	d := byID[w.d]
	require.Equal(t, conversation.ContactLabel{ID: d.Contact.ID, Name: conversation.PendingName, Pending: true}, d.Contact,
		"a placeholder while the profile is missing")
	require.Empty(t, d.Preview, "no message yet")
	require.Equal(t, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), d.LastMessageAt, "sorted by creation, not the zero time")
	require.Equal(t, conversation.ReplyWindow{}, d.Reply, "the customer never wrote: LINE allows no reply")

	ch := w.wa
	ch.Active = false
	_, err = w.s.UpdateChannel(t.Context(), ch)
	require.NoError(t, err)
	rows, _, err = w.svc.View(t.Context(), conversation.ViewQuery{View: conversation.ViewAll, ChannelID: w.wa.ID})
	require.NoError(t, err)
	require.Equal(t, conversation.ReplyWindow{}, rows[0].Reply, "a deactivated channel sends nothing")
}

// Outside the window, a WhatsApp-like channel takes templates only: the row says so.
func TestViewRowsSayWhenOnlyTemplatesMayGo(t *testing.T) {
	w := newViewsWorld(t, backends()["memstore"])
	svc, err := conversation.New(w.s, conversation.AdapterMap{w.wa.ID: channeltest.NewFake(&channeltest.FakeOptions{Kind: "whatsapp",
		Rules: &channel.Rules{Window: 24 * time.Hour, OutsideWindow: channel.OutsideTemplates}})},
		&conversation.Options{Now: func() time.Time { return time.Date(2026, 11, 27, 1, 0, 1, 0, time.UTC) }})
	require.NoError(t, err)
	rows, _, err := svc.View(t.Context(), conversation.ViewQuery{View: conversation.ViewAll, ChannelID: w.wa.ID})
	require.NoError(t, err)
	require.Equal(t, conversation.ReplyWindow{Allowed: true, TemplatesOnly: true}, rows[0].Reply)
}

func TestViewErrors(t *testing.T) {
	w := newViewsWorld(t, backends()["memstore"])
	_, _, err := w.svc.View(t.Context(), conversation.ViewQuery{View: "everything", User: "alice"})
	require.ErrorIs(t, err, conversation.ErrUnknownView, "an unknown name is an error, not \"all\"")
	_, _, err = w.svc.View(t.Context(), conversation.ViewQuery{View: ""})
	require.ErrorIs(t, err, conversation.ErrUnknownView)
	_, _, err = w.svc.View(t.Context(), conversation.ViewQuery{View: conversation.ViewMine})
	require.ErrorIs(t, err, conversation.ErrNoViewer)
}

// Views page with keyset cursors: every conversation once, in order, whatever arrives meanwhile.
func TestViewPages(t *testing.T) {
	w := newViewsWorld(t, backends()["memstore"])
	var seen []string
	var after store.Cursor
	for {
		rows, next, err := w.svc.View(t.Context(), conversation.ViewQuery{View: conversation.ViewAll, Page: store.Page{Limit: 1, After: after}})
		require.NoError(t, err)
		for _, r := range rows {
			seen = append(seen, r.ConversationID)
		}
		if next.IsZero() {
			break
		}
		require.Equal(t, rows[len(rows)-1].Cursor, next)
		after = next
	}
	require.Equal(t, []string{w.b, w.c, w.a, w.d}, seen)
}

func TestStartOfDay(t *testing.T) {
	santiago := mustZone("America/Santiago")
	cases := []struct {
		at   time.Time
		loc  *time.Location
		want time.Time
	}{
		{time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), nil, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)},
		{time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), tokyo, time.Date(2026, 11, 26, 0, 0, 0, 0, tokyo)},
		{time.Date(2026, 11, 25, 14, 59, 59, 0, time.UTC), tokyo, time.Date(2026, 11, 25, 0, 0, 0, 0, tokyo)},
		{time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC), tokyo, time.Date(2026, 11, 26, 0, 0, 0, 0, tokyo)},
		{time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), losAngeles, time.Date(2026, 11, 26, 0, 0, 0, 0, losAngeles)},
		// Santiago skips midnight on 2026-09-06 (00:00 → 01:00): the day starts at 01:00 -03.
		{time.Date(2026, 9, 6, 15, 0, 0, 0, time.UTC), santiago, time.Date(2026, 9, 6, 4, 0, 0, 0, time.UTC)},
		// and on the day after a fall-back, midnight is there once.
		{time.Date(2026, 4, 5, 15, 0, 0, 0, time.UTC), santiago, time.Date(2026, 4, 5, 4, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		got := conversation.StartOfDay(tc.at, tc.loc)
		require.True(t, tc.want.Equal(got), "start of %s in %v: got %s, want %s", tc.at, tc.loc, got, tc.want)
	}
}

// An inbox serves a named view for the agent looking at it, in their time zone, with the badges beside
// the view list.
func ExampleService_View() {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC) // 18:00 in Tokyo
	db := memstore.New(&memstore.Options{Now: func() time.Time { return now }})
	ch, _ := db.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1", Active: true,
		Assignment: store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: []string{"aiko"}}})
	line := channeltest.NewFake(nil) // the LINE adapter in production
	line.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Sato"})
	rr, _ := assign.NewRoundRobin(&assign.MemoryDirectory{})
	svc, _ := conversation.New(db, conversation.AdapterMap{ch.ID: line}, &conversation.Options{
		Now: func() time.Time { return now }, Assigner: assign.Strategies{assign.StrategyRoundRobin: rr}})

	msg := channel.Text("Is the blue one in stock?")
	msg.ID = "line-1"
	_ = svc.Ingest(ctx, ch.ID, []channel.Event{{ID: "ev-1", Kind: channel.EventMessage, Time: now.Add(-time.Hour),
		Mode: channel.ModeActive, Source: channel.User("U1"), Message: &msg}})
	_, _ = svc.Flush(ctx)

	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	rows, _, _ := svc.View(ctx, conversation.ViewQuery{View: conversation.ViewMineToday, User: "aiko", Location: tokyo})
	for _, r := range rows {
		fmt.Printf("%s on %s: %q, reply until %s\n", r.Contact.Name, r.Channel.Kind, r.Preview, r.Reply.Until.In(tokyo).Format(time.DateTime))
	}
	counts, _ := svc.ViewCounts(ctx, "aiko", tokyo, "", 0)
	fmt.Println("mine, unreplied:", counts[conversation.ViewMineUnreplied], "my records:", counts[conversation.ViewMyRecords])
	// Output:
	// Sato on line: "Is the blue one in stock?", reply until 2026-12-03 17:00:00
	// mine, unreplied: 1 my records: 0
}

// Row is one conversation's inbox row, as the views show it.
func TestRowIsTheViewsRow(t *testing.T) {
	w := newViewsWorld(t, backends()["memstore"])
	_, err := w.s.PutNotificationState(t.Context(), store.NotificationState{ConversationID: w.c, UserID: "alice", Ignored: true})
	require.NoError(t, err)
	rows, _, err := w.svc.View(t.Context(), conversation.ViewQuery{View: conversation.ViewAll, User: "alice"})
	require.NoError(t, err)
	for _, want := range rows {
		got, err := w.svc.Row(t.Context(), want.ConversationID, "alice")
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err = w.svc.Row(t.Context(), "no-such-conversation", "alice")
	require.ErrorIs(t, err, store.ErrNotFound)
}

// A group chat has no profile to wait for: its row is named as a group, not as a pending customer.
func TestViewNamesAGroupChat(t *testing.T) {
	fx := newFixture(t, nil)
	e := fx.text("U1", "Hello everyone")
	e.Source = channel.Group("G1", "U1")
	fx.ingest(t, e, fx.text("U2", "Hi"))
	rows, _, err := fx.svc.View(t.Context(), conversation.ViewQuery{View: conversation.ViewAll})
	require.NoError(t, err)
	labels := map[string]conversation.ContactLabel{}
	for _, r := range rows {
		labels[r.Preview] = r.Contact
	}
	require.Equal(t, conversation.GroupName, labels["Hello everyone"].Name)
	require.False(t, labels["Hello everyone"].Pending)
	require.Equal(t, conversation.PendingName, labels["Hi"].Name, "a one-to-one chat waits for its profile")
	require.True(t, labels["Hi"].Pending)
}
