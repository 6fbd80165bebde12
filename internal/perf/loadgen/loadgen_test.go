package loadgen_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/internal/perf/loadgen"
)

const (
	secret = "test-channel-secret"
	bot    = "U0123456789abcdef0123456789abcdef"
)

// recorder is a webhook endpoint that parses every body with the real LINE adapter and keeps the event
// IDs it saw.
type recorder struct {
	a     *line.Adapter
	mu    sync.Mutex
	ids   map[string]int
	users map[string]int
	bad   int
}

func newRecorder(t *testing.T, secret string) *recorder {
	a, err := line.New(line.Config{ChannelSecret: secret, AccessToken: "t", BotUserID: bot}, nil)
	require.NoError(t, err)
	return &recorder{a: a, ids: map[string]int{}, users: map[string]int{}}
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	events, err := rec.a.ParseWebhook(r)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if err != nil {
		rec.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	for _, e := range events {
		rec.ids[e.ID]++
		rec.users[e.Source.UserID]++
	}
}

func TestEveryBodyIsSignedWithTheSecretAndEveryEventIDIsUnique(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, secret)
	srv := httptest.NewServer(rec)
	defer srv.Close()
	res, err := loadgen.Run(t.Context(), loadgen.Config{URL: srv.URL, Secret: secret, Bodies: loadgen.NewBodies(bot),
		Conns: 8, Count: 400, Duration: time.Minute, Users: func(i int) []string {
			return []string{loadgen.User(i % 7), loadgen.User(100 + i%3)} // two events per webhook, senders repeat
		}})
	require.NoError(t, err)
	require.Equal(t, 400, res.Sent)
	require.Equal(t, 400, res.OK, "first error: %v", res.FirstError)
	require.Zero(t, res.Failed)
	require.Len(t, res.Latencies, 400)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Zero(t, rec.bad)
	require.Len(t, rec.ids, 800, "every event has its own webhookEventId")
	for id, n := range rec.ids {
		require.Equal(t, 1, n, "event ID %s", id)
	}
	require.Len(t, rec.users, 10)
}

func TestBodiesSignedWithAnotherSecretAreRefused(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, "the real secret")
	srv := httptest.NewServer(rec)
	defer srv.Close()
	res, err := loadgen.Run(t.Context(), loadgen.Config{URL: srv.URL, Secret: secret, Bodies: loadgen.NewBodies(bot),
		Count: 5, Duration: time.Minute})
	require.NoError(t, err)
	require.Equal(t, 5, res.Sent)
	require.Zero(t, res.OK)
	require.Equal(t, 5, res.Failed)
	require.ErrorContains(t, res.FirstError, "401")
}

func TestTwoBodiesNeverShareAnID(t *testing.T) {
	t.Parallel()
	a, err := line.New(line.Config{ChannelSecret: secret, AccessToken: "t", BotUserID: bot}, nil)
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, b := range []*loadgen.Bodies{loadgen.NewBodies(bot), loadgen.NewBodies(bot)} {
		for i := range 50 {
			body := b.Next(loadgen.User(i))
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			r.Header.Set(loadgen.SignatureHeader, loadgen.Sign(secret, body))
			events, err := a.ParseWebhook(r)
			require.NoError(t, err)
			require.Len(t, events, 1)
			e := events[0]
			require.Equal(t, channel.EventMessage, e.Kind)
			require.Len(t, e.ID, 26)
			require.False(t, seen[e.ID], "event ID %s repeated", e.ID)
			require.False(t, seen["m"+e.Message.ID], "message ID %s repeated", e.Message.ID)
			seen[e.ID], seen["m"+e.Message.ID] = true, true
		}
	}
}

func TestRunStopsAtItsCount(t *testing.T) {
	t.Parallel()
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got.Add(1) }))
	defer srv.Close()
	res, err := loadgen.Run(t.Context(), loadgen.Config{URL: srv.URL, Secret: secret, Bodies: loadgen.NewBodies(bot),
		Conns: 8, Count: 37, Duration: time.Minute})
	require.NoError(t, err)
	require.Equal(t, 37, res.OK)
	require.EqualValues(t, 37, got.Load(), "no request past the count")
}

func TestRunStopsAtItsDuration(t *testing.T) {
	t.Parallel()
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		got.Add(1)
		time.Sleep(20 * time.Millisecond)
	}))
	defer srv.Close()
	t0 := time.Now()
	res, err := loadgen.Run(t.Context(), loadgen.Config{URL: srv.URL, Secret: secret, Bodies: loadgen.NewBodies(bot),
		Conns: 2, Count: loadgen.MaxCount, Duration: 300 * time.Millisecond})
	require.NoError(t, err)
	require.Less(t, time.Since(t0), 2*time.Second)
	require.Less(t, res.Sent, 100, "the deadline stops it long before its count")
	require.Positive(t, res.OK)
	require.Zero(t, res.Failed, "requests cut by the deadline are not failures: %v", res.FirstError)
	assert.LessOrEqual(t, int64(res.Sent), got.Load())
}

func TestRunStopsWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(10 * time.Millisecond) }))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := loadgen.Run(ctx, loadgen.Config{URL: srv.URL, Secret: secret, Bodies: loadgen.NewBodies(bot),
		Count: loadgen.MaxCount, Duration: loadgen.MaxDuration})
	require.NoError(t, err)
	require.Less(t, time.Since(t0), 2*time.Second)
}

func TestRunRefusesTargetsOffLoopbackAndUnboundedRuns(t *testing.T) {
	t.Parallel()
	ok := loadgen.Config{URL: "http://127.0.0.1:9/webhooks/x", Secret: secret, Bodies: loadgen.NewBodies(bot), Count: 1, Duration: time.Second}
	require.NoError(t, ok.Check())
	for _, u := range []string{"http://localhost:9/", "http://[::1]:9/", "http://127.0.0.2:9/"} {
		c := ok
		c.URL = u
		require.NoError(t, c.Check(), u)
	}
	for _, u := range []string{"http://10.0.0.1/", "http://example.com/", "http://0.0.0.0:9/", "http://192.168.1.1:8080/w"} {
		c := ok
		c.URL = u
		_, err := loadgen.Run(t.Context(), c)
		require.ErrorIs(t, err, loadgen.ErrNotLoopback, u)
	}
	for name, mod := range map[string]func(*loadgen.Config){
		"no count":       func(c *loadgen.Config) { c.Count = 0 },
		"too many":       func(c *loadgen.Config) { c.Count = loadgen.MaxCount + 1 },
		"no duration":    func(c *loadgen.Config) { c.Duration = 0 },
		"too long":       func(c *loadgen.Config) { c.Duration = loadgen.MaxDuration + time.Second },
		"too many conns": func(c *loadgen.Config) { c.Conns = loadgen.MaxConns + 1 },
	} {
		c := ok
		mod(&c)
		_, err := loadgen.Run(t.Context(), c)
		require.ErrorIs(t, err, loadgen.ErrUnbounded, name)
	}
}
