package conversation_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

// LINE's faults, scripted on a fake of its API and met through the real LINE adapter: what the agent
// sees on the part, and what reached the customer. A reply is a free reply while its token is fresh; a
// push goes out once per retry key; an attempt whose answer was lost is retried only in a way that
// cannot deliver twice.
func TestLINEFaultsThroughTheRealAdapter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		push      bool // the token has expired before the reply: a push
		faults    []linetest.Fault
		wait      time.Duration // before the retry
		status    store.MessageStatus
		billable  bool
		delivered int
		detail    string // on the part after the first attempt
	}{
		{name: "rate limited, Retry-After honoured", faults: []linetest.Fault{linetest.RateLimit(20 * time.Second)},
			wait: 21 * time.Second, status: store.StatusSent, delivered: 1, detail: "retrying: attempt 1 failed (channel: rate limited (status 429))"},
		{name: "server error, reply retried with its token", faults: []linetest.Fault{linetest.ServerError()},
			wait: 5 * time.Second, status: store.StatusSent, delivered: 1, detail: "retrying"},
		{name: "push timed out before LINE", push: true, faults: []linetest.Fault{{Kind: linetest.TimeoutBefore}},
			wait: 5 * time.Second, status: store.StatusSent, billable: true, delivered: 1},
		{name: "push timed out after LINE accepted it", push: true, faults: []linetest.Fault{{Kind: linetest.TimeoutAfter}},
			wait: 5 * time.Second, status: store.StatusSent, billable: true, delivered: 1},
		{name: "push reset after LINE accepted it", push: true, faults: []linetest.Fault{{Kind: linetest.ResetAfter}},
			wait: 5 * time.Second, status: store.StatusSent, billable: true, delivered: 1},
		{name: "reply reset before LINE", faults: []linetest.Fault{{Kind: linetest.ResetBefore}},
			wait: 5 * time.Second, status: store.StatusSent, delivered: 1},
		{name: "reply reset after LINE delivered it", faults: []linetest.Fault{{Kind: linetest.ResetAfter}},
			wait: 5 * time.Second, status: store.StatusUncertain, delivered: 1},
		{name: "reply timed out after LINE delivered it", faults: []linetest.Fault{{Kind: linetest.TimeoutAfter}},
			wait: 5 * time.Second, status: store.StatusUncertain, delivered: 1},
		{name: "monthly quota used up", push: true, faults: []linetest.Fault{linetest.MonthlyLimit()},
			status: store.StatusFailed, delivered: 0, detail: "quota is used up"},
		{name: "reply token expired at LINE mid-retry", faults: []linetest.Fault{linetest.ServerError()},
			wait: 40 * time.Second, status: store.StatusSent, billable: true, delivered: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &clock{now: t0}
			api := linetest.NewServer(&linetest.Options{ChannelSecret: "testsecret", AccessToken: "t", Now: c.Now,
				ReplyTokenTTL: 30 * time.Second}) // LINE's tokens may die before msgkit's 50 s estimate
			t.Cleanup(api.Close)
			a, err := line.New(line.Config{ChannelSecret: "testsecret", AccessToken: "t"}, &line.Options{
				APIEndpoint: api.URL, DataEndpoint: api.URL, Now: c.Now, HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}})
			require.NoError(t, err)
			s := memstore.New(&memstore.Options{Now: c.Now})
			ch, err := s.CreateChannel(t.Context(), store.Channel{Kind: line.Kind, ExternalID: "1", Active: true})
			require.NoError(t, err)
			svc, err := conversation.New(s, conversation.AdapterMap{ch.ID: a}, &conversation.Options{Now: c.Now,
				OnError: func(error) {}})
			require.NoError(t, err)
			h, err := channel.NewHandler(ch.ID, a, svc.Receive, nil)
			require.NoError(t, err)
			body := api.Webhook(linetest.Event{UserID: "U1", Text: "Is it in stock?", Time: t0})
			r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
			r.Header.Set(line.SignatureHeader, linetest.Sign("testsecret", body))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, http.StatusOK, w.Code)
			_, err = svc.Flush(t.Context())
			require.NoError(t, err)
			list, _, err := s.ListConversations(t.Context(), store.View{}, store.Page{})
			require.NoError(t, err)
			conv := list[0].Conversation

			if tc.push {
				c.Advance(time.Minute)
			}
			api.Fail(map[bool]linetest.Op{false: linetest.OpReply, true: linetest.OpPush}[tc.push], tc.faults...)
			sent, err := svc.Reply(t.Context(), conv.ID, "aiko", conversation.Reply{Text: "Yes, it is."})
			require.NoError(t, err)
			require.Contains(t, sent.Parts[0].StatusDetail, tc.detail)
			c.Advance(tc.wait)
			_, err = svc.Flush(t.Context())
			require.NoError(t, err)

			part, err := s.GetMessage(t.Context(), sent.Parts[0].ID)
			require.NoError(t, err)
			require.Equal(t, tc.status, part.Status, part.StatusDetail)
			require.Equal(t, tc.billable, part.Billable)
			delivered := 0
			for _, d := range api.Deliveries() {
				delivered += len(d.Messages)
			}
			require.Equal(t, tc.delivered, delivered, "what reached the customer")
			for tok, n := range api.DeliveriesByReplyToken() {
				require.LessOrEqual(t, n, 1, "reply token %s delivered once at most", tok)
			}
			for key, n := range api.DeliveriesByRetryKey() {
				require.LessOrEqual(t, n, 1, "retry key %s delivered once at most", key)
			}
			if part.Status == store.StatusSent {
				require.NotEmpty(t, part.ChannelMessageID, "LINE's message ID is kept, also from a 409's sentMessages")
			}
		})
	}
}
