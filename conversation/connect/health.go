package connect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// Health is what a settings check found (FEATURES F3 and beyond): the checklist, what changed since the
// previous check, and how the channel is doing.
type Health struct {
	Checks    []channel.SettingCheck
	CheckedAt time.Time
	// Changes are the items whose status changed since the previous check (every item on a first check).
	Changes []Change
	// SignatureFailures counts webhooks this process refused for their signature since it started: a
	// spike means a wrong or rotated secret.
	SignatureFailures int64
	// QuotaExceededAt is when a send last failed because the message quota was used up (zero: it has not,
	// or a send succeeded since).
	QuotaExceededAt time.Time
}

// Problems returns the items that need the administrator: problems, and items that could not be checked.
func (h Health) Problems() []channel.SettingCheck {
	return slices.DeleteFunc(slices.Clone(h.Checks), func(c channel.SettingCheck) bool {
		return c.Status == channel.CheckOK || c.Status == channel.CheckManual
	})
}

// Change is one checklist item whose status changed.
type Change struct {
	ID, Title string
	From, To  channel.CheckStatus // From is empty on a first check
	Detail    string              // what the item says now
}

// checkUnreachable is the item a check reports when the channel could not be asked at all.
const checkUnreachable = "channel.reachable"

// Check runs the channel's settings check again and records it (FEATURES F3): an item per setting, in
// words an administrator can act on — what is checked automatically, what failed, and what the channel's
// API cannot see and must be confirmed by hand. It reports what changed since the previous check. A
// channel that cannot be reached, or refuses the credentials, is one failed item, not an error.
func (s *Service) Check(ctx context.Context, id string) (Health, error) {
	ch, err := s.store.GetChannel(ctx, id)
	if err != nil {
		return Health{}, err
	}
	if !ch.DisconnectedAt.IsZero() {
		return Health{}, fmt.Errorf("%w: %s", ErrDisconnected, ch.Name)
	}
	checks, err := s.checkSettings(ctx, ch)
	if err != nil {
		return Health{}, err
	}
	now := s.o.Now()
	var previous []channel.SettingCheck
	ch, err = s.update(ctx, id, func(c *store.Channel) error {
		previous = c.Health.Checks
		c.Health.Checks, c.Health.CheckedAt = checks, now
		return nil
	})
	if err != nil {
		return Health{}, err
	}
	h := s.health(ch)
	h.Changes = diff(previous, checks)
	return h, nil
}

// checkSettings asks the channel, folding a failure to ask into the checklist.
func (s *Service) checkSettings(ctx context.Context, ch store.Channel) ([]channel.SettingCheck, error) {
	a, err := s.reg.Adapter(ctx, ch)
	if err != nil {
		return nil, err
	}
	checks, err := channel.CheckSettings(ctx, a, channel.SettingsWant{WebhookURL: s.o.WebhookURL(ch.ID)})
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		return []channel.SettingCheck{{ID: checkUnreachable, Title: "Settings check", Status: channel.CheckManual,
			Detail: "This channel kind cannot check its settings. Confirm in its console that webhooks go to " + s.o.WebhookURL(ch.ID) + "."}}, nil
	case errors.Is(err, channel.ErrUnauthorized):
		return []channel.SettingCheck{{ID: checkUnreachable, Title: "Credentials", Status: channel.CheckProblem,
			Detail: "The channel refused the stored credentials: the token may have been revoked or the secret changed. Replace them."}}, nil
	case err != nil:
		return []channel.SettingCheck{{ID: checkUnreachable, Title: "Settings check", Status: channel.CheckFailed,
			Detail: fmt.Sprintf("The channel could not be reached (%s). Check again later.", category(err))}}, nil
	}
	return checks, nil
}

// Health returns what the last check recorded, and the channel's counts, without asking the channel.
func (s *Service) Health(ctx context.Context, id string) (Health, error) {
	ch, err := s.store.GetChannel(ctx, id)
	if err != nil {
		return Health{}, err
	}
	return s.health(ch), nil
}

func (s *Service) health(ch store.Channel) Health {
	return Health{Checks: ch.Health.Checks, CheckedAt: ch.Health.CheckedAt, QuotaExceededAt: ch.Health.QuotaExceededAt,
		SignatureFailures: s.signatureFailures(ch.ID).Load()}
}

// diff lists the items of now whose status is not what it was.
func diff(before, now []channel.SettingCheck) []Change {
	was := map[string]channel.CheckStatus{}
	for _, c := range before {
		was[c.ID] = c.Status
	}
	var out []Change
	for _, c := range now {
		if from, ok := was[c.ID]; !ok || from != c.Status {
			out = append(out, Change{ID: c.ID, Title: c.Title, From: from, To: c.Status, Detail: c.Detail})
		}
	}
	return out
}

// signatureFailures returns the counter of channel id's refused signatures.
func (s *Service) signatureFailures(id string) *atomic.Int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.failures[id]
	if !ok {
		n = new(atomic.Int64)
		s.failures[id] = n
	}
	return n
}

// Run checks every active channel's settings every Options.CheckEvery and tells Options.OnChange what
// changed, until ctx ends. It returns ctx's error.
func (s *Service) Run(ctx context.Context) error {
	if s.o.CheckEvery < 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	t := time.NewTicker(s.o.CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			s.checkAll(ctx)
		}
	}
}

// checkAll checks every active channel once.
func (s *Service) checkAll(ctx context.Context) {
	all, err := s.store.ListChannels(ctx)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "connect: listing channels to check", slog.String("error_category", category(err)))
		return
	}
	for _, ch := range all {
		if !ch.Active || !ch.DisconnectedAt.IsZero() {
			continue
		}
		h, err := s.Check(ctx, ch.ID)
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "connect: checking a channel", slog.String("channel_id", ch.ID),
				slog.String("error_category", category(err)))
			continue
		}
		if len(h.Changes) > 0 && s.o.OnChange != nil {
			s.o.OnChange(ctx, ch.ID, h.Changes)
		}
	}
}

// category names an error for logs and check details without its text.
func category(err error) string {
	if c := channel.Category(err); c != nil {
		return c.Error()
	}
	for _, c := range []error{store.ErrNotFound, store.ErrConflict, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, c) {
			return c.Error()
		}
	}
	return "other"
}
