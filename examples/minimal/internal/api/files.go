package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
	"github.com/msgkit/msgkit/store"
)

// DefaultMaxUpload bounds an upload when Deps.MaxUpload is 0.
const DefaultMaxUpload = 50 << 20

// Picker lists the files a source offers an agent to attach: the file picker of the CRM's files or of a
// cloud drive, which is the host's (a drive's own picker usually runs in the browser).
type Picker interface {
	Files(ctx context.Context, query string) ([]attach.File, error)
}

// Source is an attachment source as the reply box shows it: its name in conversation.Files.Sources, a
// label, and its picker (nil: references are typed in).
type Source struct {
	Name   string
	Label  string
	Picker Picker
}

// file is a file of a source as the API shows it.
type file struct {
	Source      string `json:"source"`
	Ref         string `json:"ref"`
	Name        string `json:"name"`
	ContentType string `json:"contentType,omitempty"`
	Size        int64  `json:"size"`
}

// sources lists the attachment sources.
func (a *API) sources(w http.ResponseWriter, _ *http.Request, _ auth.User) error {
	type src struct {
		Name   string `json:"name"`
		Label  string `json:"label"`
		Picker bool   `json:"picker"`
	}
	out := []src{}
	for _, s := range a.d.Sources {
		out = append(out, src{Name: s.Name, Label: s.Label, Picker: s.Picker != nil})
	}
	return ok(w, map[string]any{"sources": out, "uploads": a.d.Uploads != nil})
}

// sourceFiles lists what a source's picker offers for ?q=.
func (a *API) sourceFiles(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	name := r.PathValue("name")
	for _, s := range a.d.Sources {
		if s.Name != name || s.Picker == nil {
			continue
		}
		files, err := s.Picker.Files(r.Context(), r.URL.Query().Get("q"))
		if err != nil {
			return err
		}
		out := make([]file, 0, len(files))
		for _, f := range files {
			out = append(out, file{Source: name, Ref: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size})
		}
		return ok(w, map[string]any{"files": out})
	}
	return notFound("source")
}

// upload keeps an agent's file (multipart/form-data, field "file") for a reply to name: the answer is
// the attachment to send, {"source": "uploads", "ref": …}.
func (a *API) upload(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	if a.d.Uploads == nil {
		return notFound("route")
	}
	limit := a.d.MaxUpload
	if limit <= 0 {
		limit = DefaultMaxUpload
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20) // the part's headers and boundaries besides
	mr, err := r.MultipartReader()
	if err != nil {
		return badRequest("the body must be multipart/form-data with a file field named file")
	}
	for {
		part, err := mr.NextPart()
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("an upload is at most %d bytes", limit)}
		case err != nil:
			return badRequest("the body must be multipart/form-data with a file field named file")
		}
		if part.FormName() != "file" {
			continue
		}
		f, err := a.d.Uploads.Upload(r.Context(), part, limit, part.FileName(), part.Header.Get("Content-Type"))
		switch {
		case errors.Is(err, attach.ErrTooLarge), errors.As(err, &tooLarge):
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("an upload is at most %d bytes", limit)}
		case err != nil:
			return err
		}
		return ok(w, file{Source: a.d.UploadsName, Ref: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size})
	}
}

// media is an inbound message's media as the inbox shows it: msgkit's copy, through a signed URL.
type media struct {
	Status      store.MediaStatus `json:"status"`
	URL         string            `json:"url,omitempty"` // signed, short-lived; set when ready
	ContentType string            `json:"contentType,omitempty"`
	Size        int64             `json:"size,omitempty"`
	Detail      string            `json:"detail,omitempty"`
}

// mediaOf returns the media of an inbound message with a copy, signing its URL when ready.
func (a *API) mediaOf(ctx context.Context, m store.Message) (*media, error) {
	c := m.MediaCopy
	if c == nil {
		return nil, nil
	}
	out := &media{Status: c.Status, ContentType: c.ContentType, Size: c.Size, Detail: c.Detail}
	if c.Status == store.MediaReady {
		url, err := a.d.Service.MediaURL(ctx, m.ID, 15*time.Minute)
		switch {
		case errors.Is(err, conversation.ErrMediaNotReady), errors.Is(err, conversation.ErrNoMedia):
		case err != nil:
			return nil, err
		}
		out.URL = a.d.InboxURL(url)
	}
	return out, nil
}
