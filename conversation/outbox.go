package conversation

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// RunOutbox delivers queued sends until ctx ends, including those a crashed process left behind: every
// item keeps its retry key, so the channel delivers it once however often it is tried. Claims are leased,
// so any number of RunOutbox loops, in any number of processes, never send one item at the same time.
// It returns ctx's error.
func (s *Service) RunOutbox(ctx context.Context) error {
	for {
		n, err := s.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.o.OnError(err)
		}
		if n > 0 {
			continue
		}
		t := time.NewTimer(s.o.Outbox.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// nudge wakes RunOutbox early: something was queued.
func (s *Service) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// DeliverDue claims the sends that are due and delivers them, once each, and returns how many it handled.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	items, err := s.store.ClaimOutbox(ctx, s.o.Outbox.Batch, s.o.Outbox.Lease)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, it := range items {
		if err := s.deliver(ctx, it); err != nil {
			errs = append(errs, err)
		}
	}
	return len(items), errors.Join(errs...)
}

// deliver sends one claimed item and records the outcome on the item and its messages. The item's
// messages go out in order, in calls of at most the channel's MaxMessages; call n carries the retry key
// id.Derive(item key, n), so a retry resends only the calls not yet accepted, each under its own key.
func (s *Service) deliver(ctx context.Context, it store.OutboxItem) error {
	ch, err := s.store.GetChannel(ctx, it.ChannelID)
	if err != nil {
		return s.retry(ctx, it, err)
	}
	if !ch.Active {
		return s.fail(ctx, it, "not sent: the channel was deactivated")
	}
	adapter, err := s.adapters.Adapter(ctx, ch)
	if err != nil {
		return s.retry(ctx, it, err)
	}
	per := max(limitsOf(adapter).MaxMessages, 1)
	for n, start := 0, 0; start < len(it.MessageIDs); n, start = n+1, start+per {
		msgs, err := s.loadMessages(ctx, it.MessageIDs[start:min(start+per, len(it.MessageIDs))])
		if err != nil {
			return s.retry(ctx, it, err)
		}
		if allSent(msgs) {
			continue // accepted on an earlier attempt
		}
		opt := channel.SendOptions{RetryKey: id.Derive(it.RetryKey, n)}
		if n == 0 && it.ReplyToken != "" && it.Attempts == 1 {
			opt.ReplyToken = it.ReplyToken
		}
		res, err := s.send(ctx, adapter, it.To, msgs, opt)
		switch {
		case err == nil:
			s.markSent(ctx, msgs, res)
		case channel.IsRetryable(err):
			return s.retry(ctx, it, err)
		default:
			return s.fail(ctx, it, "not sent: "+reason(err))
		}
	}
	return s.store.CompleteOutbox(ctx, it.ID, it.Lease)
}

// retry schedules the item's next attempt after a failure that may pass (the channel's, or the store's),
// until MaxAttempts; then the item fails for good.
func (s *Service) retry(ctx context.Context, it store.OutboxItem, err error) error {
	if it.Attempts >= s.o.Outbox.MaxAttempts {
		return s.fail(ctx, it, fmt.Sprintf("not sent after %d attempts: %s", it.Attempts, reason(err)))
	}
	at := s.o.Now().Add(s.backoff(it.Attempts, channel.RetryAfter(err)))
	return errors.Join(err, s.store.RetryOutbox(ctx, it.ID, it.Lease, at, reason(err)))
}

// send makes one channel call; an expired or used reply token falls back to a push, once, with the same
// retry key.
func (s *Service) send(ctx context.Context, a channel.Adapter, to channel.Peer, msgs []store.Message, opt channel.SendOptions) (channel.SendResult, error) {
	contents := make([]channel.Message, len(msgs))
	for i, m := range msgs {
		contents[i] = m.Content
	}
	res, err := a.Send(ctx, to, contents, opt)
	if opt.ReplyToken != "" && errors.Is(err, channel.ErrReplyTokenInvalid) {
		opt.ReplyToken = ""
		res, err = a.Send(ctx, to, contents, opt)
	}
	return res, err
}

func (s *Service) loadMessages(ctx context.Context, ids []string) ([]store.Message, error) {
	msgs := make([]store.Message, len(ids))
	for i, mid := range ids {
		m, err := s.store.GetMessage(ctx, mid)
		if err != nil {
			return nil, err
		}
		msgs[i] = m
	}
	return msgs, nil
}

func allSent(msgs []store.Message) bool {
	for _, m := range msgs {
		if m.Status != store.StatusSent {
			return false
		}
	}
	return true
}

// markSent records an accepted call on its messages: sent, free or billable, with the channel's IDs.
func (s *Service) markSent(ctx context.Context, msgs []store.Message, res channel.SendResult) {
	how := "sent as a reply (free)"
	if res.Billable {
		how = "sent as a push (counts against the message quota)"
	}
	for i, m := range msgs {
		channelID := ""
		if i < len(res.MessageIDs) {
			channelID = res.MessageIDs[i]
		}
		s.updateMessage(ctx, m.ID, func(m *store.Message) {
			m.Status, m.Billable, m.ChannelMessageID = store.StatusSent, res.Billable, channelID
			m.StatusDetail = join(m.StatusDetail, how)
		})
	}
}

// fail ends an item for good and marks its messages not sent yet failed, with why.
func (s *Service) fail(ctx context.Context, it store.OutboxItem, why string) error {
	for _, mid := range it.MessageIDs {
		s.updateMessage(ctx, mid, func(m *store.Message) {
			if m.Status != store.StatusSent {
				m.Status, m.StatusDetail = store.StatusFailed, join(m.StatusDetail, why)
			}
		})
	}
	return s.store.FailOutbox(ctx, it.ID, it.Lease, why)
}

// updateMessage applies change to a stored message, re-reading on a version conflict.
func (s *Service) updateMessage(ctx context.Context, id string, change func(*store.Message)) {
	for range 3 {
		m, err := s.store.GetMessage(ctx, id)
		if err != nil {
			s.o.OnError(err)
			return
		}
		change(&m)
		_, err = s.store.UpdateMessage(ctx, m)
		if !errors.Is(err, store.ErrConflict) {
			if err != nil {
				s.o.OnError(err)
			}
			return
		}
	}
}

// backoff is the delay before retry attempt n+1: exponential with full jitter, at least what the channel
// asked for.
func (s *Service) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := s.o.Outbox.BaseBackoff << min(attempt-1, 30)
	if d <= 0 || d > s.o.Outbox.MaxBackoff {
		d = s.o.Outbox.MaxBackoff
	}
	d = d/2 + rand.N(d/2+1) // jitter: spread retries so instances do not retry in step
	return max(d, retryAfter)
}

// reason describes a send failure for agents and logs: the channel's category and status, never the
// request's content.
func reason(err error) string {
	var apiErr *channel.APIError
	switch {
	case errors.Is(err, channel.ErrQuotaExceeded):
		return "the channel's monthly message quota is used up"
	case errors.Is(err, channel.ErrUnauthorized):
		return "the channel refused the credentials; check the channel's settings"
	case errors.As(err, &apiErr):
		return fmt.Sprintf("%s (status %d)", category(err), apiErr.Status)
	}
	return category(err)
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
