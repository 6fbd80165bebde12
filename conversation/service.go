package conversation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

//go:generate go tool mockgen -typed -destination ../internal/mocks/conversationmock/conversation.go -package conversationmock . Notifier

// Errors of Reply. Each is wrapped with details; compare with errors.Is.
var (
	// ErrChannelInactive: the channel is deactivated (FEATURES F4); nothing is sent.
	ErrChannelInactive = errors.New("conversation: the channel is deactivated")
	// ErrUnfollowed: the contact blocked (unfollowed) the account, which can no longer send to them.
	ErrUnfollowed = errors.New("conversation: the contact has blocked the account and cannot be sent to")
	// ErrEmptyReply: the reply has nothing that can be sent.
	ErrEmptyReply = errors.New("conversation: the reply has nothing to send")
)

// Adapters gives the channel.Adapter of a connected channel, built from its stored credentials. It must be
// safe for concurrent use; it should return the same adapter for the same channel (adapters hold tokens).
type Adapters interface {
	Adapter(ctx context.Context, ch store.Channel) (channel.Adapter, error)
}

// AdapterMap is an Adapters keyed by channel ID, for tests and fixed deployments.
type AdapterMap map[string]channel.Adapter

// Adapter implements Adapters.
func (m AdapterMap) Adapter(_ context.Context, ch store.Channel) (channel.Adapter, error) {
	if a, ok := m[ch.ID]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("conversation: no adapter for channel %s: %w", ch.ID, store.ErrNotFound)
}

// Options configures a Service. The zero value (or nil) means the defaults.
type Options struct {
	// Now is the clock of every time rule (reply window, token freshness, backoff). nil means time.Now.
	Now func() time.Time
	// Logger receives operational records, never message content or profile data. nil discards.
	Logger *slog.Logger
	// OnError receives errors that have no caller: background profile fetches, notifications, media
	// hooks. nil logs them (their category only) at warning level.
	OnError func(error)
	// Assigner picks owners for conversations with unregistered senders (usually assign.Strategies over
	// the channels' rules). nil assigns nobody automatically.
	Assigner assign.Assigner
	// Notifier receives new-message signals. nil sends none.
	Notifier Notifier
	// Policies are the reply-window policies by channel kind; a kind without one gets Window{LINEWindow}.
	Policies map[string]Policy
	// Fields fills templates' merge fields; nil means BasicFields.
	Fields FieldSource
	// Media is called, in the background, for every new inbound image, video, audio clip or file, e.g. to
	// download it before the channel discards it. nil does nothing.
	Media func(ctx context.Context, m store.Message) error
	// DedupTTL is how long an event ID is remembered (default 7 days: channels redeliver for far less).
	DedupTTL time.Duration
	// ReplyTokenTTL is how long after its event a reply token is used (default 50s: LINE's expire after
	// about a minute).
	ReplyTokenTTL time.Duration
	// Outbox tunes delivery.
	Outbox OutboxOptions
	// Background is the size of the queue of background work (profile fetches, media hooks) that Run
	// executes (default 1024). When it is full, a profile is fetched with the contact's next message.
	Background int
}

// OutboxOptions tunes delivery of queued sends.
type OutboxOptions struct {
	Lease       time.Duration // how long a claim lasts (default 30s)
	Batch       int           // items claimed at once (default 16)
	MaxAttempts int           // attempts before a retryable failure becomes final (default 8)
	BaseBackoff time.Duration // first retry delay, doubled each attempt, with jitter (default 1s)
	MaxBackoff  time.Duration // longest retry delay (default 5m)
	Poll        time.Duration // RunOutbox's wait when nothing is due (default 1s)
	// Deferred leaves delivery to RunOutbox: Reply only writes to the outbox. By default Reply also
	// delivers at once.
	Deferred bool
}

// Service is what a CRM calls: Ingest for webhooks, Reply for agents, Run for background work. It is safe
// for concurrent use; several Services (in several processes) may share one store.
type Service struct {
	store    store.Store
	adapters Adapters
	o        Options
	log      *slog.Logger
	work     chan func(context.Context)
	wake     chan struct{}
}

// New returns a Service over s, reaching channels through adapters.
func New(s store.Store, adapters Adapters, opts *Options) (*Service, error) {
	if s == nil || adapters == nil {
		return nil, errors.New("conversation: New needs a store and the channels' adapters")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Fields == nil {
		o.Fields = BasicFields{}
	}
	if o.DedupTTL <= 0 {
		o.DedupTTL = 7 * 24 * time.Hour
	}
	if o.ReplyTokenTTL <= 0 {
		o.ReplyTokenTTL = 50 * time.Second
	}
	if o.Background <= 0 {
		o.Background = 1024
	}
	ob := &o.Outbox
	ob.Lease = orDefault(ob.Lease, 30*time.Second)
	ob.Batch = orDefault(ob.Batch, 16)
	ob.MaxAttempts = orDefault(ob.MaxAttempts, 8)
	ob.BaseBackoff = orDefault(ob.BaseBackoff, time.Second)
	ob.MaxBackoff = orDefault(ob.MaxBackoff, 5*time.Minute)
	ob.Poll = orDefault(ob.Poll, time.Second)
	svc := &Service{store: s, adapters: adapters, o: o, log: o.Logger,
		work: make(chan func(context.Context), o.Background), wake: make(chan struct{}, 1)}
	if svc.o.OnError == nil {
		svc.o.OnError = func(err error) {
			svc.log.Warn("conversation: background work failed", slog.String("error_category", category(err)))
		}
	}
	return svc, nil
}

// orDefault returns v, or def when v is not positive.
func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// category names an error for logs without its text, which may hold personal data.
func category(err error) string {
	if c := channel.Category(err); c != nil {
		return c.Error()
	}
	for _, c := range []error{store.ErrNotFound, store.ErrConflict, store.ErrAlreadyExists, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, c) {
			return c.Error()
		}
	}
	return "other"
}

func (s *Service) policy(kind string) Policy {
	if p, ok := s.o.Policies[kind]; ok {
		return p
	}
	return Window{Length: LINEWindow}
}

// background queues work for Run; it reports false when the queue is full.
func (s *Service) background(f func(context.Context)) bool {
	select {
	case s.work <- f:
		return true
	default:
		return false
	}
}

// Run does the Service's background work until ctx ends: it delivers the outbox (RunOutbox) and runs
// queued profile fetches and media hooks. Run it in one goroutine per process; it returns ctx's error.
func (s *Service) Run(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.RunOutbox(ctx) }()
	for {
		select {
		case f := <-s.work:
			f(ctx)
		case <-ctx.Done():
			<-done
			return ctx.Err()
		}
	}
}

// Flush runs the background work queued so far, in the caller's goroutine. Tests and one-shot tools use
// it instead of Run.
func (s *Service) Flush(ctx context.Context) {
	for {
		select {
		case f := <-s.work:
			f(ctx)
		default:
			return
		}
	}
}
