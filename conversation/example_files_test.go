package conversation_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"strings"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

// crmAttachments is a host CRM's own file store as an attachment source: what the CRM keeps as
// record attachments, by attachment ID. A host implements attach.Source over its storage the same way.
type crmAttachments map[string]crmAttachment

type crmAttachment struct {
	name, contentType string
	data              []byte
}

func (c crmAttachments) Resolve(_ context.Context, id string) (attach.File, error) {
	f, ok := c[id]
	if !ok {
		return attach.File{}, attach.ErrNotFound
	}
	return attach.File{ID: id, Name: f.name, ContentType: f.contentType, Size: int64(len(f.data))}, nil
}

func (c crmAttachments) Open(ctx context.Context, id string, limit int64) (io.ReadCloser, attach.File, error) {
	file, err := c.Resolve(ctx, id)
	if err != nil {
		return nil, attach.File{}, err
	}
	if file.Size > limit {
		return nil, attach.File{}, attach.ErrTooLarge
	}
	return attach.LimitReader(io.NopCloser(bytes.NewReader(c[id].data)), limit), file, nil
}

func brochurePNG() []byte {
	var buf bytes.Buffer
	_ = png.Encode(&buf, image.NewGray(image.Rect(0, 0, 32, 32)))
	return buf.Bytes()
}

// A host registers its CRM's files as an attachment source, beside its cloud drives, and gives the
// service a blob store and the server its signed URLs point at (mounted by the host at /media/).
func ExampleFiles() {
	ctx := context.Background()
	crm := crmAttachments{"att-7": {name: "brochure.png", contentType: "image/png", data: brochurePNG()}}
	sources := attach.NewRegistry()
	if err := sources.Register("crm", crm); err != nil {
		panic(err)
	}
	blobs, _ := blob.New(blob.NewMemory(nil)) // blob.NewDir, or cdkblob for S3, GCS or Azure, in production
	server, _ := blob.NewServer(blobs, "https://crm.example.com/media", [][]byte{[]byte("a signing key of at least 32 bytes!")}, nil)

	db := memstore.New(nil)
	svc, err := conversation.New(db, conversation.AdapterMap{}, &conversation.Options{
		Files: conversation.Files{Store: blobs, Server: server, Sources: sources},
	})
	fmt.Println(svc != nil, err)

	file, _ := sources.Resolve(ctx, attach.Ref{Source: "crm", ID: "att-7"})
	fmt.Println(file.Name, file.Size > 0)
	// Output:
	// true <nil>
	// brochure.png true
}

// An agent attaches files from the CRM: each is re-hosted in the blob store and checked against the
// channel's media rules; what the channel cannot show goes as a link, saying why. A file that cannot
// be resolved refuses the reply before anything is stored.
func ExampleService_Reply_attachmentFromSource() {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sources := attach.NewRegistry()
	_ = sources.Register("crm", crmAttachments{
		"att-7": {name: "brochure.png", contentType: "image/png", data: brochurePNG()},
		"att-8": {name: "quote-118.pdf", contentType: "application/pdf", data: []byte("%PDF-1.7\n%%EOF\n")},
	})
	blobs, _ := blob.New(blob.NewMemory(clock))
	server, _ := blob.NewServer(blobs, "https://crm.example.com/media", [][]byte{[]byte("a signing key of at least 32 bytes!")},
		&blob.ServerOptions{Now: clock})
	db := memstore.New(&memstore.Options{Now: clock})
	ch, _ := db.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1", Active: true})
	line := channeltest.NewFake(nil) // the LINE adapter in production, with LINE's media rules
	svc, _ := conversation.New(db, conversation.AdapterMap{ch.ID: line}, &conversation.Options{Now: clock,
		Files: conversation.Files{Store: blobs, Server: server, Sources: sources}})
	msg := channel.Text("Can you send me the brochure and the quote?")
	msg.ID = "line-1"
	_ = svc.Ingest(ctx, ch.ID, []channel.Event{{ID: "ev-1", Kind: channel.EventMessage, Time: now, Mode: channel.ModeActive,
		Source: channel.User("U1"), ReplyToken: "rt-1", Message: &msg}})
	inbox, _, _ := db.ListConversations(ctx, store.View{}, store.Page{})
	conv := inbox[0].Conversation

	sent, err := svc.Reply(ctx, conv.ID, "aiko", conversation.Reply{Attachments: []conversation.Attachment{
		{Source: "crm", Ref: "att-7"},
		{Source: "crm", Ref: "att-8"},
	}})
	if err != nil {
		panic(err)
	}
	for _, p := range sent.Parts {
		u := p.Content.Link
		if p.Content.Media != nil {
			u = &channel.Link{URL: p.Content.Media.URL}
		}
		fmt.Println(p.Content.Type, p.Outcome, strings.HasPrefix(u.URL, "https://crm.example.com/media/outbound/"), p.StatusDetail)
	}

	_, err = svc.Reply(ctx, conv.ID, "aiko", conversation.Reply{Attachments: []conversation.Attachment{{Source: "crm", Ref: "att-404"}}})
	var ae *conversation.AttachmentError
	fmt.Println(errors.Is(err, attach.ErrNotFound), errors.As(err, &ae) && !ae.Temporary())
	fmt.Println(err)
	// Output:
	// image as_is true sent as a reply (free)
	// link degraded true sent as a link: the channel cannot send application/pdf files as media; sent as a reply (free)
	// true true
	// conversation: attachment 1 (crm): the file was not found: attach crm open: file not found
}

// The inbox shows a customer's photo through a signed URL to msgkit's copy, never the channel's.
func ExampleService_MediaURL() {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	blobs, _ := blob.New(blob.NewMemory(clock))
	server, _ := blob.NewServer(blobs, "https://crm.example.com/media", [][]byte{[]byte("a signing key of at least 32 bytes!")},
		&blob.ServerOptions{Now: clock})
	db := memstore.New(&memstore.Options{Now: clock})
	ch, _ := db.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1", Active: true})
	line := channeltest.NewFake(nil)
	line.SetContent("line-9", "image/png", brochurePNG()) // what the channel's content API serves
	svc, _ := conversation.New(db, conversation.AdapterMap{ch.ID: line}, &conversation.Options{Now: clock,
		Files: conversation.Files{Store: blobs, Server: server}})

	photo := channel.Message{Type: channel.TypeImage, ID: "line-9", Media: &channel.Media{}}
	_ = svc.Ingest(ctx, ch.ID, []channel.Event{{ID: "ev-9", Kind: channel.EventMessage, Time: now, Mode: channel.ModeActive,
		Source: channel.User("U1"), Message: &photo}})
	m, _ := db.FindMessage(ctx, ch.ID, "line-9")
	fmt.Println(m.MediaCopy.Status)
	_, _ = svc.Flush(ctx) // the durable job copies it; in production, svc.Run

	m, _ = db.FindMessage(ctx, ch.ID, "line-9")
	u, err := svc.MediaURL(ctx, m.ID, 5*time.Minute)
	fmt.Println(m.MediaCopy.Status, m.MediaCopy.ContentType, len(m.MediaCopy.SHA256), err)
	fmt.Println(strings.HasPrefix(u, "https://crm.example.com/media/inbound/"))
	// Output:
	// pending
	// ready image/png 64 <nil>
	// true
}
