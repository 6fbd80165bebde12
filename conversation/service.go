package conversation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/linking"
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
	// ErrReplyTooLarge: the reply would make more messages than one reply may (Options.MaxReplyParts).
	ErrReplyTooLarge = errors.New("conversation: the reply is too large")
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
	// The store must keep the same time: the leases of the jobs a Service records for itself are times
	// on this clock, and the store judges them on its own.
	Now func() time.Time
	// Logger receives operational records, never message content or profile data. nil discards.
	Logger *slog.Logger
	// OnError receives errors that have no caller: jobs that fail or are given up. nil logs them (their
	// category only) at warning level.
	OnError func(error)
	// Assigner picks owners for conversations with unregistered senders (usually assign.Strategies over
	// the channels' rules). nil assigns nobody automatically.
	Assigner assign.Assigner
	// Notifier receives signals: new messages, assignments, snoozes that ended. nil sends none; the
	// users' notification lists (Service.Notifications) are kept either way.
	Notifier Notifier
	// Policies are the reply-window policies by channel kind. A kind without one gets the policy its
	// adapter's channel.Rules state (PolicyFor); an adapter that states none, no window.
	Policies map[string]Policy
	// Fields fills templates' merge fields; nil means RecordFields over Records when it is set, else
	// BasicFields.
	Fields FieldSource
	// Records is the host CRM's records: {{record.name}} and the record's own fields come from it.
	Records linking.Records
	// Files is where file content is kept (re-hosted attachments, copies of inbound media) and where
	// attachments named by source come from. The zero value keeps none.
	Files Files
	// Media is called by Run, at least once (retried until it succeeds or Jobs.RetryFor passes), for
	// every new inbound image, video, audio clip or file: with Files.Store set, after msgkit's copy of it
	// is ready (the message's MediaCopy says where; a copy that fails for good is not reported here but
	// on the message and to OnError); without, as soon as the message is stored, for a host that keeps
	// media itself. nil does nothing.
	Media func(ctx context.Context, m store.Message) error
	// ReplyTokenTTL is how long after its event a reply token is used; 0 means what the channel's
	// adapter states (channel.Rules; LINE: 50s, as its tokens expire after about a minute).
	ReplyTokenTTL time.Duration
	// Archive keeps the verified body of every accepted webhook for this long, so Replay can re-ingest a
	// time range. 0 (the default) keeps none.
	Archive time.Duration
	// Batch is how many events of one webhook are stored per transaction (default 100).
	Batch int
	// Jobs tunes Run, which does the work recorded with each event and reply.
	Jobs JobOptions
	// DeferDelivery leaves every send to Run: Reply only records it. By default Reply also delivers its
	// own parts at once.
	DeferDelivery bool
	// FailWhileInactive fails the sends of a deactivated channel for good. By default they are held, and
	// go out once the channel is active again (while their reply token lasts, as replies).
	FailWhileInactive bool
	// MaxReplyParts bounds one Reply: a reply that would make more messages is refused with ErrReplyTooLarge
	// before anything is stored. 0 means the channel's per-request maximum (LINE: 5), so one reply is one
	// request.
	MaxReplyParts int
	// IdempotencyTTL is how long a Reply's IdempotencyKey is remembered (default 24h).
	IdempotencyTTL time.Duration
}

// JobOptions tunes the durable background work that Run executes: routing and notifying after inbound
// messages, profile fetches, media hooks, deliveries.
type JobOptions struct {
	// Lease is how long a claim lasts; a job running longer may run again elsewhere, and one whose lease
	// lapsed before it started is left to a new claim (default 1m). The routing and profile jobs a
	// Service records for itself when its own events cause them have a lease of 15s (or Lease, if
	// shorter): see Run.
	Lease   time.Duration
	Batch   int // jobs claimed at once (default 16)
	Workers int // jobs run at once by one Run (default 4)
	// Poll is Run's wait when nothing is due and nothing woke it (default 1s), and the longest a job
	// due for any Run that nothing announced (another instance's, on a store that cannot wake Run)
	// waits while Run is busy with the jobs of this Service's own events.
	Poll time.Duration
	// BaseBackoff is the first retry delay, doubled each attempt with jitter, up to MaxBackoff (defaults
	// 1s and 5m); a channel's Retry-After is honoured.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// RetryFor is how long a job that keeps failing with errors that may pass is retried, counted from
	// when it was recorded (default 2h: long enough to ride out an hour's outage). Sends are never retried
	// past 24h, for which LINE honours a retry key. Errors the channel marks permanent end a job at once.
	RetryFor time.Duration
	// Persist is how long the outcome of a channel call is retried in the store, through store faults,
	// before the job is left to run again (default 10s): a send whose outcome is lost this way may end up
	// uncertain.
	Persist time.Duration
	// Hold is how often a send held for a deactivated channel checks whether the channel is active again
	// (default 1m).
	Hold time.Duration
	// Keep is how long finished jobs stay listed before Run deletes them (default 7 days).
	Keep time.Duration
	// Housekeeping is how often Run deletes finished jobs and expired webhook archives (default 5m).
	Housekeeping time.Duration
}

// Service is what a CRM calls: Receive (or Ingest) for webhooks, Reply for agents, Run for the work they
// cause. It is safe for concurrent use; several Services (in several processes) may share one store.
type Service struct {
	store    store.Store
	adapters Adapters
	o        Options
	log      *slog.Logger
	kinds    map[string]jobKind
	wake     chan struct{}
	// local queues the jobs this Service recorded claimed for itself (local.go); runners counts its
	// running Runs, and flushed is set once it has Flushed: either makes it record jobs for itself.
	local   chan store.Job
	queued  atomic.Int64 // places in local taken or reserved (localBatch)
	runners atomic.Int32
	flushed atomic.Bool
	// lastClaim is when runBatch last claimed (UnixNano): it claims at least every Jobs.Poll, however
	// many jobs of its own it has. mayBeDue says that jobs may be due for any Run to claim.
	lastClaim atomic.Int64
	mayBeDue  atomic.Bool
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
	if o.Fields == nil && o.Records != nil {
		o.Fields = RecordFields{Records: o.Records}
	}
	if o.Fields == nil {
		o.Fields = BasicFields{}
	}
	if o.Archive < 0 {
		return nil, errors.New("conversation: Options.Archive must not be negative")
	}
	var err error
	if o.Files, err = o.Files.withDefaults(); err != nil {
		return nil, err
	}
	o.Batch = orDefault(o.Batch, 100)
	o.IdempotencyTTL = orDefault(o.IdempotencyTTL, 24*time.Hour)
	j := &o.Jobs
	j.Lease = orDefault(j.Lease, time.Minute)
	j.Batch = orDefault(j.Batch, 16)
	j.Workers = orDefault(j.Workers, 4)
	j.Poll = orDefault(j.Poll, time.Second)
	j.BaseBackoff = orDefault(j.BaseBackoff, time.Second)
	j.MaxBackoff = orDefault(j.MaxBackoff, 5*time.Minute)
	j.RetryFor = orDefault(j.RetryFor, 2*time.Hour)
	j.Keep = orDefault(j.Keep, 7*24*time.Hour)
	j.Hold = orDefault(j.Hold, time.Minute)
	j.Persist = orDefault(j.Persist, 10*time.Second)
	j.Housekeeping = orDefault(j.Housekeeping, 5*time.Minute)
	svc := &Service{store: s, adapters: adapters, o: o, log: o.Logger, wake: make(chan struct{}, 1),
		local: make(chan store.Job, localQueueSize)}
	if svc.o.OnError == nil {
		svc.o.OnError = func(err error) {
			svc.log.Warn("conversation: background work failed", slog.String("error_category", category(err)))
		}
	}
	svc.kinds = svc.jobKinds()
	return svc, nil
}

// orDefault returns v, or def when v is not positive.
func orDefault[T int | int64 | time.Duration](v, def T) T {
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

// policy returns the reply policy of ch, served by a.
func (s *Service) policy(ch store.Channel, a channel.Adapter) Policy {
	if p, ok := s.o.Policies[ch.Kind]; ok {
		return p
	}
	r, _ := channel.RulesOf(a)
	return PolicyFor(r)
}

// tokenTTL returns how long a reply token of ch is used.
func (s *Service) tokenTTL(a channel.Adapter) time.Duration {
	if s.o.ReplyTokenTTL > 0 {
		return s.o.ReplyTokenTTL
	}
	r, _ := channel.RulesOf(a)
	return r.ReplyTokenTTL
}
