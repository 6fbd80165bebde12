package sqlstore

import (
	"context"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

const templateCols = `id, name, channel_kind, body, created_at, updated_at, version`

func scanTemplate(r Row) (store.Template, error) {
	var t store.Template
	var created, updated int64
	err := r.Scan(&t.ID, &t.Name, &t.ChannelKind, &t.Body, &created, &updated, &t.Version)
	t.CreatedAt, t.UpdatedAt = timeOf(created), timeOf(updated)
	return t, err
}

// CreateTemplate implements store.Templates.
func (s *Store) CreateTemplate(ctx context.Context, t store.Template) (store.Template, error) {
	if err := check(ctx); err != nil {
		return store.Template{}, err
	}
	if t.ID == "" {
		t.ID = id.New()
	}
	got, err := writeRow(ctx, s, scanTemplate, `INSERT INTO templates (`+templateCols+`) VALUES ($1, $2, $3, $4, $5, $5, 1)`,
		"", "templates", templateCols, "id = $1", t.ID, t.Name, t.ChannelKind, t.Body, s.stamp())
	return got, s.mapErr(err, "template "+t.Name)
}

// GetTemplate implements store.Templates.
func (s *Store) GetTemplate(ctx context.Context, id string) (store.Template, error) {
	if err := check(ctx); err != nil {
		return store.Template{}, err
	}
	t, err := scanTemplate(s.db.QueryRow(ctx, `SELECT `+templateCols+` FROM templates WHERE id = $1`, id))
	return t, s.mapErr(err, "template "+id)
}

// UpdateTemplate implements store.Templates.
func (s *Store) UpdateTemplate(ctx context.Context, t store.Template) (store.Template, error) {
	if err := check(ctx); err != nil {
		return store.Template{}, err
	}
	got, err := writeRow(ctx, s, scanTemplate, `UPDATE templates SET name = $3, channel_kind = $4, body = $5, updated_at = $6,
		version = version + 1 WHERE id = $1 AND version = $2`, "", "templates", templateCols, "id = $1",
		t.ID, t.Version, t.Name, t.ChannelKind, t.Body, s.stamp())
	if s.noRows(err) {
		return store.Template{}, s.versionConflict(ctx, "templates", "template", t.ID, t.Version)
	}
	return got, s.mapErr(err, "template "+t.ID)
}

// ListTemplates implements store.Templates.
func (s *Store) ListTemplates(ctx context.Context, channelKind string) ([]store.Template, error) {
	if err := check(ctx); err != nil {
		return nil, err
	}
	return queryAll(ctx, s, "templates", scanTemplate, `SELECT `+templateCols+` FROM templates
		WHERE $1 = '' OR channel_kind = '' OR channel_kind = $1 ORDER BY name, id`, channelKind)
}

// DeleteTemplate implements store.Templates.
func (s *Store) DeleteTemplate(ctx context.Context, id string, version int64) error {
	if err := check(ctx); err != nil {
		return err
	}
	n, err := s.db.Exec(ctx, `DELETE FROM templates WHERE id = $1 AND version = $2`, id, version)
	if err != nil {
		return s.mapErr(err, "template "+id)
	}
	if n == 0 {
		return s.versionConflict(ctx, "templates", "template", id, version)
	}
	return nil
}
