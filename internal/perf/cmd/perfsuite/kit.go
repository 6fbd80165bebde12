package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/internal/perf/loadgen"
	"github.com/msgkit/msgkit/store"
)

// secret is the channel secret of every figure's LINE channel; bot its bot user ID (the bodies'
// destination).
const (
	secret = "perfsuite-channel-secret"
	bot    = "U0123456789abcdef0123456789abcdef" // linetest.DefaultBotUserID: the fake's connector learns it
)

// agents is the round-robin pool of msgkit and of the peer.
var agents = []string{"agent-1", "agent-2", "agent-3"}

// kit is msgkit's in-process webhook path on a store: channel.Handler, the LINE adapter,
// Service.Receive, and Service.Flush for the jobs the events recorded (routing round robin over agents,
// notifying a Notifier that does nothing, fetching a new sender's profile from an adapter that answers at
// once, so that no network time is counted).
type kit struct {
	s   store.Store
	ch  store.Channel
	svc *conversation.Service
	h   http.Handler

	mu   sync.Mutex
	errs []error // from Options.OnError: jobs that failed
}

// instantProfiles is the LINE adapter with a profile lookup that answers at once.
type instantProfiles struct{ *line.Adapter }

func (instantProfiles) Profile(_ context.Context, p channel.Peer) (channel.Profile, error) {
	return channel.Profile{UserID: p.UserID, DisplayName: "Customer"}, nil
}

type nopNotifier struct{}

func (nopNotifier) NewMessage(context.Context, conversation.Notification) error { return nil }

// kitOptions tunes newKit.
type kitOptions struct {
	roundRobin bool
	jobs       conversation.JobOptions
	channel    *store.Channel // an existing channel to serve (several instances on one database)
	adapter    channel.Adapter
}

// newKit connects a LINE channel on s (or serves o.channel) with msgkit's webhook path.
func newKit(ctx context.Context, s store.Store, o kitOptions) (*kit, error) {
	k := &kit{s: s}
	co := &conversation.Options{Notifier: nopNotifier{}, Jobs: o.jobs, OnError: func(err error) {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.errs = append(k.errs, err)
	}}
	if o.roundRobin {
		rr, err := assign.NewRoundRobin(&assign.MemoryDirectory{})
		if err != nil {
			return nil, err
		}
		co.Assigner = assign.Strategies{assign.StrategyRoundRobin: rr}
	}
	if o.channel != nil {
		k.ch = *o.channel
	} else {
		ch := store.Channel{Kind: line.Kind, ExternalID: fmt.Sprint(time.Now().UnixNano()), Active: true}
		if o.roundRobin {
			ch.Assignment = store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: agents}
		}
		var err error
		if k.ch, err = s.CreateChannel(ctx, ch); err != nil {
			return nil, err
		}
	}
	a := o.adapter
	if a == nil {
		la, err := line.New(line.Config{ChannelSecret: secret, AccessToken: "t", BotUserID: bot}, nil)
		if err != nil {
			return nil, err
		}
		a = instantProfiles{la}
	}
	var err error
	if k.svc, err = conversation.New(s, conversation.AdapterMap{k.ch.ID: a}, co); err != nil {
		return nil, err
	}
	if k.h, err = channel.NewHandler(k.ch.ID, a, k.svc.Receive, nil); err != nil {
		return nil, err
	}
	return k, nil
}

// failed returns the first job error, if any.
func (k *kit) failed() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.errs) > 0 {
		return fmt.Errorf("a job failed: %w", k.errs[0])
	}
	return nil
}

// post delivers a webhook, then runs the jobs it caused, and returns the time of each.
func (k *kit) post(ctx context.Context, body []byte) (ingest, jobs time.Duration, err error) {
	if ingest, err = serve(k.h, body); err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	if _, err = k.svc.Flush(ctx); err != nil {
		return 0, 0, err
	}
	return ingest, time.Since(t0), k.failed()
}

// request is a signed webhook request for body.
func request(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	r.Header.Set(loadgen.SignatureHeader, loadgen.Sign(secret, body))
	return r
}

// serve delivers a webhook to h in-process and returns how long h took to answer it.
func serve(h http.Handler, body []byte) (time.Duration, error) {
	w, r := httptest.NewRecorder(), request(body)
	t0 := time.Now()
	h.ServeHTTP(w, r)
	d := time.Since(t0)
	if w.Code != http.StatusOK {
		return d, fmt.Errorf("webhook answered %d", w.Code)
	}
	return d, nil
}
