package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migrate applies, in order, the migrations in files ("0001_init.sql", "0002_….sql": a number, an
// underscore, a name) that tx's schema_version table does not list yet, and records each. The caller
// holds the backend's migration lock, so two instances starting at once apply each migration once, and
// runs it in a transaction where the database's DDL is transactional (PostgreSQL, SQLite), or on one
// connection otherwise (MySQL). Migrations are forward-only. It returns the schema version reached.
func Migrate(ctx context.Context, tx DB, files fs.FS) (int, error) {
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("sqlstore: schema_version table: %w", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return 0, fmt.Errorf("sqlstore: reading the schema version: %w", err)
	}
	names, versions, err := migrations(files)
	if err != nil {
		return 0, err
	}
	for i, name := range names {
		v := versions[i]
		if v <= current {
			continue
		}
		body, err := fs.ReadFile(files, name)
		if err != nil {
			return 0, err
		}
		for _, stmt := range statements(string(body)) {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return 0, fmt.Errorf("sqlstore: migration %s: %w", name, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)`, v, 0); err != nil {
			return 0, fmt.Errorf("sqlstore: recording migration %s: %w", name, err)
		}
		current = v
	}
	return current, nil
}

// Versions returns the versions of the migrations in files, in order: what a schema brought up to date
// records.
func Versions(files fs.FS) ([]int, error) {
	_, versions, err := migrations(files)
	return versions, err
}

// migrations lists the migration files in order, with their versions.
func migrations(files fs.FS) ([]string, []int, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, nil, err
	}
	slices.Sort(names)
	versions := make([]int, len(names))
	for i, name := range names {
		v, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return nil, nil, fmt.Errorf("sqlstore: migration %s has no version number", name)
		}
		versions[i] = v
	}
	return names, versions, nil
}

// statements splits a migration into statements at semicolons that end a line.
func statements(sql string) []string {
	var out []string
	for _, s := range strings.Split(sql, ";\n") {
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, l)
			}
		}
		if stmt := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";"); stmt != "" {
			out = append(out, stmt)
		}
	}
	return out
}
