package watest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newServer(t *testing.T, opts *watest.Options) *watest.Server {
	t.Helper()
	s := watest.NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

func adapter(t *testing.T, s *watest.Server, timeout time.Duration) *whatsapp.Adapter {
	t.Helper()
	a, err := whatsapp.New(whatsapp.Config{PhoneNumberID: watest.DefaultPhoneNumberID, AccessToken: "t", AppSecret: "secret"},
		&whatsapp.Options{Endpoint: s.URL, HTTPClient: &http.Client{Timeout: timeout}})
	require.NoError(t, err)
	return a
}

type answer struct {
	status int
	header http.Header
	body   string
}

func call(t *testing.T, s *watest.Server, method, path, token, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(b)}
}

// graphCode reads the code of a Graph API error body.
func graphCode(t *testing.T, body string) (code, subcode int) {
	t.Helper()
	var e struct {
		Error struct {
			Code      int    `json:"code"`
			Subcode   int    `json:"error_subcode"`
			FBTraceID string `json:"fbtrace_id"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &e), body)
	require.NotEmpty(t, e.Error.FBTraceID)
	return e.Error.Code, e.Error.Subcode
}

func TestAuthenticationAndRouting(t *testing.T) {
	t.Parallel()
	s := newServer(t, &watest.Options{AccessToken: "EAAright", Window: -1})
	msg := `{"messaging_product":"whatsapp","to":"16505551234","type":"text","text":{"body":"hi"}}`
	path := "/v25.0/" + watest.DefaultPhoneNumberID + "/messages"
	got := call(t, s, "POST", path, "", msg)
	require.Equal(t, 401, got.status)
	code, _ := graphCode(t, got.body)
	require.Equal(t, watest.CodeAccessToken, code)
	require.Equal(t, 401, call(t, s, "POST", path, "EAAwrong", msg).status)
	got = call(t, s, "POST", path, "EAAright", msg)
	require.Equal(t, 200, got.status, got.body)
	require.NotEmpty(t, got.header.Get("X-Fb-Trace-Id"))
	var res struct {
		Messages []struct{ ID string } `json:"messages"`
	}
	require.NoError(t, json.Unmarshal([]byte(got.body), &res))
	require.True(t, strings.HasPrefix(res.Messages[0].ID, "wamid."))

	got = call(t, s, "POST", "/v25.0/999/messages", "EAAright", msg)
	code, sub := graphCode(t, got.body)
	require.Equal(t, []int{400, watest.CodeInvalidParam, watest.SubcodeNoObject}, []int{got.status, code, sub}, "another phone number")
	got = call(t, s, "GET", "/v25.0/"+watest.DefaultPhoneNumberID+"?fields=display_phone_number,verified_name", "EAAright", "")
	require.JSONEq(t, `{"verified_name":"watest","display_phone_number":"15550783881","id":"106540352242922","quality_rating":"GREEN"}`, got.body)
	require.Equal(t, 400, call(t, s, "GET", "/v25.0/12345", "EAAright", "").status, "an unknown media ID")
	require.Equal(t, 400, call(t, s, "DELETE", "/nope", "EAAright", "").status)
	require.Equal(t, watest.OpUnknown, s.Requests()[len(s.Requests())-1].Op)
}

func TestSendBodiesAreChecked(t *testing.T) {
	t.Parallel()
	s := newServer(t, &watest.Options{Window: -1})
	path := "/v25.0/" + watest.DefaultPhoneNumberID + "/messages"
	for name, body := range map[string]string{
		"not JSON":       `{"to":`,
		"no product":     `{"to":"1","type":"text","text":{"body":"a"}}`,
		"no recipient":   `{"messaging_product":"whatsapp","type":"text","text":{"body":"a"}}`,
		"unknown type":   `{"messaging_product":"whatsapp","to":"1","type":"hologram","hologram":{}}`,
		"no object":      `{"messaging_product":"whatsapp","to":"1","type":"image"}`,
		"empty text":     `{"messaging_product":"whatsapp","to":"1","type":"text","text":{"body":""}}`,
		"long text":      `{"messaging_product":"whatsapp","to":"1","type":"text","text":{"body":"` + strings.Repeat("a", 4097) + `"}}`,
		"media no link":  `{"messaging_product":"whatsapp","to":"1","type":"image","image":{"caption":"x"}}`,
		"template no id": `{"messaging_product":"whatsapp","to":"1","type":"template","template":{"name":"x"}}`,
	} {
		got := call(t, s, "POST", path, "t", body)
		require.Equal(t, 400, got.status, name)
		code, _ := graphCode(t, got.body)
		require.Equal(t, watest.CodeInvalidParam, code, name)
	}
	require.Empty(t, s.Sent())
}

// The customer service window: free-form messages only within 24 hours of the customer's last message.
func TestWindow(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	s := newServer(t, &watest.Options{Now: clk.Now})
	a := adapter(t, s, 10*time.Second)
	text := []channel.Message{channel.Text("hello")}
	_, err := a.Send(t.Context(), channel.User("16505551234"), text, channel.SendOptions{})
	require.ErrorIs(t, err, whatsapp.ErrWindowClosed, "the customer never wrote")
	s.Webhook(watest.Inbound{From: "16505551234", Text: "hi"})
	_, err = a.Send(t.Context(), channel.User("16505551234"), text, channel.SendOptions{})
	require.NoError(t, err)
	clk.Advance(24 * time.Hour)
	_, err = a.Send(t.Context(), channel.User("16505551234"), text, channel.SendOptions{})
	require.ErrorIs(t, err, whatsapp.ErrWindowClosed)
	_, err = a.Send(t.Context(), channel.User("16505551234"), []channel.Message{{Type: channel.TypeTemplate,
		Template: &channel.Template{Name: "hello_world", Language: "en_US"}}}, channel.SendOptions{})
	require.NoError(t, err, "templates go out any time")
	require.Len(t, s.Sent(), 2)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	t.Run("answers come in order, own operation first", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, &watest.Options{Window: -1})
		a := adapter(t, s, 10*time.Second)
		s.Fail(watest.OpAny, watest.ServerError())
		s.Fail(watest.OpSend, watest.RateLimit(), watest.Fault{Kind: watest.Pass}, watest.WindowClosed())
		send := func() error {
			_, err := a.Send(t.Context(), channel.User("1"), []channel.Message{channel.Text("a")}, channel.SendOptions{})
			return err
		}
		require.ErrorIs(t, send(), channel.ErrRateLimited)
		require.NoError(t, send())
		require.ErrorIs(t, send(), whatsapp.ErrWindowClosed)
		require.ErrorIs(t, a.MarkRead(t.Context(), "wamid.x"), channel.ErrUnavailable, "the OpAny fault meets the next request of any operation")
		require.NoError(t, send())
		require.Len(t, s.Sent(), 2)
	})
	for _, tc := range []struct {
		kind      watest.FaultKind
		delivered int
	}{{watest.TimeoutBefore, 0}, {watest.TimeoutAfter, 1}, {watest.ResetBefore, 0}, {watest.ResetAfter, 1}} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			s := newServer(t, &watest.Options{Window: -1})
			a := adapter(t, s, 200*time.Millisecond)
			s.Fail(watest.OpSend, watest.Fault{Kind: tc.kind})
			_, err := a.Send(t.Context(), channel.User("1"), []channel.Message{channel.Text("a")}, channel.SendOptions{})
			require.Error(t, err)
			require.True(t, channel.MayHaveSent(err))
			require.Len(t, s.Sent(), tc.delivered)
			require.Equal(t, tc.kind, s.Requests()[0].Fault)
		})
	}
	t.Run("close releases held requests", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, &watest.Options{Window: -1})
		a := adapter(t, s, 0) // no timeout: only Close ends it
		s.Fail(watest.OpSend, watest.Fault{Kind: watest.TimeoutBefore})
		done := make(chan error, 1)
		go func() {
			_, err := a.Send(context.Background(), channel.User("1"), []channel.Message{channel.Text("a")}, channel.SendOptions{})
			done <- err
		}()
		require.Eventually(t, func() bool { return len(s.Requests()) == 1 }, 5*time.Second, time.Millisecond)
		s.API.Close()
		select {
		case err := <-done:
			require.ErrorIs(t, err, channel.ErrUnavailable)
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not release the held request")
		}
	})
}

// Webhooks verify and parse with the real adapter, and what they imply is registered.
func TestWebhooks(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	a := adapter(t, s, 10*time.Second)
	body := s.Webhook(
		watest.Inbound{From: "16505551234", Name: "Sheena Nelson", Text: "hello"},
		watest.Inbound{From: "19835552319", Name: "Lucía Gómez", Media: &watest.Media{Type: "document", MimeType: "application/pdf",
			Data: []byte("PDF"), FileName: "quote.pdf", Caption: "my quote"}},
		watest.Inbound{From: "16505551234", Text: "are you there?", ReplyTo: "wamid.earlier"},
	)
	req, err := watest.NewWebhookRequest(t.Context(), "https://crm.example/hook", "secret", body)
	require.NoError(t, err)
	events, err := a.ParseWebhook(req)
	require.NoError(t, err)
	require.Len(t, events, 3)
	require.Equal(t, "hello", events[0].Message.Text)
	require.Equal(t, &channel.Profile{UserID: "16505551234", DisplayName: "Sheena Nelson"}, events[0].Profile)
	require.Equal(t, channel.TypeFile, events[1].Message.Type)
	require.Equal(t, "quote.pdf", events[1].Message.Media.FileName)
	require.Equal(t, "my quote", events[1].Message.Text)
	require.Equal(t, "Lucía Gómez", events[1].Profile.DisplayName)
	require.Equal(t, "wamid.earlier", events[2].Message.QuotedMessageID)
	for _, e := range events {
		require.Equal(t, watest.DefaultPhoneNumberID, e.Account)
	}
	c, err := a.FetchContent(t.Context(), channel.ContentRef(*events[1].Message))
	require.NoError(t, err)
	data, _ := io.ReadAll(c)
	c.Close()
	require.Equal(t, "PDF", string(data))

	res, err := a.Send(t.Context(), events[0].Source, []channel.Message{channel.Text("hi!")}, channel.SendOptions{})
	require.NoError(t, err, "the customer wrote: the window is open")
	statuses := s.StatusWebhook(
		watest.Status{MessageID: res.MessageIDs[0], Status: "read"},
		watest.Status{MessageID: res.MessageIDs[0], Status: "delivered"},
		watest.Status{MessageID: "wamid.other", Status: "failed", RecipientID: "19835552319", ErrorCode: 131047, ErrorTitle: "Re-engagement message"},
	)
	req, _ = watest.NewWebhookRequest(t.Context(), "https://crm.example/hook", "secret", statuses)
	events, err = a.ParseWebhook(req)
	require.NoError(t, err)
	require.Len(t, events, 3)
	require.Equal(t, channel.Receipt{MessageID: res.MessageIDs[0], Status: channel.ReceiptRead}, *events[0].Receipt)
	require.Equal(t, channel.ReceiptDelivered, events[1].Receipt.Status, "out of order, as Meta may send them")
	require.Equal(t, channel.User("16505551234"), events[1].Source, "the recipient of a sent message is known")
	require.Equal(t, "131047 Re-engagement message", events[2].Receipt.Error)

	_, err = a.ParseWebhook(must(watest.NewWebhookRequest(t.Context(), "https://crm.example/hook", "other", body)))
	require.ErrorIs(t, err, channel.ErrInvalidSignature)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
