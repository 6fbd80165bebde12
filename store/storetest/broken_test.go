package storetest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/storetest"
)

// The suite must be able to fail: each broken store below breaks one rule, and running the suite against
// it must fail exactly that rule's subtest while an unrelated rule of the same runner still passes.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	cases := []struct{ broken, runner, fails, passes string }{
		{"duplicate-appends", "Messages", "AppendIsIdempotentOnChannelMessageID", "GetMissingIsErrNotFound"},
		{"reversed-messages", "Messages", "ListOrdersByTimeThenIDAndPagesBothWays", "AppendIsIdempotentOnChannelMessageID"},
		{"blind-updates", "Conversations", "UpdateWithStaleVersionIsErrConflict", "ListFiltersByView"},
		{"missing-is-zero", "Channels", "GetMissingIsErrNotFound", "ListReturnsAllOldestFirst"},
		{"racy-cursor", "Assignments", "ConcurrentCallersNeverShareAValue", "CursorStartsAtOneAndCountsUp"},
		{"no-rollback", "Transactions", "ErrorRollsBackEveryWrite", "CommitKeepsEveryWrite"},
		{"no-rollback", "Transactions", "UncommittedWritesAreInvisibleToOthers", "CommitKeepsEveryWrite"},
		{"no-rollback", "Fairness", "RacingRoutesOfOneConversationTakeOneTurn", "RoundRobinIsFairUnderConcurrency"},
		{"no-coalescing", "Jobs", "EnqueueCoalescesOnAPendingJobWithTheSameKindAndKey", "ClaimTakesDueJobsOldestFirstUpToLimit"},
		{"lease-dropping", "Jobs", "EnqueueWithALeaseStoresItClaimed", "ClaimTakesDueJobsOldestFirstUpToLimit"},
		{"lease-dropping", "Jobs", "EnqueueWithOnlyOneOfLeaseAndLeaseUntilIsAnError", "EnqueueStoresAPendingJobDueNow"},
		{"lease-dropping", "JobWakes", "AJobEnqueuedClaimedWakesNobody", "AJobDueLaterOrCoalescedWakesNobody"},
		{"forgetful-batch-reads", "Contacts", "GetContactsReturnsEachExistingOneAsGetDoes", "GetReturnsWhatWasStored"},
		{"deaf-notes", "Conversations", "NoteInboundChangesTheConversationAsRecordInboundDoes", "RecordInboundMergesTheMessageIntoTheRowAsItIs"},
		{"versioned-inbound", "Conversations", "ConcurrentRecordInboundNeverConflicts", "RecordInboundMergesTheMessageIntoTheRowAsItIs"},
		{"backwards-inbound", "Conversations", "RecordInboundMergesTheMessageIntoTheRowAsItIs", "TimesAreKeptInUTCWithMicroseconds"},
		{"duplicate-channel-events", "ChannelEvents", "AppendIsIdempotentOnTheEventID", "ListOrdersByEventTimeAndPagesBothWays"},
		{"lossy-webhooks", "Webhooks", "ArchiveKeepsTheBodyByteForByte", "DeleteExpiredKeepsLiveAndUnboundedOnes"},
		{"forgetful-requests", "Requests", "FirstCallIsRememberedAndRepeatsGetIt", ""},
		{"guessed-jobs", "Jobs", "EnqueueInATransactionReturnsTheJobAsStored", "ClaimTakesDueJobsOldestFirstUpToLimit"},
		{"blind-completions", "Jobs", "CompleteHeldJobCompletesOnlyAHeldLease", "CompleteNeedsTheCurrentUnexpiredLease"},
		{"endless-holds", "Jobs", "HoldReschedulesAndRestartsTheRetryBudget", "FailIsFinal"},
		{"leaky-delete", "Channels", "DeleteChannelErasesEverythingOfItAndNothingElse", "GetMissingIsErrNotFound"},
		{"job-eating-delete", "Channels", "DeleteChannelKeepsJobsThatNameIt", "DeleteChannelErasesEverythingOfItAndNothingElse"},
		{"c-strings", "Text", "AwkwardTextIsStoredAndReturned/NUL", "AwkwardTextIsStoredAndReturned/Emoji"},
		{"racy-cursor", "Fairness", "RoundRobinIsFairUnderConcurrency", ""},
		{"blind-claims", "Assignments", "AssignIsCompareAndSet", "ConcurrentCallersNeverShareAValue"},
		{"racy-claims", "Assignments", "ConcurrentClaimsHaveOneWinner", "AssignIsCompareAndSet"},
		{"no-mirror", "Inbox", "ConversationsMirrorTheirContactsRecord", "CountStopsAtItsLimit"},
		{"last-preview-wins", "Inbox", "PreviewFollowsTheLatestMessage", "CountStopsAtItsLimit"},
		{"first-of-a-tie", "Inbox", "PreviewFollowsTheLatestMessage", "CountStopsAtItsLimit"},
		{"unlisted-until-messages", "Inbox", "AConversationWithoutMessagesSortsByItsCreation", "CountStopsAtItsLimit"},
		{"blind-viewer", "Inbox", "ListCarriesTheViewersNotificationState", "CountStopsAtItsLimit"},
		{"unbounded-count", "Inbox", "CountStopsAtItsLimit", "PreviewFollowsTheLatestMessage"},
		{"writable-link", "Contacts", "UpdateKeepsTheLinkedRecord", "UpdateReplacesAndBumpsVersion"},
		{"aliasing", "Ownership", "ChannelsAreCopiedInAndOut", ""},
		{"aliasing", "Ownership", "MessagesAreCopiedInAndOut", ""},
		{"aliasing", "Ownership", "JobsAreCopiedInAndOut", ""},
		{"aliasing", "Ownership", "ChannelEventsAreCopiedInAndOut", ""},
		{"aliasing", "Ownership", "WebhooksAreCopiedInAndOut", ""},
		{"aliasing", "Ownership", "RequestsAreCopiedInAndOut", ""},
		{"aliasing", "Ownership", "InboxEntriesAreCopies", ""},
		{"aliasing", "Ownership", "NotificationSettingsAreCopiedInAndOut", ""},
		{"duplicate-notifications", "Notifications", "AddIsIdempotentOnTheUserAndKey", "ListIsPerUserNewestFirstAndPagesBothWays"},
		{"duplicate-notifications", "Notifications", "ConcurrentAddsWithOneKeyCreateOnce", "CountStopsAtItsLimit"},
		{"reversed-notifications", "Notifications", "ListIsPerUserNewestFirstAndPagesBothWays", "AddIsIdempotentOnTheUserAndKey"},
		{"unread-is-all", "Notifications", "UnreadFilterSelectsTheUnreadOnes", "ListIsPerUserNewestFirstAndPagesBothWays"},
		{"unbounded-notification-count", "Notifications", "CountStopsAtItsLimit", "UnreadFilterSelectsTheUnreadOnes"},
		{"read-everything", "Notifications", "MarkReadThroughACursorLeavesLaterOnesUnread", "MarkReadIsPerUserAndKeepsTheFirstReadTime"},
		{"forgetful-settings", "Notifications", "SettingsRoundTripAndReplace", "GetBeforePutIsErrNotFound"},
		{"state-without-marks", "Notifications", "PutThenGetPerUser", "GetBeforePutIsErrNotFound"},
		{"viewer-without-marks", "Inbox", "ListCarriesTheViewersNotificationState", "CountStopsAtItsLimit"},
		{"forgetful-media", "Messages", "MediaCopyIsKeptThroughItsLife", "GetMissingIsErrNotFound"},
		{"shared-media", "Messages", "MediaCopyReturnedIsTheCallersOwn", "GetMissingIsErrNotFound"},
	}
	for _, tc := range cases {
		t.Run(tc.broken, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBrokenStoreFixture$/^"+tc.runner+"$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "STORETEST_BROKEN="+tc.broken)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the suite must fail against the %s store; output:\n%s", tc.broken, out)
			prefix := "TestBrokenStoreFixture/" + tc.runner + "/"
			require.Contains(t, string(out), "--- FAIL: "+prefix+tc.fails+" ", "the broken rule must fail")
			if tc.passes != "" {
				require.Contains(t, string(out), "--- PASS: "+prefix+tc.passes+" ", "an unrelated rule must still pass")
			}
		})
	}
}

// TestBrokenStoreFixture runs the suite against the broken store STORETEST_BROKEN names; it only runs as
// the child process of TestSuiteCatchesBrokenStores.
func TestBrokenStoreFixture(t *testing.T) {
	which := os.Getenv("STORETEST_BROKEN")
	if which == "" {
		t.Skip("runs only as a child of TestSuiteCatchesBrokenStores")
	}
	storetest.Run(t, storetest.Harness{New: func(t *testing.T, now func() time.Time) store.Store {
		if which == "aliasing" {
			return newAliasingStore(memstore.New(&memstore.Options{Now: now}))
		}
		return brokenStore{Store: memstore.New(&memstore.Options{Now: now}), which: which, cursors: &racyCursors{m: map[string]int64{}},
			seq: new(atomic.Int64), shared: &sync.Map{}}
	}})
}

// brokenStore is a memstore with one deliberate bug, chosen by which. Inside a transaction the bug is
// still there: RunInTx hands fn a broken store over the transaction.
type brokenStore struct {
	store.Store
	which   string
	cursors *racyCursors
	seq     *atomic.Int64
	shared  *sync.Map // message ID → the *store.MediaCopy the caller appended ("shared-media")
}

type racyCursors struct {
	mu sync.Mutex
	m  map[string]int64
}

func (b brokenStore) AppendMessage(ctx context.Context, m store.Message) (store.Message, bool, error) {
	if b.which == "duplicate-appends" {
		m.ChannelMessageID = "" // forgets the idempotency key
	}
	got, created, err := b.Store.AppendMessage(ctx, m)
	if b.which == "shared-media" && err == nil && m.MediaCopy != nil {
		b.shared.Store(got.ID, m.MediaCopy) // keeps the caller's pointer rather than a copy
	}
	return got, created, err
}

func (b brokenStore) GetMessage(ctx context.Context, id string) (store.Message, error) {
	m, err := b.Store.GetMessage(ctx, id)
	if c, ok := b.shared.Load(id); ok && err == nil {
		m.MediaCopy = c.(*store.MediaCopy)
	}
	return m, err
}

func (b brokenStore) UpdateMessage(ctx context.Context, m store.Message) (store.Message, error) {
	if b.which == "forgetful-media" && m.MediaCopy != nil && m.MediaCopy.Status != store.MediaPending {
		m.MediaCopy = nil // keeps only the state recorded with the message
	}
	return b.Store.UpdateMessage(ctx, m)
}

func (b brokenStore) ListMessages(ctx context.Context, conv string, p store.Page) ([]store.Message, store.Cursor, error) {
	if b.which == "reversed-messages" {
		p.Order = 1 - p.Order
	}
	return b.Store.ListMessages(ctx, conv, p)
}

func (b brokenStore) UpdateConversation(ctx context.Context, c store.Conversation) (store.Conversation, error) {
	if b.which == "blind-updates" {
		if cur, err := b.Store.GetConversation(ctx, c.ID); err == nil {
			c.Version = cur.Version // last writer wins
		}
	}
	return b.Store.UpdateConversation(ctx, c)
}

func (b brokenStore) GetChannel(ctx context.Context, id string) (store.Channel, error) {
	c, err := b.Store.GetChannel(ctx, id)
	if b.which == "missing-is-zero" && errors.Is(err, store.ErrNotFound) {
		return store.Channel{}, nil
	}
	return c, err
}

func (b brokenStore) NextCursor(ctx context.Context, pool string) (int64, error) {
	if b.which != "racy-cursor" {
		return b.Store.NextCursor(ctx, pool)
	}
	// Read, then write: two callers can read the same value.
	b.cursors.mu.Lock()
	v := b.cursors.m[pool] + 1
	b.cursors.mu.Unlock()
	runtime.Gosched()
	b.cursors.mu.Lock()
	b.cursors.m[pool] = v
	b.cursors.mu.Unlock()
	return v, nil
}

func (b brokenStore) AssignConversation(ctx context.Context, a store.Assignment) (store.Conversation, error) {
	switch b.which {
	case "blind-claims": // last writer wins
		if cur, err := b.Store.GetConversation(ctx, a.ConversationID); err == nil {
			a.From = cur.Assignee
		}
	case "racy-claims": // check, then act: concurrent claimers can all pass the check
		cur, err := b.Store.GetConversation(ctx, a.ConversationID)
		if err != nil {
			return store.Conversation{}, err
		}
		if cur.Assignee != a.From {
			return store.Conversation{}, store.ErrConflict
		}
		time.Sleep(time.Millisecond)
		if cur, err = b.Store.GetConversation(ctx, a.ConversationID); err == nil {
			a.From = cur.Assignee
		}
	}
	return b.Store.AssignConversation(ctx, a)
}

func (b brokenStore) RunInTx(ctx context.Context, fn func(context.Context, store.Store) error) error {
	if b.which == "no-rollback" {
		return fn(ctx, b) // no transaction at all
	}
	return b.Store.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
		b.Store = tx
		return fn(ctx, b)
	})
}

func (b brokenStore) EnqueueJob(ctx context.Context, j store.Job) (store.Job, bool, error) {
	switch b.which {
	case "no-coalescing":
		j.Key = "" // every job is new
	case "lease-dropping": // every job is enqueued unclaimed and due, as before the enqueuer could claim it
		j.Lease, j.LeaseUntil = "", time.Time{}
	case "guessed-jobs": // returns the job it was given with its new ID, not the row it stored
		got, created, err := b.Store.EnqueueJob(ctx, j)
		j.ID = got.ID
		return j, created, err
	}
	return b.Store.EnqueueJob(ctx, j)
}

// GetContacts makes every broken store a store.ContactsGetter (the memstore under it has only the fallback
// store.GetContacts uses), so that a broken one can be one.
func (b brokenStore) GetContacts(ctx context.Context, ids []string) ([]store.Contact, error) {
	got, err := store.GetContacts(ctx, b.Store, ids)
	if b.which == "forgetful-batch-reads" && len(got) > 1 { // returns the first contact found only
		got = got[:1]
	}
	return got, err
}

// NoteInbound makes every broken store a store.InboundNoter (the memstore under it has only the fallback
// store.NoteInbound uses), so that a broken one can be one.
func (b brokenStore) NoteInbound(ctx context.Context, id string, n store.InboundNote) error {
	if b.which == "deaf-notes" { // answers nil and records nothing
		return nil
	}
	_, err := b.RecordInbound(ctx, id, n) // through this store's RecordInbound, broken or not
	return err
}

// CompleteHeldJob makes every broken store a store.HeldJobCompleter (the memstore under it has only the fallback
// store.CompleteHeldJob uses), so that a broken one can be one.
func (b brokenStore) CompleteHeldJob(ctx context.Context, id, lease string) error {
	if b.which == "blind-completions" { // completes the job under whatever lease it has now
		j, err := b.Store.GetJob(ctx, id)
		if err != nil {
			return nil
		}
		lease = j.Lease
	}
	return store.CompleteHeldJob(ctx, b.Store, id, lease)
}

// WatchJobs makes every broken store a store.JobWaker, as the memstore under it is, so that the JobWakes
// rules run against it.
func (b brokenStore) WatchJobs() (<-chan struct{}, func()) {
	return b.Store.(store.JobWaker).WatchJobs()
}

func (b brokenStore) RecordInbound(ctx context.Context, id string, n store.InboundNote) (store.Conversation, error) {
	switch b.which {
	case "versioned-inbound": // read, change, write back under the version read: concurrent calls conflict
		c, err := b.Store.GetConversation(ctx, id)
		if err != nil {
			return c, err
		}
		runtime.Gosched()
		c.Unreplied = true
		if n.At.After(c.LastInboundAt) {
			c.LastInboundAt = n.At
		}
		if n.ReplyToken != "" && n.ReplyTokenExpiresAt.After(c.ReplyTokenExpiresAt) {
			c.ReplyToken, c.ReplyTokenExpiresAt = n.ReplyToken, n.ReplyTokenExpiresAt
		}
		return b.Store.UpdateConversation(ctx, c)
	case "first-of-a-tie": // of messages sent at the same time, the first recorded keeps the preview
		before, err := b.Store.GetConversation(ctx, id)
		if err != nil {
			return before, err
		}
		c, err := b.Store.RecordInbound(ctx, id, n)
		if err != nil || !n.At.Equal(before.LastInboundAt) {
			return c, err
		}
		c.Preview = before.Preview
		return b.Store.UpdateConversation(ctx, c)
	case "last-preview-wins": // the last delivered message sets the preview, even an older one
		c, err := b.Store.RecordInbound(ctx, id, n)
		if err != nil {
			return c, err
		}
		c.Preview = n.Preview
		return b.Store.UpdateConversation(ctx, c)
	case "backwards-inbound": // the last call wins, even an older message
		c, err := b.Store.RecordInbound(ctx, id, n)
		if err != nil {
			return c, err
		}
		c.LastInboundAt, c.ReplyToken, c.ReplyTokenExpiresAt = n.At, n.ReplyToken, n.ReplyTokenExpiresAt
		return b.Store.UpdateConversation(ctx, c)
	}
	return b.Store.RecordInbound(ctx, id, n)
}

func (b brokenStore) RememberRequest(ctx context.Context, r store.Request) (store.Request, bool, error) {
	got, created, err := b.Store.RememberRequest(ctx, r)
	if b.which == "forgetful-requests" && err == nil && !created {
		r.CreatedAt = got.CreatedAt
		return r, true, nil // last caller wins: a repeat does the work again
	}
	return got, created, err
}

func (b brokenStore) HoldJob(ctx context.Context, id, lease string, until time.Time, reason string) error {
	if b.which == "endless-holds" { // the budget keeps running while held
		return b.Store.RetryJob(ctx, id, lease, until, reason)
	}
	return b.Store.HoldJob(ctx, id, lease, until, reason)
}

func (b brokenStore) AppendChannelEvent(ctx context.Context, e store.ChannelEvent) (store.ChannelEvent, bool, error) {
	if b.which == "duplicate-channel-events" {
		e.Event.ID = "" // forgets the idempotency key
	}
	return b.Store.AppendChannelEvent(ctx, e)
}

func (b brokenStore) ArchiveWebhook(ctx context.Context, w store.Webhook) (store.Webhook, error) {
	if b.which == "lossy-webhooks" {
		w.Body = []byte(strings.ToValidUTF8(string(w.Body), "?")) // keeps the body as text
	}
	return b.Store.ArchiveWebhook(ctx, w)
}

func (b brokenStore) DeleteChannel(ctx context.Context, id string) error {
	if b.which == "leaky-delete" { // deletes the channel record only
		ch, err := b.Store.GetChannel(ctx, id)
		if err != nil {
			return err
		}
		ch.Active, ch.Credentials = false, nil
		_, err = b.Store.UpdateChannel(ctx, ch)
		return err
	}
	if b.which == "job-eating-delete" { // ends the pending jobs that name the channel, as if they were its rows
		jobs, _, err := b.Store.ListJobs(ctx, store.JobFilter{Status: store.JobPending}, store.Page{Limit: store.MaxLimit})
		if err != nil {
			return err
		}
		for _, j := range jobs {
			if !bytes.Contains(j.Payload, []byte(id)) {
				continue
			}
			claimed, err := b.Store.ClaimJob(ctx, j.ID, time.Minute)
			if err != nil {
				return err
			}
			if err := b.Store.FailJob(ctx, j.ID, claimed.Lease, "channel deleted"); err != nil {
				return err
			}
		}
	}
	return b.Store.DeleteChannel(ctx, id)
}

func (b brokenStore) CreateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	if b.which == "c-strings" { // text ends at its first NUL, as in C
		c.Name, _, _ = strings.Cut(c.Name, "\x00")
	}
	return b.Store.CreateChannel(ctx, c)
}

func (b brokenStore) GetConversation(ctx context.Context, id string) (store.Conversation, error) {
	c, err := b.Store.GetConversation(ctx, id)
	if b.which == "no-mirror" { // the record lives on the contact only
		c.Record = store.RecordRef{}
	}
	return c, err
}

func (b brokenStore) FindOrCreateConversation(ctx context.Context, c store.Conversation) (store.Conversation, bool, error) {
	got, created, err := b.Store.FindOrCreateConversation(ctx, c)
	if b.which == "no-mirror" {
		got.Record = store.RecordRef{}
	}
	return got, created, err
}

func (b brokenStore) ListConversations(ctx context.Context, v store.View, p store.Page) ([]store.InboxEntry, store.Cursor, error) {
	got, next, err := b.Store.ListConversations(ctx, v, p)
	kept := got[:0]
	for _, e := range got {
		switch b.which {
		case "unlisted-until-messages": // ordered by message times only, so a new conversation has no place
			if e.Conversation.LastInboundAt.IsZero() && e.Conversation.LastOutboundAt.IsZero() {
				continue
			}
		case "blind-viewer":
			e.Notification = nil
		case "viewer-without-marks": // the view's join reads the columns the state first had, not the newer ones
			if e.Notification != nil {
				st := *e.Notification
				st.SnoozedUntilInbound, st.Through = false, time.Time{}
				e.Notification = &st
			}
		}
		kept = append(kept, e)
	}
	return kept, next, err
}

func (b brokenStore) CountConversations(ctx context.Context, v store.View, limit int) (int, error) {
	if b.which == "unbounded-count" {
		limit = 0
	}
	return b.Store.CountConversations(ctx, v, limit)
}

func (b brokenStore) UpdateContact(ctx context.Context, c store.Contact) (store.Contact, error) {
	got, err := b.Store.UpdateContact(ctx, c)
	if b.which == "writable-link" && err == nil && c.Record != got.Record { // the update moves the link too
		return b.Store.LinkContact(ctx, store.LinkChange{ContactID: c.ID, From: got.Record, To: c.Record})
	}
	return got, err
}

func (b brokenStore) PutNotificationState(ctx context.Context, st store.NotificationState) (store.NotificationState, error) {
	if b.which == "state-without-marks" { // a backend that keeps only the columns the state first had
		st.SnoozedUntilInbound, st.Through = false, time.Time{}
	}
	return b.Store.PutNotificationState(ctx, st)
}

func (b brokenStore) AddNotification(ctx context.Context, n store.Notification) (store.Notification, bool, error) {
	if b.which == "duplicate-notifications" { // every add is new: the key is not unique
		n.Key = fmt.Sprint(n.Key, "#", b.seq.Add(1))
	}
	return b.Store.AddNotification(ctx, n)
}

func (b brokenStore) ListNotifications(ctx context.Context, user string, f store.NotificationFilter, p store.Page) ([]store.Notification, store.Cursor, error) {
	switch b.which {
	case "reversed-notifications":
		p.Order = 1 - p.Order
	case "unread-is-all":
		f.Unread = false
	}
	return b.Store.ListNotifications(ctx, user, f, p)
}

func (b brokenStore) CountNotifications(ctx context.Context, user string, f store.NotificationFilter, limit int) (int, error) {
	switch b.which {
	case "unbounded-notification-count":
		limit = 0
	case "unread-is-all":
		f.Unread = false
	}
	return b.Store.CountNotifications(ctx, user, f, limit)
}

func (b brokenStore) MarkNotificationsRead(ctx context.Context, user string, through store.Cursor) (int, error) {
	if b.which == "read-everything" && !through.IsZero() { // "mark all read" marks what arrived since too
		through = store.Cursor{Time: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	return b.Store.MarkNotificationsRead(ctx, user, through)
}

func (b brokenStore) PutNotificationSettings(ctx context.Context, st store.NotificationSettings) (store.NotificationSettings, error) {
	if b.which == "forgetful-settings" { // keeps the muted events only
		st.MutedChannels = nil
	}
	return b.Store.PutNotificationSettings(ctx, st)
}
