package conversation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// Ingest stores a verified webhook batch for the channel channelID; it is the channel.Sink a
// channel.Handler calls. Each event is handled in its own store transaction: deduplicated on the
// channel's event ID (a redelivery changes nothing), its contact and conversation found or created, the
// message appended (idempotent on the channel's message ID too), the conversation updated (unreplied,
// last inbound time, reply token and its deadline), and its owner decided: the linked record's owner, or
// the Assigner for unregistered senders (sticky for returning ones). Non-message events update state
// (follow, unfollow, unsend) and are recorded on the conversation; unknown events are kept raw. Events in
// standby mode are stored but never assigned, notified or given a reply token.
//
// Slow work waits for Run: the sender's profile, and the Media hook. Notifications go out after each
// event is stored. A deactivated channel's events are acknowledged and dropped (FEATURES F4). Ingest
// returns an error (so the channel redelivers) only when an event could not be stored; the events before
// it are kept, and their redelivery is deduplicated.
func (s *Service) Ingest(ctx context.Context, channelID string, events []channel.Event) error {
	ch, err := s.store.GetChannel(ctx, channelID)
	if err != nil {
		return fmt.Errorf("conversation: ingest for channel %s: %w", channelID, err)
	}
	if !ch.Active {
		s.log.LogAttrs(ctx, slog.LevelDebug, "conversation: events for a deactivated channel ignored",
			slog.String("channel_id", channelID), slog.Int("events", len(events)))
		return nil
	}
	for i := range events {
		var after []func(context.Context)
		err := store.InTx(ctx, s.store, func(ctx context.Context, tx store.Store) error {
			var err error
			after, err = s.ingestEvent(ctx, tx, ch, &events[i])
			return err
		})
		if err != nil {
			return fmt.Errorf("conversation: storing event %d of %d (%s): %w", i+1, len(events), events[i].Kind, err)
		}
		for _, f := range after {
			f(ctx)
		}
	}
	return nil
}

// ingestEvent stores one event in tx and returns what to do once it is committed.
func (s *Service) ingestEvent(ctx context.Context, tx store.Store, ch store.Channel, e *channel.Event) ([]func(context.Context), error) {
	if e.ID != "" {
		first, err := tx.FirstSeen(ctx, "event/"+ch.ID+"/"+e.ID, s.o.DedupTTL)
		if err != nil || !first {
			return nil, err
		}
	}
	if e.Source.IsZero() {
		// Nothing to attach it to (LINE sends none for some account-level events): acknowledged only.
		s.log.LogAttrs(ctx, slog.LevelDebug, "conversation: event without a source skipped",
			slog.String("channel_id", ch.ID), slog.String("type", e.Type))
		return nil, nil
	}
	peer := e.Source.Chat()
	contact, _, err := tx.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: peer, Followed: true})
	if err != nil {
		return nil, err
	}
	conv, _, err := tx.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: contact.ID, Peer: peer})
	if err != nil {
		return nil, err
	}
	var after []func(context.Context)
	if contact.ProfileStatus == store.ProfilePending && e.Source.UserID != "" && peer.Kind == channel.PeerUser {
		after = append(after, func(context.Context) { s.background(s.fetchProfile(ch, contact.ID, e.Source)) })
	}

	switch e.Kind {
	case channel.EventMessage:
		return s.ingestMessage(ctx, tx, ch, contact, conv, e, after)
	case channel.EventFollow, channel.EventUnfollow:
		contact.Followed = e.Kind == channel.EventFollow
		if _, err := tx.UpdateContact(ctx, contact); err != nil {
			return nil, err
		}
	case channel.EventUnsend:
		if err := hideUnsent(ctx, tx, ch.ID, e.UnsentMessageID); err != nil {
			return nil, err
		}
	}
	return after, record(ctx, tx, conv, e)
}

// record keeps a non-message event on its conversation, as the event itself.
func record(ctx context.Context, tx store.Store, conv store.Conversation, e *channel.Event) error {
	ev := *e
	ev.ReplyToken = "" // single-use and short-lived: not worth keeping
	m := store.Message{ConversationID: conv.ID, Direction: store.Inbound, Kind: e.Kind, Author: e.Source.UserID,
		Event: &ev, Status: store.StatusReceived, Time: e.Time}
	if e.ID != "" {
		m.ChannelMessageID = "event:" + e.ID // makes a redelivery idempotent even past the dedup window
	}
	_, _, err := tx.AppendMessage(ctx, m)
	return err
}

// hideUnsent marks the message the sender took back, and drops its content.
func hideUnsent(ctx context.Context, tx store.Store, channelID, messageID string) error {
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
	_, err = tx.UpdateMessage(ctx, m)
	return err
}

// ingestMessage appends an inbound message and updates its conversation and owner.
func (s *Service) ingestMessage(ctx context.Context, tx store.Store, ch store.Channel, contact store.Contact,
	conv store.Conversation, e *channel.Event, after []func(context.Context)) ([]func(context.Context), error) {
	content := channel.Message{Type: channel.TypeRaw}
	if e.Message != nil {
		content = *e.Message
	}
	m, created, err := tx.AppendMessage(ctx, store.Message{ConversationID: conv.ID, Direction: store.Inbound,
		Kind: channel.EventMessage, ChannelMessageID: content.ID, Author: e.Source.UserID, Content: content,
		Status: store.StatusReceived, Time: e.Time})
	if err != nil || !created {
		return after, err
	}
	if e.Time.After(conv.LastInboundAt) || conv.LastInboundAt.IsZero() {
		conv.LastInboundAt = e.Time
	}
	active := e.Mode != channel.ModeStandby
	conv.Unreplied = true
	if active && e.ReplyToken != "" {
		conv.ReplyToken, conv.ReplyTokenExpiresAt = e.ReplyToken, e.Time.Add(s.o.ReplyTokenTTL)
	}
	if conv, err = tx.UpdateConversation(ctx, conv); err != nil {
		return nil, err
	}
	if active {
		// Ownership is decided once the message is stored, outside the transaction: the Assigner uses the
		// store itself, and every assignment is a compare-and-set that is safe on its own.
		after = append(after, func(ctx context.Context) { s.route(ctx, ch, contact, conv.ID, m) })
	}
	if s.o.Media != nil && isMedia(content.Type) {
		after = append(after, func(context.Context) {
			s.background(func(ctx context.Context) {
				if err := s.o.Media(ctx, m); err != nil {
					s.o.OnError(fmt.Errorf("conversation: media hook: %w", err))
				}
			})
		})
	}
	return after, nil
}

func isMedia(t channel.MessageType) bool {
	return t == channel.TypeImage || t == channel.TypeVideo || t == channel.TypeAudio || t == channel.TypeFile
}

// route decides the conversation's owner after a new message and tells them. A failure leaves the
// conversation as it is (unassigned ones wait for Drain or the next message) and goes to OnError.
func (s *Service) route(ctx context.Context, ch store.Channel, contact store.Contact, convID string, m store.Message) {
	conv, err := s.store.GetConversation(ctx, convID)
	if err == nil {
		conv, err = s.decideOwner(ctx, contact, conv)
	}
	if err != nil {
		s.o.OnError(fmt.Errorf("conversation: deciding the owner: %w", err))
	}
	s.notify(ctx, Notification{UserID: conv.Assignee, ChannelID: ch.ID, ConversationID: convID, MessageID: m.ID,
		Linked: !contact.Record.IsZero(), At: m.Time})
}

// decideOwner gives the conversation its owner: the linked record's owner (unless a person assigned it
// by hand), or the Assigner's pick for an unregistered sender. Nobody available leaves it waiting.
func (s *Service) decideOwner(ctx context.Context, contact store.Contact, conv store.Conversation) (store.Conversation, error) {
	tx := s.store
	if owner := contact.Record.Owner; !contact.Record.IsZero() && owner != "" {
		if conv.Assignee == owner {
			return conv, nil
		}
		if conv.Assignee != "" {
			history, err := tx.ListAssignments(ctx, conv.ID)
			if err != nil {
				return conv, err
			}
			if len(history) > 0 && history[len(history)-1].Reason == store.AssignManual {
				return conv, nil
			}
		}
		return tx.AssignConversation(ctx, store.Assignment{ConversationID: conv.ID, From: conv.Assignee, To: owner,
			Reason: store.AssignRecordOwner})
	}
	if s.o.Assigner == nil {
		return conv, nil
	}
	routed, err := assign.Route(ctx, tx, s.o.Assigner, conv.ID)
	if errors.Is(err, assign.ErrNoAgent) {
		return conv, nil
	}
	return routed, err
}

// fetchProfile returns the background job that fetches a contact's profile and records the result.
func (s *Service) fetchProfile(ch store.Channel, contactID string, peer channel.Peer) func(context.Context) {
	return func(ctx context.Context) {
		a, err := s.adapters.Adapter(ctx, ch)
		if err != nil {
			s.o.OnError(err)
			return
		}
		p, fetchErr := channel.FetchProfile(ctx, a, peer)
		for range 3 { // a concurrent update (a new message) may bump the version: re-read and retry
			c, err := s.store.GetContact(ctx, contactID)
			if err != nil {
				s.o.OnError(err)
				return
			}
			if c.ProfileStatus == store.ProfileFetched && fetchErr != nil {
				return // an earlier fetch succeeded: keep it
			}
			if fetchErr != nil {
				c.ProfileStatus, c.ProfileError = store.ProfileFailed, category(fetchErr)
			} else {
				c.Profile, c.ProfileStatus, c.ProfileError = p, store.ProfileFetched, ""
			}
			_, err = s.store.UpdateContact(ctx, c)
			if !errors.Is(err, store.ErrConflict) {
				if err != nil {
					s.o.OnError(err)
				}
				return
			}
		}
	}
}
