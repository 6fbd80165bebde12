package conversation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// maxSendRetry is how long a send is retried at most: LINE honours a retry key for 24 hours.
const maxSendRetry = 24 * time.Hour

// sendJob delivers stored outbound parts, in order, in calls of at most the channel's MaxMessages. It
// keeps one retry key for its life: call n carries id.Derive(RetryKey, n), so the channel delivers each
// push once however often it is tried.
type sendJob struct {
	ChannelID      string       `json:"channelId"`
	ConversationID string       `json:"conversationId"`
	To             channel.Peer `json:"to"`
	MessageIDs     []string     `json:"messageIds"`
	// ReplyToken sends the first call as a free reply while the token is fresh (until
	// ReplyTokenExpiresAt).
	ReplyToken          string    `json:"replyToken,omitempty"`
	ReplyTokenExpiresAt time.Time `json:"replyTokenExpiresAt,omitzero"`
	RetryKey            string    `json:"retryKey"`
}

// Errors a send job's handler reports to the runner.
var (
	// errHeld: the channel is deactivated; the send waits for it (Options.FailWhileInactive unset).
	errHeld = errors.New("conversation: held while the channel is deactivated")
	// errJobDone: the handler completed the job itself, in the transaction that recorded its outcome.
	errJobDone = errors.New("conversation: job completed by its handler")
)

// runSend delivers a send job. Each call's outcome is recorded on its parts, and the last one completes
// the job, in one transaction retried until it commits. A reply token is used while it is fresh, on the
// first attempt and on retries alike; before a call with it the parts are marked sending, so that an
// attempt whose outcome is unknown (the process died, the answer was lost) is recognised: it is retried
// only with the same token, which the channel refuses once used, and never as a push, which could
// deliver it twice. When the token can no longer settle it, the parts become uncertain. A send whose
// channel was erased sends nothing and deletes its parts' files.
func (s *Service) runSend(ctx context.Context, j store.Job) error {
	var p sendJob
	if err := decode(j, &p); err != nil {
		return err
	}
	ch, err := s.store.GetChannel(ctx, p.ChannelID)
	if errors.Is(err, store.ErrNotFound) {
		return s.forgetErasedSend(ctx, p)
	}
	if err != nil {
		return err
	}
	if !ch.Active {
		if s.o.FailWhileInactive {
			return fmt.Errorf("%w: %s", ErrChannelInactive, ch.Name)
		}
		return errHeld
	}
	adapter, err := s.adapters.Adapter(ctx, ch)
	if err != nil {
		return err
	}
	rules, _ := channel.RulesOf(adapter) // a channel that states nothing promises no retry keys
	calls := slices.Collect(slices.Chunk(p.MessageIDs, max(limitsOf(adapter).MaxMessages, 1)))
	for n, ids := range calls {
		done := n == len(calls)-1 // the last call completes the job
		msgs, err := s.loadMessages(ctx, ids)
		if err != nil {
			return err
		}
		if settled(msgs) {
			continue // settled on an earlier attempt
		}
		useToken := n == 0 && p.ReplyToken != "" && s.o.Now().Before(p.ReplyTokenExpiresAt)
		// An attempt the channel cannot deduplicate (with a reply token, or any on a channel without
		// retry keys) is recorded first; one left "sending" ended without an answer and may have delivered.
		marked := useToken || !rules.RetryKeys
		unknown := hasStatus(msgs, store.StatusSending)
		if unknown && !useToken {
			why := "uncertain: an attempt to send it ended without an answer, and the channel cannot tell a repeat from a new message, so it may or may not have reached the customer; resend it if it matters"
			if rules.RetryKeys {
				why = "uncertain: an attempt to send it as a reply ended without an answer, and its reply token has expired, so it may or may not have reached the customer; resend it if it matters"
			}
			err := s.settle(ctx, j, done, msgs, store.StatusUncertain, why)
			if err != nil || done {
				return orErr(err, errJobDone)
			}
			continue
		}
		opt := channel.SendOptions{RetryKey: id.Derive(p.RetryKey, n)}
		if useToken {
			opt.ReplyToken = p.ReplyToken
		}
		if marked && !unknown {
			if err := s.setStatus(ctx, msgs, store.StatusQueued, store.StatusSending); err != nil {
				return err
			}
		}
		res, err := s.send(ctx, adapter, p.To, msgs, opt, unknown)
		switch {
		case errors.Is(err, errUsedByEarlier):
			err := s.settle(ctx, j, done, msgs, store.StatusUncertain,
				"uncertain: an attempt to send it as a reply ended without an answer, and the channel now refuses its reply token as used or expired, so that attempt has most likely reached the customer; resend it if it matters")
			if err != nil || done {
				return orErr(err, errJobDone)
			}
			continue
		case err != nil:
			if marked && !unknown && !channel.MayHaveSent(err) {
				// Known not delivered: the next attempt may push once the token has expired.
				_ = s.setStatus(ctx, msgs, store.StatusSending, store.StatusQueued)
			}
			return err
		}
		if err := s.recordSent(ctx, j, done, msgs, res); err != nil || done {
			if err == nil && res.Billable && !ch.Health.QuotaExceededAt.IsZero() {
				s.quotaState(ctx, ch.ID, time.Time{}) // pushes go through again
			}
			return orErr(err, errJobDone)
		}
	}
	return nil
}

// forgetErasedSend ends a send whose channel was erased (see EraseChannel) with its parts: nothing is
// sent, and the files re-hosted for the parts are deleted.
func (s *Service) forgetErasedSend(ctx context.Context, p sendJob) error {
	if s.o.Files.Store == nil {
		return nil
	}
	var keys []string
	for _, id := range p.MessageIDs {
		keys = append(keys, hostedKey(id), previewKey(id))
	}
	return s.deleteFiles(ctx, keys...)
}

// quotaState records on the channel when a send last failed for a used-up quota (zero: it goes through
// again), so the channel's status says so (FEATURES F21). A failure to record it is reported, not
// returned: the send's own outcome is what counts.
func (s *Service) quotaState(ctx context.Context, channelID string, at time.Time) {
	for range maxConflictRetries {
		ch, err := s.store.GetChannel(ctx, channelID)
		if err == nil && ch.Health.QuotaExceededAt.Equal(at) {
			return
		}
		if err == nil {
			ch.Health.QuotaExceededAt = at
			_, err = s.store.UpdateChannel(ctx, ch)
		}
		if !errors.Is(err, store.ErrConflict) {
			if err != nil {
				s.o.OnError(fmt.Errorf("conversation: recording the channel's quota state: %w", err))
			}
			return
		}
	}
}

// orErr returns err, or alt when err is nil.
func orErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

// errUsedByEarlier: the reply token was refused on a retry after an attempt whose outcome is unknown.
var errUsedByEarlier = errors.New("conversation: the reply token was used by an earlier attempt")

// send makes one channel call. A reply token that the channel refuses as expired or used falls back to a
// push with the same retry key, once — unless an earlier attempt with that token may have delivered.
func (s *Service) send(ctx context.Context, a channel.Adapter, to channel.Peer, msgs []store.Message, opt channel.SendOptions,
	afterUnknown bool) (channel.SendResult, error) {
	contents := make([]channel.Message, len(msgs))
	for i, m := range msgs {
		contents[i] = m.Content
	}
	res, err := a.Send(ctx, to, contents, opt)
	if opt.ReplyToken != "" && errors.Is(err, channel.ErrReplyTokenInvalid) {
		if afterUnknown {
			return res, errUsedByEarlier
		}
		opt.ReplyToken = ""
		res, err = a.Send(ctx, to, contents, opt)
	}
	return res, err
}

// recordSent records an accepted call on its messages (sent, free or billable, with the channel's IDs)
// and, when done, completes the job, in one transaction retried until it commits.
func (s *Service) recordSent(ctx context.Context, j store.Job, done bool, msgs []store.Message, res channel.SendResult) error {
	how := "sent as a reply (free)"
	if res.Billable {
		how = "sent as a push (counts against the message quota)"
	}
	return s.persist(ctx, func(ctx context.Context, tx store.Store) error {
		for i, m := range msgs {
			channelID := ""
			if i < len(res.MessageIDs) {
				channelID = res.MessageIDs[i]
			}
			err := updateMessageTx(ctx, tx, m.ID, func(m *store.Message) {
				m.Status, m.Billable, m.ChannelMessageID = store.StatusSent, res.Billable, channelID
				m.StatusDetail = note(m.StatusDetail, how)
			})
			if err != nil {
				return err
			}
		}
		return completeIf(ctx, tx, j, done)
	})
}

// settle gives the parts not sent yet a final status with why and, when done, completes the job, in one
// transaction retried until it commits.
func (s *Service) settle(ctx context.Context, j store.Job, done bool, msgs []store.Message, status store.MessageStatus, why string) error {
	return s.persist(ctx, func(ctx context.Context, tx store.Store) error {
		for _, m := range msgs {
			err := updateMessageTx(ctx, tx, m.ID, func(m *store.Message) {
				if !isSettled(m.Status) {
					m.Status, m.StatusDetail = status, note(m.StatusDetail, why)
				}
			})
			if err != nil {
				return err
			}
		}
		return completeIf(ctx, tx, j, done)
	})
}

// completeIf completes the job in tx when done. A lapsed lease is no failure: the outcome is recorded all
// the same, and the worker that holds the job now finds its parts settled and completes it.
func completeIf(ctx context.Context, tx store.Store, j store.Job, done bool) error {
	if !done {
		return nil
	}
	return store.CompleteHeldJob(ctx, tx, j.ID, j.Lease)
}

// persist runs fn in a transaction until it commits, backing off between tries, for up to
// Options.Jobs.Persist (or as long as ctx lasts): an outcome the channel reported must not be lost to a
// passing store fault.
func (s *Service) persist(ctx context.Context, fn func(ctx context.Context, tx store.Store) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.o.Jobs.Persist)
	defer cancel()
	pause := 10 * time.Millisecond
	for {
		err := s.inTx(ctx, fn)
		if err == nil || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		pause = min(2*pause, time.Second)
	}
}

// setStatus moves the parts in status from to status to.
func (s *Service) setStatus(ctx context.Context, msgs []store.Message, from, to store.MessageStatus) error {
	return s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		for _, m := range msgs {
			err := updateMessageTx(ctx, tx, m.ID, func(m *store.Message) {
				if m.Status == from {
					m.Status = to
				}
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// sendFailed marks the parts not sent yet as failed, with why.
func (s *Service) sendFailed(ctx context.Context, j store.Job, cause error) error {
	var p sendJob
	if err := decode(j, &p); err != nil {
		return nil // nothing to record it on
	}
	why := "not sent: " + reason(cause)
	switch {
	case errors.Is(cause, ErrChannelInactive):
		why = "not sent: the channel was deactivated"
	case !permanent(cause):
		why = fmt.Sprintf("not sent after %d attempts: %s", j.Attempts, reason(cause))
	}
	if errors.Is(cause, channel.ErrQuotaExceeded) {
		s.quotaState(ctx, p.ChannelID, s.o.Now())
	}
	msgs, err := s.loadMessages(ctx, p.MessageIDs)
	if err != nil {
		return err
	}
	status := store.StatusFailed
	if hasStatus(msgs, store.StatusSending) {
		// An attempt with the reply token ended without an answer: it may have been delivered.
		status, why = store.StatusUncertain, "uncertain: "+why+"; an earlier attempt ended without an answer and may have reached the customer"
	}
	return s.settle(ctx, j, false, msgs, status, why)
}

// sendRetrying tells the agent, on the parts not sent yet, that the send is being retried, and when.
func (s *Service) sendRetrying(ctx context.Context, j store.Job, cause error, next time.Time) error {
	var p sendJob
	if err := decode(j, &p); err != nil {
		return nil
	}
	why := fmt.Sprintf("retrying: attempt %d failed (%s); next attempt at %s", j.Attempts, reason(cause),
		next.UTC().Format(time.RFC3339))
	if errors.Is(cause, errHeld) {
		why = "held: the channel is deactivated; it is sent once the channel is active again"
	}
	for _, mid := range p.MessageIDs {
		err := s.updateMessage(ctx, mid, func(m *store.Message) {
			if !isSettled(m.Status) {
				m.StatusDetail = note(m.StatusDetail, why)
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
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

// isSettled reports whether an outbound part's delivery has ended, one way or another.
func isSettled(st store.MessageStatus) bool {
	switch st {
	case store.StatusSent, store.StatusDelivered, store.StatusRead, store.StatusFailed, store.StatusUncertain:
		return true
	}
	return false
}

func settled(msgs []store.Message) bool {
	for _, m := range msgs {
		if !isSettled(m.Status) {
			return false
		}
	}
	return true
}

func hasStatus(msgs []store.Message, st store.MessageStatus) bool {
	for _, m := range msgs {
		if m.Status == st {
			return true
		}
	}
	return false
}

// updateMessage applies change to a stored message, re-reading when a concurrent update wins.
func (s *Service) updateMessage(ctx context.Context, id string, change func(*store.Message)) error {
	return s.inTx(ctx, func(ctx context.Context, tx store.Store) error { return updateMessageTx(ctx, tx, id, change) })
}

// updateMessageTx applies change to a stored message in tx.
func updateMessageTx(ctx context.Context, tx store.Store, id string, change func(*store.Message)) error {
	m, err := tx.GetMessage(ctx, id)
	if err != nil {
		return err
	}
	before := m
	change(&m)
	if m.Status == before.Status && m.StatusDetail == before.StatusDetail && m.ChannelMessageID == before.ChannelMessageID &&
		m.Billable == before.Billable {
		return nil
	}
	_, err = tx.UpdateMessage(ctx, m)
	return err
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
	case errors.As(err, &apiErr) && apiErr.Status != 0:
		return fmt.Sprintf("%s (status %d)", category(err), apiErr.Status)
	}
	return category(err)
}

// note adds a delivery note to a part's detail, replacing an earlier retry or hold note: the detail
// keeps what was said about the part's content (how it was degraded) and the latest word on its
// delivery.
func note(detail, n string) string {
	var keep []string
	for _, seg := range strings.Split(detail, "; ") {
		if seg != "" && !strings.HasPrefix(seg, "retrying:") && !strings.HasPrefix(seg, "held:") &&
			!strings.HasPrefix(seg, "next attempt at") {
			keep = append(keep, seg)
		}
	}
	return strings.Join(append(keep, n), "; ")
}
