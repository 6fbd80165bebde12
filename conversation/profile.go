package conversation

import (
	"context"
	"fmt"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// profileJob fetches a contact's profile after their first message (FEATURES B8: identity never blocks
// ingest).
type profileJob struct {
	ContactID string `json:"contactId"`
	ChannelID string `json:"channelId,omitempty"` // empty in jobs recorded before it was added
	User      string `json:"user"`                // the channel's user ID
}

// runProfile fetches the profile and stores it, completing the job in the same transaction. A failure
// that may pass (the channel is down, a rate limit) is retried; one that will not (the user blocked the
// account) is recorded on the contact.
func (s *Service) runProfile(ctx context.Context, j store.Job) error {
	var p profileJob
	if err := decode(j, &p); err != nil {
		return err
	}
	if p.ChannelID == "" {
		c, err := s.store.GetContact(ctx, p.ContactID)
		if err != nil {
			return err
		}
		p.ChannelID = c.ChannelID
	}
	ch, err := s.store.GetChannel(ctx, p.ChannelID)
	if err != nil {
		return err
	}
	a, err := s.adapters.Adapter(ctx, ch)
	if err != nil {
		return err
	}
	profile, err := channel.FetchProfile(ctx, a, channel.User(p.User))
	if err != nil {
		return fmt.Errorf("conversation: fetching a profile: %w", err)
	}
	err = s.jobTx(ctx, func(ctx context.Context, tx store.Store) error {
		err := updateContactTx(ctx, tx, p.ContactID, func(c *store.Contact) bool {
			c.Profile, c.ProfileStatus, c.ProfileError = keepName(profile, c.Profile), store.ProfileFetched, ""
			return true
		})
		if err != nil {
			return err
		}
		return completeIf(ctx, tx, j, true)
	})
	return orErr(err, errJobDone)
}

// profileFailed records on the contact why its profile could not be fetched, as a category (never the
// error text), unless an earlier fetch succeeded.
func (s *Service) profileFailed(ctx context.Context, j store.Job, cause error) error {
	var p profileJob
	if err := decode(j, &p); err != nil {
		return nil // nothing to record it on
	}
	return s.updateContact(ctx, p.ContactID, func(c *store.Contact) bool {
		if c.ProfileStatus == store.ProfileFetched {
			return false
		}
		c.ProfileStatus, c.ProfileError = store.ProfileFailed, category(cause)
		return true
	})
}

// updateContact applies change to a stored contact, re-reading when a concurrent update wins; change
// returns false to leave it as it is.
func (s *Service) updateContact(ctx context.Context, id string, change func(*store.Contact) bool) error {
	return s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		return updateContactTx(ctx, tx, id, change)
	})
}

// updateContactTx applies change to a stored contact in tx; a concurrent update makes it return
// store.ErrConflict, and the transaction runs again.
func updateContactTx(ctx context.Context, tx store.Store, id string, change func(*store.Contact) bool) error {
	c, err := tx.GetContact(ctx, id)
	if err != nil || !change(&c) {
		return err
	}
	_, err = tx.UpdateContact(ctx, c)
	return err
}
