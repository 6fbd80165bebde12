package conversation_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// fixture is a service on memstore with one active LINE-like channel served by a Fake, assigning round
// robin over alice and bob.
type fixture struct {
	s     *memstore.Store
	fake  *channeltest.Fake
	ch    store.Channel
	svc   *conversation.Service
	clock *clock
	dir   *assign.MemoryDirectory
	errs  *[]error
	seq   *int
	opts  *conversation.Options
}

func newFixture(t *testing.T, tweak func(*conversation.Options)) fixture {
	t.Helper()
	c := &clock{now: t0}
	s := memstore.New(&memstore.Options{Now: c.Now})
	ch, err := s.CreateChannel(t.Context(), store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1650000000", Active: true,
		Assignment: store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: []string{"alice", "bob"}}})
	require.NoError(t, err)
	fake := channeltest.NewFake(nil)
	dir := &assign.MemoryDirectory{}
	rr, err := assign.NewRoundRobin(dir)
	require.NoError(t, err)
	var errs []error
	var mu sync.Mutex
	o := &conversation.Options{
		Now:      c.Now,
		Assigner: assign.Strategies{assign.StrategyRoundRobin: rr},
		OnError:  func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() },
		Jobs:     conversation.JobOptions{BaseBackoff: time.Second, MaxBackoff: time.Minute},
	}
	if tweak != nil {
		tweak(o)
	}
	svc, err := conversation.New(s, conversation.AdapterMap{ch.ID: fake}, o)
	require.NoError(t, err)
	return fixture{s: s, fake: fake, ch: ch, svc: svc, clock: c, dir: dir, errs: &errs, seq: new(int), opts: o}
}

// useAdapter serves the fixture's channel with f instead.
func (fx *fixture) useAdapter(t *testing.T, f *channeltest.Fake) {
	t.Helper()
	svc, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: f}, fx.opts)
	require.NoError(t, err)
	fx.fake, fx.svc = f, svc
}

// text is a message event from user, at the fixture's clock, with a reply token.
func (fx fixture) text(user, body string) channel.Event {
	*fx.seq++
	n := *fx.seq
	m := channel.Text(body)
	m.ID = fmt.Sprint("line-msg-", n)
	return channel.Event{ID: fmt.Sprint("ev-", n), Kind: channel.EventMessage, Type: "message", Time: fx.clock.Now(),
		Mode: channel.ModeActive, Source: channel.User(user), ReplyToken: fmt.Sprint("rt-", n), Message: &m}
}

// ingest stores events as a webhook would, then does the work they caused, as Run would.
func (fx fixture) ingest(t *testing.T, events ...channel.Event) {
	t.Helper()
	require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, events))
	fx.flush(t)
}

// flush runs the jobs that are due.
func (fx fixture) flush(t *testing.T) int {
	t.Helper()
	n, err := fx.svc.Flush(t.Context())
	require.NoError(t, err)
	return n
}

// conversationWith returns the conversation with a user peer.
func (fx fixture) conversationWith(t *testing.T, user string) store.Conversation {
	t.Helper()
	list, _, err := fx.s.ListConversations(t.Context(), store.View{}, store.Page{Limit: store.MaxLimit})
	require.NoError(t, err)
	for _, e := range list {
		if e.Conversation.Peer.ID == user {
			return e.Conversation
		}
	}
	t.Fatalf("no conversation with %s", user)
	return store.Conversation{}
}

func (fx fixture) messages(t *testing.T, convID string) []store.Message {
	t.Helper()
	list, _, err := fx.s.ListMessages(t.Context(), convID, store.Page{Limit: store.MaxLimit, Order: store.OldestFirst})
	require.NoError(t, err)
	return list
}

func lineSignature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
