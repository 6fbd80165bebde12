package conversation_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
)

// noProfileAPI is an adapter that cannot look profiles up (WhatsApp has no profile API): only the
// Adapter interface of the Fake shows.
type noProfileAPI struct{ channel.Adapter }

// named is fx.text with the sender's profile, as a WhatsApp webhook names it.
func (fx fixture) named(user, name, body string) channel.Event {
	e := fx.text(user, body)
	e.ReplyToken = ""
	e.Profile = &channel.Profile{UserID: user, DisplayName: name}
	return e
}

func (fx fixture) contactOf(t *testing.T, user string) store.Contact {
	t.Helper()
	k, err := fx.s.GetContact(t.Context(), fx.conversationWith(t, user).ContactID)
	require.NoError(t, err)
	return k
}

// A webhook that names its sender sets the contact's profile as it is stored: the inbox shows the name
// before any job runs, and a channel that cannot look profiles up records no profile job.
func TestWebhookProfileIsSetOnIngest(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	fx.useAdapterAs(t, noProfileAPI{fx.fake})

	require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.named("16505551234", "Sheena Nelson", "hello")}))
	k := fx.contactOf(t, "16505551234")
	require.Equal(t, "Sheena Nelson", k.Profile.DisplayName, "set in the ingest transaction, before any job")
	require.Equal(t, "16505551234", k.Profile.UserID)
	require.Equal(t, store.ProfileFetched, k.ProfileStatus)
	list, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{})
	require.NoError(t, err)
	require.Equal(t, "Sheena Nelson", list[0].Contact.Profile.DisplayName, "the inbox row shows the name")
	require.Equal(t, 1, fx.flush(t), "routing only: no profile job for a channel without a profile API")

	// A newer name replaces it; an older event delivered late does not bring the old one back.
	fx.clock.Advance(time.Minute)
	newer := fx.named("16505551234", "Sheena N.", "again")
	fx.ingest(t, newer)
	require.Equal(t, "Sheena N.", fx.contactOf(t, "16505551234").Profile.DisplayName)
	late := fx.named("16505551234", "Sheena Nelson", "written before")
	late.Time = newer.Time.Add(-30 * time.Second)
	fx.ingest(t, late)
	k = fx.contactOf(t, "16505551234")
	require.Equal(t, "Sheena N.", k.Profile.DisplayName, "a late event never overwrites a newer name")
	require.Len(t, fx.messages(t, fx.conversationWith(t, "16505551234").ID), 3, "the late message is stored all the same")

	// A webhook without a name changes nothing, and an empty profile is no profile.
	fx.clock.Advance(time.Minute)
	plain := fx.text("16505551234", "no contacts in this one")
	fx.ingest(t, plain)
	empty := fx.named("16505551234", "", "empty name")
	fx.ingest(t, empty)
	require.Equal(t, "Sheena N.", fx.contactOf(t, "16505551234").Profile.DisplayName)
	require.Empty(t, *fx.errs)
}

// In a group, the speaker's name is not the group's; a profile naming another user than the sender is
// ignored.
func TestWebhookProfileOnlyNamesItsOwnChat(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	fx.useAdapterAs(t, noProfileAPI{fx.fake})
	g := fx.named("U1", "Member", "hi all")
	g.Source = channel.Group("G1", "U1")
	g.Profile.UserID = "" // as a channel that does not repeat the user ID would send it
	other := fx.named("U2", "Somebody else", "hi")
	other.Profile.UserID = "U3"
	fx.ingest(t, g, other)
	list, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{})
	require.NoError(t, err)
	require.Len(t, list, 2)
	for _, e := range list {
		require.Empty(t, e.Contact.Profile.DisplayName, "%s", e.Contact.Peer)
	}
}

// On a channel that can also look profiles up, the name from the webhook shows at once and the profile
// is still fetched; a fetched profile without a name never erases the name.
func TestFetchedProfileNeverErasesAName(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, nil)
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "", PictureURL: "https://cdn.example/u1.jpg", Language: "ja"})
	require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.named("U1", "Hanako", "hello")}))
	require.Equal(t, "Hanako", fx.contactOf(t, "U1").Profile.DisplayName)
	require.Equal(t, 2, fx.flush(t), "routing, and the profile fetch the channel offers")
	k := fx.contactOf(t, "U1")
	require.Equal(t, "Hanako", k.Profile.DisplayName, "an empty fetched name keeps the webhook's")
	require.Equal(t, "https://cdn.example/u1.jpg", k.Profile.PictureURL, "the rest of the fetched profile is kept")
	require.Equal(t, "ja", k.Profile.Language)

	fx.fake.SetProfile(channel.Profile{UserID: "U2", DisplayName: "Taro Yamada"})
	fx.ingest(t, fx.named("U2", "Taro", "hi"))
	require.Equal(t, "Taro Yamada", fx.contactOf(t, "U2").Profile.DisplayName, "a fetched name replaces the webhook's")
}

// useAdapterAs serves the fixture's channel with a (any adapter, not only a Fake).
func (fx *fixture) useAdapterAs(t *testing.T, a channel.Adapter) {
	t.Helper()
	svc, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: a}, fx.opts)
	require.NoError(t, err)
	fx.svc = svc
}
