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
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// start runs the example with args and returns its base URL; it stops when the test ends.
func start(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() { done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), &out, ready) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	select {
	case addr := <-ready:
		return "http://" + addr
	case err := <-done:
		t.Fatalf("the server did not start: %v\n%s", err, out.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start in 30s")
	}
	return ""
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

// The demo works end to end with no LINE account, on each store the -store flag selects.
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
			base := start(t, append(args, "-demo")...)
			require.Equal(t, http.StatusOK, call(t, "POST", base+"/demo/customer", `{"user":"U1","name":"Hanako","text":"Is the blue one in stock?"}`, nil))
			require.Equal(t, http.StatusOK, call(t, "POST", base+"/demo/customer", `{"user":"U2","text":"Hello?"}`, nil))

			var list struct {
				Conversations []struct {
					ID, Contact, Assignee string
					Unreplied, Linked     bool
				}
			}
			var assignees map[string]bool
			var hanako string
			// Routing and the profile happen in the background. Polled from the test's goroutine, not with
			// require.Eventually, whose condition runs in another goroutine where require must not stop it.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				require.Equal(t, http.StatusOK, call(t, "GET", base+"/api/conversations?view=unregistered&unreplied=1", "", &list))
				assignees = map[string]bool{}
				for _, c := range list.Conversations {
					assignees[c.Assignee] = true
					if c.Contact == "Hanako" {
						hanako = c.ID
					}
				}
				if hanako != "" && assignees["aiko"] && assignees["ben"] {
					break
				}
				require.True(t, time.Now().Before(deadline), "the profile is fetched and the senders assigned in the background")
			}
			require.GreaterOrEqual(t, len(list.Conversations), 2)
			require.True(t, assignees["aiko"] && assignees["ben"], "assigned in turn: %v", assignees)

			var sent, again struct{ Parts []struct{ ID, Status string } }
			reply := `{"author":"aiko","text":"Yes, it ships tomorrow."}`
			require.Equal(t, http.StatusOK, call(t, "POST", base+"/api/conversations/"+hanako+"/reply", reply, &sent, "Idempotency-Key", "req-1"))
			require.Equal(t, "sent", sent.Parts[0].Status)
			require.Equal(t, http.StatusOK, call(t, "POST", base+"/api/conversations/"+hanako+"/reply", reply, &again, "Idempotency-Key", "req-1"))
			require.Equal(t, sent, again, "a retried request answers with the first one's parts")
			var demoSent []struct {
				To    string
				Reply bool
			}
			call(t, "GET", base+"/demo/sent", "", &demoSent)
			require.Len(t, demoSent, 1, "a retried request sends nothing new")
			require.True(t, demoSent[0].Reply, "the first reply used the reply token")

			var msgs struct{ Messages []struct{ Direction string } }
			require.Equal(t, http.StatusOK, call(t, "GET", base+"/api/conversations/"+hanako+"/messages", "", &msgs))
			require.Len(t, msgs.Messages, 2)

			var info struct {
				Account  struct{ DisplayName string }
				Settings []any
				Quota    struct{ Limit int }
			}
			require.Equal(t, http.StatusOK, call(t, "GET", base+"/api/channel", "", &info))
			require.Equal(t, "Demo shop", info.Account.DisplayName, "account details are fetched when the channel is saved")
			require.Equal(t, 500, info.Quota.Limit)
		})
	}
}

func TestFlags(t *testing.T) {
	_, err := parse(nil, io.Discard)
	require.ErrorContains(t, err, "-demo", "without LINE credentials the example says how to run it")
	err = run(t.Context(), []string{"-demo", "-store", "cassandra"}, io.Discard, nil)
	require.ErrorContains(t, err, "cassandra")

	t.Setenv("LINE_CHANNEL_SECRET", "env-secret")
	t.Setenv("LINE_API_ENDPOINT", "http://127.0.0.1:1")
	var usage bytes.Buffer
	_, err = parse([]string{"-h"}, &usage)
	require.ErrorIs(t, err, flag.ErrHelp)
	require.Contains(t, usage.String(), "-line-api")
	require.NotContains(t, usage.String(), "env-secret", "-h never prints a secret from the environment")
	c, err := parse([]string{"-line-channel-id", "1", "-line-data", "http://127.0.0.1:2", "-job-lease", "2s"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "env-secret", c.lineSecret)
	require.Equal(t, "http://127.0.0.1:1", c.lineAPI, "from the environment")
	require.Equal(t, "http://127.0.0.1:2", c.lineData)
	require.Equal(t, 2*time.Second, c.jobLease)
	require.Equal(t, 50*time.Second, c.replyTokenTTL)
	_, err = parse([]string{"-demo", "-job-lease", "0s"}, io.Discard)
	require.ErrorContains(t, err, "-job-lease")
}
