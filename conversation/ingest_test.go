package conversation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/internal/mocks/assignmock"
	"github.com/msgkit/msgkit/internal/mocks/conversationmock"
	"github.com/msgkit/msgkit/store"
)

// F5, F6, F7, F12: a new sender is unregistered, assigned in turn, notified; the profile arrives later.
// The webhook waits for the commit and nothing else: routing, notifying and the profile are jobs.
func TestIngestNewSender(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	notifier := conversationmock.NewMockNotifier(ctrl)
	fx := newFixture(t, func(o *conversation.Options) { o.Notifier = notifier })
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako", Language: "ja"})

	require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "Is the blue one in stock?")}))
	c := fx.conversationWith(t, "U1")
	require.Empty(t, c.Assignee, "the webhook does not wait for routing")
	require.True(t, c.Unreplied)
	require.Equal(t, t0, c.LastInboundAt)
	require.NotEmpty(t, c.ReplyToken)
	require.Equal(t, t0.Add(50*time.Second), c.ReplyTokenExpiresAt)
	msgs := fx.messages(t, c.ID)
	require.Len(t, msgs, 1)
	require.Equal(t, "Is the blue one in stock?", msgs[0].Content.Text)
	require.Equal(t, store.Inbound, msgs[0].Direction)
	require.Equal(t, "U1", msgs[0].Author)
	unregistered, _, err := fx.s.ListConversations(t.Context(), store.View{Linkage: store.Unregistered}, store.Page{})
	require.NoError(t, err)
	require.Len(t, unregistered, 1, "LINE gives no phone or e-mail: the sender is unregistered")
	require.Equal(t, store.ProfilePending, unregistered[0].Contact.ProfileStatus, "the webhook does not wait for the profile")

	notifier.EXPECT().NewMessage(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, n conversation.Notification) error {
		require.Equal(t, "alice", n.UserID, "the assignee is told")
		require.Equal(t, msgs[0].ID, n.MessageID, "the notification names its message")
		require.False(t, n.Linked)
		return nil
	}).Times(1)
	require.Equal(t, 2, fx.flush(t), "routing with notifying, and the profile: two jobs")
	c = fx.conversationWith(t, "U1")
	require.Equal(t, "alice", c.Assignee, "round robin assigns the first unregistered sender to alice")
	k, err := fx.s.GetContact(t.Context(), c.ContactID)
	require.NoError(t, err)
	require.Equal(t, store.ProfileFetched, k.ProfileStatus)
	require.Equal(t, "Hanako", k.Profile.DisplayName)

	notifier.EXPECT().NewMessage(gomock.Any(), gomock.Any()).Return(nil).Times(1)
	fx.ingest(t, fx.text("U2", "hello"))
	require.Equal(t, "bob", fx.conversationWith(t, "U2").Assignee, "the next sender goes to bob")
}

// A slow Notifier never holds up a webhook: Ingest returns while it is still being called.
func TestSlowNotifierDoesNotHoldUpTheWebhook(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	notified := make(chan string, 1)
	fx := newFixture(t, func(o *conversation.Options) {
		o.Notifier = notifierFunc(func(ctx context.Context, n conversation.Notification) error {
			<-release
			notified <- n.UserID
			return nil
		})
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { _ = fx.svc.Run(ctx) }()
	require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}), "the webhook is answered")
	close(release)
	require.Equal(t, "alice", <-notified, "and the notification follows")
}

type notifierFunc func(context.Context, conversation.Notification) error

func (f notifierFunc) NewMessage(ctx context.Context, n conversation.Notification) error {
	return f(ctx, n)
}

// A profile that cannot be fetched (the user is not a friend, or blocked) is recorded; the message stays.
func TestProfileFailureIsRecorded(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	fx.ingest(t, fx.text("U1", "hi"))
	c := fx.conversationWith(t, "U1")
	k, err := fx.s.GetContact(t.Context(), c.ContactID)
	require.NoError(t, err)
	require.Equal(t, store.ProfileFailed, k.ProfileStatus)
	require.Equal(t, channel.ErrNotFound.Error(), k.ProfileError, "the category is kept, not the error text")
	require.Len(t, fx.messages(t, c.ID), 1)
}

// Every body in the LINE webhook samples, delivered twice, is stored once.
func TestRedeliveredLINEWebhooksChangeNothing(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	a, err := line.New(line.Config{ChannelSecret: "testsecret", AccessToken: "t"}, nil)
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join("..", "channel", "line", "testdata", "webhooks", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	snapshot := func() string {
		list, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{Limit: store.MaxLimit})
		require.NoError(t, err)
		var b bytes.Buffer
		for _, e := range list {
			b.WriteString(e.Conversation.ID)
			for _, m := range fx.messages(t, e.Conversation.ID) {
				m.Version, m.UpdatedAt = 0, time.Time{}
				out, _ := json.Marshal(m)
				b.Write(out)
			}
		}
		return b.String()
	}
	deliver := func() {
		for _, f := range files {
			body, err := os.ReadFile(f)
			require.NoError(t, err)
			h, err := channel.NewHandler(fx.ch.ID, a, fx.svc.Receive, nil)
			require.NoError(t, err)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, signed(body))
			require.Equal(t, http.StatusOK, w.Code, f)
		}
	}
	deliver()
	first := snapshot()
	require.NotEmpty(t, first)
	deliver()
	require.Equal(t, first, snapshot(), "a redelivery stores nothing new and changes nothing")
}

func signed(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	r.Header.Set(line.SignatureHeader, lineSignature("testsecret", body))
	return r
}

// F8: non-message events update state and are recorded; unknown events are kept raw.
func TestNonMessageEvents(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	user := channel.User("U1")
	first := fx.text("U1", "my phone number is 090-1234-5678")
	fx.ingest(t, first,
		channel.Event{ID: "ev-pb", Kind: channel.EventPostback, Time: t0, Source: user, Postback: &channel.Postback{Data: "action=buy"}},
		channel.Event{ID: "ev-x", Kind: channel.EventUnknown, Type: "things", Time: t0, Source: user, Raw: json.RawMessage(`{"type":"things","x":1}`)},
		channel.Event{ID: "ev-un", Kind: channel.EventUnsend, Time: t0, Source: user, UnsentMessageID: first.Message.ID},
	)
	c := fx.conversationWith(t, "U1")
	msgs := fx.messages(t, c.ID)
	require.Len(t, msgs, 4, "the message and three recorded events")
	kinds := map[channel.EventKind]store.Message{}
	for _, m := range msgs {
		kinds[m.Kind] = m
	}
	require.True(t, kinds[channel.EventMessage].Unsent, "unsent messages are marked")
	require.Empty(t, kinds[channel.EventMessage].Content.Text, "and their content is hidden")
	require.Equal(t, "action=buy", kinds[channel.EventPostback].Event.Postback.Data)
	require.JSONEq(t, `{"type":"things","x":1}`, string(kinds[channel.EventUnknown].Event.Raw), "unknown events are kept raw")

	fx.ingest(t, channel.Event{ID: "ev-uf", Kind: channel.EventUnfollow, Time: t0, Source: user})
	_, err := fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "hello?"})
	require.ErrorIs(t, err, conversation.ErrUnfollowed, "an unfollowed contact cannot be sent to")
	fx.ingest(t, channel.Event{ID: "ev-f", Kind: channel.EventFollow, Time: t0, Source: user, Unblocked: true})
	_, err = fx.svc.Reply(t.Context(), c.ID, "alice", conversation.Reply{Text: "welcome back"})
	require.NoError(t, err, "following again makes the contact reachable")
}

// Standby events are stored but never assigned, notified or replied with a token.
func TestStandbyEventsAreOnlyStored(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	notifier := conversationmock.NewMockNotifier(ctrl) // no call expected
	fx := newFixture(t, func(o *conversation.Options) { o.Notifier = notifier })
	e := fx.text("U1", "hi")
	e.Mode = channel.ModeStandby
	fx.ingest(t, e)
	c := fx.conversationWith(t, "U1")
	require.Empty(t, c.Assignee)
	require.Empty(t, c.ReplyToken)
	require.Len(t, fx.messages(t, c.ID), 1)
}

func TestGroupMessagesRecordTheSpeaker(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	m := channel.Text("hi all")
	m.ID = "gm-1"
	fx.ingest(t, channel.Event{ID: "ev-g", Kind: channel.EventMessage, Time: t0, Mode: channel.ModeActive,
		Source: channel.Group("G1", "U7"), Message: &m})
	c := fx.conversationWith(t, "G1")
	require.Equal(t, channel.PeerGroup, c.Peer.Kind, "the conversation is the group")
	require.Equal(t, "U7", fx.messages(t, c.ID)[0].Author, "the speaking member is kept per message")
}

func TestDeactivatedChannelIgnoresWebhooks(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	ch := fx.ch
	ch.Active = false
	_, err := fx.s.UpdateChannel(t.Context(), ch)
	require.NoError(t, err)
	fx.ingest(t, fx.text("U1", "hi"))
	list, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{})
	require.NoError(t, err)
	require.Empty(t, list, "acknowledged, not processed")
}

// A linked sender's conversation belongs to the record owner, not to round robin.
func TestLinkedSenderGoesToTheRecordOwner(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	fx.ingest(t, fx.text("U1", "hi"))
	c := fx.conversationWith(t, "U1")
	_, err := fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: c.ContactID,
		To: store.RecordRef{Kind: store.RecordContact, ID: "C1", Owner: "carol"}, Reason: store.LinkLinked})
	require.NoError(t, err)
	fx.ingest(t, fx.text("U1", "it's me again"))
	c = fx.conversationWith(t, "U1")
	require.Equal(t, "carol", c.Assignee)
	history, err := fx.s.ListAssignments(t.Context(), c.ID)
	require.NoError(t, err)
	require.Equal(t, store.AssignRecordOwner, history[len(history)-1].Reason)
}

// An event that cannot be stored fails the batch (so LINE redelivers); what was stored before stays.
func TestIngestFailureAsksForRedelivery(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	err := fx.svc.Ingest(t.Context(), "no-such-channel", []channel.Event{fx.text("U1", "hi")})
	require.ErrorIs(t, err, store.ErrNotFound)
	h, err := channel.NewHandler("no-such-channel", fx.fake, fx.svc.Receive, nil)
	require.NoError(t, err)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, fx.fake.Request(fx.text("U1", "hi")))
	require.Equal(t, http.StatusInternalServerError, w.Code)
}

// Interaction check: the Assigner is asked once for a new unregistered sender, and never for a linked one.
func TestAssignerIsAskedOnlyForUnregisteredSenders(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	a := assignmock.NewMockAssigner(ctrl)
	fx := newFixture(t, func(o *conversation.Options) { o.Assigner = a })
	a.EXPECT().Assign(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return("alice", nil).Times(1)
	fx.ingest(t, fx.text("U1", "hi"))
	c := fx.conversationWith(t, "U1")
	_, err := fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: c.ContactID,
		To: store.RecordRef{Kind: store.RecordLead, ID: "L1", Owner: "dave"}, Reason: store.LinkLinked})
	require.NoError(t, err)
	fx.ingest(t, fx.text("U1", "again")) // linked now: no Assign call
	require.Equal(t, "dave", fx.conversationWith(t, "U1").Assignee)
}
