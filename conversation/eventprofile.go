package conversation

import (
	"context"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// A webhook that names its sender (channel.Event.Profile: WhatsApp's value.contacts) sets the contact's
// profile in the transaction that stores the event, so the inbox shows the name at once and a channel
// with no profile API needs no profile job. The rules:
//
//   - Only a one-to-one chat's contact takes it, and only from the user the chat is with: in a group, the
//     speaker's name is not the group's.
//   - Only a display name makes it a profile; the fields it carries replace the stored ones, the fields it
//     leaves empty keep theirs.
//   - An event older than the conversation's last inbound message changes nothing: a newer one named the
//     sender already (channels deliver out of order).
//   - A profile fetched later (runProfile) replaces it, except that an empty name never replaces a name.

// eventProfile returns the profile e tells of the user of the one-to-one chat peer, or nil when it tells
// none.
func eventProfile(peer channel.Peer, e *channel.Event) *channel.Profile {
	p := e.Profile
	if p == nil || p.DisplayName == "" || peer.Kind != channel.PeerUser || e.Source.UserID != peer.ID {
		return nil
	}
	if p.UserID != "" && p.UserID != peer.ID {
		return nil // the webhook named someone else
	}
	return p
}

// mergeProfile applies p to c, the fields p carries replacing c's, and marks the profile known. It
// reports whether c changed.
func mergeProfile(c *store.Contact, p channel.Profile) bool {
	before := c.Profile
	np := c.Profile
	if np.UserID == "" {
		np.UserID = c.Peer.ID
	}
	for _, f := range []struct {
		to *string
		v  string
	}{
		{&np.DisplayName, p.DisplayName}, {&np.PictureURL, p.PictureURL},
		{&np.StatusMessage, p.StatusMessage}, {&np.Language, p.Language},
	} {
		if f.v != "" {
			*f.to = f.v
		}
	}
	if np == before && c.ProfileStatus == store.ProfileFetched {
		return false
	}
	c.Profile, c.ProfileStatus, c.ProfileError = np, store.ProfileFetched, ""
	return true
}

// withEventProfile gives first, a contact about to be created for e, the profile e tells, and reports
// whether it told one.
func withEventProfile(first *store.Contact, e *channel.Event) bool {
	p := eventProfile(first.Peer, e)
	if p == nil {
		return false
	}
	mergeProfile(first, *p)
	return true
}

// applyEventProfile updates the existing contact c, in tx, with the profile e tells, unless e is older
// than conv's last inbound message. It returns the contact as stored, and whether e told a profile.
func applyEventProfile(ctx context.Context, tx store.Store, c store.Contact, conv store.Conversation, e *channel.Event) (store.Contact, bool, error) {
	p := eventProfile(c.Peer, e)
	if p == nil {
		return c, false, nil
	}
	if e.Time.Before(conv.LastInboundAt) {
		return c, true, nil // stale: a newer message named the sender
	}
	if !mergeProfile(&c, *p) {
		return c, true, nil
	}
	c, err := tx.UpdateContact(ctx, c)
	return c, true, err
}

// keepName returns fetched, a profile the channel answered, with the stored name kept when the channel
// answered none: an empty name never replaces a name (one a webhook told, say).
func keepName(fetched, stored channel.Profile) channel.Profile {
	if fetched.DisplayName == "" {
		fetched.DisplayName = stored.DisplayName
	}
	if fetched.UserID == "" {
		fetched.UserID = stored.UserID
	}
	return fetched
}
