package conversation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// Receive is the channel.Sink a channel.Handler calls: it ingests the delivery's events and, with
// Options.Archive set, keeps the verified body for Replay, in the same transaction as the first events.
// When ctx carries the channel as the webhook endpoint read it (store.WithChannel, as
// connect.Service.Webhooks does), Receive does not read it again.
func (s *Service) Receive(ctx context.Context, d channel.Delivery) error {
	var archive *store.Webhook
	if s.o.Archive > 0 {
		now := s.o.Now()
		archive = &store.Webhook{ChannelID: d.ChannelID, Body: d.Body, ReceivedAt: now, ExpiresAt: now.Add(s.o.Archive)}
	}
	_, err := s.ingest(ctx, d.ChannelID, d.Events, archive)
	return err
}

// Ingest stores a verified batch of events for the channel channelID. Receive calls it for webhooks; call
// it directly to feed events from elsewhere.
//
// Each event is stored exactly once, however often the channel delivers it: its message (or, for other
// events, its record on the conversation) is appended idempotently on the channel's ID, and everything
// else follows from that append. For a new event, in the same transaction, the contact and the
// conversation are found or created, the conversation records the message (unreplied, last inbound
// time, reply token) with an atomic update that concurrent messages never make fail, follow state
// changes by event time (an older, redelivered follow or unfollow changes nothing; a message from the
// user proves they follow), the profile the event names (Event.Profile) is set on a one-to-one chat's
// contact unless a newer message named them, and the work the event causes is recorded as jobs:
// deciding the owner and notifying them, fetching a new sender's profile (not when the event named them
// and the adapter is no channel.ProfileFetcher), the Media hook. Run does that work; the webhook waits
// for nothing but the commit. Events that belong to no conversation (no source, or a source of a kind
// msgkit does not know) are kept in the channel's event log. Events in standby mode are stored, but
// neither assigned, notified nor given a reply token.
//
// The batch is stored in transactions of up to Options.Batch events, with each chat's events in order.
// Ingest returns an error (so the channel redelivers) only when an event could not be stored; the events
// before it are kept, and their redelivery is recognised. A deactivated channel's events are
// acknowledged and dropped (FEATURES F4).
func (s *Service) Ingest(ctx context.Context, channelID string, events []channel.Event) error {
	_, err := s.ingest(ctx, channelID, events, nil)
	return err
}

// ingest stores events, and archive with the first of them, and returns how many events were new.
// The channel is read first, unless ctx carries it (store.WithChannel: the endpoint that verified the
// webhook read it).
func (s *Service) ingest(ctx context.Context, channelID string, events []channel.Event, archive *store.Webhook) (int, error) {
	ch, ok := store.ChannelFrom(ctx, channelID)
	if !ok {
		var err error
		if ch, err = s.store.GetChannel(ctx, channelID); err != nil {
			return 0, fmt.Errorf("conversation: ingest for channel %s: %w", channelID, err)
		}
	}
	if !ch.Active {
		s.log.LogAttrs(ctx, slog.LevelDebug, "conversation: events for a deactivated channel ignored",
			slog.String("channel_id", channelID), slog.Int("events", len(events)))
		events = nil // the archive keeps them, so a replay after reactivation can take them in
	}
	if len(events) == 0 {
		if archive != nil {
			_, err := s.store.ArchiveWebhook(ctx, *archive)
			return 0, err
		}
		return 0, nil
	}
	rt := ingestRun{tokenTTL: s.o.ReplyTokenTTL, fetchesProfiles: true}
	if a, err := s.adapters.Adapter(ctx, ch); err == nil {
		rt.tokenTTL = s.tokenTTL(a)
		_, rt.fetchesProfiles = a.(channel.ProfileFetcher)
	}
	order := chatOrder(events)
	stored := 0
	for start := 0; start < len(order); start += s.o.Batch {
		chunk := order[start:min(start+s.o.Batch, len(order))]
		n, err := s.ingestChunk(ctx, rt, ch, events, chunk, archive)
		if err != nil && len(chunk) > 1 {
			// Store the events one by one, so one that cannot be stored does not hold back the others.
			n = 0
			for _, i := range chunk {
				m, err := s.ingestChunk(ctx, rt, ch, events, []int{i}, archive)
				if err != nil {
					return stored + n, fmt.Errorf("conversation: storing event %d of %d (%s): %w", i+1, len(events), events[i].Kind, err)
				}
				n += m
				archive = nil
			}
		} else if err != nil {
			i := chunk[0]
			return stored, fmt.Errorf("conversation: storing event %d of %d (%s): %w", i+1, len(events), events[i].Kind, err)
		}
		stored += n
		archive = nil
	}
	return stored, nil
}

// chatOrder returns the indexes of events grouped by chat, the chats in a fixed order and each chat's
// events in delivery order. Concurrent batches then lock conversations in the same order, and cannot
// deadlock one another.
func chatOrder(events []channel.Event) []int {
	order := make([]int, len(events))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		pa, pb := events[a].Source.Chat(), events[b].Source.Chat()
		return cmp.Or(cmp.Compare(pa.Kind, pb.Kind), cmp.Compare(pa.ID, pb.ID))
	})
	return order
}

// maxConflictRetries bounds how often a transaction that lost an optimistic race is run again. Each lost
// race means another writer made progress, so the next run usually wins.
const maxConflictRetries = 32

// inTx runs fn in a transaction, running it again when it loses an optimistic race.
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, tx store.Store) error) error {
	var err error
	for attempt := range maxConflictRetries {
		if err = s.store.RunInTx(ctx, fn); !errors.Is(err, store.ErrConflict) {
			return err
		}
		pause := time.NewTimer(time.Duration(rand.N(1<<min(attempt, 6))) * time.Millisecond)
		select {
		case <-ctx.Done():
			pause.Stop()
			return ctx.Err()
		case <-pause.C:
		}
	}
	return err
}

// ingestRun is what the events of one batch share.
type ingestRun struct {
	tokenTTL time.Duration // how long the channel's reply tokens are used
	// fetchesProfiles is false when the channel's adapter cannot look profiles up: an event that names
	// its sender (Event.Profile) is then all there is, and no profile job is recorded for it.
	fetchesProfiles bool
}

// ingestChunk stores the events at indexes idx (and archive) in one transaction, and returns how many
// were new.
func (s *Service) ingestChunk(ctx context.Context, rt ingestRun, ch store.Channel, events []channel.Event, idx []int, archive *store.Webhook) (int, error) {
	var n int
	local := s.newLocalBatch()
	err := s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		n = 0
		local.reset()
		if archive != nil {
			if _, err := tx.ArchiveWebhook(ctx, *archive); err != nil {
				return err
			}
		}
		for _, i := range idx {
			created, err := s.ingestEvent(ctx, tx, rt, local, ch, &events[i])
			if err != nil {
				return err
			}
			if created {
				n++
			}
		}
		return nil
	})
	if err == nil {
		s.runLocally(local)
	} else {
		local.reset()
	}
	return n, err
}

// ingestEvent stores one event in tx and reports whether it was new. The jobs it records are claimed for
// this Service in local, when set.
func (s *Service) ingestEvent(ctx context.Context, tx store.Store, rt ingestRun, local *localBatch, ch store.Channel, e *channel.Event) (bool, error) {
	if e.Kind == channel.EventReceipt && e.Receipt != nil {
		return applyReceipt(ctx, tx, ch, e)
	}
	if !isChat(e.Source) || (e.Account != "" && ch.Account.UserID != "" && e.Account != ch.Account.UserID) {
		ev := *e
		ev.ReplyToken = ""
		_, created, err := tx.AppendChannelEvent(ctx, store.ChannelEvent{ChannelID: ch.ID, Event: ev})
		return created, err
	}
	peer := e.Source.Chat()
	first := store.Contact{ChannelID: ch.ID, Peer: peer, Followed: true}
	if f, ok := followEvidence(e); ok {
		first.Followed, first.FollowChangedAt = f, e.Time
	}
	named := withEventProfile(&first, e)
	contact, newContact, err := tx.FindOrCreateContact(ctx, first)
	if err != nil {
		return false, err
	}
	active := e.Mode != channel.ModeStandby
	var note store.InboundNote
	conv := store.Conversation{ChannelID: ch.ID, ContactID: contact.ID, Peer: peer}
	if e.Kind == channel.EventMessage {
		// A new conversation is created with the message recorded: one write instead of two.
		note = inboundNote(rt, e, active)
		conv.Unreplied, conv.LastInboundAt, conv.Preview = true, note.At, note.Preview
		conv.ReplyToken, conv.ReplyTokenExpiresAt = note.ReplyToken, note.ReplyTokenExpiresAt
	}
	conv, newConv, err := tx.FindOrCreateConversation(ctx, conv)
	if err != nil {
		return false, err
	}
	m, created, err := tx.AppendMessage(ctx, s.withCopy(entry(conv, e)))
	if err != nil || !created {
		return false, err // a redelivery: everything it caused was stored with it
	}
	if !newContact {
		if contact, err = s.applyFollow(ctx, tx, contact, conv, e); err != nil {
			return false, err
		}
		if contact, named, err = applyEventProfile(ctx, tx, contact, conv, e); err != nil {
			return false, err
		}
	}
	switch e.Kind {
	case channel.EventMessage:
		if !newConv {
			// Found (not created) in this transaction: nothing to answer (on store/postgres the update is
			// sent with the next statement, not in a round trip of its own).
			if err := store.NoteInbound(ctx, tx, conv.ID, note); err != nil {
				return false, err
			}
		}
		if active {
			if err := s.enqueueFor(ctx, tx, local, jobInbound, "", inboundJob{ConversationID: conv.ID, ContactID: contact.ID, MessageID: m.ID, At: m.Time}); err != nil {
				return false, err
			}
		}
		if (s.o.Media != nil || m.MediaCopy != nil) && isMedia(m.Content.Type) {
			// Not recorded for this Service: a media copy or hook may take longer than a local lease.
			if err := enqueueDue(ctx, tx, local, jobMedia, "", mediaJob{MessageID: m.ID}); err != nil {
				return false, err
			}
		}
	case channel.EventUnsend:
		if err := hideUnsent(ctx, tx, local, ch.ID, e.UnsentMessageID); err != nil {
			return false, err
		}
	}
	if wantsProfile(contact, newContact, e) && (rt.fetchesProfiles || !named) {
		// The key keeps a contact's profile fetches to one pending job at a time. A contact created in
		// this transaction has none yet: its job needs no key, and so no answer from the store (on
		// store/postgres it is written with the commit, not in a round trip of its own).
		key := contact.ID
		if newContact {
			key = ""
		}
		if err := s.enqueueFor(ctx, tx, local, jobProfile, key, profileJob{ContactID: contact.ID, ChannelID: ch.ID, User: e.Source.UserID}); err != nil {
			return false, err
		}
	}
	return true, nil
}

// receiptRank orders outbound statuses as receipts move them: a receipt never moves a part back.
var receiptRank = map[store.MessageStatus]int{store.StatusSent: 1, store.StatusDelivered: 2, store.StatusRead: 3}

// applyReceipt moves the outbound part the receipt names forward (delivered, read) or to failed, and
// reports whether it changed anything. A receipt for a part not found (sent by something else, or not
// recorded yet) is kept in the channel's event log.
func applyReceipt(ctx context.Context, tx store.Store, ch store.Channel, e *channel.Event) (bool, error) {
	m, err := tx.FindMessage(ctx, ch.ID, e.Receipt.MessageID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && m.Direction != store.Outbound) {
		_, created, err := tx.AppendChannelEvent(ctx, store.ChannelEvent{ChannelID: ch.ID, Event: *e})
		return created, err
	}
	if err != nil {
		return false, err
	}
	switch r := e.Receipt; r.Status {
	case channel.ReceiptDelivered, channel.ReceiptRead:
		to := store.MessageStatus(r.Status)
		if receiptRank[to] <= receiptRank[m.Status] {
			return false, nil // late or repeated: "delivered" never overwrites "read"
		}
		m.Status = to
	case channel.ReceiptFailed:
		if receiptRank[m.Status] >= receiptRank[store.StatusDelivered] || m.Status == store.StatusFailed {
			return false, nil
		}
		m.Status, m.StatusDetail = store.StatusFailed, note(m.StatusDetail, "not delivered: the channel reported "+cmp.Or(r.Error, "a failure"))
	default:
		return false, nil // "sent" is what msgkit recorded already
	}
	_, err = tx.UpdateMessage(ctx, m)
	return err == nil, err
}

// isChat reports whether an event's source is a chat msgkit keeps conversations for.
func isChat(p channel.Peer) bool {
	switch p.Kind {
	case channel.PeerUser, channel.PeerGroup, channel.PeerRoom:
		return p.ID != ""
	}
	return false
}

// entry is the conversation entry an event makes: its message, or the event itself for the others.
// Either is appended idempotently on the channel's ID (a message's, or the event's).
func entry(conv store.Conversation, e *channel.Event) store.Message {
	m := store.Message{ConversationID: conv.ID, Direction: store.Inbound, Kind: e.Kind, Author: e.Source.UserID,
		Status: store.StatusReceived, Time: e.Time}
	if e.Kind == channel.EventMessage {
		m.Content = channel.Message{Type: channel.TypeRaw}
		if e.Message != nil {
			m.Content = *e.Message
		}
		m.ChannelMessageID = m.Content.ID
		if m.ChannelMessageID == "" && e.ID != "" {
			m.ChannelMessageID = "event:" + e.ID
		}
		return m
	}
	ev := *e
	ev.ReplyToken = "" // single-use and short-lived: not worth keeping
	m.Event = &ev
	if e.ID != "" {
		m.ChannelMessageID = "event:" + e.ID
	}
	return m
}

// inboundNote is what the message event e records on its conversation: its time and preview, and its
// reply token while the conversation is active (not in standby).
func inboundNote(rt ingestRun, e *channel.Event, active bool) store.InboundNote {
	note := store.InboundNote{At: e.Time, Preview: PreviewOf(entry(store.Conversation{}, e).Content)}
	if active && e.ReplyToken != "" && rt.tokenTTL > 0 {
		note.ReplyToken, note.ReplyTokenExpiresAt = e.ReplyToken, e.Time.Add(rt.tokenTTL)
	}
	return note
}

// followEvidence reports what e says about whether its user follows the account: a follow or unfollow
// event, or a message in a one-to-one chat (only a follower can write).
func followEvidence(e *channel.Event) (followed, ok bool) {
	switch {
	case e.Kind == channel.EventFollow:
		return true, true
	case e.Kind == channel.EventUnfollow:
		return false, true
	case e.Kind == channel.EventMessage && e.Source.Kind == channel.PeerUser:
		return true, true
	}
	return false, false
}

// applyFollow applies e's follow evidence to an existing contact, by event time: evidence older than
// what the contact's state rests on changes nothing (of two at the same time, the later delivered wins). A one-to-one conversation's last inbound message is
// evidence too, so a stale unfollow cannot lock agents out of a customer who has written since.
func (s *Service) applyFollow(ctx context.Context, tx store.Store, contact store.Contact, conv store.Conversation, e *channel.Event) (store.Contact, error) {
	followed, ok := followEvidence(e)
	if !ok || followed == contact.Followed {
		return contact, nil
	}
	since := contact.FollowChangedAt
	if !followed && contact.Peer.Kind == channel.PeerUser && conv.LastInboundAt.After(since) {
		since = conv.LastInboundAt
	}
	if e.Time.Before(since) {
		return contact, nil
	}
	contact.Followed, contact.FollowChangedAt = followed, e.Time
	return tx.UpdateContact(ctx, contact)
}

// wantsProfile reports whether e should fetch the contact's profile: a new user, or one whose profile
// could not be fetched and who now follows again (LINE answers profiles of followers only).
func wantsProfile(c store.Contact, created bool, e *channel.Event) bool {
	if c.Peer.Kind != channel.PeerUser || e.Source.UserID == "" {
		return false
	}
	return created || (e.Kind == channel.EventFollow && c.ProfileStatus == store.ProfileFailed)
}

// hideUnsent marks the message the sender took back, and drops its content; the media job it may record
// is noted in local (when set).
func hideUnsent(ctx context.Context, tx store.Store, local *localBatch, channelID, messageID string) error {
	if messageID == "" {
		return nil
	}
	m, err := tx.FindMessage(ctx, channelID, messageID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // unsent before we stored it (or long ago): nothing to hide
	}
	if err != nil {
		return err
	}
	m.Unsent = true
	m.Content = channel.Message{Type: m.Content.Type, ID: m.Content.ID}
	if _, err = tx.UpdateMessage(ctx, m); err != nil || m.MediaCopy == nil {
		return err
	}
	// Its media copy is not kept either: the media job deletes it (or, still pending, does not make it).
	return enqueueDue(ctx, tx, local, jobMedia, "", mediaJob{MessageID: m.ID})
}

// withCopy marks an inbound media message's copy pending when the service keeps copies.
func (s *Service) withCopy(m store.Message) store.Message {
	if s.o.Files.Store != nil && m.Kind == channel.EventMessage && isMedia(m.Content.Type) {
		m.MediaCopy = &store.MediaCopy{Status: store.MediaPending}
	}
	return m
}

func isMedia(t channel.MessageType) bool {
	return t == channel.TypeImage || t == channel.TypeVideo || t == channel.TypeAudio || t == channel.TypeFile
}
