package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// maxSendRetry is how long a send is retried at most: LINE honours a retry key for 24 hours.
const maxSendRetry = 24 * time.Hour

// sendJob delivers stored outbound parts, in order. It keeps one retry key for its life, so the channel
// delivers each push once however often it is tried.
type sendJob struct {
	ChannelID      string       `json:"channelId"`
	ConversationID string       `json:"conversationId"`
	To             channel.Peer `json:"to"`
	MessageIDs     []string     `json:"messageIds"`
	ReplyToken     string       `json:"replyToken,omitempty"` // reply with it on the first attempt
	RetryKey       string       `json:"retryKey"`
}

// runSend delivers a send job's parts in calls of at most the channel's MaxMessages; call n carries the
// retry key id.Derive(job key, n), so a retry resends only the calls not yet accepted, each under its own
// key. Accepted calls are recorded on their parts.
func (s *Service) runSend(ctx context.Context, j store.Job) error {
	var p sendJob
	if err := decode(j, &p); err != nil {
		return err
	}
	ch, err := s.store.GetChannel(ctx, p.ChannelID)
	if err != nil {
		return err
	}
	if !ch.Active {
		return fmt.Errorf("%w: %s", ErrChannelInactive, ch.Name)
	}
	adapter, err := s.adapters.Adapter(ctx, ch)
	if err != nil {
		return err
	}
	per := max(limitsOf(adapter).MaxMessages, 1)
	for n, start := 0, 0; start < len(p.MessageIDs); n, start = n+1, start+per {
		msgs, err := s.loadMessages(ctx, p.MessageIDs[start:min(start+per, len(p.MessageIDs))])
		if err != nil {
			return err
		}
		if allSent(msgs) {
			continue // accepted on an earlier attempt
		}
		opt := channel.SendOptions{RetryKey: id.Derive(p.RetryKey, n)}
		if n == 0 && p.ReplyToken != "" && j.Attempts == 1 {
			opt.ReplyToken = p.ReplyToken
		}
		res, err := s.send(ctx, adapter, p.To, msgs, opt)
		if err != nil {
			return err
		}
		if err := s.markSent(ctx, msgs, res); err != nil {
			return err
		}
	}
	return nil
}

// sendFailed marks the parts not sent yet as failed, with why.
func (s *Service) sendFailed(ctx context.Context, j store.Job, cause error) error {
	var p sendJob
	if err := decode(j, &p); err != nil {
		return nil // nothing to record it on
	}
	why := "not sent: " + reason(cause)
	if errors.Is(cause, ErrChannelInactive) {
		why = "not sent: the channel was deactivated"
	} else if !permanent(cause) {
		why = fmt.Sprintf("not sent after %d attempts: %s", j.Attempts, reason(cause))
	}
	for _, mid := range p.MessageIDs {
		err := s.updateMessage(ctx, mid, func(m *store.Message) {
			if m.Status != store.StatusSent {
				m.Status, m.StatusDetail = store.StatusFailed, join(m.StatusDetail, why)
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
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
func (s *Service) markSent(ctx context.Context, msgs []store.Message, res channel.SendResult) error {
	how := "sent as a reply (free)"
	if res.Billable {
		how = "sent as a push (counts against the message quota)"
	}
	for i, m := range msgs {
		channelID := ""
		if i < len(res.MessageIDs) {
			channelID = res.MessageIDs[i]
		}
		err := s.updateMessage(ctx, m.ID, func(m *store.Message) {
			m.Status, m.Billable, m.ChannelMessageID = store.StatusSent, res.Billable, channelID
			m.StatusDetail = join(m.StatusDetail, how)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// updateMessage applies change to a stored message, re-reading when a concurrent update wins.
func (s *Service) updateMessage(ctx context.Context, id string, change func(*store.Message)) error {
	var err error
	for range maxConflictRetries {
		var m store.Message
		if m, err = s.store.GetMessage(ctx, id); err != nil {
			return err
		}
		change(&m)
		if _, err = s.store.UpdateMessage(ctx, m); !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
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
