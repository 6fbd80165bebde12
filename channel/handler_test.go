package channel_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/internal/mocks/channelmock"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// personal is text that stands for personal data: it must never reach a log.
const personal = "Hanako Yamada, 090-1234-5678"

func textEvent(id, text string) channel.Event {
	m := channel.Text(text)
	m.ID = "m-" + id
	return channel.Event{ID: id, Kind: channel.EventMessage, Time: t0, Source: channel.User("U1"), Message: &m}
}

func newHandler(t *testing.T, a channel.Adapter, sinkErr error, opts *channel.HandlerOptions) (*channel.Handler, *[]channel.Delivery) {
	t.Helper()
	var calls []channel.Delivery
	h, err := channel.NewHandler("ch-1", a, func(_ context.Context, d channel.Delivery) error {
		calls = append(calls, d)
		return sinkErr
	}, opts)
	require.NoError(t, err)
	return h, &calls
}

func TestHandlerHandsVerifiedEventsToTheSink(t *testing.T) {
	t.Parallel()
	f := channeltest.NewFake(nil)
	h, calls := newHandler(t, f, nil, nil)
	w := httptest.NewRecorder()
	r := f.Request(textEvent("ev-1", "hi"), textEvent("ev-2", "there"))
	body, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	r.Body = io.NopCloser(bytes.NewReader(body))
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code)
	require.Len(t, *calls, 1)
	require.Equal(t, "ch-1", (*calls)[0].ChannelID)
	require.Len(t, (*calls)[0].Events, 2)
	require.Equal(t, "there", (*calls)[0].Events[1].Message.Text, "events keep delivery order")
	require.Equal(t, body, (*calls)[0].Body, "the sink gets the verified body byte for byte")
}

func TestHandlerAnswers(t *testing.T) {
	t.Parallel()
	f := channeltest.NewFake(nil)
	valid := func() *http.Request { return f.Request(textEvent("ev-1", personal)) }
	cases := []struct {
		name       string
		req        func() *http.Request
		sinkErr    error
		maxBody    int64
		wantStatus int
		wantSink   bool
	}{
		{"valid", valid, nil, 0, http.StatusOK, true},
		{"sink fails so the channel redelivers", valid, errors.New("store down"), 0, http.StatusInternalServerError, true},
		{"missing signature", func() *http.Request {
			r := valid()
			r.Header.Del(channeltest.SignatureHeader)
			return r
		}, nil, 0, http.StatusUnauthorized, false},
		{"wrong signature", func() *http.Request {
			r := valid()
			r.Header.Set(channeltest.SignatureHeader, f.Sign([]byte("other")))
			return r
		}, nil, 0, http.StatusUnauthorized, false},
		{"connectivity check", func() *http.Request { return f.Request() }, nil, 0, http.StatusOK, false},
		{"too large", valid, nil, 32, http.StatusRequestEntityTooLarge, false},
		{"malformed", func() *http.Request { return f.SignedRequest([]byte(`{"events":[` + personal)) }, nil, 0, http.StatusBadRequest, false},
		{"GET", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/webhook", nil) }, nil, 0, http.StatusMethodNotAllowed, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, calls := newHandler(t, f, tc.sinkErr, &channel.HandlerOptions{MaxBodyBytes: tc.maxBody})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tc.req())
			require.Equal(t, tc.wantStatus, w.Code)
			require.Equal(t, tc.wantSink, len(*calls) == 1, "was the sink called?")
			require.NotContains(t, w.Body.String(), personal, "the answer must not echo the body")
		})
	}
}

// Interaction check: a request whose signature fails reaches the adapter exactly once and nothing else.
func TestHandlerCallsNothingAfterABadSignature(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	a := channelmock.NewMockAdapter(ctrl)
	a.EXPECT().Kind().Return("mock").AnyTimes()
	a.EXPECT().ParseWebhook(gomock.Any()).Return(nil, fmt.Errorf("mock: %w", channel.ErrInvalidSignature)).Times(1)
	h, calls := newHandler(t, a, nil, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(`{}`)))
	require.Equal(t, http.StatusUnauthorized, w.Code)
	require.Empty(t, *calls, "the sink must not be called")
}

// The handler's log lines must not carry personal data, even when the adapter's or the sink's error text
// does (the LINE SDK's decode errors contain the whole body).
func TestHandlerLogsNothingPersonal(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	a := channelmock.NewMockAdapter(ctrl)
	a.EXPECT().Kind().Return("mock").AnyTimes()
	gomock.InOrder(
		a.EXPECT().ParseWebhook(gomock.Any()).Return(nil, fmt.Errorf("decode %q: %w", personal, channel.ErrInvalidRequest)),
		a.EXPECT().ParseWebhook(gomock.Any()).Return(nil, fmt.Errorf("signature of %q: %w", personal, channel.ErrInvalidSignature)),
		a.EXPECT().ParseWebhook(gomock.Any()).Return([]channel.Event{textEvent("ev-1", personal)}, nil),
	)
	var logs bytes.Buffer
	h, _ := newHandler(t, a, fmt.Errorf("storing %q failed", personal),
		&channel.HandlerOptions{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	for _, want := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusInternalServerError} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(personal)))
		require.Equal(t, want, w.Code)
	}
	out := logs.String()
	require.Equal(t, 3, strings.Count(out, `"msg":"webhook rejected"`), "each failure is logged once:\n%s", out)
	require.Contains(t, out, `"error_category":"channel: invalid request"`, "the category is logged instead of the text")
	require.NotContains(t, out, "Hanako", "logs must not contain personal data")
	require.NotContains(t, out, "090", "logs must not contain personal data")
}

func TestNewHandlerValidates(t *testing.T) {
	t.Parallel()
	f := channeltest.NewFake(nil)
	sink := func(context.Context, channel.Delivery) error { return nil }
	_, err := channel.NewHandler("", f, sink, nil)
	require.Error(t, err, "a channel ID is required")
	_, err = channel.NewHandler("c", nil, sink, nil)
	require.Error(t, err, "an adapter is required")
	_, err = channel.NewHandler("c", f, nil, nil)
	require.Error(t, err, "a sink is required")
	_, err = channel.NewHandler("c", f, sink, &channel.HandlerOptions{MaxBodyBytes: -1})
	require.Error(t, err, "a negative limit is refused")
}

// Every request answered other than 200 is reported with its status and category, so a host can count
// signature failures.
func TestHandlerReportsRejectedRequests(t *testing.T) {
	t.Parallel()
	f := channeltest.NewFake(nil)
	type rejection struct {
		status   int
		category error
	}
	var got []rejection
	h, err := channel.NewHandler("ch-1", f, func(context.Context, channel.Delivery) error { return errors.New("down") },
		&channel.HandlerOptions{Rejected: func(status int, category error) { got = append(got, rejection{status, category}) }})
	require.NoError(t, err)
	forged := f.Request(textEvent("ev-1", "hi"))
	forged.Header.Set(channeltest.SignatureHeader, "forged")
	h.ServeHTTP(httptest.NewRecorder(), forged)
	h.ServeHTTP(httptest.NewRecorder(), f.Request(textEvent("ev-2", "hi")))
	require.Equal(t, []rejection{{http.StatusUnauthorized, channel.ErrInvalidSignature}, {http.StatusInternalServerError, nil}}, got)
}

// handshaking is a Fake whose channel verifies the webhook URL with a GET, as Meta's does.
type handshaking struct{ *channeltest.Fake }

func (handshaking) Handshake(r *http.Request) ([]byte, error) {
	q := r.URL.Query()
	switch {
	case q.Get("hub.mode") != "subscribe" || q.Get("hub.challenge") == "":
		return nil, fmt.Errorf("not a verification: %w", channel.ErrInvalidRequest)
	case q.Get("hub.verify_token") != "right":
		return nil, fmt.Errorf("wrong verify token: %w", channel.ErrInvalidSignature)
	}
	return []byte(q.Get("hub.challenge")), nil
}

// A GET is a channel's verification of the webhook URL when the adapter can answer it; otherwise 405.
func TestHandlerAnswersVerificationRequests(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(t, handshaking{channeltest.NewFake(nil)}, nil, nil)
	for _, tc := range []struct {
		query string
		code  int
		body  string
	}{
		{"hub.mode=subscribe&hub.verify_token=right&hub.challenge=1158201444", http.StatusOK, "1158201444"},
		{"hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", http.StatusForbidden, ""},
		{"", http.StatusBadRequest, ""},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/webhook?"+tc.query, nil))
		require.Equal(t, tc.code, w.Code, tc.query)
		if tc.body != "" {
			require.Equal(t, tc.body, w.Body.String())
		}
	}
	plain, _ := newHandler(t, channeltest.NewFake(nil), nil, nil)
	w := httptest.NewRecorder()
	plain.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/webhook", nil))
	require.Equal(t, http.StatusMethodNotAllowed, w.Code)
	require.Equal(t, "POST", w.Header().Get("Allow"))
}
