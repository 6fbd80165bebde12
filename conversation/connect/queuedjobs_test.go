package connect_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/store"
)

// queuedFixture connects a channel, makes a conversation Service that records its own jobs (it has
// Flushed), and ingests a message from a new sender U1 whose profile the account would answer: the
// routing and profile jobs wait in the Service's queue, recorded while the channel was connected.
func queuedFixture(t *testing.T) (fixture, *conversation.Service, *channeltest.Fake, string) {
	t.Helper()
	fx := newFixture(t, nil)
	got, err := fx.svc.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Shop", Credentials: creds("1")})
	require.NoError(t, err)
	id := got.Channel.ID
	stored, err := fx.s.GetChannel(t.Context(), id)
	require.NoError(t, err)
	a, err := fx.reg.Adapter(t.Context(), stored)
	require.NoError(t, err)
	fake := a.(*channeltest.Fake)
	fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako"})
	conv, err := conversation.New(fx.s, fx.reg, &conversation.Options{Now: func() time.Time { return *fx.now }})
	require.NoError(t, err)
	_, err = conv.Flush(t.Context()) // from now on it records its own jobs for itself
	require.NoError(t, err)
	m := channel.Text("hello")
	m.ID = "m1"
	require.NoError(t, conv.Ingest(t.Context(), id, []channel.Event{{ID: "ev-m1", Kind: channel.EventMessage, Time: *fx.now,
		Mode: channel.ModeActive, Source: channel.User("U1"), Message: &m}}))
	return fx, conv, fake, id
}

// Disconnect promises that nothing can reach the account any more: a profile job queued before it does
// not call the account (jobs read their channel as it is when they run).
func TestNothingReachesTheAccountAfterDisconnect(t *testing.T) {
	fx, conv, _, id := queuedFixture(t)
	require.NoError(t, fx.svc.Disconnect(t.Context(), id, false))
	_, err := conv.Flush(t.Context())
	require.NoError(t, err)

	contacts, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{})
	require.NoError(t, err)
	require.Len(t, contacts, 1)
	c, err := fx.s.GetContact(t.Context(), contacts[0].Conversation.ContactID)
	require.NoError(t, err)
	require.NotEqual(t, store.ProfileFetched, c.ProfileStatus,
		"the profile was fetched from the account after Disconnect, with the credentials it removed")
}

// An erased channel's customer's profile is not fetched from the account after the erase.
func TestNoProfileOfAnErasedChannelsCustomerIsFetched(t *testing.T) {
	fx, conv, fake, id := queuedFixture(t)
	marker := errors.New("the account was called")
	fake.Fail(channeltest.OpProfile, marker) // the next Profile call takes it
	require.NoError(t, fx.svc.Disconnect(t.Context(), id, true))
	_, err := conv.Flush(t.Context())
	require.NoError(t, err)
	_, err = fake.Profile(t.Context(), channel.User("U1"))
	require.ErrorIs(t, err, marker, "a Profile call reached the account of the erased channel")
}
