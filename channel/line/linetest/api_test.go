package linetest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
)

const key = "123e4567-e89b-12d3-a456-426614174000"

// Demos link linetest: it must not link testing or testify.
func TestNoTestDependencies(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	require.NoError(t, err)
	for _, dep := range strings.Fields(string(out)) {
		require.NotEqual(t, "testing", dep)
		require.NotContains(t, dep, "testify")
		require.NotContains(t, dep, "line-bot"+"-sdk-go", "linetest does not need the LINE SDK")
	}
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func newServer(t *testing.T, opts *linetest.Options) *linetest.Server {
	s := linetest.NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

type answer struct {
	status int
	header http.Header
	body   string
}

// try makes one request to s with a bearer token.
func try(t *testing.T, c *http.Client, s *linetest.Server, method, path, body string, header ...string) (answer, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer token")
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(b)}, err
}

// call is try when the request must get an answer.
func call(t *testing.T, c *http.Client, s *linetest.Server, method, path, body string, header ...string) answer {
	t.Helper()
	a, err := try(t, c, s, method, path, body, header...)
	require.NoError(t, err)
	return a
}

func TestReplyTokensWorkOnceAndExpire(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	s := newServer(t, &linetest.Options{Now: clk.Now, ReplyTokenTTL: 30 * time.Second})
	reply := func(token string) answer {
		return call(t, http.DefaultClient, s, "POST", "/v2/bot/message/reply",
			`{"replyToken":"`+token+`","messages":[{"type":"text","text":"hi"}]}`)
	}
	first := s.NewReplyToken("U1")
	got := reply(first)
	require.Equal(t, 200, got.status)
	require.NotEmpty(t, got.header.Get("X-Line-Request-Id"))
	require.Contains(t, got.body, `"sentMessages":[{"id":"`)
	got = reply(first)
	require.Equal(t, 400, got.status, "a reply token works once")
	require.JSONEq(t, `{"message":"Invalid reply token"}`, got.body)

	late := s.NewReplyToken("U2")
	clk.Advance(30 * time.Second)
	require.Equal(t, 400, reply(late).status, "expired")
	require.Equal(t, 400, reply("made-up").status, "LINE issues reply tokens")

	require.Equal(t, map[string]int{first: 1}, s.DeliveriesByReplyToken())
	d := s.Deliveries()
	require.Len(t, d, 1)
	require.Equal(t, linetest.OpReply, d[0].Op)
	require.Equal(t, "U1", d[0].To, "the chat the token was issued for")
	require.Equal(t, []string{"hi"}, d[0].Texts())
}

func TestRetryKeys(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	s := newServer(t, &linetest.Options{Now: clk.Now})
	push := func(k string) answer {
		return call(t, http.DefaultClient, s, "POST", "/v2/bot/message/push",
			`{"to":"U1","messages":[{"type":"text","text":"a"},{"type":"sticker","packageId":"446","stickerId":"1988"}]}`, "X-Line-Retry-Key", k)
	}
	first := push(key)
	require.Equal(t, 200, first.status)
	var sent struct {
		SentMessages []linetest.SentMessage `json:"sentMessages"`
	}
	require.NoError(t, json.Unmarshal([]byte(first.body), &sent))
	require.Len(t, sent.SentMessages, 2)

	again := push(strings.ToUpper(key))
	require.Equal(t, http.StatusConflict, again.status, "a repeat of an accepted key (in any case)")
	require.Equal(t, first.header.Get("X-Line-Request-Id"), again.header.Get("X-Line-Accepted-Request-Id"))
	var dup struct {
		Message      string                 `json:"message"`
		SentMessages []linetest.SentMessage `json:"sentMessages"`
	}
	require.NoError(t, json.Unmarshal([]byte(again.body), &dup))
	require.NotEmpty(t, dup.Message)
	require.Equal(t, sent.SentMessages, dup.SentMessages, "the 409 carries the accepted request's sentMessages")

	require.Equal(t, 400, push("k-1").status, "LINE refuses a retry key that is not a UUID")
	require.Equal(t, 200, push("").status)
	require.Equal(t, 200, push("").status, "pushes without a key are not deduplicated")
	require.Equal(t, map[string]int{key: 1, "": 2}, s.DeliveriesByRetryKey())

	clk.Advance(linetest.RetryKeyTTL)
	require.Equal(t, 200, push(key).status, "LINE remembers a key for 24 hours")
}

func TestSendBodiesAreChecked(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	for name, body := range map[string]string{
		"no recipient":    `{"messages":[{"type":"text","text":"a"}]}`,
		"no messages":     `{"to":"U1","messages":[]}`,
		"six messages":    `{"to":"U1","messages":[{"type":"text","text":"1"},{"type":"text","text":"2"},{"type":"text","text":"3"},{"type":"text","text":"4"},{"type":"text","text":"5"},{"type":"text","text":"6"}]}`,
		"unknown type":    `{"to":"U1","messages":[{"type":"file"}]}`,
		"not JSON at all": `{"to":`,
	} {
		got := call(t, http.DefaultClient, s, "POST", "/v2/bot/message/push", body)
		require.Equal(t, 400, got.status, name)
		require.Contains(t, got.body, `"details"`, name)
	}
	require.Empty(t, s.Deliveries())
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	s := newServer(t, &linetest.Options{ChannelID: "1650000000", ChannelSecret: "secret", AccessToken: "long-lived", Now: clk.Now})
	get := func(token string) int {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL+"/v2/bot/info", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, 401, get(""))
	require.Equal(t, 401, get("other"))
	require.Equal(t, 200, get("long-lived"))

	issue := func(id, secret string) answer {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/oauth2/v3/token",
			strings.NewReader("grant_type=client_credentials&client_id="+id+"&client_secret="+secret))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return answer{res.StatusCode, res.Header, string(b)}
	}
	for name, tc := range map[string]struct {
		id, secret, body string
	}{
		"wrong secret":     {"1650000000", "wrong", `{"error":"invalid_client","error_description":"invalid client_secret"}`},
		"wrong channel ID": {"1650000999", "secret", `{"error":"invalid_client","error_description":"invalid client_id"}`},
		"both wrong":       {"1650000999", "wrong", `{"error":"invalid_client","error_description":"invalid client_id"}`},
		"no secret":        {"1650000000", "", `{"error":"invalid_request","error_description":"some parameters missed or invalid"}`},
	} {
		bad := issue(tc.id, tc.secret)
		require.Equal(t, 400, bad.status, name)
		require.JSONEq(t, tc.body, bad.body, name)
	}
	ok := issue("1650000000", "secret")
	require.Equal(t, 200, ok.status)
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	require.NoError(t, json.Unmarshal([]byte(ok.body), &tok))
	require.Equal(t, 900, tok.ExpiresIn)
	require.Equal(t, 200, get(tok.AccessToken))

	verify := func(token string) answer {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/v2/oauth/verify", strings.NewReader("access_token="+token))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return answer{res.StatusCode, res.Header, string(b)}
	}
	require.JSONEq(t, `{"client_id":"1650000000","expires_in":315360000,"scope":"P CM"}`, verify("long-lived").body)
	require.JSONEq(t, `{"client_id":"1650000000","expires_in":900,"scope":"P CM"}`, verify(tok.AccessToken).body,
		"an issued token's remaining lifetime")
	unknown := verify("other")
	require.Equal(t, 400, unknown.status)
	require.JSONEq(t, `{"error":"invalid_request","error_description":"invalid access token"}`, unknown.body)

	s.RevokeAccessToken("long-lived")
	require.Equal(t, 401, get("long-lived"), "a revoked token is refused")
	require.Equal(t, 400, verify("long-lived").status)

	clk.Advance(15 * time.Minute)
	require.Equal(t, 401, get(tok.AccessToken), "issued tokens expire")
	require.Equal(t, 400, verify(tok.AccessToken).status)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	push := func(t *testing.T, c *http.Client, s *linetest.Server) (answer, error) {
		return try(t, c, s, "POST", "/v2/bot/message/push", `{"to":"U1","messages":[{"type":"text","text":"a"}]}`, "X-Line-Retry-Key", key)
	}
	pushed := func(t *testing.T, c *http.Client, s *linetest.Server) answer {
		t.Helper()
		a, err := push(t, c, s)
		require.NoError(t, err)
		return a
	}
	quick := &http.Client{Timeout: 200 * time.Millisecond}

	t.Run("answers come in order, own operation first", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, nil)
		s.Fail(linetest.OpAny, linetest.ServerError())
		s.Fail(linetest.OpPush, linetest.RateLimit(1500*time.Millisecond), linetest.MonthlyLimit())
		got := pushed(t, http.DefaultClient, s)
		require.Equal(t, 429, got.status)
		require.Equal(t, "2", got.header.Get("Retry-After"), "whole seconds, rounded up")
		require.NotEmpty(t, got.header.Get("X-Line-Request-Id"))
		require.JSONEq(t, `{"message":"Too many requests"}`, got.body)
		got = pushed(t, http.DefaultClient, s)
		require.JSONEq(t, `{"message":"You have reached your monthly limit."}`, got.body)
		got = call(t, http.DefaultClient, s, "GET", "/v2/bot/info", "")
		require.Equal(t, 500, got.status, "the OpAny fault meets the next request of any operation")
		require.Equal(t, 200, pushed(t, http.DefaultClient, s).status, "then requests are handled")
		require.Len(t, s.Deliveries(), 1)
		faults := []linetest.FaultKind{}
		for _, r := range s.Requests() {
			faults = append(faults, r.Fault)
		}
		require.Equal(t, []linetest.FaultKind{linetest.Answer, linetest.Answer, linetest.Answer, ""}, faults)
	})
	for _, tc := range []struct {
		kind      linetest.FaultKind
		delivered int
	}{{linetest.TimeoutBefore, 0}, {linetest.TimeoutAfter, 1}, {linetest.ResetBefore, 0}, {linetest.ResetAfter, 1}} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			s := newServer(t, nil)
			s.Fail(linetest.OpPush, linetest.Fault{Kind: tc.kind})
			start := time.Now()
			_, err := push(t, quick, s)
			require.Error(t, err, "no answer")
			if tc.kind == linetest.TimeoutBefore || tc.kind == linetest.TimeoutAfter {
				require.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond, "held until the client gave up")
			}
			require.Len(t, s.Deliveries(), tc.delivered)
			require.Len(t, s.Requests(), 1)
			require.Equal(t, tc.kind, s.Requests()[0].Fault)
			again := pushed(t, quick, s)
			require.Equal(t, map[bool]int{false: 200, true: 409}[tc.delivered == 1], again.status)
		})
	}
	t.Run("close releases held requests", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, nil)
		s.Fail(linetest.OpPush, linetest.Fault{Kind: linetest.TimeoutBefore})
		done := make(chan error, 1)
		go func() {
			req, _ := http.NewRequestWithContext(context.Background(), "POST", s.URL+"/v2/bot/message/push",
				strings.NewReader(`{"to":"U1","messages":[{"type":"text","text":"a"}]}`))
			req.Header.Set("Authorization", "Bearer t")
			res, err := http.DefaultClient.Do(req) // no timeout: only Close ends it
			if err == nil {
				res.Body.Close()
			}
			done <- err
		}()
		require.Eventually(t, func() bool { return len(s.Requests()) == 1 }, 5*time.Second, time.Millisecond)
		closed := make(chan struct{})
		go func() { s.Close(); close(closed) }()
		select {
		case err := <-done:
			require.Error(t, err, "the held request ends without an answer")
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not release the held request")
		}
		<-closed
	})
}

// Many senders retrying one push at once: LINE delivers it once.
func TestConcurrentPushesWithOneRetryKeyDeliverOnce(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	a, err := line.New(line.Config{ChannelSecret: "s", AccessToken: "t"},
		&line.Options{APIEndpoint: s.URL, HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	require.NoError(t, err)
	results := make([]channel.SendResult, 16)
	errs := make([]error, len(results))
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			results[i], errs[i] = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("once")}, channel.SendOptions{RetryKey: key})
		})
	}
	wg.Wait()
	fresh := 0
	for i, err := range errs {
		require.NoError(t, err)
		if !results[i].Duplicate {
			fresh++
		}
		require.Len(t, results[i].MessageIDs, 1)
	}
	require.Equal(t, 1, fresh)
	require.Equal(t, map[string]int{key: 1}, s.DeliveriesByRetryKey())
}

// Webhook bodies verify and parse with the real adapter, and what they imply is registered.
func TestWebhook(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	a, err := line.New(line.Config{ChannelSecret: "secret", AccessToken: "t"},
		&line.Options{APIEndpoint: s.URL, DataEndpoint: s.URL, HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	require.NoError(t, err)
	body := s.Webhook(
		linetest.Event{UserID: "U1", Name: "Hanako", Text: "hello"},
		linetest.Event{UserID: "U2", GroupID: "C1", Text: "hi all"},
		linetest.Event{UserID: "U1", Content: &linetest.Content{Type: "video", ContentType: "video/mp4", Data: []byte("MP4"),
			Duration: 3 * time.Second, Transcoding: linetest.TranscodingProcessing}},
		linetest.Event{UserID: "U1", Content: &linetest.Content{Type: "file", ContentType: "application/pdf", Data: []byte("PDF"), FileName: "quote.pdf"}},
	)
	req, err := linetest.NewWebhookRequest(t.Context(), "http://crm.example/hook", "secret", body)
	require.NoError(t, err)
	events, err := a.ParseWebhook(req)
	require.NoError(t, err)
	require.Len(t, events, 4)
	require.Equal(t, channel.EventMessage, events[0].Kind)
	require.Equal(t, "hello", events[0].Message.Text)
	require.Equal(t, channel.Group("C1", "U2"), events[1].Source)
	require.Equal(t, channel.TypeVideo, events[2].Message.Type)
	require.Equal(t, 3*time.Second, events[2].Message.Media.Duration)
	require.Equal(t, "quote.pdf", events[3].Message.Media.FileName)
	ids := map[string]bool{}
	for _, e := range events {
		ids[e.ID] = true
	}
	require.Len(t, ids, 4, "event IDs are unique")

	p, err := a.Profile(t.Context(), channel.User("U1"))
	require.NoError(t, err)
	require.Equal(t, "Hanako", p.DisplayName)

	_, err = a.FetchContent(t.Context(), events[2].Message.ID)
	require.ErrorIs(t, err, channel.ErrUnavailable, "the video is still being prepared")
	s.SetTranscoding(events[2].Message.ID, linetest.TranscodingSucceeded)
	c, err := a.FetchContent(t.Context(), events[2].Message.ID)
	require.NoError(t, err)
	data, err := io.ReadAll(c)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.Equal(t, "MP4", string(data))

	_, err = a.Send(t.Context(), events[1].Source, []channel.Message{channel.Text("welcome")}, channel.SendOptions{ReplyToken: events[1].ReplyToken})
	require.NoError(t, err)
	require.Equal(t, "C1", s.Deliveries()[0].To, "a group message's reply token replies to the group")

	_, err = a.ParseWebhook(must2(linetest.NewWebhookRequest(t.Context(), "http://crm.example/hook", "other", body)))
	require.ErrorIs(t, err, channel.ErrInvalidSignature)
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestUnknownPathsAnswer404(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	got := call(t, http.DefaultClient, s, "GET", "/v2/bot/followers/ids", "")
	require.Equal(t, 404, got.status)
	require.Equal(t, linetest.OpUnknown, s.Requests()[0].Op)
}
