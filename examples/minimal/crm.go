package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
)

// crm is the example's stand-in for a CRM: leads and contacts with owners, kept in a JSON file in the
// data directory. It implements linking.Records (msgkit links messenger contacts to its records, and
// fills templates' merge fields from them). A record is created in the file before Create returns, so
// a link to it survives a restart.
//
// It is safe for concurrent use by one process.
type crm struct {
	path string

	mu   sync.RWMutex
	data crmData
}

// crmData is the file's content.
type crmData struct {
	Records []crmRecord `json:"records"`
	Next    int         `json:"next"` // the number of the last record created
}

type crmRecord struct {
	Kind   store.RecordKind  `json:"kind"`
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Owner  string            `json:"owner,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
	// PictureURL and Language come from the chat profile a record was created from.
	PictureURL string `json:"pictureUrl,omitempty"`
	Language   string `json:"language,omitempty"`
}

// record is r as msgkit sees it; its picture and language are the fields picture_url and language
// (for templates: {{record.language}}).
func (r crmRecord) record() linking.Record {
	fields := r.Fields
	if r.PictureURL != "" || r.Language != "" {
		fields = maps.Clone(r.Fields)
		if fields == nil {
			fields = map[string]string{}
		}
		for k, v := range map[string]string{"picture_url": r.PictureURL, "language": r.Language} {
			if v != "" {
				fields[k] = v
			}
		}
	}
	return linking.Record{Kind: r.Kind, ID: r.ID, DisplayName: r.Name, Owner: r.Owner, Fields: fields}
}

var _ linking.Records = (*crm)(nil)

// openCRM reads the records kept at path; a file that does not exist is an empty CRM.
func openCRM(path string) (*crm, error) {
	c := &crm{path: path}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c, nil
	case err != nil:
		return nil, err
	}
	if err := json.Unmarshal(b, &c.data); err != nil {
		return nil, fmt.Errorf("the CRM's records (%s) are not valid JSON: %w", path, err)
	}
	return c, nil
}

// empty reports whether the CRM has no records.
func (c *crm) empty() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.data.Records) == 0
}

// add keeps records (the demo's seed), replacing those of the same kind and ID. Records created later
// are numbered after theirs.
func (c *crm) add(recs ...crmRecord) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := c.data
	next.Records = slices.Clone(next.Records)
	for _, r := range recs {
		next.Records = slices.DeleteFunc(next.Records, func(o crmRecord) bool { return o.Kind == r.Kind && o.ID == r.ID })
		next.Records = append(next.Records, r)
		if n, err := strconv.Atoi(strings.TrimPrefix(r.ID, string(r.Kind)+"-")); err == nil {
			next.Next = max(next.Next, n)
		}
	}
	return c.save(next)
}

// save writes d to the file and, once it is there, makes it the CRM's content. Called with mu held.
func (c *crm) save(d crmData) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(c.path, b, 0o600); err != nil {
		return fmt.Errorf("keeping the CRM's records: %w", err)
	}
	c.data = d
	return nil
}

// Get implements linking.Records.
func (c *crm) Get(_ context.Context, kind store.RecordKind, id string) (linking.Record, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, r := range c.data.Records {
		if r.Kind == kind && r.ID == id {
			return r.record(), nil
		}
	}
	return linking.Record{}, fmt.Errorf("%s %s: %w", kind, id, linking.ErrRecordNotFound)
}

// Search implements linking.Records: names that contain any word of the query, case-insensitively.
func (c *crm) Search(_ context.Context, q linking.Query) ([]linking.Record, error) {
	words := strings.Fields(strings.ToLower(q.Name))
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []linking.Record
	for _, r := range c.data.Records {
		if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, r.Kind) {
			continue
		}
		name := strings.ToLower(r.Name)
		if slices.ContainsFunc(words, func(w string) bool { return strings.Contains(name, w) }) {
			out = append(out, r.record())
		}
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// Create implements linking.Records: IDs are "lead-7", "contact-8", …
func (c *crm) Create(_ context.Context, n linking.NewRecord) (linking.Record, error) {
	if n.Kind != store.RecordLead && n.Kind != store.RecordContact {
		return linking.Record{}, fmt.Errorf("the CRM keeps leads and contacts, not %q", n.Kind)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := c.data
	next.Next++
	r := crmRecord{Kind: n.Kind, ID: string(n.Kind) + "-" + strconv.Itoa(next.Next), Name: n.DisplayName, Owner: n.Owner,
		PictureURL: n.PictureURL, Language: n.Language}
	next.Records = append(slices.Clone(next.Records), r)
	if err := c.save(next); err != nil {
		return linking.Record{}, err
	}
	return r.record(), nil
}
