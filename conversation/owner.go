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
	ContactID      string    `json:"contactId"`
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
	conv, contact, err := s.decideOwner(ctx, p.ConversationID, p.ContactID)
	if err != nil {
		return fmt.Errorf("conversation: deciding the owner: %w", err)
	}
	return s.notify(ctx, Notification{UserID: conv.Assignee, ChannelID: conv.ChannelID, ConversationID: conv.ID,
		MessageID: p.MessageID, Linked: !contact.Record.IsZero(), At: p.At})
}

// decideOwner gives the conversation its owner: the linked record's owner (unless a person assigned it
// by hand), or the Assigner's pick for an unregistered sender. Nobody available leaves it waiting for
// assign.Drain.
func (s *Service) decideOwner(ctx context.Context, convID, contactID string) (store.Conversation, store.Contact, error) {
	var conv store.Conversation
	contact, err := s.store.GetContact(ctx, contactID)
	if err != nil {
		return conv, contact, err
	}
	switch owner := contact.Record.Owner; {
	case !contact.Record.IsZero() && owner != "":
		err = s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
			conv, err = toRecordOwner(ctx, tx, convID, owner)
			return err
		})
	case s.o.Assigner == nil:
		conv, err = s.store.GetConversation(ctx, convID)
	default:
		conv, err = assign.Route(ctx, s.store, s.o.Assigner, convID)
		if errors.Is(err, assign.ErrNoAgent) {
			err = nil // it waits, unassigned, for assign.Drain
		}
	}
	return conv, contact, err
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
