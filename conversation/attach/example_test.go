package attach_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/msgkit/msgkit/conversation/attach"
)

// crmFiles is a host CRM's own file store as an attach.Source: the CRM keeps files by record
// attachment ID.
type crmFiles struct {
	files map[string]crmFile
}

type crmFile struct {
	name, contentType string
	data              []byte
}

func (c crmFiles) Resolve(_ context.Context, id string) (attach.File, error) {
	f, ok := c.files[id]
	if !ok {
		return attach.File{}, attach.ErrNotFound
	}
	return attach.File{ID: id, Name: f.name, ContentType: f.contentType, Size: int64(len(f.data))}, nil
}

func (c crmFiles) Open(ctx context.Context, id string, limit int64) (io.ReadCloser, attach.File, error) {
	file, err := c.Resolve(ctx, id)
	if err != nil {
		return nil, attach.File{}, err
	}
	if file.Size > limit {
		return nil, attach.File{}, attach.ErrTooLarge
	}
	return attach.LimitReader(io.NopCloser(strings.NewReader(string(c.files[id].data))), limit), file, nil
}

// A host registers its CRM's file store as a source, next to any cloud drives, and resolves the
// reference a reply names.
func ExampleNewRegistry() {
	crm := crmFiles{files: map[string]crmFile{
		"att-1001": {name: "quote-2026-118.pdf", contentType: "application/pdf", data: []byte("%PDF-1.7 …")},
	}}
	reg := attach.NewRegistry()
	if err := reg.Register("crm", crm); err != nil {
		panic(err)
	}

	file, err := reg.Resolve(context.Background(), attach.Ref{Source: "crm", ID: "att-1001"})
	fmt.Println(file.Name, file.ContentType, file.Size, err)

	_, err = reg.Resolve(context.Background(), attach.Ref{Source: "crm", ID: "att-404"})
	var e *attach.Error
	fmt.Println(errors.Is(err, attach.ErrNotFound), errors.As(err, &e) && e.Source == "crm")
	fmt.Println(err)
	// Output:
	// quote-2026-118.pdf application/pdf 12 <nil>
	// true true
	// attach crm resolve: file not found
}

// Open takes a size limit: a file over it is refused before anything is read.
func ExampleRegistry_Open() {
	reg := attach.NewRegistry()
	_ = reg.Register("crm", crmFiles{files: map[string]crmFile{
		"att-1": {name: "note.txt", contentType: "text/plain", data: []byte("call back on Monday")},
	}})

	rc, file, err := reg.Open(context.Background(), attach.Ref{Source: "crm", ID: "att-1"}, 1<<20)
	if err != nil {
		panic(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	fmt.Printf("%s: %q\n", file.Name, b)

	_, _, err = reg.Open(context.Background(), attach.Ref{Source: "crm", ID: "att-1"}, 4)
	fmt.Println(errors.Is(err, attach.ErrTooLarge))

	_, err = reg.URL(context.Background(), attach.Ref{Source: "crm", ID: "att-1"})
	fmt.Println(errors.Is(err, errors.ErrUnsupported))
	// Output:
	// note.txt: "call back on Monday"
	// true
	// true
}
