package storetest

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/msgkit/msgkit/store"
)

// Faults is a store.Store that passes every call on to another store, after asking a function whether
// the call should fail instead. Calls are numbered from 1 in the order they are made, calls inside
// transactions included, so a test can run a flow once per call and fail exactly that call — msgkit's
// fault-injection tests do, and a host can run its own flows the same way. Failing every call from some
// N on is a crash at N: run the flow again on a fresh Faults over the same store, as a restarted process.
//
// Two moments of a transaction count as calls too: "Commit", just before it commits (failing it rolls
// the transaction back), and "Committed", just after (failing it reports an error although everything
// was kept, as a connection lost during COMMIT does).
//
// Faults is safe for concurrent use when its store and fail function are.
type Faults struct {
	inner store.Store
	fail  func(Call) error
	n     *atomic.Int64
}

var _ store.Store = (*Faults)(nil)

// Call identifies one call to a Faults store.
type Call struct {
	N      int64  // 1 for the first call, 2 for the next, …
	Method string // the store method ("GetChannel", "RunInTx", …), "Commit" or "Committed"
}

// NewFaults returns s wrapped. fail returns the error a call must fail with, or nil to make it; a nil
// fail lets every call through (the wrapper then only counts).
func NewFaults(s store.Store, fail func(Call) error) *Faults {
	return &Faults{inner: s, fail: fail, n: new(atomic.Int64)}
}

// Calls returns how many calls were made so far.
func (f *Faults) Calls() int64 { return f.n.Load() }

func (f *Faults) check(method string) error {
	n := f.n.Add(1)
	if f.fail == nil {
		return nil
	}
	return f.fail(Call{N: n, Method: method})
}

// RunInTx implements store.Transactor. fn gets a Faults over the transaction, numbering its calls in the
// same sequence.
func (f *Faults) RunInTx(ctx context.Context, fn func(ctx context.Context, tx store.Store) error) error {
	if err := f.check("RunInTx"); err != nil {
		return err
	}
	err := f.inner.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
		if err := fn(ctx, &Faults{inner: tx, fail: f.fail, n: f.n}); err != nil {
			return err
		}
		return f.check("Commit")
	})
	if err != nil {
		return err
	}
	return f.check("Committed")
}

// NextCursor implements store.Assignments.
func (f *Faults) NextCursor(ctx context.Context, pool string) (int64, error) {
	if err := f.check("NextCursor"); err != nil {
		return 0, err
	}
	return f.inner.NextCursor(ctx, pool)
}

// AssignConversation implements store.Assignments.
func (f *Faults) AssignConversation(ctx context.Context, a store.Assignment) (store.Conversation, error) {
	if err := f.check("AssignConversation"); err != nil {
		return store.Conversation{}, err
	}
	return f.inner.AssignConversation(ctx, a)
}

// ListAssignments implements store.Assignments.
func (f *Faults) ListAssignments(ctx context.Context, conversationID string) ([]store.Assignment, error) {
	if err := f.check("ListAssignments"); err != nil {
		return nil, err
	}
	return f.inner.ListAssignments(ctx, conversationID)
}

// UserLoads implements store.Assignments.
func (f *Faults) UserLoads(ctx context.Context, users []string) ([]store.UserLoad, error) {
	if err := f.check("UserLoads"); err != nil {
		return nil, err
	}
	return f.inner.UserLoads(ctx, users)
}

// CreateChannel implements store.Channels.
func (f *Faults) CreateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	if err := f.check("CreateChannel"); err != nil {
		return store.Channel{}, err
	}
	return f.inner.CreateChannel(ctx, c)
}

// GetChannel implements store.Channels.
func (f *Faults) GetChannel(ctx context.Context, id string) (store.Channel, error) {
	if err := f.check("GetChannel"); err != nil {
		return store.Channel{}, err
	}
	return f.inner.GetChannel(ctx, id)
}

// UpdateChannel implements store.Channels.
func (f *Faults) UpdateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	if err := f.check("UpdateChannel"); err != nil {
		return store.Channel{}, err
	}
	return f.inner.UpdateChannel(ctx, c)
}

// ListChannels implements store.Channels.
func (f *Faults) ListChannels(ctx context.Context) ([]store.Channel, error) {
	if err := f.check("ListChannels"); err != nil {
		return nil, err
	}
	return f.inner.ListChannels(ctx)
}

// AppendChannelEvent implements store.ChannelEvents.
func (f *Faults) AppendChannelEvent(ctx context.Context, e store.ChannelEvent) (_ store.ChannelEvent, created bool, _ error) {
	if err := f.check("AppendChannelEvent"); err != nil {
		return store.ChannelEvent{}, false, err
	}
	return f.inner.AppendChannelEvent(ctx, e)
}

// ListChannelEvents implements store.ChannelEvents.
func (f *Faults) ListChannelEvents(ctx context.Context, channelID string, p store.Page) ([]store.ChannelEvent, store.Cursor, error) {
	if err := f.check("ListChannelEvents"); err != nil {
		return nil, store.Cursor{}, err
	}
	return f.inner.ListChannelEvents(ctx, channelID, p)
}

// FindOrCreateContact implements store.Contacts.
func (f *Faults) FindOrCreateContact(ctx context.Context, c store.Contact) (_ store.Contact, created bool, _ error) {
	if err := f.check("FindOrCreateContact"); err != nil {
		return store.Contact{}, false, err
	}
	return f.inner.FindOrCreateContact(ctx, c)
}

// GetContact implements store.Contacts.
func (f *Faults) GetContact(ctx context.Context, id string) (store.Contact, error) {
	if err := f.check("GetContact"); err != nil {
		return store.Contact{}, err
	}
	return f.inner.GetContact(ctx, id)
}

// UpdateContact implements store.Contacts.
func (f *Faults) UpdateContact(ctx context.Context, c store.Contact) (store.Contact, error) {
	if err := f.check("UpdateContact"); err != nil {
		return store.Contact{}, err
	}
	return f.inner.UpdateContact(ctx, c)
}

// FindOrCreateConversation implements store.Conversations.
func (f *Faults) FindOrCreateConversation(ctx context.Context, c store.Conversation) (_ store.Conversation, created bool, _ error) {
	if err := f.check("FindOrCreateConversation"); err != nil {
		return store.Conversation{}, false, err
	}
	return f.inner.FindOrCreateConversation(ctx, c)
}

// GetConversation implements store.Conversations.
func (f *Faults) GetConversation(ctx context.Context, id string) (store.Conversation, error) {
	if err := f.check("GetConversation"); err != nil {
		return store.Conversation{}, err
	}
	return f.inner.GetConversation(ctx, id)
}

// UpdateConversation implements store.Conversations.
func (f *Faults) UpdateConversation(ctx context.Context, c store.Conversation) (store.Conversation, error) {
	if err := f.check("UpdateConversation"); err != nil {
		return store.Conversation{}, err
	}
	return f.inner.UpdateConversation(ctx, c)
}

// RecordInbound implements store.Conversations.
func (f *Faults) RecordInbound(ctx context.Context, id string, n store.InboundNote) (store.Conversation, error) {
	if err := f.check("RecordInbound"); err != nil {
		return store.Conversation{}, err
	}
	return f.inner.RecordInbound(ctx, id, n)
}

// ListConversations implements store.Conversations.
func (f *Faults) ListConversations(ctx context.Context, v store.View, p store.Page) ([]store.InboxEntry, store.Cursor, error) {
	if err := f.check("ListConversations"); err != nil {
		return nil, store.Cursor{}, err
	}
	return f.inner.ListConversations(ctx, v, p)
}

// EnqueueJob implements store.Jobs.
func (f *Faults) EnqueueJob(ctx context.Context, j store.Job) (_ store.Job, created bool, _ error) {
	if err := f.check("EnqueueJob"); err != nil {
		return store.Job{}, false, err
	}
	return f.inner.EnqueueJob(ctx, j)
}

// GetJob implements store.Jobs.
func (f *Faults) GetJob(ctx context.Context, id string) (store.Job, error) {
	if err := f.check("GetJob"); err != nil {
		return store.Job{}, err
	}
	return f.inner.GetJob(ctx, id)
}

// ClaimJobs implements store.Jobs.
func (f *Faults) ClaimJobs(ctx context.Context, limit int, lease time.Duration) ([]store.Job, error) {
	if err := f.check("ClaimJobs"); err != nil {
		return nil, err
	}
	return f.inner.ClaimJobs(ctx, limit, lease)
}

// ClaimJob implements store.Jobs.
func (f *Faults) ClaimJob(ctx context.Context, id string, lease time.Duration) (store.Job, error) {
	if err := f.check("ClaimJob"); err != nil {
		return store.Job{}, err
	}
	return f.inner.ClaimJob(ctx, id, lease)
}

// CompleteJob implements store.Jobs.
func (f *Faults) CompleteJob(ctx context.Context, id, lease string) error {
	if err := f.check("CompleteJob"); err != nil {
		return err
	}
	return f.inner.CompleteJob(ctx, id, lease)
}

// GetContacts implements store.ContactsGetter, with the inner store's, or else its GetContact.
func (f *Faults) GetContacts(ctx context.Context, ids []string) ([]store.Contact, error) {
	if err := f.check("GetContacts"); err != nil {
		return nil, err
	}
	return store.GetContacts(ctx, f.inner, ids)
}

// NoteInbound implements store.InboundNoter, with the inner store's, or else its RecordInbound.
func (f *Faults) NoteInbound(ctx context.Context, id string, n store.InboundNote) error {
	if err := f.check("NoteInbound"); err != nil {
		return err
	}
	return store.NoteInbound(ctx, f.inner, id, n)
}

// CompleteHeldJob implements store.HeldJobCompleter, with the inner store's, or else its CompleteJob.
func (f *Faults) CompleteHeldJob(ctx context.Context, id, lease string) error {
	if err := f.check("CompleteHeldJob"); err != nil {
		return err
	}
	return store.CompleteHeldJob(ctx, f.inner, id, lease)
}

// RetryJob implements store.Jobs.
func (f *Faults) RetryJob(ctx context.Context, id, lease string, at time.Time, reason string) error {
	if err := f.check("RetryJob"); err != nil {
		return err
	}
	return f.inner.RetryJob(ctx, id, lease, at, reason)
}

// FailJob implements store.Jobs.
func (f *Faults) FailJob(ctx context.Context, id, lease, reason string) error {
	if err := f.check("FailJob"); err != nil {
		return err
	}
	return f.inner.FailJob(ctx, id, lease, reason)
}

// ListJobs implements store.Jobs.
func (f *Faults) ListJobs(ctx context.Context, filter store.JobFilter, p store.Page) ([]store.Job, store.Cursor, error) {
	if err := f.check("ListJobs"); err != nil {
		return nil, store.Cursor{}, err
	}
	return f.inner.ListJobs(ctx, filter, p)
}

// DeleteFinishedJobs implements store.Jobs.
func (f *Faults) DeleteFinishedJobs(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := f.check("DeleteFinishedJobs"); err != nil {
		return 0, err
	}
	return f.inner.DeleteFinishedJobs(ctx, before, limit)
}

// LinkContact implements store.Links.
func (f *Faults) LinkContact(ctx context.Context, ch store.LinkChange) (store.Contact, error) {
	if err := f.check("LinkContact"); err != nil {
		return store.Contact{}, err
	}
	return f.inner.LinkContact(ctx, ch)
}

// ListLinkChanges implements store.Links.
func (f *Faults) ListLinkChanges(ctx context.Context, contactID string) ([]store.LinkChange, error) {
	if err := f.check("ListLinkChanges"); err != nil {
		return nil, err
	}
	return f.inner.ListLinkChanges(ctx, contactID)
}

// ListContactsByRecord implements store.Links.
func (f *Faults) ListContactsByRecord(ctx context.Context, kind store.RecordKind, id string) ([]store.Contact, error) {
	if err := f.check("ListContactsByRecord"); err != nil {
		return nil, err
	}
	return f.inner.ListContactsByRecord(ctx, kind, id)
}

// ListRecordMessages implements store.Links.
func (f *Faults) ListRecordMessages(ctx context.Context, kind store.RecordKind, id string, p store.Page) ([]store.Message, store.Cursor, error) {
	if err := f.check("ListRecordMessages"); err != nil {
		return nil, store.Cursor{}, err
	}
	return f.inner.ListRecordMessages(ctx, kind, id, p)
}

// AppendMessage implements store.Messages.
func (f *Faults) AppendMessage(ctx context.Context, m store.Message) (_ store.Message, created bool, _ error) {
	if err := f.check("AppendMessage"); err != nil {
		return store.Message{}, false, err
	}
	return f.inner.AppendMessage(ctx, m)
}

// GetMessage implements store.Messages.
func (f *Faults) GetMessage(ctx context.Context, id string) (store.Message, error) {
	if err := f.check("GetMessage"); err != nil {
		return store.Message{}, err
	}
	return f.inner.GetMessage(ctx, id)
}

// FindMessage implements store.Messages.
func (f *Faults) FindMessage(ctx context.Context, channelID, channelMessageID string) (store.Message, error) {
	if err := f.check("FindMessage"); err != nil {
		return store.Message{}, err
	}
	return f.inner.FindMessage(ctx, channelID, channelMessageID)
}

// UpdateMessage implements store.Messages.
func (f *Faults) UpdateMessage(ctx context.Context, m store.Message) (store.Message, error) {
	if err := f.check("UpdateMessage"); err != nil {
		return store.Message{}, err
	}
	return f.inner.UpdateMessage(ctx, m)
}

// ListMessages implements store.Messages.
func (f *Faults) ListMessages(ctx context.Context, conversationID string, p store.Page) ([]store.Message, store.Cursor, error) {
	if err := f.check("ListMessages"); err != nil {
		return nil, store.Cursor{}, err
	}
	return f.inner.ListMessages(ctx, conversationID, p)
}

// GetNotificationState implements store.Notifications.
func (f *Faults) GetNotificationState(ctx context.Context, conversationID, userID string) (store.NotificationState, error) {
	if err := f.check("GetNotificationState"); err != nil {
		return store.NotificationState{}, err
	}
	return f.inner.GetNotificationState(ctx, conversationID, userID)
}

// PutNotificationState implements store.Notifications.
func (f *Faults) PutNotificationState(ctx context.Context, s store.NotificationState) (store.NotificationState, error) {
	if err := f.check("PutNotificationState"); err != nil {
		return store.NotificationState{}, err
	}
	return f.inner.PutNotificationState(ctx, s)
}

// AddNotification implements store.Notifications.
func (f *Faults) AddNotification(ctx context.Context, n store.Notification) (_ store.Notification, created bool, _ error) {
	if err := f.check("AddNotification"); err != nil {
		return store.Notification{}, false, err
	}
	return f.inner.AddNotification(ctx, n)
}

// ListNotifications implements store.Notifications.
func (f *Faults) ListNotifications(ctx context.Context, userID string, nf store.NotificationFilter, p store.Page) ([]store.Notification, store.Cursor, error) {
	if err := f.check("ListNotifications"); err != nil {
		return nil, store.Cursor{}, err
	}
	return f.inner.ListNotifications(ctx, userID, nf, p)
}

// CountNotifications implements store.Notifications.
func (f *Faults) CountNotifications(ctx context.Context, userID string, nf store.NotificationFilter, limit int) (int, error) {
	if err := f.check("CountNotifications"); err != nil {
		return 0, err
	}
	return f.inner.CountNotifications(ctx, userID, nf, limit)
}

// MarkNotificationRead implements store.Notifications.
func (f *Faults) MarkNotificationRead(ctx context.Context, userID, id string) (store.Notification, error) {
	if err := f.check("MarkNotificationRead"); err != nil {
		return store.Notification{}, err
	}
	return f.inner.MarkNotificationRead(ctx, userID, id)
}

// MarkNotificationsRead implements store.Notifications.
func (f *Faults) MarkNotificationsRead(ctx context.Context, userID string, through store.Cursor) (int, error) {
	if err := f.check("MarkNotificationsRead"); err != nil {
		return 0, err
	}
	return f.inner.MarkNotificationsRead(ctx, userID, through)
}

// GetNotificationSettings implements store.Notifications.
func (f *Faults) GetNotificationSettings(ctx context.Context, userID string) (store.NotificationSettings, error) {
	if err := f.check("GetNotificationSettings"); err != nil {
		return store.NotificationSettings{}, err
	}
	return f.inner.GetNotificationSettings(ctx, userID)
}

// PutNotificationSettings implements store.Notifications.
func (f *Faults) PutNotificationSettings(ctx context.Context, s store.NotificationSettings) (store.NotificationSettings, error) {
	if err := f.check("PutNotificationSettings"); err != nil {
		return store.NotificationSettings{}, err
	}
	return f.inner.PutNotificationSettings(ctx, s)
}

// CreateTemplate implements store.Templates.
func (f *Faults) CreateTemplate(ctx context.Context, t store.Template) (store.Template, error) {
	if err := f.check("CreateTemplate"); err != nil {
		return store.Template{}, err
	}
	return f.inner.CreateTemplate(ctx, t)
}

// GetTemplate implements store.Templates.
func (f *Faults) GetTemplate(ctx context.Context, id string) (store.Template, error) {
	if err := f.check("GetTemplate"); err != nil {
		return store.Template{}, err
	}
	return f.inner.GetTemplate(ctx, id)
}

// UpdateTemplate implements store.Templates.
func (f *Faults) UpdateTemplate(ctx context.Context, t store.Template) (store.Template, error) {
	if err := f.check("UpdateTemplate"); err != nil {
		return store.Template{}, err
	}
	return f.inner.UpdateTemplate(ctx, t)
}

// ListTemplates implements store.Templates.
func (f *Faults) ListTemplates(ctx context.Context, channelKind string) ([]store.Template, error) {
	if err := f.check("ListTemplates"); err != nil {
		return nil, err
	}
	return f.inner.ListTemplates(ctx, channelKind)
}

// DeleteTemplate implements store.Templates.
func (f *Faults) DeleteTemplate(ctx context.Context, id string, version int64) error {
	if err := f.check("DeleteTemplate"); err != nil {
		return err
	}
	return f.inner.DeleteTemplate(ctx, id, version)
}

// ArchiveWebhook implements store.Webhooks.
func (f *Faults) ArchiveWebhook(ctx context.Context, w store.Webhook) (store.Webhook, error) {
	if err := f.check("ArchiveWebhook"); err != nil {
		return store.Webhook{}, err
	}
	return f.inner.ArchiveWebhook(ctx, w)
}

// ListWebhooks implements store.Webhooks.
func (f *Faults) ListWebhooks(ctx context.Context, channelID string, from, to time.Time, p store.Page) ([]store.Webhook, store.Cursor, error) {
	if err := f.check("ListWebhooks"); err != nil {
		return nil, store.Cursor{}, err
	}
	return f.inner.ListWebhooks(ctx, channelID, from, to, p)
}

// DeleteExpiredWebhooks implements store.Webhooks.
func (f *Faults) DeleteExpiredWebhooks(ctx context.Context, limit int) (int, error) {
	if err := f.check("DeleteExpiredWebhooks"); err != nil {
		return 0, err
	}
	return f.inner.DeleteExpiredWebhooks(ctx, limit)
}

// HoldJob implements store.Jobs.
func (f *Faults) HoldJob(ctx context.Context, id, lease string, until time.Time, reason string) error {
	if err := f.check("HoldJob"); err != nil {
		return err
	}
	return f.inner.HoldJob(ctx, id, lease, until, reason)
}

// RememberRequest implements store.Requests.
func (f *Faults) RememberRequest(ctx context.Context, r store.Request) (store.Request, bool, error) {
	if err := f.check("RememberRequest"); err != nil {
		return store.Request{}, false, err
	}
	return f.inner.RememberRequest(ctx, r)
}

// DeleteExpiredRequests implements store.Requests.
func (f *Faults) DeleteExpiredRequests(ctx context.Context, limit int) (int, error) {
	if err := f.check("DeleteExpiredRequests"); err != nil {
		return 0, err
	}
	return f.inner.DeleteExpiredRequests(ctx, limit)
}

// GetRequest implements store.Requests.
func (f *Faults) GetRequest(ctx context.Context, scope, key string) (store.Request, error) {
	if err := f.check("GetRequest"); err != nil {
		return store.Request{}, err
	}
	return f.inner.GetRequest(ctx, scope, key)
}

// DeleteChannel implements store.Channels.
func (f *Faults) DeleteChannel(ctx context.Context, id string) error {
	if err := f.check("DeleteChannel"); err != nil {
		return err
	}
	return f.inner.DeleteChannel(ctx, id)
}

// CountSent implements store.Messages.
func (f *Faults) CountSent(ctx context.Context, channelID string, since time.Time) (store.SendCounts, error) {
	if err := f.check("CountSent"); err != nil {
		return store.SendCounts{}, err
	}
	return f.inner.CountSent(ctx, channelID, since)
}

// CountConversations implements store.Conversations.
func (f *Faults) CountConversations(ctx context.Context, v store.View, limit int) (int, error) {
	if err := f.check("CountConversations"); err != nil {
		return 0, err
	}
	return f.inner.CountConversations(ctx, v, limit)
}
