package sqlstore

import (
	"context"
	"fmt"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

const channelCols = `id, name, kind, external_id, credentials, account, active, assignment, created_at, updated_at, version,
	health_checks, checked_at, quota_exceeded_at, disconnected_at`

func scanChannel(r Row) (store.Channel, error) {
	var c store.Channel
	var creds, account, assignment, checks string
	var created, updated, checked, quota, disconnected int64
	if err := r.Scan(&c.ID, &c.Name, &c.Kind, &c.ExternalID, &creds, &account, &c.Active, &assignment, &created, &updated,
		&c.Version, &checks, &checked, &quota, &disconnected); err != nil {
		return c, err
	}
	c.CreatedAt, c.UpdatedAt = timeOf(created), timeOf(updated)
	c.Health.CheckedAt, c.Health.QuotaExceededAt, c.DisconnectedAt = timeOf(checked), timeOf(quota), timeOf(disconnected)
	for _, f := range []struct {
		text string
		v    any
	}{{creds, &c.Credentials}, {account, &c.Account}, {assignment, &c.Assignment}, {checks, &c.Health.Checks}} {
		if err := fromJSON(f.text, f.v); err != nil {
			return c, err
		}
	}
	return c, nil
}

// CreateChannel implements store.Channels.
func (s *Store) CreateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	if err := check(ctx); err != nil {
		return store.Channel{}, err
	}
	if c.ID == "" {
		c.ID = id.New()
	}
	now := s.stamp()
	got, err := writeRow(ctx, s, scanChannel, `INSERT INTO channels (`+channelCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1, $10, $11, $12, $13)`, "", "channels", channelCols, "id = $1",
		c.ID, c.Name, c.Kind, c.ExternalID, jsonText(c.Credentials), jsonText(c.Account), c.Active, jsonText(c.Assignment), now,
		jsonText(c.Health.Checks), micros(c.Health.CheckedAt), micros(c.Health.QuotaExceededAt), micros(c.DisconnectedAt))
	return got, s.mapErr(err, "channel "+c.ID)
}

// GetChannel implements store.Channels.
func (s *Store) GetChannel(ctx context.Context, id string) (store.Channel, error) {
	if err := check(ctx); err != nil {
		return store.Channel{}, err
	}
	c, err := scanChannel(s.db.QueryRow(ctx, `SELECT `+channelCols+` FROM channels WHERE id = $1`, id))
	return c, s.mapErr(err, "channel "+id)
}

// UpdateChannel implements store.Channels.
func (s *Store) UpdateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	if err := check(ctx); err != nil {
		return store.Channel{}, err
	}
	got, err := writeRow(ctx, s, scanChannel, `UPDATE channels SET name = $3, kind = $4, external_id = $5, credentials = $6,
		account = $7, active = $8, assignment = $9, updated_at = $10, version = version + 1, health_checks = $11,
		checked_at = $12, quota_exceeded_at = $13, disconnected_at = $14
		WHERE id = $1 AND version = $2`, "", "channels", channelCols, "id = $1",
		c.ID, c.Version, c.Name, c.Kind, c.ExternalID, jsonText(c.Credentials), jsonText(c.Account), c.Active, jsonText(c.Assignment), s.stamp(),
		jsonText(c.Health.Checks), micros(c.Health.CheckedAt), micros(c.Health.QuotaExceededAt), micros(c.DisconnectedAt))
	if s.noRows(err) {
		return store.Channel{}, s.versionConflict(ctx, "channels", "channel", c.ID, c.Version)
	}
	return got, s.mapErr(err, "channel "+c.ID)
}

// ListChannels implements store.Channels.
func (s *Store) ListChannels(ctx context.Context) ([]store.Channel, error) {
	if err := check(ctx); err != nil {
		return nil, err
	}
	return queryAll(ctx, s, "channels", scanChannel, `SELECT `+channelCols+` FROM channels ORDER BY created_at, id`)
}

// versionConflict explains why a versioned update matched no row: the record is missing, or its version
// moved on.
func (s *Store) versionConflict(ctx context.Context, table, what, id string, version int64) error {
	var stored int64
	err := s.db.QueryRow(ctx, `SELECT version FROM `+table+` WHERE id = $1`, id).Scan(&stored)
	if err != nil {
		return s.mapErr(err, what+" "+id)
	}
	return fmt.Errorf("%s %s version %d, stored %d: %w", what, id, version, stored, store.ErrConflict)
}

// queryAll runs a query and scans every row.
func queryAll[T any](ctx context.Context, s *Store, what string, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return nil, s.mapErr(err, what)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.mapErr(err, what)
		}
		out = append(out, v)
	}
	return out, s.mapErr(rows.Err(), what)
}

// DeleteChannel implements store.Channels: every table's rows of the channel, children first, in one
// transaction.
func (s *Store) DeleteChannel(ctx context.Context, id string) error {
	if err := check(ctx); err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx *Store) error {
		if _, err := tx.GetChannel(ctx, id); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM notifications WHERE conversation_id IN (SELECT id FROM conversations WHERE channel_id = $1)`,
			`DELETE FROM user_notifications WHERE conversation_id IN (SELECT id FROM conversations WHERE channel_id = $1)`,
			`DELETE FROM assignments WHERE conversation_id IN (SELECT id FROM conversations WHERE channel_id = $1)`,
			`DELETE FROM link_changes WHERE contact_id IN (SELECT id FROM contacts WHERE channel_id = $1)`,
			`DELETE FROM messages WHERE channel_id = $1`,
			`DELETE FROM conversations WHERE channel_id = $1`,
			`DELETE FROM contacts WHERE channel_id = $1`,
			`DELETE FROM channel_events WHERE channel_id = $1`,
			`DELETE FROM webhooks WHERE channel_id = $1`,
			`DELETE FROM channels WHERE id = $1`,
		} {
			if _, err := tx.db.Exec(ctx, q, id); err != nil {
				return tx.mapErr(err, "deleting channel "+id)
			}
		}
		return nil
	})
}
