package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/msgkit/msgkit/channel/line/linetest"
	"github.com/msgkit/msgkit/conversation/connect"
)

// syncBuffer is an output buffer the example writes from its goroutines while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// example is one run of the example in the test's process.
type example struct {
	base string
	out  *syncBuffer
	stop func() error // stops it and returns what run returned; once
}

// launch runs the example with args until stop is called (or the test ends).
func launch(t *testing.T, args ...string) example {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	out := &syncBuffer{}
	go func() { done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), nil, out, ready) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	select {
	case addr := <-ready:
		return example{base: "http://" + addr, out: out, stop: stop}
	case err := <-done:
		done <- err // for stop
		t.Fatalf("the server did not start: %v\n%s", err, out.String())
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not start in 60s")
	}
	return example{}
}

// call makes a request (with headers given as name, value pairs), requires its status, and decodes its
// JSON answer into into.
func call(t *testing.T, status int, method, url, body string, into any, header ...string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, status, res.StatusCode, "%s %s: %s", method, url, b)
	if into != nil {
		require.NoError(t, json.Unmarshal(b, into), string(b))
	}
}

// token signs user in as an API client and returns the Authorization header's value.
func token(t *testing.T, base, user, password string) string {
	t.Helper()
	var out struct{ Token string }
	call(t, http.StatusOK, "POST", base+"/api/token", fmt.Sprintf(`{"user": %q, "password": %q}`, user, password), &out)
	require.NotEmpty(t, out.Token)
	return "Bearer " + out.Token
}

// row is a row of the inbox, as the API lists it.
type row struct {
	ID                string
	Channel           struct{ ID, Kind, Name string }
	Contact           struct{ Name string }
	Record            *struct{ Kind, ID, Owner string }
	Assignee, Preview string
	Unreplied         bool
}

// part is a message as the API shows it.
type part struct {
	ID, Direction, Kind, Author, Status, Outcome, Detail string
	Content                                              struct {
		Type, Text string
		Media      *struct{ URL string }
		Link       *struct{ URL string }
	}
	Media *struct{ Status, URL string }
}

func conversations(t *testing.T, base, auth, view string) []row {
	t.Helper()
	var out struct{ Conversations []row }
	call(t, http.StatusOK, "GET", base+"/api/conversations?limit=100&view="+view, "", &out, "Authorization", auth)
	return out.Conversations
}

func byContact(t *testing.T, rows []row, name string) row {
	t.Helper()
	for _, r := range rows {
		if r.Contact.Name == name {
			return r
		}
	}
	t.Fatalf("no conversation with %s in %+v", name, rows)
	return row{}
}

func thread(t *testing.T, base, auth, conv string) []part {
	t.Helper()
	var out struct{ Messages []part }
	call(t, http.StatusOK, "GET", base+"/api/conversations/"+conv+"/messages?limit=100", "", &out, "Authorization", auth)
	return out.Messages
}

// delivered waits until the parts of a reply are sent (Reply delivers them at once, unless the
// Service's background work took them first).
func delivered(t *testing.T, base, auth, conv string, parts []part) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status := map[string]string{}
		for _, m := range thread(t, base, auth, conv) {
			status[m.ID] = m.Status + ": " + m.Detail
		}
		done := true
		for _, p := range parts {
			done = done && strings.HasPrefix(status[p.ID], "sent: ")
		}
		switch {
		case done:
			return
		case time.Now().After(deadline):
			t.Fatalf("the reply is not delivered within 20s: %v", status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eventually retries check until it passes or 20s have passed.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 20s: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The demo works end to end with no LINE or WhatsApp account: LINE and WhatsApp connected through the
// connect service, each served by its real adapter against its fake; customers who wrote in through
// signed webhooks, assigned round robin to the sales agents; templates, CRM files and a drive to reply
// with; everything behind sign-in. Restarted on its database, it continues where it stopped: the same
// channels, no second seeding, the same sessions, replies delivered.
func TestDemo(t *testing.T) {
	data := t.TempDir()
	ex := launch(t, "-demo", "-data", data)
	for _, want := range []string{"/inbox", "admin  / admin-demo", "aiko   / aiko-demo", "ben    / ben-demo", "chika  / chika-demo"} {
		require.Contains(t, ex.out.String(), want, "the URL and the sign-ins are printed")
	}
	for _, secret := range []string{demoLineSecret, demoLineToken, demoWAToken, demoWASecret, demoDropboxToken} {
		require.NotContains(t, ex.out.String(), secret)
	}

	// Nothing but the health check and the webhooks answers without a sign-in.
	call(t, http.StatusOK, "GET", ex.base+"/healthz", "", nil)
	for _, path := range []string{"/api/conversations", "/api/views", "/api/channels", "/api/templates"} {
		call(t, http.StatusUnauthorized, "GET", ex.base+path, "", nil)
		call(t, http.StatusUnauthorized, "GET", ex.base+path, "", nil, "Authorization", "Bearer forged.token")
	}
	call(t, http.StatusUnauthorized, "POST", ex.base+"/api/token", `{"user": "aiko", "password": "wrong-password"}`, nil)
	aiko, admin := token(t, ex.base, "aiko", "aiko-demo"), token(t, ex.base, "admin", "admin-demo")

	var channels struct{ Channels []struct{ ID, Kind string } }
	call(t, http.StatusOK, "GET", ex.base+"/api/channels", "", &channels, "Authorization", aiko)
	require.Len(t, channels.Channels, 2)
	all := conversations(t, ex.base, aiko, "all")
	require.Len(t, all, 6, "a text, a sticker, an image, a group message and a follow on LINE, a text on WhatsApp")
	assignees := map[string]int{}
	for _, r := range all {
		if r.Assignee != "" {
			assignees[r.Assignee]++
		}
	}
	require.Len(t, assignees, 3, "the sales agents take new conversations in turn: %v", assignees)
	require.NotContains(t, assignees, "admin")
	wa := byContact(t, all, "Sheena Nelson")
	require.Equal(t, "whatsapp", wa.Channel.Kind)
	require.Nil(t, wa.Record, "unregistered: the inbox shows [+]")
	kenji := byContact(t, all, "Kenji Sato")
	eventually(t, "the customer's image is copied and served under a signed URL", func() bool {
		m := thread(t, ex.base, aiko, kenji.ID)[0]
		return m.Content.Type == "image" && m.Media != nil && m.Media.Status == "ready"
	})
	img := thread(t, ex.base, aiko, kenji.ID)[0].Media.URL
	require.True(t, strings.HasPrefix(img, ex.base+"/media/inbound/"), img)
	call(t, http.StatusOK, "GET", img, "", nil)
	require.Equal(t, "sticker", thread(t, ex.base, aiko, byContact(t, all, "Taro Suzuki").ID)[0].Content.Type)

	// The acting agent is the signed-in user: a reply with a template (merge fields filled), a CRM file
	// and a drive file, whoever the conversation is assigned to.
	var tpls struct{ Templates []struct{ ID, Name string } }
	call(t, http.StatusOK, "GET", ex.base+"/api/templates", "", &tpls, "Authorization", aiko)
	require.Len(t, tpls.Templates, 3)
	thanks := ""
	for _, tp := range tpls.Templates {
		if tp.Name == "Thanks for writing" {
			thanks = tp.ID
		}
	}
	var sent struct{ Parts []part }
	call(t, http.StatusOK, "POST", ex.base+"/api/conversations/"+wa.ID+"/reply",
		`{"templateId": "`+thanks+`", "attachments": [{"source": "crm", "ref": "file-101"}, {"source": "dropbox", "ref": "id:demoAAAAreturns"}]}`,
		&sent, "Authorization", aiko, "Idempotency-Key", "demo-test-1")
	require.Len(t, sent.Parts, 3)
	require.Equal(t, "Hello Sheena Nelson, thanks for writing! Aiko Tanaka here, how can I help?", sent.Parts[0].Content.Text)
	require.Equal(t, "image", sent.Parts[1].Content.Type)
	for _, p := range sent.Parts {
		require.Equal(t, "aiko", p.Author)
	}
	delivered(t, ex.base, aiko, wa.ID, sent.Parts)
	require.True(t, strings.HasPrefix(sent.Parts[1].Content.Media.URL, ex.base+"/media/outbound/"), "the inbox shows the file on its own URL")
	call(t, http.StatusOK, "GET", sent.Parts[1].Content.Media.URL, "", nil)
	sentImage := sent.Parts[1].ID
	call(t, http.StatusBadRequest, "POST", ex.base+"/api/conversations/"+wa.ID+"/reply", `{"author": "mallory", "text": "hi"}`, nil,
		"Authorization", aiko)

	// Linking creates a lead in the CRM, owned by the agent; it outlives the run.
	var linked row
	call(t, http.StatusOK, "POST", ex.base+"/api/conversations/"+kenji.ID+"/link", `{"kind": "lead", "create": true}`, &linked, "Authorization", aiko)
	require.NotNil(t, linked.Record)

	// A demo customer writes through the webhook route; only an admin may make one.
	customer := `{"channel": "line", "user": "U4af4980629dfd4e7a3b1c0d2e5f6aaaa", "name": "Hiro Abe", "text": "Hello from the test"}`
	call(t, http.StatusUnauthorized, "POST", ex.base+"/demo/customer", customer, nil)
	call(t, http.StatusForbidden, "POST", ex.base+"/demo/customer", customer, nil, "Authorization", aiko)
	call(t, http.StatusOK, "POST", ex.base+"/demo/customer", customer, nil, "Authorization", admin)
	eventually(t, "Hiro's conversation is listed, with his profile", func() bool {
		rows := conversations(t, ex.base, aiko, "all")
		return len(rows) == 7 && slices.ContainsFunc(rows, func(r row) bool { return r.Contact.Name == "Hiro Abe" })
	})
	hiro := byContact(t, conversations(t, ex.base, aiko, "all"), "Hiro Abe")
	require.NoError(t, ex.stop())

	// Restarted on the same database and data directory, the demo continues.
	ex = launch(t, "-demo", "-data", data)
	require.NotContains(t, ex.out.String(), "channel connected", "the channels are found connected, not connected again")
	var again struct{ Channels []struct{ ID, Kind string } }
	call(t, http.StatusOK, "GET", ex.base+"/api/channels", "", &again, "Authorization", aiko) // the same key: still signed in
	require.ElementsMatch(t, channels.Channels, again.Channels)
	rows := conversations(t, ex.base, aiko, "all")
	require.Len(t, rows, 7, "no second seeding")
	require.Len(t, thread(t, ex.base, aiko, byContact(t, rows, "Hanako Yamada").ID), 1, "no customer message twice")
	call(t, http.StatusOK, "GET", ex.base+"/api/templates", "", &tpls, "Authorization", aiko)
	require.Len(t, tpls.Templates, 3)
	require.Equal(t, linked.Record.ID, byContact(t, rows, "Kenji Sato").Record.ID)
	var timeline struct{ Record struct{ Name string } }
	call(t, http.StatusOK, "GET", ex.base+"/api/records/lead/"+linked.Record.ID+"/timeline", "", &timeline, "Authorization", aiko)
	require.Equal(t, "Kenji Sato", timeline.Record.Name, "the CRM kept the record")
	// The files of the first run still load: the image sent and the customer's image, on this run's URL.
	media := map[string]string{}
	for _, m := range thread(t, ex.base, aiko, wa.ID) {
		if m.ID == sentImage {
			media["sent"] = m.Content.Media.URL
		}
	}
	media["received"] = thread(t, ex.base, aiko, kenji.ID)[0].Media.URL
	for what, u := range media {
		require.True(t, strings.HasPrefix(u, ex.base+"/media/"), "the %s image of the first run is shown on this run's URL: %s", what, u)
		call(t, http.StatusOK, "GET", u, "", nil)
	}
	for _, c := range []row{wa, hiro} {
		call(t, http.StatusOK, "POST", ex.base+"/api/conversations/"+c.ID+"/reply", `{"text": "After the restart"}`, &sent,
			"Authorization", aiko)
		require.Len(t, sent.Parts, 1)
		delivered(t, ex.base, aiko, c.ID, sent.Parts)
	}
	call(t, http.StatusOK, "POST", ex.base+"/demo/customer", `{"channel": "whatsapp", "user": "4915112345678", "name": "Lena", "text": "Hallo"}`,
		nil, "Authorization", admin)
	eventually(t, "a customer writes after the restart", func() bool { return len(conversations(t, ex.base, aiko, "all")) == 8 })
	require.NoError(t, ex.stop())
}

// The demo's web inbox signs in with the form (a CSRF token in a cookie and the form), sets an HttpOnly
// session cookie, and refuses a cross-site POST.
func TestDemoWebSignIn(t *testing.T) {
	ex := launch(t, "-demo", "-store", "memory", "-data", t.TempDir())
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(ex.base + "/inbox")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "signed out, the inbox sends to sign-in")
	signIn := func(origin string) *http.Response {
		res, err := c.Get(ex.base + "/signin")
		require.NoError(t, err)
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
		require.NotNil(t, m)
		req, err := http.NewRequest("POST", ex.base+"/signin", strings.NewReader(url.Values{"csrf": {string(m[1])}, "user": {"ben"},
			"password": {"ben-demo"}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		res, err = c.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	require.Equal(t, http.StatusForbidden, signIn("https://evil.example").StatusCode)
	res = signIn(ex.base)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Contains(t, res.Header.Get("Set-Cookie"), "HttpOnly")
	res, err = c.Get(ex.base + "/inbox")
	require.NoError(t, err)
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, string(page), "Sheena Nelson")
}

// hashed returns a bcrypt hash of password, at the lowest cost.
func hashed(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	require.NoError(t, err)
	return string(h)
}

// writeUsers writes a users file with an admin (root) and an agent (aiko).
func writeUsers(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.json")
	require.NoError(t, os.WriteFile(path, fmt.Appendf(nil, `[
  {"id": "root", "name": "Root", "admin": true, "passwordHash": %q},
  {"id": "aiko", "name": "Aiko", "roles": ["sales"], "timeZone": "Asia/Tokyo", "passwordHash": %q}
]`, hashed(t, "root-password"), hashed(t, "aiko-password")), 0o600))
	return path
}

// Out of demo mode the example serves the users of its users file, with the session key and the
// sealing keys from files or the environment. An admin connects a LINE account over the API (here a
// fake of LINE's API); restarted on the same database, the example finds it connected. A key that did not
// seal it cannot open it. Behind an https public URL, cookies are Secure.
func TestRealChannelsAcrossRestarts(t *testing.T) {
	stores := map[string][]string{"sqlite": {"-store", "sqlite", "-db", filepath.Join(t.TempDir(), "msgkit.db")}}
	if dsn := os.Getenv(envDSN); dsn != "" {
		schema := fmt.Sprintf("msgkit_example_%d", time.Now().UnixNano())
		stores["postgres"] = []string{"-store", "postgres", "-schema", schema}
		t.Cleanup(func() {
			conn, err := pgx.Connect(context.Background(), dsn)
			require.NoError(t, err)
			defer conn.Close(context.Background())
			_, err = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			require.NoError(t, err)
		})
	} else if os.Getenv("CI") != "" {
		t.Fatalf("CI runs the example on PostgreSQL: set %s", envDSN)
	}
	for name, args := range stores {
		t.Run(name, func(t *testing.T) { realChannelsAcrossRestarts(t, args) })
	}
}

func realChannelsAcrossRestarts(t *testing.T, storeArgs []string) {
	const lineID, lineSecret, lineToken = "1650000001", "line-secret-r", "line-token-r"
	lineAPI := linetest.NewServer(&linetest.Options{ChannelID: lineID, ChannelSecret: lineSecret, AccessToken: lineToken})
	t.Cleanup(lineAPI.Close)
	dir := t.TempDir()
	key, err := connect.GenerateKey("k1")
	require.NoError(t, err)
	other, err := connect.GenerateKey("k2")
	require.NoError(t, err)
	sealFile := filepath.Join(dir, "seal.keys")
	require.NoError(t, os.WriteFile(sealFile, []byte(key.Export()+"\n"), 0o600))
	t.Setenv(envSessionKey, "c2Vzc2lvbi1rZXktb2YtdGhlLXRlc3QtLS0tLS0tLS0tLS0tLQ==")
	args := []string{"-data", filepath.Join(dir, "data"), "-users", writeUsers(t),
		"-seal-keys-file", sealFile, "-line-api", lineAPI.URL, "-line-data", lineAPI.URL, "-public-url", "https://crm.example.com/"}
	args = append(args, storeArgs...)

	ex := launch(t, args...)
	require.Contains(t, ex.out.String(), "no channel is connected yet")
	root, aiko := token(t, ex.base, "root", "root-password"), token(t, ex.base, "aiko", "aiko-password")
	connectBody := fmt.Sprintf(`{"kind": "line", "name": "Tokyo shop", "credentials": {"channel_id": %q, "channel_secret": %q, "access_token": %q},
		"assignment": {"strategy": "round_robin", "pool": "role", "poolIds": ["sales"]}}`, lineID, lineSecret, lineToken)
	call(t, http.StatusForbidden, "POST", ex.base+"/api/channels", connectBody, nil, "Authorization", aiko)
	var ch struct{ ID, WebhookURL string }
	call(t, http.StatusOK, "POST", ex.base+"/api/channels", connectBody, &ch, "Authorization", root)
	require.Equal(t, "https://crm.example.com/webhooks/"+ch.ID, ch.WebhookURL)
	body := lineAPI.Webhook(linetest.Event{UserID: "U1", Name: "Hanako", Text: "Hi"})
	req, err := linetest.NewWebhookRequest(t.Context(), ex.base+"/webhooks/"+ch.ID, lineSecret, body)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	eventually(t, "the conversation is assigned to the sales agent", func() bool {
		rows := conversations(t, ex.base, aiko, "mine")
		return len(rows) == 1 && rows[0].Contact.Name == "Hanako"
	})
	res, err = http.Get(ex.base + "/signin")
	require.NoError(t, err)
	res.Body.Close()
	require.Contains(t, res.Header.Get("Set-Cookie"), "Secure", "behind an https public URL, cookies are Secure")
	require.NoError(t, ex.stop())
	for _, secret := range []string{lineSecret, lineToken, key.Export(), os.Getenv(envSessionKey)} {
		require.NotContains(t, ex.out.String(), secret)
	}

	ex = launch(t, args...)
	var channels struct{ Channels []struct{ ID string } }
	call(t, http.StatusOK, "GET", ex.base+"/api/channels", "", &channels, "Authorization", aiko)
	require.Len(t, channels.Channels, 1)
	require.Equal(t, ch.ID, channels.Channels[0].ID, "restarted, the example finds its channel connected")
	require.Len(t, conversations(t, ex.base, aiko, "all"), 1)
	require.NoError(t, ex.stop())

	require.NoError(t, os.WriteFile(sealFile, []byte(other.Export()), 0o600))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // should it start, it stops
	defer cancel()
	err = run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), nil, io.Discard, nil)
	require.ErrorIs(t, err, connect.ErrUnknownKey, "credentials sealed with another key do not open")
}

// The example links no test code: neither testing nor testify, though it runs fakes of the channels'
// APIs.
func TestNoTestDependencies(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	require.NoError(t, err)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/msgkit/msgkit/conversation/connect")
	require.Contains(t, deps, "github.com/msgkit/msgkit/channel/whatsapp/watest")
	for _, dep := range deps {
		require.NotEqual(t, "testing", dep)
		require.NotContains(t, dep, "testify")
	}
}

func TestFlags(t *testing.T) {
	t.Setenv(envSessionKey, "env-session-secret!")
	t.Setenv(envSealKeys, "k1:env-seal-key")
	t.Setenv(envDSN, "postgres://user:env-db-password@localhost/db")
	t.Setenv(envLineAPI, "http://127.0.0.1:1")
	var usage bytes.Buffer
	err := run(t.Context(), []string{"-h"}, nil, &usage, nil)
	require.ErrorIs(t, err, flag.ErrHelp, "main exits 0 on ErrHelp")
	for _, f := range []string{"-addr", "-public-url", "-store", "-db", "-schema", "-data", "-users", "-session-key-file",
		"-seal-keys-file", "-line-api", "-line-data", "-wa-api", "-job-lease", "-reply-token-ttl", "-demo", "-hash-password"} {
		require.Regexp(t, `\n  `+f+`[ \n]`, usage.String(), "-h lists %s", f)
		require.Contains(t, docOf(t), "//\t"+f+" ", "the package doc lists %s", f)
	}
	for _, secret := range []string{"env-session-secret!", "env-seal-key", "env-db-password"} {
		require.NotContains(t, usage.String(), secret, "-h never prints a secret from the environment")
	}

	_, err = parse(nil, io.Discard)
	require.ErrorContains(t, err, "-demo", "without a users file the example says how to run it")
	c, err := parse([]string{"-users", "u.json", "-line-data", "http://127.0.0.1:2", "-job-lease", "2s"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:1", c.lineAPI, "from the environment")
	require.Equal(t, "http://127.0.0.1:2", c.lineData)
	require.Equal(t, 2*time.Second, c.jobLease)
	require.Equal(t, defaultDataDir, c.dataDir)
	_, err = parse([]string{"-users", "u.json", "-job-lease", "0s"}, io.Discard)
	require.ErrorContains(t, err, "-job-lease")
	_, err = parse([]string{"-users", "u.json", "k1:secret"}, io.Discard)
	require.ErrorContains(t, err, "never from arguments")
	require.NotContains(t, err.Error(), "k1:secret")

	d, err := parse([]string{"-demo"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(demoDataDir, "demo.db"), d.dbPath, "the demo has its own database file")
	_, err = parse([]string{"-demo", "-db", "msgkit.db"}, io.Discard)
	require.ErrorContains(t, err, "-db", "the demo never uses the file real channels use")

	users := writeUsers(t)
	err = run(t.Context(), []string{"-users", users, "-data", t.TempDir()}, nil, io.Discard, nil)
	require.ErrorContains(t, err, "is not base64")
	require.NotContains(t, err.Error(), "env-session-secret!")
	t.Setenv(envSessionKey, "")
	err = run(t.Context(), []string{"-users", users, "-data", t.TempDir()}, nil, io.Discard, nil)
	require.ErrorContains(t, err, envSessionKey)
	t.Setenv(envSessionKey, "c2Vzc2lvbi1rZXktb2YtdGhlLXRlc3QtLS0tLS0tLS0tLS0tLQ==")
	err = run(t.Context(), []string{"-users", users, "-data", t.TempDir()}, nil, io.Discard, nil)
	require.ErrorIs(t, err, connect.ErrInvalidKey)
	require.NotContains(t, err.Error(), "env-seal-key")
	t.Setenv(envSealKeys, "")
	err = run(t.Context(), []string{"-users", users, "-data", t.TempDir(), "-db", filepath.Join(t.TempDir(), "x.db")}, nil, io.Discard, nil)
	require.ErrorContains(t, err, envSealKeys, "credentials are never stored unsealed")
	t.Setenv(envSealKeys, "k1:"+base64.StdEncoding.EncodeToString(make([]byte, 32)))
	err = run(t.Context(), []string{"-users", users, "-store", "cassandra", "-data", t.TempDir()}, nil, io.Discard, nil)
	require.ErrorContains(t, err, "cassandra")
}

// docOf returns main.go's package comment.
func docOf(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("main.go")
	require.NoError(t, err)
	doc, _, ok := strings.Cut(string(b), "package main")
	require.True(t, ok)
	return doc
}

// -hash-password makes the hash a users file holds, from a password read on standard input (never an
// argument).
func TestHashPassword(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"-hash-password"}, strings.NewReader("correct horse battery\n"), &out, nil))
	hash := strings.TrimSpace(out.String())
	require.NoError(t, bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse battery")))
	require.NotContains(t, out.String(), "correct horse")
	err := run(t.Context(), []string{"-hash-password"}, strings.NewReader("short\n"), io.Discard, nil)
	require.ErrorContains(t, err, "8 characters")
}

// A demo stopped before its seeding was done seeds again when restarted, and takes each seeded message
// once: its webhooks carry fixed event and message IDs, its templates and records are kept once.
func TestDemoSeedingResumes(t *testing.T) {
	data := t.TempDir()
	ex := launch(t, "-demo", "-data", data)
	require.NoError(t, ex.stop())
	require.NoError(t, os.Remove(filepath.Join(data, seedMarker))) // as if it had been killed while seeding

	ex = launch(t, "-demo", "-data", data)
	aiko := token(t, ex.base, "aiko", "aiko-demo")
	rows := conversations(t, ex.base, aiko, "all")
	require.Len(t, rows, 6)
	for _, r := range rows {
		if r.Contact.Name != "Mei Kobayashi" { // a follow: no message
			require.Len(t, thread(t, ex.base, aiko, r.ID), 1, "%s wrote once", r.Contact.Name)
		}
	}
	var tpls struct{ Templates []struct{ ID string } }
	call(t, http.StatusOK, "GET", ex.base+"/api/templates", "", &tpls, "Authorization", aiko)
	require.Len(t, tpls.Templates, 3)
	var found struct{ Records []struct{ ID string } }
	call(t, http.StatusOK, "GET", ex.base+"/api/conversations/"+byContact(t, rows, "Hanako Yamada").ID+"/suggestions?q=Hanako", "", &found,
		"Authorization", aiko)
	require.Len(t, found.Records, 1, "the CRM's records are seeded once")
	_, err := os.Stat(filepath.Join(data, seedMarker))
	require.NoError(t, err, "seeding is done, and says so")
	require.NoError(t, ex.stop())
}

// The admin's demo customer sends what LINE customers send: an emoji text, a file, a location, and takes
// a message back — each a signed webhook in LINE's event shapes, through the webhook route.
func TestDemoCustomerKinds(t *testing.T) {
	ex := launch(t, "-demo", "-store", "memory", "-data", t.TempDir())
	admin := token(t, ex.base, "admin", "admin-demo")
	const user = "U4af4980629dfd4e7a3b1c0d2e5f6bbbb"
	var sent []struct{ MessageID string }
	for _, body := range []string{
		`{"user": "` + user + `", "name": "Sora Kato", "type": "emoji", "text": "Thanks $"}`,
		`{"user": "` + user + `", "type": "file"}`,
		`{"user": "` + user + `", "type": "location"}`,
		`{"user": "` + user + `", "text": "Oops, wrong chat"}`,
		`{"user": "` + user + `", "type": "unsend"}`,
	} {
		var out struct{ MessageID string }
		call(t, http.StatusOK, "POST", ex.base+"/demo/customer", body, &out, "Authorization", admin)
		sent = append(sent, out)
	}
	require.Equal(t, sent[3].MessageID, sent[4].MessageID, "the unsend takes back the last message")
	call(t, http.StatusBadRequest, "POST", ex.base+"/demo/customer", `{"user": "`+user+`", "type": "dance"}`, nil, "Authorization", admin)
	call(t, http.StatusBadRequest, "POST", ex.base+"/demo/customer", `{"channel": "whatsapp", "user": "1", "type": "file"}`, nil,
		"Authorization", admin)

	var msgs []part
	eventually(t, "the five events are stored, the file copied", func() bool {
		rows := conversations(t, ex.base, admin, "all")
		if !slices.ContainsFunc(rows, func(r row) bool { return r.Contact.Name == "Sora Kato" }) {
			return false
		}
		msgs = thread(t, ex.base, admin, byContact(t, rows, "Sora Kato").ID)
		return len(msgs) == 5 && msgs[1].Media != nil && msgs[1].Media.Status == "ready"
	})
	require.Equal(t, "text", msgs[0].Content.Type)
	require.Equal(t, "Thanks $", msgs[0].Content.Text)
	require.Equal(t, "file", msgs[1].Content.Type)
	call(t, http.StatusOK, "GET", msgs[1].Media.URL, "", nil)
	require.Equal(t, "location", msgs[2].Content.Type)
	require.Equal(t, "unsend", msgs[4].Kind)
	var unsent struct {
		Unsent  bool
		Content *json.RawMessage
	}
	var all struct{ Messages []json.RawMessage }
	call(t, http.StatusOK, "GET", ex.base+"/api/conversations/"+byContact(t, conversations(t, ex.base, admin, "all"), "Sora Kato").ID+
		"/messages?limit=100", "", &all, "Authorization", admin)
	require.NoError(t, json.Unmarshal(all.Messages[3], &unsent))
	require.True(t, unsent.Unsent, "the message taken back is marked unsent")
	require.Nil(t, unsent.Content, "and its content is gone")
}

// WhatsApp has no monthly quota: the quota route says so, with a 200, rather than fail; LINE's is reported.
func TestDemoQuota(t *testing.T) {
	ex := launch(t, "-demo", "-store", "memory", "-data", t.TempDir())
	admin := token(t, ex.base, "admin", "admin-demo")
	var channels struct{ Channels []struct{ ID, Kind string } }
	call(t, http.StatusOK, "GET", ex.base+"/api/channels", "", &channels, "Authorization", admin)
	require.Len(t, channels.Channels, 2)
	for _, ch := range channels.Channels {
		var q struct {
			Quota, Note, ChannelError string
			Limited                   bool
			Limit                     int64
		}
		call(t, http.StatusOK, "GET", ex.base+"/api/channels/"+ch.ID+"/quota", "", &q, "Authorization", admin)
		require.Empty(t, q.ChannelError, ch.Kind)
		if ch.Kind == "whatsapp" {
			require.Equal(t, "not applicable", q.Quota)
			require.Contains(t, q.Note, "WhatsApp has no monthly message quota")
		} else {
			require.True(t, q.Limited)
			require.Equal(t, int64(500), q.Limit)
		}
	}
}

// Both strategies the channel page offers assign: a channel switched to "balanced" gives its next
// conversation to a sales agent. A rule naming a strategy or a pool kind the example does not have is
// refused, since conversations under it would never be assigned.
func TestDemoAssignmentStrategies(t *testing.T) {
	ex := launch(t, "-demo", "-store", "memory", "-data", t.TempDir())
	admin := token(t, ex.base, "admin", "admin-demo")
	var channels struct{ Channels []struct{ ID, Kind string } }
	call(t, http.StatusOK, "GET", ex.base+"/api/channels", "", &channels, "Authorization", admin)
	i := slices.IndexFunc(channels.Channels, func(c struct{ ID, Kind string }) bool { return c.Kind == "whatsapp" })
	require.GreaterOrEqual(t, i, 0)
	rule := ex.base + "/api/channels/" + channels.Channels[i].ID + "/assignment"

	for name, tc := range map[string]struct{ method, url, body, code string }{
		"unknown strategy":  {"PUT", rule, `{"strategy": "fastest"}`, "unknown_strategy"},
		"unknown pool kind": {"PUT", rule, `{"strategy": "round_robin", "pool": "team", "poolIds": ["sales"]}`, "unknown_pool"},
		"no pool":           {"PUT", rule, `{"strategy": "balanced"}`, "unknown_pool"},
		"a group":           {"PUT", rule, `{"strategy": "balanced", "pool": "group", "poolIds": ["g1"]}`, "unknown_pool"},
		"a role nobody has": {"PUT", rule, `{"strategy": "balanced", "pool": "role", "poolIds": ["sales", "nobody"]}`, "empty_role"},
		"an unknown user":   {"PUT", rule, `{"strategy": "round_robin", "pool": "users", "poolIds": ["ghost"]}`, "unknown_user"},
		"no members":        {"PUT", rule, `{"strategy": "round_robin", "pool": "users", "poolIds": []}`, "empty_pool"},
		"connecting": {"POST", ex.base + "/api/channels", `{"kind": "line", "name": "Osaka shop", "credentials": {},
			"assignment": {"strategy": "fastest", "pool": "role", "poolIds": ["sales"]}}`, "unknown_strategy"},
	} {
		t.Run(name, func(t *testing.T) {
			var out struct{ Error struct{ Code string } }
			call(t, http.StatusUnprocessableEntity, tc.method, tc.url, tc.body, &out, "Authorization", admin)
			require.Equal(t, tc.code, out.Error.Code)
		})
	}

	call(t, http.StatusOK, "PUT", rule, `{"strategy": "balanced", "pool": "role", "poolIds": ["sales"]}`, nil,
		"Authorization", admin)
	call(t, http.StatusOK, "POST", ex.base+"/demo/customer",
		`{"channel": "whatsapp", "user": "15550001111", "name": "Bea Balanced", "text": "Hello"}`, nil, "Authorization", admin)
	eventually(t, "the balanced channel's new conversation is assigned", func() bool {
		rows := conversations(t, ex.base, admin, "all")
		return slices.ContainsFunc(rows, func(r row) bool { return r.Contact.Name == "Bea Balanced" && r.Assignee != "" })
	})
}

// The SQLite database holds customers' messages and names: the file the example creates, and the WAL
// and shared-memory files beside it, are readable by their owner only, whatever the umask lets through;
// one an earlier version left readable by others is made private.
func TestDatabaseFileIsPrivate(t *testing.T) {
	data := t.TempDir()
	ex := launch(t, "-demo", "-data", data)
	require.NoError(t, ex.stop())
	before, err := filepath.Glob(filepath.Join(data, "demo.db*"))
	require.NoError(t, err)
	for _, f := range before {
		require.NoError(t, os.Chmod(f, 0o644))
	}
	ex = launch(t, "-demo", "-data", data)
	require.NoError(t, ex.stop())
	files, err := filepath.Glob(filepath.Join(data, "demo.db*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		info, err := os.Stat(f)
		require.NoError(t, err)
		require.Zero(t, info.Mode().Perm()&0o077, "%s is %v", filepath.Base(f), info.Mode().Perm())
	}
}
