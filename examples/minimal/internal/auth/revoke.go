package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Revocations are the sessions and bearer tokens signed out before their expiry. Sessions and tokens are
// signed values any copy of which would otherwise work until it expires; each carries a random ID, and
// signing out records that ID here until the value's own expiry, after which it is refused anyway.
type Revocations struct {
	mu      sync.Mutex
	path    string               // "" keeps them in memory only
	revoked map[string]time.Time // ID → when the session or token expires
}

// OpenRevocations returns the revocations kept in the file at path, creating it on the first sign-out.
// The file is rewritten whole (to a temporary file, synced and renamed) on each sign-out, so that a
// crash leaves the old list or the new, never a torn one; expired entries are dropped then.
func OpenRevocations(path string) (*Revocations, error) {
	rv := &Revocations{path: path, revoked: map[string]time.Time{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return rv, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: revocations file: %w", err)
	}
	var stored map[string]int64
	if err := json.Unmarshal(b, &stored); err != nil {
		return nil, fmt.Errorf("auth: revocations file %s is not a JSON object of IDs and expiries: %w", path, err)
	}
	for id, exp := range stored {
		rv.revoked[id] = time.Unix(exp, 0)
	}
	return rv, nil
}

// revoke records id as signed out until exp, and writes the file before it returns. When the file
// cannot be written, id is refused still, until a restart, and the error says so.
func (rv *Revocations) revoke(id string, exp, now time.Time) error {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	next := make(map[string]time.Time, len(rv.revoked)+1)
	for k, e := range rv.revoked {
		if now.Before(e) {
			next[k] = e
		}
	}
	next[id] = exp
	rv.revoked = next
	if rv.path == "" {
		return nil
	}
	return rv.write(next)
}

// isRevoked reports whether id was signed out.
func (rv *Revocations) isRevoked(id string) bool {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	_, ok := rv.revoked[id]
	return ok
}

func (rv *Revocations) write(list map[string]time.Time) error {
	stored := make(map[string]int64, len(list))
	for id, exp := range list {
		stored[id] = exp.Unix()
	}
	b, err := json.Marshal(stored)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(rv.path), ".revoked-*")
	if err != nil {
		return fmt.Errorf("auth: writing the revocations: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: writing the revocations: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: writing the revocations: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("auth: writing the revocations: %w", err)
	}
	if err := os.Rename(tmp.Name(), rv.path); err != nil {
		return fmt.Errorf("auth: writing the revocations: %w", err)
	}
	if dir, err := os.Open(filepath.Dir(rv.path)); err == nil {
		_ = dir.Sync()
		dir.Close()
	}
	return nil
}
