package conversation_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

const mediaBase = "https://crm.example.com/media"

var signingKey = []byte("0123456789abcdef0123456789abcdef")

// keyBucket is a Memory bucket that remembers every key written, so a test can tell an orphan (an
// object no record names) from a kept file.
type keyBucket struct {
	*blob.Memory
	mu      sync.Mutex
	written map[string]int
}

func newKeyBucket(now func() time.Time) *keyBucket {
	return &keyBucket{Memory: blob.NewMemory(now), written: map[string]int{}}
}

// newFiles returns Files whose content is kept in a keyBucket (returned too) and served at mediaBase,
// on the clock now.
func newFiles(t *testing.T, now func() time.Time) (conversation.Files, *keyBucket) {
	t.Helper()
	bucket := newKeyBucket(now)
	blobs, err := blob.New(bucket)
	require.NoError(t, err)
	server, err := blob.NewServer(blobs, mediaBase, [][]byte{signingKey}, &blob.ServerOptions{Now: now})
	require.NoError(t, err)
	return conversation.Files{Store: blobs, Server: server}, bucket
}

func (b *keyBucket) Write(ctx context.Context, key string, r io.Reader, a blob.Attrs) error {
	err := b.Memory.Write(ctx, key, r, a)
	if err == nil {
		b.mu.Lock()
		b.written[key]++
		b.mu.Unlock()
	}
	return err
}

// live returns the keys written that still hold an object, sorted.
func (b *keyBucket) live(t *testing.T) []string {
	t.Helper()
	b.mu.Lock()
	keys := make([]string, 0, len(b.written))
	for k := range b.written {
		keys = append(keys, k)
	}
	b.mu.Unlock()
	var out []string
	for _, k := range keys {
		if _, err := b.Stat(context.Background(), k); err == nil {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// crmSource is a host CRM's file store as an attachment source: files by ID, each with the type the
// CRM claims (which the blob store does not trust), and errors scripted per ID.
type crmSource struct {
	mu    sync.Mutex
	files map[string]crmFile
	errs  map[string]error
}

type crmFile struct {
	name, claimed string
	data          func() []byte
	size          int64 // stated instead of len(data()) when data is nil
}

func (c *crmSource) add(id, name, claimed string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files[id] = crmFile{name: name, claimed: claimed, data: func() []byte { return data }}
}

func (c *crmSource) file(id string) (crmFile, attach.File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.errs[id]; err != nil {
		return crmFile{}, attach.File{}, err
	}
	f, ok := c.files[id]
	if !ok {
		return crmFile{}, attach.File{}, attach.ErrNotFound
	}
	size := f.size
	if f.data != nil {
		size = int64(len(f.data()))
	}
	return f, attach.File{ID: id, Name: f.name, ContentType: f.claimed, Size: size}, nil
}

func (c *crmSource) Resolve(_ context.Context, id string) (attach.File, error) {
	_, af, err := c.file(id)
	return af, err
}

func (c *crmSource) Open(_ context.Context, id string, limit int64) (io.ReadCloser, attach.File, error) {
	f, af, err := c.file(id)
	if err != nil {
		return nil, attach.File{}, err
	}
	if af.Size > limit {
		return nil, attach.File{}, &attach.Error{Op: "open", Kind: attach.ErrTooLarge, Size: af.Size, Limit: limit}
	}
	return attach.LimitReader(io.NopCloser(bytes.NewReader(f.data())), limit), af, nil
}

// mediaRig is a service on memstore speaking to a fake of LINE's API through the real LINE adapter,
// with a blob store (a keyBucket), its server at mediaBase, and the CRM's files registered as "crm".
type mediaRig struct {
	s      *memstore.Store
	api    *linetest.Server
	a      *line.Adapter
	ch     store.Channel
	svc    *conversation.Service
	clock  *clock
	bucket *keyBucket
	server *blob.Server
	crm    *crmSource
	hooked *[]string // message IDs the Media hook saw
	errs   *[]error
	mu     *sync.Mutex
}

func newMediaRig(t *testing.T, tweak func(*conversation.Options)) mediaRig {
	t.Helper()
	c := &clock{now: t0}
	api := linetest.NewServer(&linetest.Options{ChannelSecret: "testsecret", AccessToken: "t", Now: c.Now})
	t.Cleanup(api.Close)
	a, err := line.New(line.Config{ChannelSecret: "testsecret", AccessToken: "t"}, &line.Options{
		APIEndpoint: api.URL, DataEndpoint: api.URL, Now: c.Now})
	require.NoError(t, err)
	s := memstore.New(&memstore.Options{Now: c.Now})
	ch, err := s.CreateChannel(t.Context(), store.Channel{Name: "Tokyo shop", Kind: line.Kind, ExternalID: "1", Active: true})
	require.NoError(t, err)
	files, bucket := newFiles(t, c.Now)
	crm := &crmSource{files: map[string]crmFile{}, errs: map[string]error{}}
	reg := attach.NewRegistry()
	require.NoError(t, reg.Register("crm", crm))
	var mu sync.Mutex
	var hooked []string
	var errs []error
	o := &conversation.Options{
		Now:     c.Now,
		Files:   conversation.Files{Store: files.Store, Server: files.Server, Sources: reg},
		OnError: func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() },
		Media: func(_ context.Context, m store.Message) error {
			mu.Lock()
			defer mu.Unlock()
			hooked = append(hooked, m.ID)
			return nil
		},
		Jobs: conversation.JobOptions{BaseBackoff: time.Second, MaxBackoff: time.Minute},
	}
	if tweak != nil {
		tweak(o)
	}
	svc, err := conversation.New(s, conversation.AdapterMap{ch.ID: a}, o)
	require.NoError(t, err)
	return mediaRig{s: s, api: api, a: a, ch: ch, svc: svc, clock: c, bucket: bucket, server: files.Server, crm: crm,
		hooked: &hooked, errs: &errs, mu: &mu}
}

// webhook delivers LINE's webhook for events through the channel's handler, and runs the jobs due.
func (r mediaRig) webhook(t *testing.T, events ...linetest.Event) {
	t.Helper()
	h, err := channel.NewHandler(r.ch.ID, r.a, r.svc.Receive, nil)
	require.NoError(t, err)
	body := r.api.Webhook(events...)
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set(line.SignatureHeader, linetest.Sign("testsecret", body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	require.Equal(t, http.StatusOK, w.Code)
	_, err = r.svc.Flush(t.Context())
	require.NoError(t, err)
}

// conversation returns the one conversation, started by a customer's text when there is none.
func (r mediaRig) conversation(t *testing.T) store.Conversation {
	t.Helper()
	list, _, err := r.s.ListConversations(t.Context(), store.View{}, store.Page{})
	require.NoError(t, err)
	if len(list) == 0 {
		r.webhook(t, linetest.Event{UserID: "U1", Text: "Could you send me the pictures?", Time: r.clock.Now()})
		return r.conversation(t)
	}
	return list[0].Conversation
}

// fetch GETs a signed URL from the blob server, as LINE or the inbox would.
func (r mediaRig) fetch(t *testing.T, raw string) ([]byte, string) {
	t.Helper()
	require.True(t, strings.HasPrefix(raw, mediaBase+"/"), "a URL of the blob server: %s", raw)
	u, err := url.Parse(raw)
	require.NoError(t, err)
	w := httptest.NewRecorder()
	r.server.ServeHTTP(w, httptest.NewRequest(http.MethodGet, u.RequestURI(), nil))
	require.Equal(t, http.StatusOK, w.Code, "the signed URL is served")
	return w.Body.Bytes(), w.Header().Get("Content-Type")
}

// head asks the blob server for a signed URL's size, without its body.
func (r mediaRig) head(t *testing.T, raw string) int64 {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	w := httptest.NewRecorder()
	r.server.ServeHTTP(w, httptest.NewRequest(http.MethodHead, u.RequestURI(), nil))
	require.Equal(t, http.StatusOK, w.Code, "the signed URL is served")
	n, err := strconv.ParseInt(w.Header().Get("Content-Length"), 10, 64)
	require.NoError(t, err)
	return n
}

// sent returns the message objects of LINE's last delivery.
func (r mediaRig) sent(t *testing.T) []map[string]any {
	t.Helper()
	ds := r.api.Deliveries()
	require.NotEmpty(t, ds)
	var out []map[string]any
	for _, raw := range ds[len(ds)-1].Messages {
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		out = append(out, m)
	}
	return out
}

func (r mediaRig) messageCount(t *testing.T) int {
	t.Helper()
	list, _, err := r.s.ListMessages(t.Context(), r.conversation(t).ID, store.Page{Limit: store.MaxLimit})
	require.NoError(t, err)
	return len(list)
}

// Media files for the tests: real encodings of generated pictures and tones.
func encodedJPEG(t *testing.T, w, h int, noise bool) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			c := color.RGBA{uint8(x), uint8(y), 0x80, 0xFF}
			if noise {
				c = color.RGBA{uint8(rng.UintN(256)), uint8(rng.UintN(256)), uint8(rng.UintN(256)), 0xFF}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}))
	return buf.Bytes()
}

func encodedPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	img.Set(3, 3, color.RGBA{0xFF, 0, 0, 0xFF})
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func encodedGIF(t *testing.T) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black, color.White})
	var buf bytes.Buffer
	require.NoError(t, gif.Encode(&buf, img, nil))
	return buf.Bytes()
}

func encodedZIP(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("catalogue.txt")
	require.NoError(t, err)
	_, _ = w.Write([]byte("spring catalogue"))
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func fixtureFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "media", name))
	require.NoError(t, err)
	return b
}

// hugeJPEG is a 50 MB file that begins as a JPEG does: made once, when a test first asks, never committed.
var hugeJPEG = sync.OnceValue(func() []byte {
	b := make([]byte, 50_000_000)
	copy(b, []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00})
	return b
})

// The media rules on a table of files, attached from the CRM's own files and sent to LINE through the
// real adapter: what goes out as LINE's image, video or audio message (with its preview and length),
// and what goes as a link, saying why. The type comes from the bytes: every file claims to be a JPEG.
func TestLINEMediaRulesOnFiles(t *testing.T) {
	t.Parallel()
	r := newMediaRig(t, nil)
	conv := r.conversation(t)
	type want struct {
		kind    string // LINE's message type as sent: image, video, audio, text (a link)
		outcome store.Outcome
		detail  string // in the part's StatusDetail
	}
	smallJPEG := encodedJPEG(t, 64, 48, false)
	bigJPEG := encodedJPEG(t, 1200, 900, true)
	require.Greater(t, len(bigJPEG), line.MaxPreviewBytes, "the big JPEG is too large to be its own preview")
	require.Less(t, len(bigJPEG), line.MaxImageBytes)
	for _, tc := range []struct {
		name string
		data []byte
		want want
	}{
		{"photo.jpg", smallJPEG, want{"image", store.OutcomeAsIs, ""}},
		{"big-photo.jpg", bigJPEG, want{"image", store.OutcomeAsIs, ""}},
		{"diagram.png", encodedPNG(t), want{"image", store.OutcomeAsIs, ""}},
		{"animation.gif", encodedGIF(t), want{"text", store.OutcomeDegraded, "sent as a link: the channel cannot send image/gif files as media"}},
		{"iphone.heic", fixtureFile(t, "tiny.heic"), want{"text", store.OutcomeDegraded, "cannot send image/heic files as media"}},
		{"sticker.webp", fixtureFile(t, "tiny.webp"), want{"text", store.OutcomeDegraded, "cannot send image/webp files as media"}},
		{"poster-50mb.jpg", hugeJPEG(), want{"text", store.OutcomeDegraded, "sent as a link: it is 50 MB, and the channel takes image messages of at most 10 MB"}},
		{"demo.mp4", fixtureFile(t, "clip.mp4"), want{"video", store.OutcomeAsIs, ""}},
		{"demo.mov", fixtureFile(t, "clip.mov"), want{"text", store.OutcomeDegraded, "cannot send video/quicktime files as media"}},
		{"voice.m4a", fixtureFile(t, "clip.m4a"), want{"audio", store.OutcomeAsIs, ""}},
		{"jingle.mp3", fixtureFile(t, "clip.mp3"), want{"audio", store.OutcomeAsIs, ""}},
		{"quote.pdf", []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"), want{"text", store.OutcomeDegraded, "cannot send application/pdf files as media"}},
		{"catalogue.zip", encodedZIP(t), want{"text", store.OutcomeDegraded, "cannot send application/zip files as media"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.crm.add(tc.name, tc.name, "image/jpeg", tc.data)
			sent, err := r.svc.Reply(t.Context(), conv.ID, "alice", conversation.Reply{
				Attachments: []conversation.Attachment{{Source: "crm", Ref: tc.name}}})
			require.NoError(t, err)
			require.Len(t, sent.Parts, 1)
			p := sent.Parts[0]
			require.Equal(t, tc.want.outcome, p.Outcome, p.StatusDetail)
			require.Equal(t, store.StatusSent, p.Status, p.StatusDetail)
			require.Contains(t, p.StatusDetail, tc.want.detail)
			out := r.sent(t)
			require.Len(t, out, 1)
			msg := out[0]
			require.Equal(t, tc.want.kind, msg["type"])
			switch tc.want.kind {
			case "image", "video":
				original, _ := r.fetch(t, msg["originalContentUrl"].(string))
				require.Equal(t, tc.data, original, "LINE fetches the file itself from the blob server")
				preview, ct := r.fetch(t, msg["previewImageUrl"].(string))
				require.LessOrEqual(t, len(preview), line.MaxPreviewBytes, "the preview is within LINE's limit")
				require.Contains(t, []string{"image/jpeg", "image/png"}, ct)
				cfg, _, err := image.DecodeConfig(bytes.NewReader(preview))
				require.NoError(t, err)
				if len(tc.data) <= line.MaxPreviewBytes && tc.want.kind == "image" {
					require.Equal(t, msg["originalContentUrl"], msg["previewImageUrl"], "a small image is its own preview")
				} else {
					require.NotEqual(t, msg["originalContentUrl"], msg["previewImageUrl"], "a preview is made for it")
					require.LessOrEqual(t, max(cfg.Width, cfg.Height), line.PreviewSide)
				}
			case "audio":
				got, _ := r.fetch(t, msg["originalContentUrl"].(string))
				require.Equal(t, tc.data, got)
				require.InDelta(t, 2000, msg["duration"], 100, "the clip's length, read from the file, in milliseconds")
			case "text":
				text := msg["text"].(string)
				require.True(t, strings.HasPrefix(text, tc.name+"\n"+mediaBase+"/outbound/"), "the link names the file: %q", text)
				require.Equal(t, int64(len(tc.data)), r.head(t, strings.TrimPrefix(text, tc.name+"\n")), "the link serves the file")
			}
		})
	}
	require.Empty(t, *r.errs)
}

// A file larger than anything the channel takes, even as a link, refuses the reply with the reason,
// before anything is stored or sent, and leaves no file behind.
func TestAttachmentOverEveryLimitIsRefused(t *testing.T) {
	t.Parallel()
	r := newMediaRig(t, func(o *conversation.Options) { o.Files.MaxAttachmentBytes = 1_000_000 })
	conv := r.conversation(t)
	before, deliveries := r.messageCount(t), len(r.api.Deliveries())
	r.crm.mu.Lock()
	r.crm.files["film"] = crmFile{name: "film.mp4", claimed: "video/mp4", size: 250_000_000} // stated: never read
	r.crm.mu.Unlock()
	r.crm.add("manual", "manual.pdf", "application/pdf", append([]byte("%PDF-1.7\n"), make([]byte, 2_000_000)...))
	for _, tc := range []struct{ ref, reason string }{
		{"film", "the file is larger than this channel takes"},
		{"manual", "the file is 2 MB, and this channel takes application/pdf files as links of at most 1 MB (the channel cannot send application/pdf files as media)"},
	} {
		_, err := r.svc.Reply(t.Context(), conv.ID, "alice", conversation.Reply{Text: "Here it is",
			Attachments: []conversation.Attachment{{Source: "crm", Ref: tc.ref}}})
		var ae *conversation.AttachmentError
		require.ErrorAs(t, err, &ae, tc.ref)
		require.ErrorIs(t, err, conversation.ErrAttachment)
		require.ErrorIs(t, err, attach.ErrTooLarge)
		require.False(t, ae.Temporary(), "the same reply cannot go through later")
		require.Equal(t, tc.reason, ae.Reason)
		require.Equal(t, "crm", ae.Source)
		require.NotContains(t, err.Error(), tc.ref, "the reference is never in the error")
	}
	require.Equal(t, before, r.messageCount(t), "nothing of the refused replies is stored")
	require.Len(t, r.api.Deliveries(), deliveries, "nothing is sent")
	require.Empty(t, r.bucket.live(t), "the file downloaded before it was found too large is deleted")
}

// Resolution errors say what went wrong, in categories a host maps to 422 or 503; nothing is stored,
// and files re-hosted for the reply's other attachments are deleted.
func TestAttachmentSourceErrors(t *testing.T) {
	t.Parallel()
	r := newMediaRig(t, nil)
	conv := r.conversation(t)
	r.crm.add("ok", "ok.jpg", "image/jpeg", encodedJPEG(t, 8, 8, false))
	r.crm.mu.Lock()
	r.crm.errs["private-customer-file"] = &attach.Error{Provider: "crm", Op: "open", Status: 403, Kind: attach.ErrForbidden}
	r.crm.errs["down"] = &attach.Error{Provider: "crm", Op: "open", Status: 503, Kind: attach.ErrUnavailable, RetryAfter: time.Minute}
	r.crm.mu.Unlock()
	before := r.messageCount(t)
	for _, tc := range []struct {
		source, ref string
		category    error
		temporary   bool
	}{
		{"crm", "no-such-file", attach.ErrNotFound, false},
		{"crm", "private-customer-file", attach.ErrForbidden, false},
		{"crm", "down", attach.ErrUnavailable, true},
		{"gdrive", "1AbCdEf", attach.ErrUnknownSource, false},
	} {
		_, err := r.svc.Reply(t.Context(), conv.ID, "alice", conversation.Reply{Text: "two files", Attachments: []conversation.Attachment{
			{Source: "crm", Ref: "ok"}, {Source: tc.source, Ref: tc.ref}}})
		var ae *conversation.AttachmentError
		require.ErrorAs(t, err, &ae, tc.ref)
		require.ErrorIs(t, err, tc.category)
		require.Equal(t, 1, ae.Index, "the error names the attachment")
		require.Equal(t, tc.temporary, ae.Temporary())
		require.NotContains(t, err.Error(), tc.ref)
		require.Equal(t, before, r.messageCount(t), "nothing is stored")
		require.Empty(t, r.bucket.live(t), "the first attachment's re-hosted copy is deleted")
	}
	// Without sources, a reply naming one is refused the same way.
	plain := newMediaRig(t, func(o *conversation.Options) { o.Files = conversation.Files{} })
	_, err := plain.svc.Reply(t.Context(), plain.conversation(t).ID, "alice", conversation.Reply{
		Attachments: []conversation.Attachment{{Source: "crm", Ref: "ok"}}})
	require.ErrorIs(t, err, attach.ErrUnknownSource)
	require.ErrorIs(t, err, conversation.ErrAttachment)
}

// Attachments by URL are not fetched: what the host states is checked against the rules.
func TestLINEMediaRulesOnURLAttachments(t *testing.T) {
	t.Parallel()
	r := newMediaRig(t, nil)
	conv := r.conversation(t)
	sent, err := r.svc.Reply(t.Context(), conv.ID, "alice", conversation.Reply{Attachments: []conversation.Attachment{
		{URL: "https://files.example.com/a.jpg", ContentType: "image/jpeg", Size: 300_000},
		{URL: "https://files.example.com/b.jpg", ContentType: "image/jpeg", Size: 3_000_000},
		{URL: "https://files.example.com/c.jpg", ContentType: "image/jpeg", Size: 3_000_000, PreviewURL: "https://files.example.com/c-small.jpg"},
		{URL: "https://files.example.com/d.gif", ContentType: "image/gif", Name: "d.gif"},
		{URL: "https://files.example.com/e.m4a", ContentType: "audio/mp4"},
	}})
	require.NoError(t, err)
	kinds := []channel.MessageType{}
	for _, p := range sent.Parts {
		kinds = append(kinds, p.Content.Type)
	}
	require.Equal(t, []channel.MessageType{channel.TypeImage, channel.TypeLink, channel.TypeImage, channel.TypeLink, channel.TypeLink}, kinds)
	require.Equal(t, "https://files.example.com/a.jpg", sent.Parts[0].Content.Media.PreviewURL, "a small image previews itself")
	require.Contains(t, sent.Parts[1].StatusDetail, "no preview image was given")
	require.Contains(t, sent.Parts[3].StatusDetail, "image/gif")
	require.Contains(t, sent.Parts[4].StatusDetail, "its length could not be read")
}

// B9: an inbound video is copied once LINE has prepared it. While LINE reports "processing", the copy
// stays pending, saying why, and is retried with backoff; then it is ready, checksummed and typed, and
// the inbox shows it under a signed URL to the copy.
func TestInboundVideoIsCopiedOnceTranscoded(t *testing.T) {
	t.Parallel()
	r := newMediaRig(t, nil)
	video := fixtureFile(t, "clip.mp4")
	r.webhook(t, linetest.Event{UserID: "U1", MessageID: "100001", Time: r.clock.Now(),
		Content: &linetest.Content{Type: "video", ContentType: "video/mp4", Data: video, Duration: 2 * time.Second,
			Transcoding: linetest.TranscodingProcessing}})
	m, err := r.s.FindMessage(t.Context(), r.ch.ID, "100001")
	require.NoError(t, err)
	require.Equal(t, store.MediaPending, m.MediaCopy.Status)
	require.Contains(t, m.MediaCopy.Detail, "retrying: attempt 1 failed (LINE is still preparing the video or audio")
	_, err = r.svc.MediaURL(t.Context(), m.ID, 0)
	require.ErrorIs(t, err, conversation.ErrMediaNotReady)
	require.Empty(t, *r.hooked, "the hook waits for the copy")

	r.clock.Advance(11 * time.Second) // past LINE's suggested wait: still processing
	_, err = r.svc.Flush(t.Context())
	require.NoError(t, err)
	m, err = r.s.GetMessage(t.Context(), m.ID)
	require.NoError(t, err)
	require.Equal(t, store.MediaPending, m.MediaCopy.Status)
	require.Contains(t, m.MediaCopy.Detail, "retrying: attempt 2 failed")

	r.api.SetTranscoding("100001", linetest.TranscodingSucceeded)
	r.clock.Advance(time.Minute)
	_, err = r.svc.Flush(t.Context())
	require.NoError(t, err)
	m, err = r.s.GetMessage(t.Context(), m.ID)
	require.NoError(t, err)
	sum := sha256.Sum256(video)
	require.Equal(t, &store.MediaCopy{Status: store.MediaReady, Key: "inbound/" + m.ID, ContentType: "video/mp4",
		Size: int64(len(video)), SHA256: hex.EncodeToString(sum[:])}, m.MediaCopy)
	require.Equal(t, []string{m.ID}, *r.hooked, "the hook hears of the message once its copy is ready")

	u, err := r.svc.MediaURL(t.Context(), m.ID, time.Minute)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(u, mediaBase+"/inbound/"), "the inbox gets the copy's signed URL, never LINE's: %s", u)
	got, ct := r.fetch(t, u)
	require.Equal(t, video, got)
	require.Equal(t, "video/mp4", ct)
	r.clock.Advance(2 * time.Minute)
	pu, _ := url.Parse(u)
	w := httptest.NewRecorder()
	r.server.ServeHTTP(w, httptest.NewRequest(http.MethodGet, pu.RequestURI(), nil))
	require.Equal(t, http.StatusGone, w.Code, "the inbox's URL expires")
	require.Equal(t, []string{"inbound/" + m.ID}, r.bucket.live(t))
}

// Content LINE no longer has (404) fails the copy at once, saying why; an image, a file and an audio
// clip LINE still has are copied.
func TestInboundCopyOfContentGoneAndKept(t *testing.T) {
	t.Parallel()
	r := newMediaRig(t, nil)
	r.api.Fail(linetest.OpContent, linetest.ErrorAnswer(http.StatusNotFound, linetest.MessageNotFound))
	photo, voice := encodedJPEG(t, 32, 32, false), fixtureFile(t, "clip.m4a")
	r.webhook(t,
		linetest.Event{UserID: "U1", MessageID: "200001", Time: r.clock.Now(), Content: &linetest.Content{Type: "image", ContentType: "image/jpeg", Data: photo}},
		linetest.Event{UserID: "U1", MessageID: "200002", Time: r.clock.Now(), Content: &linetest.Content{Type: "image", ContentType: "image/jpeg", Data: photo}},
		linetest.Event{UserID: "U1", MessageID: "200003", Time: r.clock.Now(), Content: &linetest.Content{Type: "file", ContentType: "application/pdf",
			Data: []byte("%PDF-1.7\n%%EOF\n"), FileName: "invoice.pdf"}},
		linetest.Event{UserID: "U1", MessageID: "200004", Time: r.clock.Now(), Content: &linetest.Content{Type: "audio", ContentType: "audio/x-m4a",
			Data: voice, Duration: 2 * time.Second}},
	)
	status := map[string]store.MediaCopy{}
	for _, id := range []string{"200001", "200002", "200003", "200004"} {
		m, err := r.s.FindMessage(t.Context(), r.ch.ID, id)
		require.NoError(t, err)
		status[id] = *m.MediaCopy
	}
	// The first download met the 404 (events are stored, and their jobs run, in delivery order).
	require.Equal(t, store.MediaCopy{Status: store.MediaFailed, Detail: "not copied: the channel no longer has the content"}, status["200001"])
	require.Equal(t, store.MediaReady, status["200002"].Status)
	require.Equal(t, "image/jpeg", status["200002"].ContentType)
	require.Equal(t, store.MediaReady, status["200003"].Status)
	require.Equal(t, "application/pdf", status["200003"].ContentType)
	require.Equal(t, store.MediaReady, status["200004"].Status)
	require.Equal(t, "audio/mp4", status["200004"].ContentType, "typed by sniffing, not by LINE's header")
	failed, _, err := r.s.ListJobs(t.Context(), store.JobFilter{Status: store.JobFailed}, store.Page{})
	require.NoError(t, err)
	require.Len(t, failed, 1, "the copy of content that is gone is not retried")
	m, err := r.s.FindMessage(t.Context(), r.ch.ID, "200001")
	require.NoError(t, err)
	_, err = r.svc.MediaURL(t.Context(), m.ID, 0)
	require.ErrorIs(t, err, conversation.ErrMediaNotReady)
	require.ErrorContains(t, err, "no longer has the content")
}

// Content from an external provider (LINE's contentProvider "external") is fetched from its URL under
// the same rules; its URL and any token in it stay out of what is recorded.
func TestInboundExternalContent(t *testing.T) {
	t.Parallel()
	photo := encodedJPEG(t, 16, 16, false)
	ext := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/photo.jpg":
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(photo)
		case "/busy.jpg":
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(ext.Close)
	r := newMediaRig(t, func(o *conversation.Options) { o.Files.HTTPClient = ext.Client() })
	event := func(id, rawURL string) channel.Event {
		m := channel.Image(rawURL, rawURL)
		m.ID = id
		return channel.Event{ID: "ev-" + id, Kind: channel.EventMessage, Type: "message", Time: r.clock.Now(), Mode: channel.ModeActive,
			Source: channel.User("U1"), Message: &m}
	}
	require.NoError(t, r.svc.Ingest(t.Context(), r.ch.ID, []channel.Event{
		event("ext-1", ext.URL+"/photo.jpg?token=SECRET-TOKEN"),
		event("ext-2", ext.URL+"/gone.jpg?token=SECRET-TOKEN"),
		event("ext-3", strings.Replace(ext.URL, "https:", "http:", 1)+"/photo.jpg"),
		event("ext-4", ext.URL+"/busy.jpg"),
	}))
	_, err := r.svc.Flush(t.Context())
	require.NoError(t, err)
	get := func(id string) store.MediaCopy {
		m, err := r.s.FindMessage(t.Context(), r.ch.ID, id)
		require.NoError(t, err)
		require.NotContains(t, m.MediaCopy.Detail, "SECRET-TOKEN")
		require.NotContains(t, m.MediaCopy.Detail, ext.URL)
		return *m.MediaCopy
	}
	ready := get("ext-1")
	require.Equal(t, store.MediaReady, ready.Status)
	require.Equal(t, "image/jpeg", ready.ContentType)
	require.Equal(t, store.MediaCopy{Status: store.MediaFailed, Detail: "not copied: the channel no longer has the content"}, get("ext-2"))
	require.Equal(t, store.MediaCopy{Status: store.MediaFailed, Detail: "not copied: the channel's address for it is not an HTTPS URL"}, get("ext-3"))
	busy := get("ext-4")
	require.Equal(t, store.MediaPending, busy.Status)
	require.Contains(t, busy.Detail, "retrying: attempt 1 failed (channel: unavailable (status 503))")
	for _, err := range *r.errs {
		require.NotContains(t, err.Error(), "SECRET-TOKEN", "errors never carry the URL's token")
	}
}

// A message the customer takes back keeps no copy: one made already is deleted.
func TestUnsentMediaIsNotKept(t *testing.T) {
	t.Parallel()
	r := newMediaRig(t, nil)
	photo := encodedJPEG(t, 16, 16, false)
	r.webhook(t, linetest.Event{UserID: "U1", MessageID: "300001", Time: r.clock.Now(),
		Content: &linetest.Content{Type: "image", ContentType: "image/jpeg", Data: photo}})
	m, err := r.s.FindMessage(t.Context(), r.ch.ID, "300001")
	require.NoError(t, err)
	require.Equal(t, store.MediaReady, m.MediaCopy.Status)
	require.Equal(t, []string{"inbound/" + m.ID}, r.bucket.live(t))
	require.NoError(t, r.svc.Ingest(t.Context(), r.ch.ID, []channel.Event{{ID: "ev-unsend", Kind: channel.EventUnsend, Type: "unsend",
		Time: r.clock.Now(), Mode: channel.ModeActive, Source: channel.User("U1"), UnsentMessageID: "300001"}}))
	_, err = r.svc.Flush(t.Context())
	require.NoError(t, err)
	m, err = r.s.GetMessage(t.Context(), m.ID)
	require.NoError(t, err)
	require.Equal(t, store.MediaFailed, m.MediaCopy.Status)
	require.Contains(t, m.MediaCopy.Detail, "took the message back")
	require.Empty(t, r.bucket.live(t), "the copy is deleted")
	_, err = r.svc.MediaURL(t.Context(), m.ID, 0)
	require.ErrorIs(t, err, conversation.ErrNoMedia)
}

func TestMediaURLRefusals(t *testing.T) {
	t.Parallel()
	r := newMediaRig(t, nil)
	conv := r.conversation(t)
	list, _, err := r.s.ListMessages(t.Context(), conv.ID, store.Page{})
	require.NoError(t, err)
	_, err = r.svc.MediaURL(t.Context(), list[0].ID, 0)
	require.ErrorIs(t, err, conversation.ErrNoMedia, "a text has no media")
	_, err = r.svc.MediaURL(t.Context(), "no-such-message", 0)
	require.ErrorIs(t, err, store.ErrNotFound)
	plain := newMediaRig(t, func(o *conversation.Options) { o.Files = conversation.Files{} })
	_, err = plain.svc.MediaURL(t.Context(), list[0].ID, 0)
	require.ErrorIs(t, err, errors.ErrUnsupported)
}

func TestFilesOptionsAreChecked(t *testing.T) {
	t.Parallel()
	s := memstore.New(nil)
	blobs, err := blob.New(blob.NewMemory(nil))
	require.NoError(t, err)
	for name, f := range map[string]conversation.Files{
		"store without server":  {Store: blobs},
		"sources without store": {Sources: attach.NewRegistry()},
		"negative limit":        {MaxInboundBytes: -1},
	} {
		_, err := conversation.New(s, conversation.AdapterMap{}, &conversation.Options{Files: f})
		require.Error(t, err, name)
	}
}

// A network failure fetching external content is retried, and when the copy is given up, the error the
// host hears of carries neither the URL nor its token.
func TestExternalFetchErrorsCarryNoURL(t *testing.T) {
	t.Parallel()
	dead := httptest.NewTLSServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close() // nothing listens there any more
	r := newMediaRig(t, func(o *conversation.Options) { o.Jobs.RetryFor = time.Second })
	m := channel.Image(deadURL+"/p.jpg?token=SECRET-TOKEN", deadURL+"/p.jpg")
	m.ID = "ext-dead"
	require.NoError(t, r.svc.Ingest(t.Context(), r.ch.ID, []channel.Event{{ID: "ev-dead", Kind: channel.EventMessage, Type: "message",
		Time: r.clock.Now(), Mode: channel.ModeActive, Source: channel.User("U1"), Message: &m}}))
	var got store.Message
	for round := 0; round < 5; round++ {
		_, err := r.svc.Flush(t.Context())
		require.NoError(t, err)
		got, err = r.s.FindMessage(t.Context(), r.ch.ID, "ext-dead")
		require.NoError(t, err)
		if got.MediaCopy.Status != store.MediaPending {
			break
		}
		require.Contains(t, got.MediaCopy.Detail, "retrying: attempt 1 failed (channel: unavailable)")
		r.clock.Advance(2 * time.Second)
	}
	require.Equal(t, store.MediaFailed, got.MediaCopy.Status, "given up once Jobs.RetryFor passes")
	require.Equal(t, "not copied: channel: unavailable", got.MediaCopy.Detail)
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, *r.errs, "the host hears that the copy was given up")
	for _, err := range *r.errs {
		require.NotContains(t, err.Error(), "SECRET-TOKEN")
		require.NotContains(t, err.Error(), "/p.jpg", "nor its path (a host and port may show, as in any dial error)")
	}
}

// A Media hook that fails for good after the copy is ready leaves the copy ready: the job is given up,
// the copy is not.
func TestHookFailureKeepsTheCopy(t *testing.T) {
	t.Parallel()
	r := newMediaRig(t, func(o *conversation.Options) {
		o.Media = func(context.Context, store.Message) error {
			return fmt.Errorf("the CRM refuses: %w", errors.ErrUnsupported) // permanent
		}
	})
	r.webhook(t, linetest.Event{UserID: "U1", MessageID: "400001", Time: r.clock.Now(),
		Content: &linetest.Content{Type: "image", ContentType: "image/jpeg", Data: encodedJPEG(t, 8, 8, false)}})
	m, err := r.s.FindMessage(t.Context(), r.ch.ID, "400001")
	require.NoError(t, err)
	require.Equal(t, store.MediaReady, m.MediaCopy.Status)
	failed, _, err := r.s.ListJobs(t.Context(), store.JobFilter{Status: store.JobFailed}, store.Page{})
	require.NoError(t, err)
	require.Len(t, failed, 1, "the hook's job is given up")
	_, err = r.svc.MediaURL(t.Context(), m.ID, 0)
	require.NoError(t, err)
}

// A reply's parts read back in the thread in the order they were sent, whatever IDs they were given
// (attachments get theirs before the text's).
func TestReplyPartsKeepTheirOrderInTheThread(t *testing.T) {
	t.Parallel()
	r := newMediaRig(t, nil)
	conv := r.conversation(t)
	r.crm.add("photo", "photo.jpg", "image/jpeg", encodedJPEG(t, 8, 8, false))
	r.crm.add("map", "map.png", "image/png", encodedPNG(t))
	sent, err := r.svc.Reply(t.Context(), conv.ID, "alice", conversation.Reply{Text: "Here you are",
		Attachments: []conversation.Attachment{{Source: "crm", Ref: "photo"}, {Source: "crm", Ref: "map"}}})
	require.NoError(t, err)
	require.Len(t, sent.Parts, 3)
	msgs, _, err := r.s.ListMessages(t.Context(), conv.ID, store.Page{Order: store.OldestFirst})
	require.NoError(t, err)
	var thread []string
	for _, m := range msgs {
		if m.Direction == store.Outbound {
			thread = append(thread, m.ID)
		}
	}
	want := []string{sent.Parts[0].ID, sent.Parts[1].ID, sent.Parts[2].ID}
	require.Equal(t, want, thread)
}
