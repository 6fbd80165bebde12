package store

import "errors"

// Sentinel errors. Backends return errors that wrap exactly one of these (with %w) where the contract
// names it, so callers test them with errors.Is; context errors are returned as they are.
var (
	// ErrNotFound: the record (or a record it refers to, such as the channel of a new contact) does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a record with the same identity already exists.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict: an optimistic update lost the race (the version changed since it was read), or a lease
	// or claim is no longer held. Re-read and decide again.
	ErrConflict = errors.New("store: conflict")
)

// ErrInvalidCursor is returned by ParseCursor for a token it did not make.
var ErrInvalidCursor = errors.New("store: invalid cursor")
