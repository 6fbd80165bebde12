package connect

import (
	"context"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// Quota is a channel's message quota this month (FEATURES F21): what the channel reports, and what
// msgkit counted itself.
type Quota struct {
	// Channel is the channel's own report (LINE: the monthly limit and this month's usage); zero when
	// the channel cannot report it (ChannelErr says why).
	Channel    channel.Quota
	ChannelErr error
	// Sent counts msgkit's sends of this channel since Since: billable (pushes) and free (replies).
	Sent  store.SendCounts
	Since time.Time
	// ExceededAt is when a send last failed because the quota was used up; zero when none has, or a
	// send succeeded since.
	ExceededAt time.Time
}

// Quota reports the channel's quota and this month's sends, the month starting at midnight UTC on its
// first day.
func (s *Service) Quota(ctx context.Context, id string) (Quota, error) {
	ch, err := s.store.GetChannel(ctx, id)
	if err != nil {
		return Quota{}, err
	}
	now := s.o.Now().UTC()
	q := Quota{Since: time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC), ExceededAt: ch.Health.QuotaExceededAt}
	if q.Sent, err = s.store.CountSent(ctx, id, q.Since); err != nil {
		return Quota{}, err
	}
	if ch.Credentials == nil {
		return q, nil
	}
	a, err := s.reg.Adapter(ctx, ch)
	if err != nil {
		return Quota{}, err
	}
	q.Channel, q.ChannelErr = channel.FetchQuota(ctx, a)
	return q, nil
}
