package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/store"
)

// inboundJob is the work after an inbound message: decide the conversation's owner, and notify them.
type inboundJob struct {
	ConversationID string    `json:"conversationId"`
	MessageID      string    `json:"messageId"`
	At             time.Time `json:"at"`
}

// runInbound decides the owner of the job's conversation and notifies them. Both steps are safe to
// repeat: routing is sticky and a compare-and-set, and a notification names its message, so a host that
// sees one twice can tell.
func (s *Service) runInbound(ctx context.Context, j store.Job) error {
	var p inboundJob
	if err := decode(j, &p); err != nil {
		return err
	}
	conv, contact, err := s.decideOwner(ctx, p.ConversationID)
	if err != nil {
		return fmt.Errorf("conversation: deciding the owner: %w", err)
	}
	return s.notify(ctx, Notification{UserID: conv.Assignee, ChannelID: conv.ChannelID, ConversationID: conv.ID,
		MessageID: p.MessageID, Linked: !contact.Record.IsZero(), At: p.At})
}

// decideOwner gives the conversation its owner: the linked record's owner (unless a person assigned it
// by hand), or the Assigner's pick for an unregistered sender. Nobody available leaves it waiting for
// assign.Drain.
func (s *Service) decideOwner(ctx context.Context, convID string) (store.Conversation, store.Contact, error) {
	conv, err := s.store.GetConversation(ctx, convID)
	if err != nil {
		return conv, store.Contact{}, err
	}
	contact, err := s.store.GetContact(ctx, conv.ContactID)
	if err != nil {
		return conv, contact, err
	}
	if owner := contact.Record.Owner; !contact.Record.IsZero() && owner != "" {
		err := s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
			conv, err = toRecordOwner(ctx, tx, convID, owner)
			return err
		})
		return conv, contact, err
	}
	if s.o.Assigner == nil {
		return conv, contact, nil
	}
	routed, err := assign.Route(ctx, s.store, s.o.Assigner, convID)
	if errors.Is(err, assign.ErrNoAgent) {
		return conv, contact, nil
	}
	return routed, contact, err
}

// toRecordOwner assigns the conversation to the owner of its contact's record, unless a person assigned
// it by hand.
func toRecordOwner(ctx context.Context, tx store.Store, convID, owner string) (store.Conversation, error) {
	conv, err := tx.GetConversation(ctx, convID)
	if err != nil || conv.Assignee == owner {
		return conv, err
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
