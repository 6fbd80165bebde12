package conversation

import (
	"context"
	"fmt"
	"sync"

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
	profile, err := s.fetchProfile(ctx, p, nil)
	if err != nil {
		return err
	}
	return s.storeProfile(ctx, fetchedProfile{j, p.ContactID, profile})
}

// stageProfiles stages profile jobs (staged.go): the profiles fetched with up to workers calls at a
// time, each stored in the batch's shared transaction.
func (s *Service) stageProfiles(ctx context.Context, channels *channelCache, jobs []store.Job, workers int) []staged {
	st := make([]staged, len(jobs))
	fetch := func(i int, j store.Job, p profileJob) {
		profile, err := s.fetchProfile(ctx, p, channels)
		if err != nil {
			st[i].err = err
			return
		}
		f := fetchedProfile{j, p.ContactID, profile}
		st[i].contact = p.ContactID
		st[i].record = func(ctx context.Context, tx store.Store) (func(context.Context) error, error) {
			return nil, storeProfileTx(ctx, tx, f)
		}
		st[i].alone = func(ctx context.Context) error { return s.storeProfile(ctx, f) }
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, j := range jobs {
		var p profileJob
		if st[i].err = decode(j, &p); st[i].err != nil {
			continue
		}
		if workers <= 1 || len(jobs) == 1 {
			fetch(i, j, p) // one at a time: no goroutine to start
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fetch(i, j, p)
		})
	}
	wg.Wait()
	return st
}

// fetchedProfile is a profile job's fetched profile, to store on its contact.
type fetchedProfile struct {
	job       store.Job
	contactID string
	profile   channel.Profile
}

// fetchProfile fetches the profile job p asks for, reading its channel through cache (nil reads it).
func (s *Service) fetchProfile(ctx context.Context, p profileJob, cache *channelCache) (channel.Profile, error) {
	if p.ChannelID == "" {
		c, err := s.store.GetContact(ctx, p.ContactID)
		if err != nil {
			return channel.Profile{}, err
		}
		p.ChannelID = c.ChannelID
	}
	ch, err := cache.get(ctx, s.store, p.ChannelID)
	if err != nil {
		return channel.Profile{}, err
	}
	a, err := s.adapters.Adapter(ctx, ch)
	if err != nil {
		return channel.Profile{}, err
	}
	profile, err := channel.FetchProfile(ctx, a, channel.User(p.User))
	if err != nil {
		return channel.Profile{}, fmt.Errorf("conversation: fetching a profile: %w", err)
	}
	return profile, nil
}

// storeProfile stores a fetched profile on its contact and completes its job, in one transaction, and
// returns errJobDone once it committed.
func (s *Service) storeProfile(ctx context.Context, f fetchedProfile) error {
	err := s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		if err := storeProfileTx(ctx, tx, f); err != nil {
			return err
		}
		return completeIf(ctx, tx, f.job, true)
	})
	return orErr(err, errJobDone)
}

// storeProfileTx stores a fetched profile on its contact, in tx.
func storeProfileTx(ctx context.Context, tx store.Store, f fetchedProfile) error {
	return updateContactTx(ctx, tx, f.contactID, func(c *store.Contact) bool {
		c.Profile, c.ProfileStatus, c.ProfileError = keepName(f.profile, c.Profile), store.ProfileFetched, ""
		return true
	})
}

// channelCache keeps the channels one group of jobs reads, so that it reads each once.
type channelCache struct {
	mu       sync.Mutex
	channels map[string]store.Channel
}

// get returns channel id, from the cache when it holds it; a nil cache reads it every time.
func (c *channelCache) get(ctx context.Context, s store.Store, id string) (store.Channel, error) {
	if c == nil {
		return s.GetChannel(ctx, id)
	}
	c.mu.Lock()
	ch, ok := c.channels[id]
	c.mu.Unlock()
	if ok {
		return ch, nil
	}
	ch, err := s.GetChannel(ctx, id)
	if err != nil {
		return ch, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.channels == nil {
		c.channels = map[string]store.Channel{}
	}
	c.channels[id] = ch
	return ch, nil
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
