package store

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Paging limits.
const (
	DefaultLimit = 50  // items per page when Page.Limit is 0
	MaxLimit     = 500 // Page.Limit is capped at this
)

// Order is the direction of a list.
type Order int

// Orders. The zero value lists newest first.
const (
	NewestFirst Order = iota
	OldestFirst
)

// Page asks for one page of a list ordered by (time, ID). Lists are keyset-paged: a page starts strictly
// after the position in After, so rows added meanwhile never shift or repeat items, and a deep page costs
// what the first one does.
type Page struct {
	Limit int    // 0 means DefaultLimit; more than MaxLimit means MaxLimit
	After Cursor // zero: from the start of Order
	Order Order
}

// Size returns the effective page size.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// Cursor is a position in a list: the sort time and ID of an item. List calls return the cursor of their
// last item when more may follow, and the zero Cursor when the list is exhausted. To page back the other
// way, list with the opposite Order starting after the first item's cursor.
type Cursor struct {
	Time time.Time
	ID   string
}

// IsZero reports whether c is the start position.
func (c Cursor) IsZero() bool { return c.ID == "" && c.Time.IsZero() }

// Before reports whether c sorts before d in OldestFirst order: by time, then by ID.
func (c Cursor) Before(d Cursor) bool {
	if !c.Time.Equal(d.Time) {
		return c.Time.Before(d.Time)
	}
	return c.ID < d.ID
}

// Past reports whether c lies strictly after the position after in order o, i.e. belongs on the page that
// starts at after. Every position is past the zero cursor.
func (c Cursor) Past(after Cursor, o Order) bool {
	if after.IsZero() {
		return true
	}
	if o == OldestFirst {
		return after.Before(c)
	}
	return c.Before(after)
}

// String encodes c as an opaque, URL-safe token for APIs. ParseCursor decodes it.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(c.Time.UTC().Format(time.RFC3339Nano) + "|" + c.ID))
}

// ParseCursor decodes a token made by Cursor.String. The empty token is the zero Cursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, ErrInvalidCursor
	}
	ts, id, ok := strings.Cut(string(b), "|")
	if !ok {
		return Cursor{}, ErrInvalidCursor
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return Cursor{}, fmt.Errorf("%w: %w", ErrInvalidCursor, err)
	}
	return Cursor{Time: t, ID: id}, nil
}

// CutPage is for backends: given the items of a page in p.Order, all past p.After, fetched with up to one
// item more than p.Size() (that extra item tells that another page follows), it returns the page and the
// cursor of its last item when another page follows, or the zero Cursor when the list is exhausted. The
// page shares items' backing array, capped so that appending to it cannot overwrite the extra item.
func CutPage[T any](items []T, p Page, cursor func(T) Cursor) ([]T, Cursor) {
	n := p.Size()
	if len(items) <= n {
		return items, Cursor{}
	}
	items = items[:n:n]
	return items, cursor(items[n-1])
}
