package sqlstore

import (
	"context"
	"fmt"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

const linkCols = `id, contact_id, from_kind, from_id, from_owner, to_kind, to_id, to_owner, by_user, reason, at, from_name, to_name`

func scanLinkChange(r Row) (store.LinkChange, error) {
	var c store.LinkChange
	var fromKind, toKind, reason string
	var at int64
	err := r.Scan(&c.ID, &c.ContactID, &fromKind, &c.From.ID, &c.From.Owner, &toKind, &c.To.ID, &c.To.Owner, &c.By, &reason, &at,
		&c.From.Name, &c.To.Name)
	c.From.Kind, c.To.Kind, c.Reason, c.At = store.RecordKind(fromKind), store.RecordKind(toKind), store.LinkReason(reason), timeOf(at)
	return c, err
}

// LinkContact implements store.Links: a conditional UPDATE and the history row, in one transaction.
func (s *Store) LinkContact(ctx context.Context, ch store.LinkChange) (store.Contact, error) {
	if err := check(ctx); err != nil {
		return store.Contact{}, err
	}
	var out store.Contact
	err := s.tx(ctx, func(ctx context.Context, tx *Store) error {
		now := tx.stamp()
		c, err := writeRow(ctx, tx, scanContact, `UPDATE contacts SET record_kind = $4, record_id = $5, record_owner = $6,
			updated_at = $7, record_name = $8, version = version + 1
			WHERE id = $1 AND record_kind = $2 AND record_id = $3`, "", "contacts", contactCols, "id = $1",
			ch.ContactID, string(ch.From.Kind), ch.From.ID, string(ch.To.Kind), ch.To.ID, ch.To.Owner, now, ch.To.Name)
		if tx.noRows(err) {
			if _, err := tx.GetContact(ctx, ch.ContactID); err != nil {
				return err
			}
			return fmt.Errorf("contact %s is no longer linked as expected: %w", ch.ContactID, store.ErrConflict)
		}
		if err != nil {
			return tx.mapErr(err, "contact "+ch.ContactID)
		}
		if _, err := tx.db.Exec(ctx, `UPDATE conversations SET record_kind = $2, record_id = $3, record_owner = $4,
			record_name = $5, updated_at = $6, version = version + 1 WHERE contact_id = $1`,
			ch.ContactID, string(ch.To.Kind), ch.To.ID, ch.To.Owner, ch.To.Name, now); err != nil {
			return tx.mapErr(err, "the contact's conversations")
		}
		_, err = tx.db.Exec(ctx, `INSERT INTO link_changes (`+linkCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			id.New(), ch.ContactID, string(ch.From.Kind), ch.From.ID, ch.From.Owner, string(ch.To.Kind), ch.To.ID, ch.To.Owner,
			ch.By, string(ch.Reason), now, ch.From.Name, ch.To.Name)
		out = c
		return tx.mapErr(err, "link history")
	})
	return out, err
}

// ListLinkChanges implements store.Links.
func (s *Store) ListLinkChanges(ctx context.Context, contactID string) ([]store.LinkChange, error) {
	if err := check(ctx); err != nil {
		return nil, err
	}
	return queryAll(ctx, s, "link history", scanLinkChange, `SELECT `+linkCols+` FROM link_changes
		WHERE contact_id = $1 ORDER BY at, id`, contactID)
}

// ListContactsByRecord implements store.Links.
func (s *Store) ListContactsByRecord(ctx context.Context, kind store.RecordKind, id string) ([]store.Contact, error) {
	if err := check(ctx); err != nil {
		return nil, err
	}
	return queryAll(ctx, s, "contacts of a record", scanContact, `SELECT `+contactCols+` FROM contacts
		WHERE record_kind = $1 AND record_id = $2 AND record_id <> '' ORDER BY created_at, id`, string(kind), id)
}

// ListRecordMessages implements store.Links.
func (s *Store) ListRecordMessages(ctx context.Context, kind store.RecordKind, id string, p store.Page) ([]store.Message, store.Cursor, error) {
	if err := check(ctx); err != nil {
		return nil, store.Cursor{}, err
	}
	q, args := TimelineQuery(s.d, kind, id, p)
	list, err := queryAll(ctx, s, "record timeline", scanMessage, q, args...)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	return cut(list, p, store.Message.Cursor)
}

// TimelineQuery returns the SQL and arguments of a record's timeline page in dialect d (exported for the
// backends' query-plan tests).
func TimelineQuery(d Dialect, kind store.RecordKind, id string, p store.Page) (string, []any) {
	return keyset(d, `SELECT `+prefixed("m.", messageCols)+` FROM messages m
		JOIN conversations c ON c.id = m.conversation_id
		JOIN contacts k ON k.id = c.contact_id
		WHERE k.record_kind = $1 AND k.record_id = $2 AND k.record_id <> ''`, []any{string(kind), id}, "m.time", "m.id", p)
}
