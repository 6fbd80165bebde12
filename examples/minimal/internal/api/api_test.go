package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/upload"
	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/examples/minimal/internal/api"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/template"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// world is the API over memstore with one connected channel (a Fake through channeltest's connector),
// a small CRM, and three users: aiko (admin), ben and chika.
type world struct {
	srv    *httptest.Server
	s      *memstore.Store
	svc    *conversation.Service
	conn   *channeltest.Connector
	ch     store.Channel
	crm    *linking.MemoryRecords
	clock  *clock
	authn  *auth.Authenticator
	tokens map[string]string // user → bearer token
	seq    int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	c := &clock{now: t0}
	s := memstore.New(&memstore.Options{Now: c.Now})
	key, err := connect.GenerateKey("k1")
	require.NoError(t, err)
	sealer, err := connect.NewAESGCM(key)
	require.NoError(t, err)
	conn := channeltest.NewConnector("fake")
	reg, err := connect.NewRegistry(sealer, conn)
	require.NoError(t, err)
	cs, err := connect.New(s, reg, &connect.Options{Now: c.Now, WebhookURL: func(id string) string { return "https://inbox.test/webhooks/" + id }})
	require.NoError(t, err)
	crm := &linking.MemoryRecords{}
	blobs, err := blob.New(blob.NewMemory(c.Now))
	require.NoError(t, err)
	media, err := blob.NewServer(blobs, "https://inbox.test/media", [][]byte{bytes.Repeat([]byte("m"), 32)}, &blob.ServerOptions{Now: c.Now})
	require.NoError(t, err)
	uploads, err := upload.New(blobs, &upload.Options{Server: media})
	require.NoError(t, err)
	sources := attach.NewRegistry()
	require.NoError(t, sources.Register("uploads", uploads))
	require.NoError(t, sources.Register("crm", crmFiles{}))
	svc, err := conversation.New(s, reg, &conversation.Options{Now: c.Now, Records: crm,
		Files: conversation.Files{Store: blobs, Server: media, Sources: sources}})
	require.NoError(t, err)
	tpls, err := conversation.NewTemplates(svc, conversation.FieldSchema(template.Fields{}), nil)
	require.NoError(t, err)
	linker, err := linking.New(s, crm)
	require.NoError(t, err)
	hash := func(p string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		require.NoError(t, err)
		return string(h)
	}
	users, err := auth.NewUsers([]auth.User{
		{ID: "aiko", Name: "Aiko", Admin: true, Roles: []string{"sales"}, TimeZone: "Asia/Tokyo", PasswordHash: hash("aiko-password")},
		{ID: "ben", Name: "Ben", Roles: []string{"sales"}, PasswordHash: hash("ben-password")},
		{ID: "chika", Name: "Chika", Roles: []string{"sales"}, PasswordHash: hash("chika-password")},
	})
	require.NoError(t, err)
	authn, err := auth.New(users, bytes.Repeat([]byte("k"), 32), &auth.Options{Now: c.Now})
	require.NoError(t, err)
	a, err := api.New(api.Deps{Store: s, Service: svc, Connect: cs, Templates: tpls, Linker: linker, Records: crm, Auth: authn,
		Now: c.Now, Assign: svc.Assign, Strategies: []string{"balanced", "round_robin"},
		Uploads: uploads, UploadsName: "uploads", MaxUpload: 1 << 20,
		Sources: []api.Source{{Name: "crm", Label: "CRM files", Picker: crmFiles{}}}})
	require.NoError(t, err)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	got, err := cs.Connect(t.Context(), connect.Request{Kind: "fake", Name: "Tokyo shop", Credentials: channel.Credentials{
		channeltest.CredAccount: "1650", channeltest.CredSecret: "s3cr3t", channeltest.CredToken: "t0ken"}})
	require.NoError(t, err)
	w := &world{srv: srv, s: s, svc: svc, conn: conn, ch: got.Channel, crm: crm, clock: c, authn: authn, tokens: map[string]string{}}
	w.signIn(t)
	return w
}

// signIn gets every user a bearer token (again, after the clock moved past their expiry).
func (w *world) signIn(t *testing.T) {
	t.Helper()
	for _, u := range []string{"aiko", "ben", "chika"} {
		var out struct{ Token string }
		w.call(t, "", http.MethodPost, "/api/token", fmt.Sprintf(`{"user": %q, "password": %q}`, u, u+"-password"), http.StatusOK, &out)
		w.tokens[u] = out.Token
	}
}

// customer stores a message from user as a webhook would, and runs the work it causes.
func (w *world) customer(t *testing.T, user, text string) string {
	t.Helper()
	w.seq++
	m := channel.Text(text)
	m.ID = fmt.Sprint("msg-", w.seq)
	require.NoError(t, w.svc.Ingest(t.Context(), w.ch.ID, []channel.Event{{ID: fmt.Sprint("ev-", w.seq), Kind: channel.EventMessage,
		Time: w.clock.Now(), Mode: channel.ModeActive, Source: channel.User(user), ReplyToken: fmt.Sprint("rt-", w.seq), Message: &m}}))
	_, err := w.svc.Flush(t.Context())
	require.NoError(t, err)
	list, _, err := w.s.ListConversations(t.Context(), store.View{}, store.Page{Limit: store.MaxLimit})
	require.NoError(t, err)
	for _, e := range list {
		if e.Conversation.Peer.ID == user {
			return e.Conversation.ID
		}
	}
	t.Fatalf("no conversation with %s", user)
	return ""
}

// call sends a request as user (a bearer token; "" for none) and requires the status; out, when not nil,
// receives the JSON answer. It returns the raw answer.
func (w *world) call(t *testing.T, user, method, path, body string, status int, out any, headers ...string) []byte {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, w.srv.URL+path, rd)
	require.NoError(t, err)
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+w.tokens[user])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := w.srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, status, res.StatusCode, "%s %s: %s", method, path, raw)
	if res.StatusCode != http.StatusNoContent {
		require.Equal(t, "application/json; charset=utf-8", res.Header.Get("Content-Type"), "%s %s", method, path)
	}
	if res.StatusCode >= 400 {
		var e struct {
			Error struct{ Code, Message string }
		}
		require.NoError(t, json.Unmarshal(raw, &e), "errors are JSON: %s", raw)
		require.NotEmpty(t, e.Error.Code, "an error has a code: %s", raw)
		require.NotEmpty(t, e.Error.Message, "an error has a message: %s", raw)
	}
	if out != nil {
		require.NoError(t, json.Unmarshal(raw, out), "%s", raw)
	}
	return raw
}

// errorCode returns the error code of an error answer.
func errorCode(t *testing.T, raw []byte) string {
	t.Helper()
	var e struct{ Error struct{ Code string } }
	require.NoError(t, json.Unmarshal(raw, &e))
	return e.Error.Code
}

// crmFiles is a CRM's file store with one PDF, as an attachment source and its picker.
type crmFiles struct{}

var quotePDF = []byte("%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n")

func (crmFiles) Resolve(_ context.Context, id string) (attach.File, error) {
	if id != "quote-118" {
		return attach.File{}, attach.ErrNotFound
	}
	return attach.File{ID: id, Name: "quote-118.pdf", ContentType: "application/pdf", Size: int64(len(quotePDF))}, nil
}

func (c crmFiles) Open(ctx context.Context, id string, limit int64) (io.ReadCloser, attach.File, error) {
	f, err := c.Resolve(ctx, id)
	if err != nil {
		return nil, f, err
	}
	return io.NopCloser(bytes.NewReader(quotePDF)), f, nil
}

func (c crmFiles) Files(ctx context.Context, _ string) ([]attach.File, error) {
	f, err := c.Resolve(ctx, "quote-118")
	return []attach.File{f}, err
}
