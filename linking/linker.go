package linking

import (
	"context"
	"errors"
	"fmt"

	"github.com/msgkit/msgkit/store"
)

// ErrAlreadyLinked is returned by Link and CreateAndLink for a contact that is linked already; relink it
// instead. It wraps store.ErrConflict, as does losing a race to link the same contact.
var ErrAlreadyLinked = fmt.Errorf("linking: contact is already linked: %w", store.ErrConflict)

// Store is what a Linker needs of a store.
type Store interface {
	store.Contacts
	store.Links
}

// Linker links messenger contacts to the host CRM's leads and contacts, keeping every change in the
// contact's link history so it can be undone. It is safe for concurrent use: changes are
// compare-and-set in the store, so of two agents linking one contact at once exactly one wins and the
// other gets store.ErrConflict.
type Linker struct {
	store   Store
	records Records
}

// New returns a Linker over s and the CRM's records.
func New(s Store, records Records) (*Linker, error) {
	if s == nil || records == nil {
		return nil, errors.New("linking: New needs a store and the CRM's records")
	}
	return &Linker{store: s, records: records}, nil
}

// Suggest returns candidate records for a contact (the [+] dialog, or a relink): records whose name
// matches query when the agent typed one, or else the contact's profile name, best first as Rank orders
// them, at most limit (0: the CRM's default). It searches the CRM once; for an unlinked contact's
// suggestions with their ranking, and a wider search, use the package's Suggest.
func (l *Linker) Suggest(ctx context.Context, contactID, query string, limit int) ([]Record, error) {
	c, err := l.store.GetContact(ctx, contactID)
	if err != nil {
		return nil, err
	}
	q := Query{Name: query, Language: c.Profile.Language, Limit: limit}
	if q.Name == "" {
		q.Name = c.Profile.DisplayName
	}
	found, err := l.records.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	ranked := Rank(q.Name, found)
	out := make([]Record, len(ranked))
	for i, s := range ranked {
		out[i] = s.Record
	}
	return out, nil
}

// Link links an unregistered contact to an existing record (FEATURES F9). by is the agent.
func (l *Linker) Link(ctx context.Context, contactID string, kind store.RecordKind, recordID, by string) (store.Contact, error) {
	r, err := l.records.Get(ctx, kind, recordID)
	if err != nil {
		return store.Contact{}, err
	}
	return l.change(ctx, store.LinkChange{ContactID: contactID, To: r.Ref(), By: by, Reason: store.LinkLinked})
}

// CreateAndLink creates a lead or contact from the contact's messenger profile (name, picture, language),
// owned by owner, and links the contact to it. It checks first that the contact is unregistered; if
// another agent links it between that check and the link, the new record is returned with the error so
// the caller can remove it.
func (l *Linker) CreateAndLink(ctx context.Context, contactID string, kind store.RecordKind, owner, by string) (Record, store.Contact, error) {
	c, err := l.store.GetContact(ctx, contactID)
	if err != nil {
		return Record{}, store.Contact{}, err
	}
	if !c.Record.IsZero() {
		return Record{}, c, ErrAlreadyLinked
	}
	name := c.Profile.DisplayName
	if name == "" {
		name = string(c.Peer.Kind) + " " + c.Peer.ID // the profile was not fetched: still a usable name
	}
	r, err := l.records.Create(ctx, NewRecord{Kind: kind, DisplayName: name, PictureURL: c.Profile.PictureURL,
		Language: c.Profile.Language, Owner: owner})
	if err != nil {
		return Record{}, c, fmt.Errorf("linking: creating the %s: %w", kind, err)
	}
	c, err = l.change(ctx, store.LinkChange{ContactID: contactID, To: r.Ref(), By: by, Reason: store.LinkCreated})
	return r, c, err
}

// Unlink makes a linked contact unregistered again.
func (l *Linker) Unlink(ctx context.Context, contactID, by string) (store.Contact, error) {
	c, err := l.store.GetContact(ctx, contactID)
	if err != nil {
		return store.Contact{}, err
	}
	if c.Record.IsZero() {
		return c, nil
	}
	return l.change(ctx, store.LinkChange{ContactID: contactID, From: c.Record, By: by, Reason: store.LinkUnlink})
}

// Relink moves a linked contact from the record it is linked to now to another one. from is the record
// the agent saw: if the link changed meanwhile, it fails with store.ErrConflict.
func (l *Linker) Relink(ctx context.Context, contactID string, from store.RecordRef, kind store.RecordKind, recordID, by string) (store.Contact, error) {
	r, err := l.records.Get(ctx, kind, recordID)
	if err != nil {
		return store.Contact{}, err
	}
	return l.change(ctx, store.LinkChange{ContactID: contactID, From: from, To: r.Ref(), By: by, Reason: store.LinkRelink})
}

// Undo reverts the link change changeID of the contact, if the contact is still linked as that change
// left it (otherwise store.ErrConflict: undo the later changes first). The undo is itself recorded.
func (l *Linker) Undo(ctx context.Context, contactID, changeID, by string) (store.Contact, error) {
	history, err := l.store.ListLinkChanges(ctx, contactID)
	if err != nil {
		return store.Contact{}, err
	}
	for _, ch := range history {
		if ch.ID == changeID {
			return l.change(ctx, store.LinkChange{ContactID: contactID, From: ch.To, To: ch.From, By: by, Reason: store.LinkUndo})
		}
	}
	return store.Contact{}, fmt.Errorf("linking: contact %s has no link change %s: %w", contactID, changeID, store.ErrNotFound)
}

// History returns the contact's link changes, oldest first.
func (l *Linker) History(ctx context.Context, contactID string) ([]store.LinkChange, error) {
	return l.store.ListLinkChanges(ctx, contactID)
}

// Contacts returns the contacts linked to a record: the same person may write from several channels or
// several LINE accounts.
func (l *Linker) Contacts(ctx context.Context, kind store.RecordKind, recordID string) ([]store.Contact, error) {
	return l.store.ListContactsByRecord(ctx, kind, recordID)
}

// Merged moves the links of record from to record into, after the CRM merged them. Call it from the
// CRM's merge hook. It returns how many contacts moved; a contact relinked meanwhile is left alone.
func (l *Linker) Merged(ctx context.Context, from, into store.RecordRef, by string) (int, error) {
	return l.moveAll(ctx, from, into, by, store.LinkMerge)
}

// OwnerChanged updates the owner kept with every link to a record, after the CRM changed the record's
// owner; it drives the "my records" views and who owns the conversations. It returns how many links
// changed.
func (l *Linker) OwnerChanged(ctx context.Context, kind store.RecordKind, recordID, owner, by string) (int, error) {
	ref := store.RecordRef{Kind: kind, ID: recordID, Owner: owner}
	return l.moveAll(ctx, ref, ref, by, store.LinkOwner)
}

// moveAll relinks every contact linked to from (by kind and ID) to to.
func (l *Linker) moveAll(ctx context.Context, from, to store.RecordRef, by string, reason store.LinkReason) (int, error) {
	contacts, err := l.store.ListContactsByRecord(ctx, from.Kind, from.ID)
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, c := range contacts {
		if reason == store.LinkOwner && c.Record.Owner == to.Owner {
			continue
		}
		to := to
		if reason == store.LinkOwner {
			to.Name = c.Record.Name // only the owner changed
		}
		_, err := l.store.LinkContact(ctx, store.LinkChange{ContactID: c.ID, From: c.Record, To: to, By: by, Reason: reason})
		switch {
		case errors.Is(err, store.ErrConflict): // relinked meanwhile: no longer ours to move
		case err != nil:
			return moved, err
		default:
			moved++
		}
	}
	return moved, nil
}

// OwnerOf returns the owner of the record the contact is linked to, and whether it is linked. Once a
// contact is linked, its conversations belong to that owner rather than to round robin.
func (l *Linker) OwnerOf(ctx context.Context, contactID string) (string, bool, error) {
	c, err := l.store.GetContact(ctx, contactID)
	if err != nil {
		return "", false, err
	}
	return c.Record.Owner, !c.Record.IsZero(), nil
}

// Timeline returns one page of the record's messages (FEATURES F11): every message exchanged with every
// contact linked to it, across channels, in chronological order (p.Order), keyset-paged both ways.
func (l *Linker) Timeline(ctx context.Context, kind store.RecordKind, recordID string, p store.Page) ([]store.Message, store.Cursor, error) {
	return l.store.ListRecordMessages(ctx, kind, recordID, p)
}

// change applies one link change; losing the race maps to ErrAlreadyLinked for first links.
func (l *Linker) change(ctx context.Context, ch store.LinkChange) (store.Contact, error) {
	c, err := l.store.LinkContact(ctx, ch)
	if errors.Is(err, store.ErrConflict) && ch.From.IsZero() {
		return c, ErrAlreadyLinked
	}
	return c, err
}
