package store

import (
	"context"
	"time"
)

// LinkReason says why a contact's link to a CRM record changed.
type LinkReason string

// Link reasons.
const (
	LinkLinked  LinkReason = "link"   // linked to an existing record
	LinkCreated LinkReason = "create" // linked to a record created from the contact's profile
	LinkUnlink  LinkReason = "unlink" // unlinked
	LinkRelink  LinkReason = "relink" // moved to another record
	LinkMerge   LinkReason = "merge"  // the record was merged into another in the CRM
	LinkOwner   LinkReason = "owner"  // the record's owner changed in the CRM
	LinkUndo    LinkReason = "undo"   // an earlier change was undone
)

// LinkChange is one change of a contact's link, kept as its history so every change can be undone.
type LinkChange struct {
	ID        string // assigned by the store
	ContactID string
	From      RecordRef // the link before; zero when the contact was unregistered
	To        RecordRef // the link after; zero to unlink
	By        string    // the user who made the change; empty for the system
	Reason    LinkReason
	At        time.Time // set by the store
}

// Links stores links between contacts and CRM records, their history, and the record timeline.
// Implementations must be safe for concurrent use.
type Links interface {
	// LinkContact sets the contact's Record to ch.To if its current record is still ch.From (compared by
	// Kind and ID; the owner and name may differ), mirrors it onto the contact's conversations, and records
	// ch in the history (stamping ID and At), atomically.
	// Of concurrent changes from the same link exactly one succeeds; the others get ErrConflict. A
	// missing contact returns ErrNotFound. It returns the updated contact (Version+1).
	LinkContact(ctx context.Context, ch LinkChange) (Contact, error)
	// ListLinkChanges returns the link history of contactID, oldest first.
	ListLinkChanges(ctx context.Context, contactID string) ([]LinkChange, error)
	// ListContactsByRecord returns the contacts linked to the record (kind, id), oldest first (by
	// CreatedAt, then ID).
	ListContactsByRecord(ctx context.Context, kind RecordKind, id string) ([]Contact, error)
	// ListRecordMessages returns one page of the record's timeline: the messages of every conversation of
	// every contact linked to the record (kind, id), across channels, ordered by (Time, ID) in p.Order,
	// and the cursor of the next page (zero when there is none).
	ListRecordMessages(ctx context.Context, kind RecordKind, id string, p Page) ([]Message, Cursor, error)
}
