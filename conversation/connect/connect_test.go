package connect_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/storetest"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

const secret = "s3cr3t-webhook-secret"

// fixture is a connect service on memstore with the fake connector, logging everything at debug level.
type fixture struct {
	s    *memstore.Store
	conn *channeltest.Connector
	reg  *connect.Registry
	svc  *connect.Service
	logs *bytes.Buffer
	now  *time.Time
}

func newFixture(t *testing.T, o *connect.Options) fixture {
	t.Helper()
	now := t0
	s := memstore.New(&memstore.Options{Now: func() time.Time { return now }})
	key, err := connect.GenerateKey("k1")
	require.NoError(t, err)
	sealer, err := connect.NewAESGCM(key)
	require.NoError(t, err)
	conn := channeltest.NewConnector("fake")
	reg, err := connect.NewRegistry(sealer, conn)
	require.NoError(t, err)
	if o == nil {
		o = &connect.Options{}
	}
	logs := &bytes.Buffer{}
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.Now = func() time.Time { return now }
	if o.WebhookURL == nil {
		o.WebhookURL = func(id string) string { return "https://crm.example.com/webhooks/" + id }
	}
	svc, err := connect.New(s, reg, o)
	require.NoError(t, err)
	return fixture{s: s, conn: conn, reg: reg, svc: svc, logs: logs, now: &now}
}

func creds(account string) channel.Credentials {
	return channel.Credentials{channeltest.CredAccount: account, channeltest.CredSecret: secret, channeltest.CredToken: "t0ken-" + account}
}

// F1, F2: connecting stores the account's details and sealed credentials, and returns the webhook URL
// and the checklist; reads never show a credential.
func TestConnect(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	got, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Tokyo shop", Credentials: creds("1650")})
	require.NoError(t, err)
	ch := got.Channel
	require.Equal(t, "Tokyo shop", ch.Name)
	require.Equal(t, "1650", ch.ExternalID)
	require.True(t, ch.Active)
	require.Equal(t, "Shop 1650", ch.Account.DisplayName, "the account's details are fetched and stored")
	require.Equal(t, "https://crm.example.com/webhooks/"+ch.ID, got.WebhookURL)
	require.NotEmpty(t, got.Checks, "the settings checklist comes back")
	for _, v := range ch.Credentials {
		require.Equal(t, "********", v, "a read shows credentials masked")
	}

	stored, err := fx.s.GetChannel(t.Context(), ch.ID)
	require.NoError(t, err)
	require.Len(t, stored.Credentials, 3)
	for field, v := range stored.Credentials {
		require.NotContains(t, v, secret, "%s is stored sealed", field)
		require.NotContains(t, v, "t0ken", "%s is stored sealed", field)
	}
	listed, err := fx.svc.List(t.Context())
	require.NoError(t, err)
	require.Equal(t, "********", listed[0].Credentials[channeltest.CredSecret])

	a, err := fx.reg.Adapter(t.Context(), stored)
	require.NoError(t, err, "the registry builds the adapter from the sealed credentials")
	again, err := fx.reg.Adapter(t.Context(), stored)
	require.NoError(t, err)
	require.Same(t, a, again, "once per channel")
}

// F22: the host's gate refuses before anything reaches the channel, with its reason.
func TestGateRefusesFirst(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, &connect.Options{Gate: connect.GateFunc(func(_ context.Context, kind string) error {
		return errors.New("your plan includes one messenger account; upgrade to connect more")
	})})
	_, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Shop", Credentials: creds("1")})
	require.ErrorIs(t, err, connect.ErrNotAllowed)
	require.ErrorContains(t, err, "upgrade to connect more", "the host's reason is shown")
	require.Zero(t, fx.conn.Verified(), "no network call was made")
	all, err := fx.s.ListChannels(t.Context())
	require.NoError(t, err)
	require.Empty(t, all)
}

// The channel's verdict on the credentials comes back as is: which one is wrong, or that the channel is
// down; nothing is stored.
func TestConnectRefusals(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	_, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "x", Credentials: channel.Credentials{channeltest.CredAccount: "1"}})
	var ce *channel.CredentialError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, channeltest.CredSecret, ce.Field, "the missing field is named")
	bad := creds("1")
	bad[channeltest.CredToken] = "revoked"
	_, err = fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "x", Credentials: bad})
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, channel.ErrUnauthorized)
	fx.conn.Fail(channeltest.Error(channel.ErrUnavailable))
	_, err = fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "x", Credentials: creds("1")})
	require.ErrorIs(t, err, channel.ErrUnavailable)
	_, err = fx.svc.Connect(t.Context(), connect.Request{Kind: "telegraph", Name: "x", Credentials: creds("1")})
	require.ErrorIs(t, err, connect.ErrUnknownKind)
	all, err := fx.s.ListChannels(t.Context())
	require.NoError(t, err)
	require.Empty(t, all, "nothing is stored")
}

// Connecting the same account twice is refused, naming the existing channel, under any name.
func TestDuplicateConnectNamesTheExistingChannel(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	first, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Tokyo shop", Credentials: creds("1650")})
	require.NoError(t, err)
	_, err = fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Another name", Credentials: creds("1650")})
	var dup *connect.AlreadyConnectedError
	require.ErrorAs(t, err, &dup)
	require.ErrorIs(t, err, connect.ErrAlreadyConnected)
	require.Equal(t, first.Channel.ID, dup.Existing.ID)
	require.ErrorContains(t, err, `"Tokyo shop"`)
	require.Equal(t, "********", dup.Existing.Credentials[channeltest.CredSecret])

	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = fx.svc.Connect(context.WithoutCancel(t.Context()), connect.Request{Kind: "fake", Name: "race", Credentials: creds("77")})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		require.ErrorIs(t, err, connect.ErrAlreadyConnected)
	}
	require.Equal(t, 1, ok, "of concurrent connects of one account, one wins")
}

// F4: while deactivated, webhooks are acknowledged and not processed, nothing is sent, history stays;
// reactivated, nothing is lost (the archive replays what arrived meanwhile).
func TestDeactivateAndReactivate(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	got, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Shop", Credentials: creds("1")})
	require.NoError(t, err)
	id := got.Channel.ID
	conv, err := conversation.New(fx.s, fx.reg, &conversation.Options{Now: func() time.Time { return *fx.now }, Archive: time.Hour})
	require.NoError(t, err)
	post := poster(t, fx, fx.svc.Webhooks(conv.Receive, nil), id)
	require.Equal(t, http.StatusOK, post("first", "m1"))
	_, err = fx.svc.Deactivate(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, post("while paused", "m2"), "acknowledged")
	list, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{})
	require.NoError(t, err)
	msgs, _, err := fx.s.ListMessages(t.Context(), list[0].Conversation.ID, store.Page{})
	require.NoError(t, err)
	require.Len(t, msgs, 1, "not processed while deactivated; history readable")
	_, err = conv.Reply(t.Context(), list[0].Conversation.ID, "aiko", conversation.Reply{Text: "hi"})
	require.ErrorIs(t, err, conversation.ErrChannelInactive, "nothing is sent")

	_, err = fx.svc.Reactivate(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, post("after", "m3"))
	r, err := conv.Replay(t.Context(), id, t0, time.Time{})
	require.NoError(t, err)
	require.Equal(t, 1, r.New, "what arrived while paused is replayed")
	msgs, _, err = fx.s.ListMessages(t.Context(), list[0].Conversation.ID, store.Page{})
	require.NoError(t, err)
	require.Len(t, msgs, 3, "nothing lost")
}

// Disconnecting removes the credentials and keeps the history, or erases it; either way the account can
// be connected again.
func TestDisconnect(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	got, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Shop", Credentials: creds("1")})
	require.NoError(t, err)
	require.NoError(t, fx.svc.Disconnect(t.Context(), got.Channel.ID, false))
	ch, err := fx.s.GetChannel(t.Context(), got.Channel.ID)
	require.NoError(t, err, "the history is kept")
	require.Nil(t, ch.Credentials, "the credentials are gone")
	require.False(t, ch.Active)
	require.Equal(t, t0, ch.DisconnectedAt)
	_, err = fx.svc.Reactivate(t.Context(), ch.ID)
	require.ErrorIs(t, err, connect.ErrDisconnected)
	_, err = fx.reg.Adapter(t.Context(), ch)
	require.Error(t, err, "nothing can reach the account")

	again, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Shop again", Credentials: creds("1")})
	require.NoError(t, err, "the account can be connected again")
	require.NoError(t, fx.svc.Disconnect(t.Context(), again.Channel.ID, true))
	_, err = fx.s.GetChannel(t.Context(), again.Channel.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "erased")
}

// Disconnecting with erase erases through the Eraser: with the conversation Service as the Eraser, the
// channel's files in the blob store are deleted too, by the Service's Run.
func TestDisconnectErasesThroughTheEraser(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	fx := newFixture(t, nil)
	bucket := blob.NewMemory(nil)
	blobs, err := blob.New(bucket)
	require.NoError(t, err)
	server, err := blob.NewServer(blobs, "https://crm.example.com/media", [][]byte{[]byte("0123456789abcdef0123456789abcdef")}, nil)
	require.NoError(t, err)
	conv, err := conversation.New(fx.s, fx.reg, &conversation.Options{Now: func() time.Time { return *fx.now },
		Files: conversation.Files{Store: blobs, Server: server}})
	require.NoError(t, err)
	svc, err := connect.New(fx.s, fx.reg, &connect.Options{Eraser: conv, WebhookURL: func(id string) string { return "https://crm.example.com/webhooks/" + id }})
	require.NoError(t, err)
	got, err := svc.Connect(ctx, connect.Request{Kind: "fake", Name: "Shop", Credentials: creds("1")})
	require.NoError(t, err)
	contact, _, err := fx.s.FindOrCreateContact(ctx, store.Contact{ChannelID: got.Channel.ID, Peer: channel.User("U1")})
	require.NoError(t, err)
	c, _, err := fx.s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: got.Channel.ID, ContactID: contact.ID, Peer: contact.Peer})
	require.NoError(t, err)
	m, _, err := fx.s.AppendMessage(ctx, store.Message{ConversationID: c.ID, Direction: store.Inbound, ChannelMessageID: "m1",
		Content: channel.Message{Type: channel.TypeImage, Media: &channel.Media{}}, MediaCopy: &store.MediaCopy{Status: store.MediaPending}})
	require.NoError(t, err)
	_, err = blobs.Put(ctx, bytes.NewReader([]byte("a photo")), 100, &blob.PutOptions{Key: "inbound/" + m.ID})
	require.NoError(t, err)

	require.NoError(t, svc.Disconnect(ctx, got.Channel.ID, true))
	_, err = fx.s.GetChannel(ctx, got.Channel.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "erased")
	_, err = conv.Flush(ctx)
	require.NoError(t, err)
	_, err = bucket.Stat(ctx, "inbound/"+m.ID)
	require.ErrorIs(t, err, blob.ErrNotFound, "the copy of the customer's photo is deleted")
}

// A new token is verified before it replaces the stored one; the adapter is rebuilt with it.
func TestSetCredentialsAndRotateSecret(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	got, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Shop", Credentials: creds("1")})
	require.NoError(t, err)
	id := got.Channel.ID
	before, err := fx.s.GetChannel(t.Context(), id)
	require.NoError(t, err)
	oldAdapter, err := fx.reg.Adapter(t.Context(), before)
	require.NoError(t, err)

	_, err = fx.svc.SetCredentials(t.Context(), id, channel.Credentials{channeltest.CredToken: "revoked"})
	require.ErrorIs(t, err, channel.ErrUnauthorized, "a token the channel refuses is not stored")
	_, err = fx.svc.SetCredentials(t.Context(), id, channel.Credentials{channeltest.CredAccount: "2"})
	require.ErrorIs(t, err, channel.ErrInvalidRequest, "credentials of another account are refused")
	_, err = fx.svc.SetCredentials(t.Context(), id, channel.Credentials{channeltest.CredToken: "new-token"})
	require.NoError(t, err)

	_, err = fx.svc.RotateSecret(t.Context(), id, channeltest.CredSecret, "new-secret", time.Hour)
	require.NoError(t, err)
	after, err := fx.s.GetChannel(t.Context(), id)
	require.NoError(t, err)
	require.Contains(t, after.Credentials, channeltest.CredSecret+connect.PreviousSuffix, "the old secret is kept for the overlap")
	require.Contains(t, after.Credentials, channeltest.CredSecret+connect.PreviousUntilSuffix)
	newAdapter, err := fx.reg.Adapter(t.Context(), after)
	require.NoError(t, err)
	require.NotSame(t, oldAdapter, newAdapter, "the adapter is rebuilt from the new credentials")
}

// Sealed credentials are bound to their channel and field: copied elsewhere, they do not open.
func TestSealedCredentialsAreBoundToTheirChannel(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	a, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "A", Credentials: creds("1")})
	require.NoError(t, err)
	b, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "B", Credentials: creds("2")})
	require.NoError(t, err)
	chA, err := fx.s.GetChannel(t.Context(), a.Channel.ID)
	require.NoError(t, err)
	chB, err := fx.s.GetChannel(t.Context(), b.Channel.ID)
	require.NoError(t, err)
	chB.Credentials = chA.Credentials // someone with database access swaps them
	_, err = fx.reg.Adapter(t.Context(), chB)
	require.ErrorIs(t, err, connect.ErrSealBroken)
}

// F3: a re-check reports what changed; Run re-checks periodically and tells OnChange.
func TestCheckReportsChangesAndRunRechecks(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var changed []connect.Change
		fx := newFixture(t, &connect.Options{CheckEvery: time.Hour, OnChange: func(_ context.Context, _ string, c []connect.Change) {
			mu.Lock()
			defer mu.Unlock()
			changed = append(changed, c...)
		}})
		got, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Shop", Credentials: creds("1")})
		require.NoError(t, err)
		h, err := fx.svc.Check(t.Context(), got.Channel.ID)
		require.NoError(t, err)
		require.Empty(t, h.Changes, "nothing changed since Connect's check")

		stored, err := fx.s.GetChannel(t.Context(), got.Channel.ID)
		require.NoError(t, err)
		a, err := fx.reg.Adapter(t.Context(), stored)
		require.NoError(t, err)
		a.(*channeltest.Fake).Fail(channeltest.OpCheckSettings, channeltest.Error(channel.ErrUnavailable))
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- fx.svc.Run(ctx) }()
		time.Sleep(time.Hour + time.Second)
		synctest.Wait()
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
		mu.Lock()
		defer mu.Unlock()
		require.NotEmpty(t, changed, "the periodic check found the channel unreachable")
		require.Equal(t, channel.CheckFailed, changed[0].To)
		h, err = fx.svc.Health(t.Context(), got.Channel.ID)
		require.NoError(t, err)
		require.Len(t, h.Problems(), 1)
	})
}

// Signature failures are counted per channel, for Health.
func TestWebhooksCountSignatureFailures(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	got, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Shop", Credentials: creds("1")})
	require.NoError(t, err)
	hooks := fx.svc.Webhooks(func(context.Context, channel.Delivery) error { return nil }, nil)
	forged := channeltest.NewFake(&channeltest.FakeOptions{Secret: "wrong"})
	for range 3 {
		r := forged.Request(channel.Event{ID: "ev", Kind: channel.EventFollow, Source: channel.User("U1")})
		r.URL.Path = "/webhooks/" + got.Channel.ID
		w := httptest.NewRecorder()
		hooks.ServeHTTP(w, r)
		require.Equal(t, http.StatusUnauthorized, w.Code)
	}
	r := forged.Request(channel.Event{ID: "ev", Kind: channel.EventFollow})
	r.URL.Path = "/webhooks/no-such-channel"
	w := httptest.NewRecorder()
	hooks.ServeHTTP(w, r)
	require.Equal(t, http.StatusNotFound, w.Code)
	h, err := fx.svc.Health(t.Context(), got.Channel.ID)
	require.NoError(t, err)
	require.Equal(t, int64(3), h.SignatureFailures)
}

// F21: the channel's quota, and msgkit's own count of this month's sends.
func TestQuota(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	got, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Shop", Credentials: creds("1")})
	require.NoError(t, err)
	k, _, err := fx.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: got.Channel.ID, Peer: channel.User("U1")})
	require.NoError(t, err)
	c, _, err := fx.s.FindOrCreateConversation(t.Context(), store.Conversation{ChannelID: got.Channel.ID, ContactID: k.ID, Peer: k.Peer})
	require.NoError(t, err)
	for _, billable := range []bool{true, true, false} {
		_, _, err := fx.s.AppendMessage(t.Context(), store.Message{ConversationID: c.ID, Direction: store.Outbound,
			Status: store.StatusSent, Billable: billable, Content: channel.Text("x"), Time: t0})
		require.NoError(t, err)
	}
	q, err := fx.svc.Quota(t.Context(), got.Channel.ID)
	require.NoError(t, err)
	require.Equal(t, store.SendCounts{Billable: 2, Free: 1}, q.Sent)
	require.Equal(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), q.Since)
	require.NoError(t, q.ChannelErr)
}

// F23: the add-friend link, a QR code of it, and a chat button.
func TestEntryPoints(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	got, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Shop", Credentials: creds("1")})
	require.NoError(t, err)
	e, err := fx.svc.EntryPoints(t.Context(), got.Channel.ID)
	require.NoError(t, err)
	require.Equal(t, "https://chat.example.com/add/@1", e.URL)
	require.Contains(t, e.ButtonHTML, e.URL)
	require.True(t, bytes.HasPrefix(e.QRPNG, []byte("\x89PNG\r\n\x1a\n")), "a PNG")
	require.Contains(t, string(e.QRSVG), "<svg")
}

// No secret appears in any read, error text or log line of the whole flow, at debug level.
func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	var texts []string
	note := func(v any, err error) {
		if err != nil {
			texts = append(texts, err.Error())
		}
		texts = append(texts, fmt.Sprintf("%+v", v))
	}
	got, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Shop", Credentials: creds("1")})
	note(got, err)
	note(fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Again", Credentials: creds("1")}))
	note(fx.svc.Get(t.Context(), got.Channel.ID))
	note(fx.svc.List(t.Context()))
	note(fx.svc.Check(t.Context(), got.Channel.ID))
	note(fx.svc.SetCredentials(t.Context(), got.Channel.ID, channel.Credentials{channeltest.CredToken: "revoked"}))
	note(fx.svc.RotateSecret(t.Context(), got.Channel.ID, channeltest.CredSecret, "another-s3cr3t", time.Hour))
	note(fx.svc.Quota(t.Context(), got.Channel.ID))
	note(nil, fx.svc.Disconnect(t.Context(), got.Channel.ID, false))
	texts = append(texts, fx.logs.String())
	for _, text := range texts {
		for _, s := range []string{secret, "t0ken-1", "another-s3cr3t"} {
			require.NotContains(t, text, s, "a secret leaked")
		}
	}
}

// A webhook served by Webhooks reads its channel once: the endpoint reads it to verify the request, and
// hands it to the sink in the request's context (store.WithChannel), so conversation.Service.Receive
// does not read it again.
func TestAWebhookReadsItsChannelOnce(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	got, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Shop", Credentials: creds("1")})
	require.NoError(t, err)
	id := got.Channel.ID
	var reads atomic.Int32
	counted := storetest.NewFaults(fx.s, func(c storetest.Call) error {
		if c.Method == "GetChannel" {
			reads.Add(1)
		}
		return nil
	})
	conv, err := conversation.New(counted, fx.reg, &conversation.Options{Now: func() time.Time { return *fx.now }})
	require.NoError(t, err)
	post := poster(t, fx, fx.svc.Webhooks(conv.Receive, nil), id)
	require.Equal(t, http.StatusOK, post("hello", "m1"))
	require.Zero(t, reads.Load(), "the conversation Service read the channel the endpoint had read")
	list, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{})
	require.NoError(t, err)
	require.Len(t, list, 1, "the message was stored")
}

// poster returns a function that posts a text message from U1 to channel id through hooks, signed as
// the channel's adapter (a channeltest.Fake) checks, and returns the answer's status code.
func poster(t *testing.T, fx fixture, hooks http.Handler, id string) func(text, msgID string) int {
	t.Helper()
	stored, err := fx.s.GetChannel(t.Context(), id)
	require.NoError(t, err)
	a, err := fx.reg.Adapter(t.Context(), stored)
	require.NoError(t, err)
	fake := a.(*channeltest.Fake)
	return func(text, msgID string) int {
		m := channel.Text(text)
		m.ID = msgID
		r := fake.Request(channel.Event{ID: "ev-" + msgID, Kind: channel.EventMessage, Time: *fx.now, Mode: channel.ModeActive,
			Source: channel.User("U1"), Message: &m})
		r.URL.Path = "/webhooks/" + id
		w := httptest.NewRecorder()
		hooks.ServeHTTP(w, r)
		return w.Code
	}
}
