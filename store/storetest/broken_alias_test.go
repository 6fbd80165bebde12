package storetest_test

import (
	"context"
	"sync"
	"time"

	"github.com/msgkit/msgkit/store"
)

// aliasingStore is a store that keeps the values it is given and hands them out again, sharing their
// slices, maps and pointers with its callers: the bug the Ownership rules catch.
type aliasingStore struct {
	store.Store
	mu       sync.Mutex
	channels map[string]store.Channel
	messages map[string]store.Message
	jobs     map[string]store.Job
	events   map[string][]store.ChannelEvent
	webhooks map[string][]store.Webhook
	requests map[string]store.Request
	states   map[string]*store.NotificationState
	settings map[string]store.NotificationSettings
}

func newAliasingStore(s store.Store) *aliasingStore {
	return &aliasingStore{Store: s, channels: map[string]store.Channel{}, messages: map[string]store.Message{},
		jobs: map[string]store.Job{}, events: map[string][]store.ChannelEvent{}, webhooks: map[string][]store.Webhook{},
		requests: map[string]store.Request{}, states: map[string]*store.NotificationState{},
		settings: map[string]store.NotificationSettings{}}
}

func (a *aliasingStore) CreateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	got, err := a.Store.CreateChannel(ctx, c)
	if err == nil {
		a.mu.Lock()
		c.ID, a.channels[got.ID] = got.ID, c
		a.mu.Unlock()
	}
	return got, err
}

func (a *aliasingStore) GetChannel(ctx context.Context, id string) (store.Channel, error) {
	a.mu.Lock()
	c, ok := a.channels[id]
	a.mu.Unlock()
	if ok {
		return c, nil
	}
	return a.Store.GetChannel(ctx, id)
}

func (a *aliasingStore) AppendMessage(ctx context.Context, m store.Message) (store.Message, bool, error) {
	got, created, err := a.Store.AppendMessage(ctx, m)
	if err == nil && created {
		a.mu.Lock()
		m.ID, m.ChannelID, a.messages[got.ID] = got.ID, got.ChannelID, m
		a.mu.Unlock()
	}
	return got, created, err
}

func (a *aliasingStore) GetMessage(ctx context.Context, id string) (store.Message, error) {
	a.mu.Lock()
	m, ok := a.messages[id]
	a.mu.Unlock()
	if ok {
		return m, nil
	}
	return a.Store.GetMessage(ctx, id)
}

func (a *aliasingStore) EnqueueJob(ctx context.Context, j store.Job) (store.Job, bool, error) {
	got, created, err := a.Store.EnqueueJob(ctx, j)
	if err == nil && created {
		a.mu.Lock()
		j.ID, a.jobs[got.ID] = got.ID, j
		a.mu.Unlock()
	}
	return got, created, err
}

func (a *aliasingStore) GetJob(ctx context.Context, id string) (store.Job, error) {
	a.mu.Lock()
	j, ok := a.jobs[id]
	a.mu.Unlock()
	if ok {
		return j, nil
	}
	return a.Store.GetJob(ctx, id)
}

func (a *aliasingStore) AppendChannelEvent(ctx context.Context, e store.ChannelEvent) (store.ChannelEvent, bool, error) {
	got, created, err := a.Store.AppendChannelEvent(ctx, e)
	if err == nil && created {
		a.mu.Lock()
		a.events[e.ChannelID] = append(a.events[e.ChannelID], e)
		a.mu.Unlock()
	}
	return got, created, err
}

func (a *aliasingStore) ListChannelEvents(ctx context.Context, channelID string, p store.Page) ([]store.ChannelEvent, store.Cursor, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]store.ChannelEvent(nil), a.events[channelID]...), store.Cursor{}, nil
}

func (a *aliasingStore) ArchiveWebhook(ctx context.Context, w store.Webhook) (store.Webhook, error) {
	got, err := a.Store.ArchiveWebhook(ctx, w)
	if err == nil {
		a.mu.Lock()
		a.webhooks[w.ChannelID] = append(a.webhooks[w.ChannelID], w)
		a.mu.Unlock()
	}
	return got, err
}

func (a *aliasingStore) ListWebhooks(ctx context.Context, channelID string, from, to time.Time, p store.Page) ([]store.Webhook, store.Cursor, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]store.Webhook(nil), a.webhooks[channelID]...), store.Cursor{}, nil
}

func (a *aliasingStore) RememberRequest(ctx context.Context, r store.Request) (store.Request, bool, error) {
	got, created, err := a.Store.RememberRequest(ctx, r)
	if err == nil && created {
		a.mu.Lock()
		a.requests[r.Scope+"\x00"+r.Key] = r
		a.mu.Unlock()
	}
	return got, created, err
}

func (a *aliasingStore) GetRequest(ctx context.Context, scope, key string) (store.Request, error) {
	a.mu.Lock()
	r, ok := a.requests[scope+"\x00"+key]
	a.mu.Unlock()
	if ok {
		return r, nil
	}
	return a.Store.GetRequest(ctx, scope, key)
}

func (a *aliasingStore) ListConversations(ctx context.Context, v store.View, p store.Page) ([]store.InboxEntry, store.Cursor, error) {
	got, next, err := a.Store.ListConversations(ctx, v, p)
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, e := range got {
		if e.Notification == nil {
			continue
		}
		if kept, ok := a.states[e.Conversation.ID]; ok {
			got[i].Notification = kept // the same state object for every caller
		} else {
			a.states[e.Conversation.ID] = e.Notification
		}
	}
	return got, next, err
}

func (a *aliasingStore) PutNotificationSettings(ctx context.Context, st store.NotificationSettings) (store.NotificationSettings, error) {
	got, err := a.Store.PutNotificationSettings(ctx, st)
	if err == nil {
		a.mu.Lock()
		st.UpdatedAt, a.settings[st.UserID] = got.UpdatedAt, st
		a.mu.Unlock()
	}
	return got, err
}

func (a *aliasingStore) GetNotificationSettings(ctx context.Context, userID string) (store.NotificationSettings, error) {
	a.mu.Lock()
	st, ok := a.settings[userID]
	a.mu.Unlock()
	if ok {
		return st, nil
	}
	return a.Store.GetNotificationSettings(ctx, userID)
}
