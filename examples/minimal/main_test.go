package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel/line/linetest"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
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
	go func() { done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), out, ready) }()
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
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start in 30s")
	}
	return example{}
}

// call makes a request (with headers given as name, value pairs) and decodes its answer into into.
func call(t *testing.T, method, url, body string, into any, header ...string) int {
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
	if into != nil && len(b) > 0 {
		require.NoError(t, json.Unmarshal(b, into), string(b))
	}
	return res.StatusCode
}

// conversationRow is a row of the example's inbox.
type conversationRow struct {
	ID, Channel, ChannelKind, ChannelName, Contact, Assignee, Preview string
	Unreplied, Linked                                                 bool
}

// The demo works end to end with no LINE or WhatsApp account, on each store the -store flag selects: a
// LINE and a WhatsApp channel connected through the connect service, each through its real adapter
// against a fake of its API, customers of both in one inbox.
func TestDemo(t *testing.T) {
	stores := map[string][]string{
		"memory": {"-store", "memory"},
		"sqlite": {"-store", "sqlite", "-db", filepath.Join(t.TempDir(), "msgkit.db")},
	}
	if dsn := os.Getenv("MSGKIT_POSTGRES_DSN"); dsn != "" {
		schema := fmt.Sprintf("msgkit_example_%d", time.Now().UnixNano())
		stores["postgres"] = []string{"-store", "postgres", "-dsn", dsn, "-schema", schema}
		t.Cleanup(func() {
			conn, err := pgx.Connect(context.Background(), dsn)
			require.NoError(t, err)
			defer conn.Close(context.Background())
			_, err = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			require.NoError(t, err)
		})
	}
	for name, args := range stores {
		t.Run(name, func(t *testing.T) {
			ex := launch(t, append(args, "-demo")...)
			base := ex.base
			// Besides the demo's opening (Hanako on LINE, Sheena on WhatsApp), a second customer on each.
			require.Equal(t, http.StatusOK, call(t, "POST", base+"/demo/customer", `{"user":"U2","text":"Hello?"}`, nil))
			require.Equal(t, http.StatusOK, call(t, "POST", base+"/demo/customer",
				`{"channel":"whatsapp","user":"19835552319","name":"Lucía Gómez","text":"¿Hola?"}`, nil))
			require.Equal(t, http.StatusBadRequest, call(t, "POST", base+"/demo/customer", `{"channel":"telegram","user":"1","text":"x"}`, nil))

			var list struct{ Conversations []conversationRow }
			var byName map[string]conversationRow
			// Routing and LINE's profiles happen in the background. Polled from the test's goroutine, not
			// with require.Eventually, whose condition runs in another goroutine where require must not stop it.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				require.Equal(t, http.StatusOK, call(t, "GET", base+"/api/conversations?view=unregistered&unreplied=1", "", &list))
				byName = map[string]conversationRow{}
				assigned := 0
				for _, c := range list.Conversations {
					byName[c.Contact] = c
					if c.Assignee != "" {
						assigned++
					}
				}
				if byName["Hanako"].ID != "" && assigned == 4 {
					break
				}
				require.True(t, time.Now().Before(deadline), "profiles are fetched and senders assigned in the background: %+v", list)
			}
			require.Len(t, list.Conversations, 4, "both channels' customers in one inbox")
			hanako, sheena, lucia := byName["Hanako"], byName["Sheena Nelson"], byName["Lucía Gómez"]
			require.Equal(t, "line", hanako.ChannelKind)
			require.Equal(t, "Demo shop (LINE)", hanako.ChannelName)
			require.Equal(t, "whatsapp", sheena.ChannelKind, "WhatsApp names its sender in the webhook")
			require.Equal(t, "Demo shop (WhatsApp)", sheena.ChannelName)
			require.Equal(t, sheena.Channel, lucia.Channel)
			require.NotEqual(t, hanako.Channel, sheena.Channel)
			require.Equal(t, "Does it come in another color?", sheena.Preview)
			assignees := map[string]map[string]bool{}
			for _, c := range list.Conversations {
				if assignees[c.ChannelKind] == nil {
					assignees[c.ChannelKind] = map[string]bool{}
				}
				assignees[c.ChannelKind][c.Assignee] = true
			}
			require.Equal(t, map[string]map[string]bool{"line": {"aiko": true, "ben": true}, "whatsapp": {"aiko": true, "ben": true}},
				assignees, "each channel assigns in turn")

			// LINE: the free reply token; a retried request sends nothing new.
			var sent, again struct {
				Parts []struct{ ID, Status, ChannelMessageID string }
			}
			reply := `{"author":"aiko","text":"Yes, it ships tomorrow."}`
			require.Equal(t, http.StatusOK, call(t, "POST", base+"/api/conversations/"+hanako.ID+"/reply", reply, &sent, "Idempotency-Key", "req-1"))
			require.Equal(t, "sent", sent.Parts[0].Status)
			require.Equal(t, http.StatusOK, call(t, "POST", base+"/api/conversations/"+hanako.ID+"/reply", reply, &again, "Idempotency-Key", "req-1"))
			require.Equal(t, sent, again, "a retried request answers with the first one's parts")

			// WhatsApp: free text inside the customer service window, through the real adapter.
			var waSent struct {
				Parts []struct{ ID, Status, ChannelMessageID string }
			}
			require.Equal(t, http.StatusOK, call(t, "POST", base+"/api/conversations/"+sheena.ID+"/reply", `{"author":"ben","text":"Blue and red."}`, &waSent))
			require.Equal(t, "sent", waSent.Parts[0].Status)
			require.True(t, strings.HasPrefix(waSent.Parts[0].ChannelMessageID, "wamid."))
			var demoSent []struct {
				Channel, To, ID string
				Reply           bool
			}
			call(t, "GET", base+"/demo/sent", "", &demoSent)
			require.Len(t, demoSent, 2, "a retried request sends nothing new")
			require.Equal(t, "line", demoSent[0].Channel)
			require.True(t, demoSent[0].Reply, "the first reply used the reply token")
			require.Equal(t, "whatsapp", demoSent[1].Channel)
			require.Equal(t, "16505551234", demoSent[1].To)
			require.Equal(t, waSent.Parts[0].ChannelMessageID, demoSent[1].ID)

			// WhatsApp's receipts, out of order: the part moves forward only.
			for _, st := range []string{"read", "delivered"} {
				require.Equal(t, http.StatusOK, call(t, "POST", base+"/demo/receipt",
					fmt.Sprintf(`{"message":%q,"status":%q}`, waSent.Parts[0].ChannelMessageID, st), nil))
			}
			var msgs struct {
				Messages []struct{ Direction, Status string }
			}
			require.Equal(t, http.StatusOK, call(t, "GET", base+"/api/conversations/"+sheena.ID+"/messages", "", &msgs))
			require.Len(t, msgs.Messages, 2)
			require.Equal(t, "read", msgs.Messages[1].Status, "a late delivered never overwrites read")
			require.Equal(t, http.StatusOK, call(t, "GET", base+"/api/conversations/"+hanako.ID+"/messages", "", &msgs))
			require.Len(t, msgs.Messages, 2)

			// Meta's GET verification of the webhook URL, through the example's router.
			wa := sheena.Channel
			var challenge bytes.Buffer
			res, err := http.Get(base + "/webhooks/" + wa + "?hub.mode=subscribe&hub.verify_token=" + demoWAVerify + "&hub.challenge=31415")
			require.NoError(t, err)
			_, _ = challenge.ReadFrom(res.Body)
			res.Body.Close()
			require.Equal(t, http.StatusOK, res.StatusCode)
			require.Equal(t, "31415", challenge.String())
			res, err = http.Get(base + "/webhooks/" + wa + "?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=31415")
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, http.StatusForbidden, res.StatusCode)

			var channels []struct {
				ID, Kind string
				Account  struct{ DisplayName string }
				Settings []struct{ ID, Status string }
				Quota    struct{ Limit int }
				Entry    struct{ URL string }
			}
			res, err = http.Get(base + "/api/channels")
			require.NoError(t, err)
			raw, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &channels))
			require.Len(t, channels, 2)
			kinds := map[string]int{}
			for i, ch := range channels {
				kinds[ch.Kind] = i
			}
			lineCh, waCh := channels[kinds["line"]], channels[kinds["whatsapp"]]
			require.Equal(t, hanako.Channel, lineCh.ID)
			require.Equal(t, "Demo shop", lineCh.Account.DisplayName, "account details are fetched when the channel is connected")
			require.Equal(t, 500, lineCh.Quota.Limit)
			for _, c := range lineCh.Settings {
				require.Contains(t, []string{"ok", "manual"}, c.Status, "the demo's LINE settings are right (%s)", c.ID)
			}
			require.Equal(t, "https://line.me/R/ti/p/@demo", lineCh.Entry.URL)
			require.Equal(t, "https://wa.me/15550783881", waCh.Entry.URL)
			res, err = http.Get(base + "/api/channels/" + wa + "/qr.svg")
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, http.StatusOK, res.StatusCode)
			require.Equal(t, "image/svg+xml", res.Header.Get("Content-Type"))

			// Credentials are stored sealed and never shown: not in the API, not in the output.
			for _, secret := range []string{demoLineSecret, demoLineToken, demoWAToken, demoWASecret, demoWAVerify} {
				require.NotContains(t, string(raw), secret)
				require.NotContains(t, ex.out.String(), secret)
			}
			require.NoError(t, ex.stop())
			require.NotContains(t, ex.out.String(), "level=ERROR")
		})
	}
}

// The demo starts afresh on a database an earlier demo used: its fakes forget everything when it stops,
// so its channels are connected anew, with a new key.
func TestDemoRestartsAfresh(t *testing.T) {
	db := filepath.Join(t.TempDir(), "msgkit.db")
	var first []struct{ ID string }
	ex := launch(t, "-demo", "-db", db)
	require.Equal(t, http.StatusOK, call(t, "GET", ex.base+"/api/channels", "", &first))
	require.NoError(t, ex.stop())
	ex = launch(t, "-demo", "-db", db)
	var list struct{ Conversations []conversationRow }
	var second []struct{ ID string }
	require.Equal(t, http.StatusOK, call(t, "GET", ex.base+"/api/channels", "", &second))
	require.Len(t, second, 2)
	require.NotEqual(t, first[0].ID, second[0].ID)
	require.Equal(t, http.StatusOK, call(t, "GET", ex.base+"/api/conversations", "", &list))
	require.Len(t, list.Conversations, 2, "the opening of this run only")
	require.NoError(t, ex.stop())
}

// Out of demo mode the example connects the accounts its flags name through the connect service —
// here a LINE account and a WhatsApp number on fakes of their APIs — and, restarted on the same
// database, finds them connected: same channels, same conversations, the flags' credentials checked
// again. A key that did not seal them cannot open them.
func TestRealChannelsAcrossRestarts(t *testing.T) {
	const lineID, lineSecret, lineToken = "1650000001", "line-secret-r", "line-token-r"
	const waToken, waSecret = "EAA-token-r", "wa-secret-r"
	lineAPI := linetest.NewServer(&linetest.Options{ChannelID: lineID, ChannelSecret: lineSecret, AccessToken: lineToken})
	t.Cleanup(lineAPI.Close)
	waAPI := watest.NewServer(&watest.Options{AccessToken: waToken})
	t.Cleanup(waAPI.Close)
	key, err := connect.GenerateKey("k1")
	require.NoError(t, err)
	other, err := connect.GenerateKey("k2")
	require.NoError(t, err)
	db := filepath.Join(t.TempDir(), "msgkit.db")
	args := func(key connect.Key) []string {
		return []string{"-db", db, "-seal-keys", key.Export(),
			"-line-channel-id", lineID, "-line-secret", lineSecret, "-line-token", lineToken, "-line-api", lineAPI.URL, "-line-data", lineAPI.URL,
			"-wa-phone-number-id", watest.DefaultPhoneNumberID, "-wa-token", waToken, "-wa-app-secret", waSecret, "-wa-api", waAPI.URL,
			"-public-url", "https://crm.example.com/"}
	}
	type channelRow struct{ ID, Kind, Name string }
	ex := launch(t, args(key)...)
	var channels []channelRow
	require.Equal(t, http.StatusOK, call(t, "GET", ex.base+"/api/channels", "", &channels))
	require.Len(t, channels, 2)
	var wa channelRow
	for _, ch := range channels {
		if ch.Kind == "whatsapp" {
			wa = ch
		}
	}
	require.Contains(t, ex.out.String(), "https://crm.example.com/webhooks/"+wa.ID, "the webhook URLs are printed")
	body := waAPI.Webhook(watest.Inbound{From: "16505551234", Name: "Sheena Nelson", Text: "Hi"})
	req, err := watest.NewWebhookRequest(t.Context(), ex.base+"/webhooks/"+wa.ID, waSecret, body)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.NoError(t, ex.stop())
	for _, secret := range []string{lineSecret, lineToken, waToken, waSecret, key.Export()} {
		require.NotContains(t, ex.out.String(), secret)
	}

	ex = launch(t, args(key)...)
	var again []channelRow
	require.Equal(t, http.StatusOK, call(t, "GET", ex.base+"/api/channels", "", &again))
	require.ElementsMatch(t, channels, again, "restarted, the example finds its channels connected")
	var list struct{ Conversations []conversationRow }
	require.Equal(t, http.StatusOK, call(t, "GET", ex.base+"/api/conversations", "", &list))
	require.Len(t, list.Conversations, 1)
	require.Equal(t, "Sheena Nelson", list.Conversations[0].Contact)
	require.NoError(t, ex.stop())

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second) // should it start, it stops
	defer cancel()
	err = run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args(other)...), io.Discard, nil)
	require.ErrorIs(t, err, connect.ErrUnknownKey, "credentials sealed with another key do not open")
}

// The example links no test code: neither testing nor testify (issue 17), though it runs fakes of the
// channels' APIs.
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
	_, err := parse(nil, io.Discard)
	require.ErrorContains(t, err, "-demo", "without credentials the example says how to run it")
	err = run(t.Context(), []string{"-demo", "-store", "cassandra"}, io.Discard, nil)
	require.ErrorContains(t, err, "cassandra")

	t.Setenv("LINE_CHANNEL_SECRET", "env-secret")
	t.Setenv("LINE_API_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("WHATSAPP_PHONE_NUMBER_ID", "106540352242922")
	t.Setenv("WHATSAPP_ACCESS_TOKEN", "env-wa-token")
	t.Setenv("WHATSAPP_APP_SECRET", "env-wa-secret")
	t.Setenv("WHATSAPP_VERIFY_TOKEN", "env-wa-verify")
	t.Setenv("MSGKIT_SEAL_KEYS", "k1:env-seal-key")
	var usage bytes.Buffer
	_, err = parse([]string{"-h"}, &usage)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, f := range []string{"-line-api", "-wa-phone-number-id", "-wa-token", "-wa-app-secret", "-wa-verify-token", "-seal-keys"} {
		require.Contains(t, usage.String(), f)
	}
	for _, secret := range []string{"env-secret", "env-wa-token", "env-wa-secret", "env-wa-verify", "env-seal-key"} {
		require.NotContains(t, usage.String(), secret, "-h never prints a secret from the environment")
	}
	c, err := parse([]string{"-line-channel-id", "1", "-line-data", "http://127.0.0.1:2", "-job-lease", "2s"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "env-secret", c.lineSecret)
	require.Equal(t, "http://127.0.0.1:1", c.lineAPI, "from the environment")
	require.Equal(t, "http://127.0.0.1:2", c.lineData)
	require.Equal(t, 2*time.Second, c.jobLease)
	require.Equal(t, 50*time.Second, c.replyTokenTTL)
	require.Equal(t, "env-wa-token", c.waToken)
	_, err = parse([]string{"-demo", "-job-lease", "0s"}, io.Discard)
	require.ErrorContains(t, err, "-job-lease")

	require.Equal(t, "106540352242922", c.waPhoneID)

	t.Setenv("LINE_CHANNEL_SECRET", "")
	_, err = parse(nil, io.Discard)
	require.NoError(t, err, "WhatsApp alone is enough")
	t.Setenv("WHATSAPP_APP_SECRET", "")
	_, err = parse(nil, io.Discard)
	require.ErrorContains(t, err, "-wa-app-secret", "a WhatsApp number needs all its credentials")
	_, err = parse([]string{"-line-channel-id", "1"}, io.Discard)
	require.ErrorContains(t, err, "-line-secret")

	t.Setenv("MSGKIT_SEAL_KEYS", "")
	err = run(t.Context(), []string{"-wa-phone-number-id", "1", "-wa-app-secret", "s", "-db", filepath.Join(t.TempDir(), "x.db")}, io.Discard, nil)
	require.ErrorContains(t, err, "MSGKIT_SEAL_KEYS", "credentials are never stored unsealed")
	err = run(t.Context(), []string{"-demo", "-seal-keys", "k1:not-a-key"}, io.Discard, nil)
	require.ErrorIs(t, err, connect.ErrInvalidKey)
	require.NotContains(t, err.Error(), "not-a-key")
}
