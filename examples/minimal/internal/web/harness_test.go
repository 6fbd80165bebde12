package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
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
	"github.com/msgkit/msgkit/examples/minimal/internal/web"
	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/template"
)

// Hostile text a customer may send or call themselves.
const (
	hostileScript = `<script>alert(1)</script>`
	hostileImg    = `<img src=x onerror=alert(1)>`
)

type clock struct {
	mu  sync.Mutex
	now time.Time
	// real: follow the wall clock (the browser test), shifted by what Advance added.
	real  bool
	shift time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real {
		return time.Now().Add(c.shift)
	}
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.shift += d
}

// world is the whole inbox — the API and the web front end — over memstore, with a LINE-kind and a
// WhatsApp-kind channel (channeltest Fakes through their connectors), a small CRM and three users:
// aiko (admin), ben and chika.
type world struct {
	srv      *httptest.Server
	web      *web.Handler
	s        *memstore.Store
	svc      *conversation.Service
	cs       *connect.Service
	crm      *linking.MemoryRecords
	crmFiles *fileSource // the CRM's files, to attach
	drive    *fileSource // a cloud drive's files, to attach
	clock    *clock
	line, wa store.Channel
	fakes    map[string]*channeltest.Fake // channel ID → its Fake

	mu  sync.Mutex
	seq int
}

type worldOptions struct {
	realTime     bool
	poll         time.Duration
	maxStreams   int
	demoCustomer func(context.Context, web.DemoMessage) error
}

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// Credential fields of the channeltest connectors, for the connect form.
var fakeKinds = []web.Kind{
	{Name: "line", Label: "LINE", Fields: []web.Field{
		{Key: channeltest.CredAccount, Label: "Channel ID", Required: true},
		{Key: channeltest.CredSecret, Label: "Channel secret", Secret: true, Required: true},
		{Key: channeltest.CredToken, Label: "Access token", Secret: true}}},
	{Name: "whatsapp", Label: "WhatsApp", Fields: []web.Field{
		{Key: channeltest.CredAccount, Label: "Phone number ID", Required: true},
		{Key: channeltest.CredSecret, Label: "App secret", Secret: true, Required: true},
		{Key: channeltest.CredToken, Label: "Access token", Secret: true}}},
}

func newWorld(t testing.TB, o worldOptions) *world {
	t.Helper()
	c := &clock{now: t0, real: o.realTime}
	s := memstore.New(&memstore.Options{Now: c.Now})
	key, err := connect.GenerateKey("k1")
	require.NoError(t, err)
	sealer, err := connect.NewAESGCM(key)
	require.NoError(t, err)
	lineConn, waConn := channeltest.NewConnector("line"), &waConnector{Connector: channeltest.NewConnector("whatsapp"), fakes: map[string]*channeltest.Fake{}}
	reg, err := connect.NewRegistry(sealer, lineConn, waConn)
	require.NoError(t, err)
	cs, err := connect.New(s, reg, &connect.Options{Now: c.Now, WebhookURL: func(id string) string { return "https://inbox.test/webhooks/" + id }})
	require.NoError(t, err)
	crm := &linking.MemoryRecords{}
	// One server for the whole stack, as the example's: the inbox, and the blob server's signed media
	// URLs under /media/ (routes are added below, before any request). It is HTTPS, as channels need to
	// fetch attachments.
	mux := http.NewServeMux()
	srv := httptest.NewTLSServer(mux)
	blobs, err := blob.New(blob.NewMemory(c.Now))
	require.NoError(t, err)
	media, err := blob.NewServer(blobs, srv.URL+"/media", [][]byte{bytes.Repeat([]byte("m"), 32)}, &blob.ServerOptions{Now: c.Now})
	require.NoError(t, err)
	uploads, err := upload.New(blobs, &upload.Options{Server: media})
	require.NoError(t, err)
	files := &fileSource{files: map[string]fakeFile{}}
	drive := &fileSource{files: map[string]fakeFile{}}
	sources := attach.NewRegistry()
	require.NoError(t, sources.Register("uploads", uploads))
	require.NoError(t, sources.Register("crm", files))
	require.NoError(t, sources.Register("drive", drive))
	svc, err := conversation.New(s, reg, &conversation.Options{Now: c.Now, Fields: conversation.RecordFields{Records: crm},
		Files: conversation.Files{Store: blobs, Server: media, Sources: sources, MaxAttachmentBytes: 4 << 20}})
	require.NoError(t, err)
	fields := conversation.FieldSchema(template.Fields{"order": {MaxLength: 20}})
	tpls, err := conversation.NewTemplates(svc, fields, nil)
	require.NoError(t, err)
	linker, err := linking.New(s, crm)
	require.NoError(t, err)
	hash := func(p string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		require.NoError(t, err)
		return string(h)
	}
	users, err := auth.NewUsers([]auth.User{
		{ID: "aiko", Name: "Aiko Tanaka", Admin: true, Roles: []string{"sales"}, TimeZone: "Asia/Tokyo", PasswordHash: hash("aiko-password")},
		{ID: "ben", Name: "Ben Carter", Roles: []string{"sales"}, PasswordHash: hash("ben-password")},
		{ID: "chika", Name: "Chika Mori", Roles: []string{"sales"}, PasswordHash: hash("chika-password")},
	})
	require.NoError(t, err)
	authn, err := auth.New(users, bytes.Repeat([]byte("k"), 32), &auth.Options{Now: c.Now})
	require.NoError(t, err)
	a, err := api.New(api.Deps{Store: s, Service: svc, Connect: cs, Templates: tpls, Linker: linker, Records: crm, Auth: authn,
		Now: c.Now, Uploads: uploads, UploadsName: "uploads", MaxUpload: 1 << 20,
		Fields: fields, Strategies: []string{"balanced", "round_robin"},
		Sources: []api.Source{{Name: "crm", Label: "CRM files", Picker: files}, {Name: "drive", Label: "Cloud drive", Picker: drive}},
		Assign: func(ctx context.Context, conv, to, by string) (store.Conversation, error) {
			cur, err := s.GetConversation(ctx, conv)
			if err != nil {
				return cur, err
			}
			return s.AssignConversation(ctx, store.Assignment{ConversationID: conv, From: cur.Assignee, To: to, By: by, Reason: store.AssignManual})
		}})
	require.NoError(t, err)
	h, err := web.New(web.Deps{API: a, Auth: authn, Now: c.Now, Kinds: fakeKinds, Poll: o.poll, MaxStreams: o.maxStreams,
		DemoCustomer: o.demoCustomer})
	require.NoError(t, err)
	mux.Handle("/media/", media)
	mux.Handle("/", h)
	t.Cleanup(func() {
		h.Close() // ends the event streams, which srv.Close would wait for
		srv.Close()
	})
	w := &world{srv: srv, web: h, s: s, svc: svc, cs: cs, crm: crm, crmFiles: files, drive: drive, clock: c, fakes: map[string]*channeltest.Fake{}}
	w.line = w.connect(t, lineConn, "line", "Tokyo shop", "1650")
	w.wa = w.connect(t, waConn, "whatsapp", "Osaka support", "81900")
	return w
}

func (w *world) connect(t testing.TB, conn channel.Connector, kind, name, account string) store.Channel {
	t.Helper()
	creds := channel.Credentials{channeltest.CredAccount: account, channeltest.CredSecret: "s3cr3t-" + account, channeltest.CredToken: "t0ken"}
	got, err := w.cs.Connect(context.Background(), connect.Request{Kind: kind, Name: name, Credentials: creds})
	require.NoError(t, err)
	a, err := conn.Adapter(creds)
	require.NoError(t, err)
	w.fakes[got.Channel.ID] = a.(*channeltest.Fake)
	return got.Channel
}

// customer stores what user sent on ch as a webhook would (with name as their profile), runs the work
// it causes, and returns the conversation's ID.
func (w *world) customer(t testing.TB, ch store.Channel, user, name string, msg channel.Message) string {
	t.Helper()
	w.mu.Lock()
	w.seq++
	n := w.seq
	w.mu.Unlock()
	if name != "" {
		w.fakes[ch.ID].SetProfile(channel.Profile{UserID: user, DisplayName: name})
	}
	if msg.ID == "" {
		msg.ID = fmt.Sprint("msg-", n)
	}
	return w.event(t, ch, channel.Event{ID: fmt.Sprint("ev-", n), Kind: channel.EventMessage, Source: channel.User(user),
		ReplyToken: fmt.Sprint("rt-", n), Message: &msg})
}

// event stores any event from e.Source on ch and returns the conversation's ID.
func (w *world) event(t testing.TB, ch store.Channel, e channel.Event) string {
	t.Helper()
	ctx := context.Background()
	if e.Time.IsZero() {
		e.Time = w.clock.Now()
	}
	if e.Mode == "" {
		e.Mode = channel.ModeActive
	}
	if e.ID == "" {
		w.mu.Lock()
		w.seq++
		e.ID = fmt.Sprint("ev-", w.seq)
		w.mu.Unlock()
	}
	require.NoError(t, w.svc.Ingest(ctx, ch.ID, []channel.Event{e}))
	_, err := w.svc.Flush(ctx)
	require.NoError(t, err)
	list, _, err := w.s.ListConversations(ctx, store.View{ChannelID: ch.ID}, store.Page{Limit: store.MaxLimit})
	require.NoError(t, err)
	for _, c := range list {
		if c.Conversation.Peer.ID == e.Source.ID {
			return c.Conversation.ID
		}
	}
	t.Fatalf("no conversation with %s", e.Source.ID)
	return ""
}

// agent is a browser session of one user: a cookie jar, redirects not followed.
type agent struct {
	w    *world
	c    *http.Client
	csrf string
}

func (w *world) client() *agent {
	jar, _ := cookiejar.New(nil)
	return &agent{w: w, c: &http.Client{Jar: jar, Transport: w.srv.Client().Transport, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// signedIn returns an agent signed in as user through the sign-in form.
func (w *world) signedIn(t testing.TB, user string) *agent {
	t.Helper()
	a := w.client()
	res := a.signIn(t, user, user+"-password", "")
	require.Equal(t, http.StatusSeeOther, res.status, res.body)
	require.Equal(t, "/inbox", res.header.Get("Location"))
	inbox := a.get(t, "/inbox")
	require.Equal(t, http.StatusOK, inbox.status)
	m := regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`).FindStringSubmatch(inbox.body)
	require.NotNil(t, m, "the inbox carries the CSRF token for the script")
	a.csrf = m[1]
	return a
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (a *agent) do(t testing.TB, req *http.Request) answer {
	t.Helper()
	res, err := a.c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return answer{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (a *agent) get(t testing.TB, path string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.w.srv.URL+path, nil)
	require.NoError(t, err)
	return a.do(t, req)
}

// post sends a form from this site's pages (Origin set) unless origin says otherwise ("-" for none).
func (a *agent) post(t testing.TB, path string, form url.Values, origin string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.w.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	switch origin {
	case "":
		req.Header.Set("Origin", a.w.srv.URL)
	case "-":
	default:
		req.Header.Set("Origin", origin)
	}
	return a.do(t, req)
}

var signInToken = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn fills the sign-in form as a browser would: its page first, for the form's token.
func (a *agent) signIn(t testing.TB, user, password, next string) answer {
	t.Helper()
	page := a.get(t, "/signin")
	require.Equal(t, http.StatusOK, page.status)
	m := signInToken.FindStringSubmatch(page.body)
	require.NotNil(t, m, "the sign-in form has a CSRF token")
	return a.post(t, "/signin", url.Values{"csrf": {m[1]}, "user": {user}, "password": {password}, "next": {next}}, "")
}

// waConnector makes Fakes that state WhatsApp's rules: a 24-hour window, templates only outside it.
type waConnector struct {
	*channeltest.Connector
	mu    sync.Mutex
	fakes map[string]*channeltest.Fake // account + secret → its Fake
}

var waRules = channel.Rules{Window: 24 * time.Hour, OutsideWindow: channel.OutsideTemplates}

func (c *waConnector) Adapter(creds channel.Credentials) (channel.Adapter, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := creds[channeltest.CredAccount] + "\x00" + creds[channeltest.CredSecret]
	if f, ok := c.fakes[key]; ok {
		return f, nil
	}
	if _, err := c.Connector.Adapter(creds); err != nil {
		return nil, err
	}
	f := channeltest.NewFake(&channeltest.FakeOptions{Kind: "whatsapp", Secret: creds[channeltest.CredSecret], Rules: &waRules,
		Account:  channel.AccountInfo{UserID: "U" + creds[channeltest.CredAccount], DisplayName: "Shop " + creds[channeltest.CredAccount]},
		Settings: []channel.SettingCheck{{ID: "webhook", Title: "Webhook", Status: channel.CheckOK, Detail: "Webhooks reach the CRM."}}})
	c.fakes[key] = f
	return f, nil
}

// fileSource is a CRM's or a drive's files: an attach.Source and the API's picker.
type fileSource struct {
	mu    sync.Mutex
	files map[string]fakeFile
	order []string
}

type fakeFile struct {
	attach.File
	data []byte
}

func (s *fileSource) add(id, name, contentType string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[id] = fakeFile{File: attach.File{ID: id, Name: name, ContentType: contentType, Size: int64(len(data))}, data: data}
	s.order = append(s.order, id)
}

func (s *fileSource) Resolve(_ context.Context, id string) (attach.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	if !ok {
		return attach.File{}, attach.ErrNotFound
	}
	return f.File, nil
}

func (s *fileSource) Open(_ context.Context, id string, limit int64) (io.ReadCloser, attach.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	if !ok {
		return nil, attach.File{}, attach.ErrNotFound
	}
	if f.Size > limit {
		return nil, attach.File{}, &attach.Error{Op: "open", Size: f.Size, Limit: limit, Kind: attach.ErrTooLarge}
	}
	return io.NopCloser(bytes.NewReader(f.data)), f.File, nil
}

func (s *fileSource) Files(_ context.Context, q string) ([]attach.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []attach.File
	for _, id := range s.order {
		if f := s.files[id]; strings.Contains(strings.ToLower(f.Name), strings.ToLower(q)) {
			out = append(out, f.File)
		}
	}
	return out, nil
}

// api calls the JSON API as the page's script does: the session's cookie, CSRF token and origin.
func (a *agent) api(t testing.TB, method, path, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, a.w.srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Origin", a.w.srv.URL)
	req.Header.Set("X-CSRF-Token", a.csrf)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return a.do(t, req)
}

// upload posts a file to the API's uploads as the reply box does; csrf false leaves the token out.
func (a *agent) upload(t testing.TB, name string, data []byte, csrf bool) answer {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(t, err)
	_, err = fw.Write(data)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, a.w.srv.URL+"/api/uploads", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", a.w.srv.URL)
	if csrf {
		req.Header.Set("X-CSRF-Token", a.csrf)
	}
	return a.do(t, req)
}
