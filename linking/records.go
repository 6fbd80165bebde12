package linking

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/msgkit/msgkit/store"
)

//go:generate go tool mockgen -typed -destination ../internal/mocks/linkingmock/linking.go -package linkingmock . Records

// ErrRecordNotFound is returned by Records.Get for a record the CRM does not have (or no longer has).
var ErrRecordNotFound = errors.New("linking: CRM record not found")

// Record is a lead or contact as the host CRM shows it.
type Record struct {
	Kind        store.RecordKind
	ID          string
	DisplayName string
	Owner       string // user ID of the record's owner
	// Fields are more of the record's fields, by name, for templates' merge fields: "company" fills
	// {{record.company}}. A name is letters, digits and underscores, starting with a letter (others
	// cannot be written in a template); kind, id, name and owner come from the fields above, never from
	// here. May be nil; the Records implementation and the caller must not change a map once returned.
	Fields map[string]string
}

// Ref returns the reference a contact's link keeps.
func (r Record) Ref() store.RecordRef {
	return store.RecordRef{Kind: r.Kind, ID: r.ID, Owner: r.Owner, Name: r.DisplayName}
}

// Query asks Records for candidates to link a contact to.
type Query struct {
	// Name is what to match: the contact's display name, or what the agent typed.
	Name string
	// Language is the contact's language (BCP 47), a hint the CRM may use; often empty.
	Language string
	Kinds    []store.RecordKind // empty means leads and contacts
	Limit    int                // at most this many; 0 means the CRM's default
}

// NewRecord is what Records.Create gets to create a lead or contact from a messenger profile.
type NewRecord struct {
	Kind        store.RecordKind
	DisplayName string
	PictureURL  string
	Language    string
	Owner       string
}

// Records is the host CRM's leads and contacts. msgkit never stores records, only links to them. It must
// be safe for concurrent use.
type Records interface {
	// Get returns the record, or an error wrapping ErrRecordNotFound.
	Get(ctx context.Context, kind store.RecordKind, id string) (Record, error)
	// Search returns candidates for q, best first.
	Search(ctx context.Context, q Query) ([]Record, error)
	// Create creates a record and returns it.
	Create(ctx context.Context, r NewRecord) (Record, error)
}

// MemoryRecords is an in-memory Records for tests and examples: search matches names case-insensitively
// by substring. The zero value is empty and ready. It is safe for concurrent use.
type MemoryRecords struct {
	mu      sync.RWMutex
	records []Record
	next    int
}

// Add stores r (replacing a record of the same kind and ID) and returns it.
func (m *MemoryRecords) Add(r Record) Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records = slices.DeleteFunc(m.records, func(o Record) bool { return o.Kind == r.Kind && o.ID == r.ID })
	r.Fields = maps.Clone(r.Fields)
	m.records = append(m.records, r)
	return r
}

// Remove deletes a record, as a merge or deletion in the CRM would.
func (m *MemoryRecords) Remove(kind store.RecordKind, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records = slices.DeleteFunc(m.records, func(o Record) bool { return o.Kind == kind && o.ID == id })
}

// Get implements Records.
func (m *MemoryRecords) Get(_ context.Context, kind store.RecordKind, id string) (Record, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, r := range m.records {
		if r.Kind == kind && r.ID == id {
			return r, nil
		}
	}
	return Record{}, fmt.Errorf("%s %s: %w", kind, id, ErrRecordNotFound)
}

// Search implements Records.
func (m *MemoryRecords) Search(_ context.Context, q Query) ([]Record, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	name := strings.ToLower(strings.TrimSpace(q.Name))
	var out []Record
	for _, r := range m.records {
		if name == "" || (len(q.Kinds) > 0 && !slices.Contains(q.Kinds, r.Kind)) {
			continue
		}
		if strings.Contains(strings.ToLower(r.DisplayName), name) {
			out = append(out, r)
		}
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// Create implements Records: IDs are "lead-1", "contact-2", ….
func (m *MemoryRecords) Create(_ context.Context, n NewRecord) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	r := Record{Kind: n.Kind, ID: string(n.Kind) + "-" + strconv.Itoa(m.next), DisplayName: n.DisplayName, Owner: n.Owner}
	m.records = append(m.records, r)
	return r, nil
}
