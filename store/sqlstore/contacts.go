package sqlstore

import (
	"context"
	"errors"
	"slices"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

const contactCols = `id, channel_id, peer_kind, peer_id, profile, profile_status, profile_error, followed,
	record_kind, record_id, record_owner, created_at, updated_at, version, follow_changed_at, record_name`

// contactScan receives a contact row.
type contactScan struct {
	c                                 store.Contact
	kind, profile, status, recordKind string
	created, updated, followChanged   int64
}

func (x *contactScan) dest() []any {
	c := &x.c
	return []any{&c.ID, &c.ChannelID, &x.kind, &c.Peer.ID, &x.profile, &x.status, &c.ProfileError, &c.Followed,
		&x.recordKind, &c.Record.ID, &c.Record.Owner, &x.created, &x.updated, &c.Version, &x.followChanged, &c.Record.Name}
}

func (x *contactScan) value() (store.Contact, error) {
	c := x.c
	c.Peer.Kind, c.ProfileStatus, c.Record.Kind = channel.PeerKind(x.kind), store.ProfileStatus(x.status), store.RecordKind(x.recordKind)
	c.CreatedAt, c.UpdatedAt, c.FollowChangedAt = timeOf(x.created), timeOf(x.updated), timeOf(x.followChanged)
	return c, fromJSON(x.profile, &c.Profile)
}

func scanContact(r Row) (store.Contact, error) {
	var x contactScan
	if err := r.Scan(x.dest()...); err != nil {
		return store.Contact{}, err
	}
	return x.value()
}

var errNoPeer = errors.New("sqlstore: peer kind and ID are required")

// FindOrCreateContact implements store.Contacts: a read, and for a new peer one INSERT … ON CONFLICT DO
// NOTHING (then a read again if a concurrent caller created it first), so concurrent callers create it once.
func (s *Store) FindOrCreateContact(ctx context.Context, c store.Contact) (store.Contact, bool, error) {
	if err := check(ctx); err != nil {
		return store.Contact{}, false, err
	}
	if c.Peer.Kind == "" || c.Peer.ID == "" {
		return store.Contact{}, false, errNoPeer
	}
	find := func() (store.Contact, error) {
		return scanContact(s.db.QueryRow(ctx, `SELECT `+contactCols+` FROM contacts
			WHERE channel_id = $1 AND peer_kind = $2 AND peer_id = $3`, c.ChannelID, string(c.Peer.Kind), c.Peer.ID))
	}
	if c.ID == "" {
		c.ID = id.New()
	}
	now := s.stamp()
	args := []any{c.ID, c.ChannelID, string(c.Peer.Kind), c.Peer.ID, jsonText(c.Profile), string(c.ProfileStatus), c.ProfileError,
		c.Followed, string(c.Record.Kind), c.Record.ID, c.Record.Owner, now, micros(c.FollowChangedAt), c.Record.Name}
	return findOrCreate(ctx, s, scanContact, find, createQueries{table: "contacts", cols: contactCols, what: "contact",
		insert: `INSERT INTO contacts (` + contactCols + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, 1, $13, $14)`,
		onConflict: `ON CONFLICT (channel_id, peer_kind, peer_id) DO NOTHING`,
		lookup:     `SELECT ` + contactCols + ` FROM contacts WHERE channel_id = $2 AND peer_kind = $3 AND peer_id = $4`,
		insertSelect: `INSERT INTO contacts (` + contactCols + `)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, 1, $13, $14 WHERE TRUE`,
	}, args...)
}

// GetContact implements store.Contacts.
func (s *Store) GetContact(ctx context.Context, id string) (store.Contact, error) {
	if err := check(ctx); err != nil {
		return store.Contact{}, err
	}
	c, err := scanContact(s.db.QueryRow(ctx, `SELECT `+contactCols+` FROM contacts WHERE id = $1`, id))
	return c, s.mapErr(err, "contact "+id)
}

// GetContacts implements store.ContactsGetter: SELECT … WHERE id IN (…), for up to maxInList ids a
// statement (databases bound a statement's parameters).
func (s *Store) GetContacts(ctx context.Context, ids []string) ([]store.Contact, error) {
	if err := check(ctx); err != nil {
		return nil, err
	}
	var out []store.Contact
	for chunk := range slices.Chunk(slices.Compact(slices.Sorted(slices.Values(ids))), maxInList) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		got, err := queryAll(ctx, s, "contacts", scanContact, `SELECT `+contactCols+` FROM contacts WHERE id IN (`+inList(1, len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// maxInList is the most values GetContacts puts in one IN list.
const maxInList = 500

// UpdateContact implements store.Contacts.
func (s *Store) UpdateContact(ctx context.Context, c store.Contact) (store.Contact, error) {
	if err := check(ctx); err != nil {
		return store.Contact{}, err
	}
	got, err := writeRow(ctx, s, scanContact, `UPDATE contacts SET profile = $3, profile_status = $4, profile_error = $5,
		followed = $6, updated_at = $7, follow_changed_at = $8, version = version + 1
		WHERE id = $1 AND version = $2`, "", "contacts", contactCols, "id = $1",
		c.ID, c.Version, jsonText(c.Profile), string(c.ProfileStatus), c.ProfileError, c.Followed, s.stamp(),
		micros(c.FollowChangedAt))
	if s.noRows(err) {
		return store.Contact{}, s.versionConflict(ctx, "contacts", "contact", c.ID, c.Version)
	}
	return got, s.mapErr(err, "contact "+c.ID)
}
