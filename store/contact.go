package store

import (
	"context"
	"errors"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// Contact is someone the business talks to on one channel: a user, or a group or room as a whole. It is
// "unregistered" (FEATURES F5) until linked to a CRM record.
type Contact struct {
	ID        string // assigned by the store when empty
	ChannelID string
	// Peer identifies the contact on the channel; (ChannelID, Peer.Kind, Peer.ID) is unique. The store
	// keeps Peer.Chat(): the acting member of a group belongs to each message, not to the contact.
	Peer channel.Peer
	// Profile is what the channel told about the contact. Personal data: never log it.
	Profile       channel.Profile
	ProfileStatus ProfileStatus
	// ProfileError says why the last profile fetch failed, as an error category (never the error text).
	ProfileError string
	// Followed is false once the user blocked (unfollowed) the account: it can no longer be sent to.
	Followed bool
	// FollowChangedAt is the time of the event that last set Followed: a follow or unfollow event older
	// than it is stale (channels redeliver out of order) and changes nothing.
	FollowChangedAt time.Time
	// Record is the CRM record the contact is linked to; zero while unregistered. Only Links.LinkContact
	// changes it (keeping the history, and mirroring it onto the contact's conversations); UpdateContact
	// keeps the stored one.
	Record RecordRef

	CreatedAt time.Time // set by the store
	UpdatedAt time.Time // set by the store
	Version   int64     // set by the store
}

// ProfileStatus tracks fetching a contact's profile, which happens after its first message is stored.
type ProfileStatus string

// Profile statuses.
const (
	ProfilePending ProfileStatus = "" // not fetched yet: show a placeholder name
	ProfileFetched ProfileStatus = "fetched"
	ProfileFailed  ProfileStatus = "failed" // see Contact.ProfileError; the messages are kept regardless
)

// RecordKind is the kind of a CRM record a contact can be linked to.
type RecordKind string

// Record kinds.
const (
	RecordLead    RecordKind = "lead"
	RecordContact RecordKind = "contact"
)

// RecordRef points at a record the host CRM owns, with the record's owner kept beside it because it drives
// ownership and the "my records" views (FEATURES F10, F20).
type RecordRef struct {
	Kind  RecordKind
	ID    string
	Owner string // user ID of the record's owner in the CRM
	Name  string // the record's name as the CRM showed it when linked, for display
}

// IsZero reports whether r points at nothing (the contact is unregistered).
func (r RecordRef) IsZero() bool { return r.ID == "" }

// Contacts stores contacts. Implementations must be safe for concurrent use.
type Contacts interface {
	// FindOrCreateContact returns the contact with c's (ChannelID, Peer.Kind, Peer.ID), or creates it from c
	// (assigning ID, CreatedAt, UpdatedAt, Version 1); created reports which. Concurrent calls for one
	// peer create it once and all return it. An unknown ChannelID returns ErrNotFound.
	FindOrCreateContact(ctx context.Context, c Contact) (_ Contact, created bool, _ error)
	// GetContact returns the contact id, or ErrNotFound.
	GetContact(ctx context.Context, id string) (Contact, error)
	// UpdateContact replaces the stored contact c.ID if its Version equals c.Version and returns it with
	// Version+1; otherwise ErrConflict (ErrNotFound if missing). The identity (ChannelID, Peer) and the
	// linked Record are never updated: the stored ones are kept and returned.
	UpdateContact(ctx context.Context, c Contact) (Contact, error)
}

// ContactsGetter is implemented by stores that read several contacts at once. GetContacts returns the
// contacts of ids that exist, each once and in no particular order (a missing one is no error), as
// GetContact would return them, with one statement where GetContact would make one per contact.
type ContactsGetter interface {
	GetContacts(ctx context.Context, ids []string) ([]Contact, error)
}

// GetContacts returns the contacts of ids that exist, with s's ContactsGetter when it has one, else with
// GetContact, one by one.
func GetContacts(ctx context.Context, s Contacts, ids []string) ([]Contact, error) {
	if g, ok := s.(ContactsGetter); ok {
		return g.GetContacts(ctx, ids)
	}
	var out []Contact
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		c, err := s.GetContact(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
