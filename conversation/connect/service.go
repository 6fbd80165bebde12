package connect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// Errors of the Service. Each is wrapped with details; compare with errors.Is.
var (
	// ErrNotAllowed: the host's Gate refused the connection (FEATURES F22); the error says why.
	ErrNotAllowed = errors.New("connect: connecting this channel is not available")
	// ErrAlreadyConnected: the account is connected already, as the *AlreadyConnectedError names.
	ErrAlreadyConnected = errors.New("connect: the account is already connected")
	// ErrDisconnected: the channel was disconnected; connect it again.
	ErrDisconnected = errors.New("connect: the channel is disconnected")
)

// AlreadyConnectedError names the channel an account is connected as already.
type AlreadyConnectedError struct {
	Existing store.Channel // credentials masked
}

// Error names the existing channel.
func (e *AlreadyConnectedError) Error() string {
	return fmt.Sprintf("connect: this %s account is already connected as channel %q (%s)", e.Existing.Kind, e.Existing.Name, e.Existing.ID)
}

// Unwrap returns ErrAlreadyConnected.
func (e *AlreadyConnectedError) Unwrap() error { return ErrAlreadyConnected }

// Gate is the host's say on whether an account may be connected (FEATURES F22): its plan, region, seat
// count. It must be safe for concurrent use.
type Gate interface {
	// Allow returns nil when an account of kind may be connected now, or an error whose text says why
	// not, in words the administrator sees.
	Allow(ctx context.Context, kind string) error
}

// GateFunc adapts a function to a Gate.
type GateFunc func(ctx context.Context, kind string) error

// Allow implements Gate.
func (f GateFunc) Allow(ctx context.Context, kind string) error { return f(ctx, kind) }

// Eraser erases a channel with everything kept of it, in the store and outside it: the
// conversation.Service is one, which deletes the channel's files from its blob store too. It must be
// safe for concurrent use.
type Eraser interface {
	// EraseChannel deletes the channel id and everything kept of it, or returns store.ErrNotFound.
	EraseChannel(ctx context.Context, id string) error
}

// Options configures a Service. WebhookURL is required.
type Options struct {
	// WebhookURL returns the URL the channel must send channelID's webhooks to: the host's public base
	// URL and route (see Service.Webhooks). The settings check compares it with the account's.
	WebhookURL func(channelID string) string
	// Gate decides whether an account may be connected. nil allows every one.
	Gate Gate
	// CheckEvery is how often Run checks every active channel's settings again (default 6h; negative:
	// never).
	CheckEvery time.Duration
	// OnChange is told what a check found changed since the previous one (nil: nobody is).
	OnChange func(ctx context.Context, channelID string, changes []Change)
	// Eraser erases the channels Disconnect erases. nil deletes their rows from the store only
	// (store.Channels.DeleteChannel): a host whose conversation.Service keeps files
	// (conversation.Options.Files.Store) sets it to that Service, so that the files go too.
	Eraser Eraser
	// Now is the clock. nil means time.Now.
	Now func() time.Time
	// Logger receives operational records, never credentials or personal data. nil discards.
	Logger *slog.Logger
}

// Service connects messenger accounts and keeps them healthy (FEATURES F1–F4, F21–F23): connect with
// the host's gate and the channel's verdict on the credentials, settings checks an administrator can act
// on, deactivation, disconnection, credential changes, quota and entry points. Credentials are stored
// sealed, and no read returns them.
//
// A Service is safe for concurrent use; several (in several processes) may share one store.
type Service struct {
	store store.Store
	reg   *Registry
	o     Options
	log   *slog.Logger

	mu       sync.Mutex
	failures map[string]*atomic.Int64 // channel ID → signature failures seen by this process
}

// New returns a Service that keeps channels in s and reaches them through reg's connectors.
func New(s store.Store, reg *Registry, opts *Options) (*Service, error) {
	if s == nil || reg == nil {
		return nil, errors.New("connect: New needs a store and a registry")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.WebhookURL == nil {
		return nil, errors.New("connect: Options.WebhookURL is required: it is the URL the channels must call")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CheckEvery == 0 {
		o.CheckEvery = 6 * time.Hour
	}
	return &Service{store: s, reg: reg, o: o, log: o.Logger, failures: map[string]*atomic.Int64{}}, nil
}

// Request is what an administrator enters to connect an account.
type Request struct {
	Kind string // the channel kind, e.g. "line"
	Name string // the administrator's name for the channel
	// Credentials are the kind's credentials (LINE: channel ID and secret, and an access token or none).
	Credentials channel.Credentials
	// Assignment is the channel's rule for assigning new conversations (FEATURES F6).
	Assignment store.AssignmentRule
}

// Connected is a connected channel, its webhook URL and its settings checklist.
type Connected struct {
	Channel    store.Channel // credentials masked
	WebhookURL string
	Checks     []channel.SettingCheck
}

// Connect connects an account (FEATURES F1, F2, F22). In order, it asks the host's Gate (refusing with
// its reason, wrapped in ErrNotAllowed, before any network call); has the channel check the credentials
// (a *channel.CredentialError names the one it refused; ErrUnavailable when it could not be reached);
// stores the channel, with the account's details and its credentials sealed, refusing an account that is
// connected already (*AlreadyConnectedError); and runs the settings check. The check's problems do not
// fail Connect: the administrator can finish with warnings and fix them later.
func (s *Service) Connect(ctx context.Context, r Request) (Connected, error) {
	c, err := s.reg.connector(r.Kind)
	if err != nil {
		return Connected{}, err
	}
	if s.o.Gate != nil {
		if err := s.o.Gate.Allow(ctx, r.Kind); err != nil {
			return Connected{}, fmt.Errorf("%w: %w", ErrNotAllowed, err)
		}
	}
	conn, err := c.Verify(ctx, r.Credentials)
	if err != nil {
		return Connected{}, err
	}
	if existing, err := s.byAccount(ctx, r.Kind, conn.ExternalID); err == nil {
		return Connected{}, &AlreadyConnectedError{Existing: mask(existing)}
	}
	chID := id.New()
	sealed, err := s.reg.seal(ctx, chID, conn.Credentials)
	if err != nil {
		return Connected{}, err
	}
	ch, err := s.store.CreateChannel(ctx, store.Channel{ID: chID, Name: r.Name, Kind: r.Kind, ExternalID: conn.ExternalID,
		Credentials: sealed, Account: conn.Account, Active: true, Assignment: r.Assignment})
	if errors.Is(err, store.ErrAlreadyExists) { // connected concurrently
		if existing, ferr := s.byAccount(ctx, r.Kind, conn.ExternalID); ferr == nil {
			return Connected{}, &AlreadyConnectedError{Existing: mask(existing)}
		}
	}
	if err != nil {
		return Connected{}, err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "connect: channel connected", slog.String("channel_id", ch.ID), slog.String("kind", ch.Kind))
	h, err := s.Check(ctx, ch.ID)
	if err != nil {
		return Connected{}, err
	}
	ch, err = s.store.GetChannel(ctx, ch.ID)
	return Connected{Channel: mask(ch), WebhookURL: s.o.WebhookURL(ch.ID), Checks: h.Checks}, err
}

// byAccount finds the channel of kind whose account is externalID.
func (s *Service) byAccount(ctx context.Context, kind, externalID string) (store.Channel, error) {
	if externalID == "" {
		return store.Channel{}, store.ErrNotFound
	}
	all, err := s.store.ListChannels(ctx)
	if err != nil {
		return store.Channel{}, err
	}
	for _, ch := range all {
		if ch.Kind == kind && ch.ExternalID == externalID {
			return ch, nil
		}
	}
	return store.Channel{}, store.ErrNotFound
}

// Get returns the channel id, credentials masked.
func (s *Service) Get(ctx context.Context, id string) (store.Channel, error) {
	ch, err := s.store.GetChannel(ctx, id)
	return mask(ch), err
}

// List returns every channel, oldest first, credentials masked.
func (s *Service) List(ctx context.Context) ([]store.Channel, error) {
	all, err := s.store.ListChannels(ctx)
	for i := range all {
		all[i] = mask(all[i])
	}
	return all, err
}

// update applies change to the stored channel id, re-reading when a concurrent update wins.
func (s *Service) update(ctx context.Context, id string, change func(*store.Channel) error) (store.Channel, error) {
	for {
		ch, err := s.store.GetChannel(ctx, id)
		if err != nil {
			return ch, err
		}
		if err := change(&ch); err != nil {
			return ch, err
		}
		ch, err = s.store.UpdateChannel(ctx, ch)
		if !errors.Is(err, store.ErrConflict) {
			return ch, err
		}
		if err := ctx.Err(); err != nil {
			return ch, err
		}
	}
}
