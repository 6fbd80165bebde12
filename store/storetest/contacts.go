package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// RunContacts checks store.Contacts.
func RunContacts(t *testing.T, h Harness) {
	rule(t, h, "FindOrCreateCreatesOnceThenFinds", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		first, created, err := fx.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: ch.ID, Peer: channel.User("U1")})
		require.NoError(t, err)
		require.True(t, created, "the first call creates")
		require.NotEmpty(t, first.ID)
		require.Equal(t, int64(1), first.Version)
		require.Equal(t, T0, first.CreatedAt)
		again, created, err := fx.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: ch.ID, Peer: channel.User("U1"),
			Profile: channel.Profile{DisplayName: "ignored"}})
		require.NoError(t, err)
		require.False(t, created, "a second call for the same peer finds")
		require.Equal(t, first, again, "find returns the stored contact, not the argument")
	})

	rule(t, h, "GetReturnsWhatWasStored", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		in := store.Contact{ChannelID: ch.ID, Peer: channel.User("U1"), Followed: true, FollowChangedAt: T0.Add(-time.Minute),
			Profile:       channel.Profile{UserID: "U1", DisplayName: "Hanako", PictureURL: "https://example.com/h.png", StatusMessage: "hi", Language: "ja"},
			ProfileStatus: store.ProfileFetched,
			Record:        store.RecordRef{Kind: store.RecordLead, ID: "lead-1", Owner: "agent-1"}}
		c, _, err := fx.s.FindOrCreateContact(t.Context(), in)
		require.NoError(t, err)
		got, err := fx.s.GetContact(t.Context(), c.ID)
		require.NoError(t, err)
		in.ID, in.CreatedAt, in.UpdatedAt, in.Version = c.ID, T0, T0, 1
		in.Peer = in.Peer.Chat()
		require.Equal(t, in, got, "every field must round-trip")
	})

	// GetContacts (store.ContactsGetter, or GetContact one by one through the helper) returns each
	// existing contact once, as GetContact does, and skips missing ones; in a transaction it sees the
	// transaction's own writes.
	rule(t, h, "GetContactsReturnsEachExistingOneAsGetDoes", func(t *testing.T, fx fixture) {
		ctx := t.Context()
		ch := fx.newChannel(t, "chan-1")
		a, b, c := fx.newContact(t, ch, "U1"), fx.newContact(t, ch, "U2"), fx.newContact(t, ch, "U3")
		byID := func(cs []store.Contact) map[string]store.Contact {
			m := map[string]store.Contact{}
			for _, c := range cs {
				require.NotContains(t, m, c.ID, "each contact once")
				m[c.ID] = c
			}
			return m
		}
		got, err := store.GetContacts(ctx, fx.s, []string{c.ID, "no-such-contact", a.ID, c.ID})
		require.NoError(t, err)
		require.Equal(t, map[string]store.Contact{a.ID: a, c.ID: c}, byID(got))
		none, err := store.GetContacts(ctx, fx.s, nil)
		require.NoError(t, err)
		require.Empty(t, none)
		many := []string{a.ID} // more ids than one statement may take (backends bound their parameters)
		for i := range 1500 {
			many = append(many, fmt.Sprintf("missing-%04d", i))
		}
		got, err = store.GetContacts(ctx, fx.s, append(many, c.ID, a.ID))
		require.NoError(t, err)
		require.Equal(t, map[string]store.Contact{a.ID: a, c.ID: c}, byID(got), "1,503 ids, two of them known")

		b.Profile.DisplayName = "Hanako"
		var inTx []store.Contact
		require.NoError(t, fx.s.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
			var err error
			if b, err = tx.UpdateContact(ctx, b); err != nil {
				return err
			}
			inTx, err = store.GetContacts(ctx, tx, []string{a.ID, b.ID})
			return err
		}))
		require.Equal(t, map[string]store.Contact{a.ID: a, b.ID: b}, byID(inTx), "the transaction's own update is seen")
	})

	rule(t, h, "GroupContactIsTheChatNotTheSpeaker", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		a, _, err := fx.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: ch.ID, Peer: channel.Group("G1", "U1")})
		require.NoError(t, err)
		b, created, err := fx.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: ch.ID, Peer: channel.Group("G1", "U2")})
		require.NoError(t, err)
		require.False(t, created, "another member speaking in the same group is the same contact")
		require.Equal(t, a.ID, b.ID)
		require.Equal(t, channel.Peer{Kind: channel.PeerGroup, ID: "G1"}, b.Peer, "the stored peer has no acting user")
		r, created, err := fx.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: ch.ID, Peer: channel.Room("G1", "")})
		require.NoError(t, err)
		require.True(t, created, "a room with a group's ID is another contact: the kind is part of the identity")
		require.NotEqual(t, a.ID, r.ID)
	})

	rule(t, h, "SamePeerOnAnotherChannelIsAnotherContact", func(t *testing.T, fx fixture) {
		a := fx.newContact(t, fx.newChannel(t, "a"), "U1")
		b := fx.newContact(t, fx.newChannel(t, "b"), "U1")
		require.NotEqual(t, a.ID, b.ID)
	})

	rule(t, h, "FindOrCreateOnUnknownChannelIsErrNotFound", func(t *testing.T, fx fixture) {
		_, _, err := fx.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: "no-such-channel", Peer: channel.User("U1")})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "ConcurrentFindOrCreateCreatesOne", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		requireOneCreator(t, "contact", func() (string, bool, error) {
			c, created, err := fx.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: ch.ID, Peer: channel.User("U1")})
			return c.ID, created, err
		})
	})

	// Ingest finds or creates the contact inside its transaction: there too, concurrent callers get the one
	// contact and none an error. (A transaction that reads a snapshot taken before the winner committed,
	// as MySQL's REPEATABLE READ does, cannot see the contact its own insert collided with.)
	// The race is short, so it is run for several peers.
	rule(t, h, "ConcurrentFindOrCreateInTransactionsCreatesOne", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		for i := range 8 {
			peer := channel.User(fmt.Sprint("U", i))
			requireOneCreator(t, "contact", func() (id string, created bool, err error) {
				err = fx.s.RunInTx(t.Context(), func(ctx context.Context, tx store.Store) error {
					c, made, err := tx.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: peer})
					id, created = c.ID, made
					return err
				})
				return id, created, err
			})
		}
	})

	rule(t, h, "GetMissingIsErrNotFound", func(t *testing.T, fx fixture) {
		_, err := fx.s.GetContact(t.Context(), "no-such-contact")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "UpdateReplacesAndBumpsVersion", func(t *testing.T, fx fixture) {
		c := fx.newContact(t, fx.newChannel(t, "c"), "U1")
		fx.clock.Advance(time.Second)
		c.Profile = channel.Profile{UserID: "U1", DisplayName: "Taro"}
		c.ProfileStatus, c.ProfileError = store.ProfileFailed, "channel: not found"
		c.Followed, c.FollowChangedAt = false, T0.Add(-time.Second)
		upd, err := fx.s.UpdateContact(t.Context(), c)
		require.NoError(t, err)
		require.Equal(t, int64(2), upd.Version)
		require.Equal(t, T0.Add(time.Second), upd.UpdatedAt)
		got, err := fx.s.GetContact(t.Context(), c.ID)
		require.NoError(t, err)
		require.Equal(t, upd, got)
		c.Version, c.UpdatedAt = 2, upd.UpdatedAt
		require.Equal(t, c, got, "every changed field must round-trip")
	})

	rule(t, h, "UpdateKeepsTheLinkedRecord", func(t *testing.T, fx fixture) {
		c := fx.newContact(t, fx.newChannel(t, "c"), "U1")
		lead := store.RecordRef{Kind: store.RecordLead, ID: "L1", Owner: "agent-1", Name: "Lead one"}
		linked, err := fx.s.LinkContact(t.Context(), store.LinkChange{ContactID: c.ID, To: lead, Reason: store.LinkLinked})
		require.NoError(t, err)
		linked.Record = store.RecordRef{Kind: store.RecordContact, ID: "sneaked-in"}
		upd, err := fx.s.UpdateContact(t.Context(), linked)
		require.NoError(t, err)
		require.Equal(t, lead, upd.Record, "only LinkContact changes the link, so its history stays complete")
		upd.Record = store.RecordRef{}
		upd, err = fx.s.UpdateContact(t.Context(), upd)
		require.NoError(t, err)
		require.Equal(t, lead, upd.Record, "an update from a copy read before the link keeps it")
	})

	rule(t, h, "UpdateKeepsIdentity", func(t *testing.T, fx fixture) {
		ch := fx.newChannel(t, "c")
		c := fx.newContact(t, ch, "U1")
		c.ChannelID, c.Peer = "elsewhere", channel.User("U2")
		upd, err := fx.s.UpdateContact(t.Context(), c)
		require.NoError(t, err)
		require.Equal(t, ch.ID, upd.ChannelID, "the channel of a contact never changes")
		require.Equal(t, channel.User("U1").Chat(), upd.Peer, "the peer of a contact never changes")
		again, created, err := fx.s.FindOrCreateContact(t.Context(), store.Contact{ChannelID: ch.ID, Peer: channel.User("U1")})
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, c.ID, again.ID)
	})

	rule(t, h, "UpdateWithStaleVersionIsErrConflict", func(t *testing.T, fx fixture) {
		c := fx.newContact(t, fx.newChannel(t, "c"), "U1")
		_, err := fx.s.UpdateContact(t.Context(), c)
		require.NoError(t, err)
		c.Record = store.RecordRef{Kind: store.RecordLead, ID: "lost"}
		_, err = fx.s.UpdateContact(t.Context(), c)
		require.ErrorIs(t, err, store.ErrConflict)
		got, err := fx.s.GetContact(t.Context(), c.ID)
		require.NoError(t, err)
		require.True(t, got.Record.IsZero(), "a conflicting update must change nothing")
	})

	rule(t, h, "ConcurrentUpdatesOfOneVersionHaveOneWinner", func(t *testing.T, fx fixture) {
		c := fx.newContact(t, fx.newChannel(t, "c"), "U1")
		requireOneWinner(t, "update from the same version", func(i int) error {
			u := c
			u.Record = store.RecordRef{Kind: store.RecordLead, ID: fmt.Sprint("lead-", i)}
			_, err := fx.s.UpdateContact(t.Context(), u)
			return err
		})
	})

	rule(t, h, "UpdateMissingIsErrNotFound", func(t *testing.T, fx fixture) {
		_, err := fx.s.UpdateContact(t.Context(), store.Contact{ID: "no-such-contact", Version: 1})
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
