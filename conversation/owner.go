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

// runInbound decides the owner of the job's conversation and lists the new message in their
// notifications, in one transaction that completes the job too; with a Notifier, the job completes
// once it was told. Every step is safe to repeat: routing is sticky and a compare-and-set, a listed
// notification is keyed by its message, and a Notifier that is told twice sees the same Notification.ID.
func (s *Service) runInbound(ctx context.Context, j store.Job) error {
	var p inboundJob
	if err := decode(j, &p); err != nil {
		return err
	}
	var n Notification
	var tell bool
	err := s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		var err error
		if n, tell, err = s.routeAndList(ctx, tx, p); err != nil || tell {
			return err
		}
		return completeIf(ctx, tx, j, true)
	})
	switch {
	case errors.Is(err, assign.ErrNoAgent):
		return nil // it waits, unassigned, for assign.Drain; nobody to tell
	case err != nil:
		return fmt.Errorf("conversation: routing a new message and listing its notification: %w", err)
	case tell:
		return s.tell(ctx, n)
	}
	return errJobDone
}

// routeAndList decides the owner of p's conversation and lists the new message in their notifications,
// in tx, and returns the notification and whether the Notifier is to be told of it.
func (s *Service) routeAndList(ctx context.Context, tx store.Store, p inboundJob) (Notification, bool, error) {
	conv, contact, err := s.decideOwner(ctx, tx, p.ConversationID, p.ContactID)
	if err != nil {
		return Notification{}, false, err
	}
	n := Notification{Event: store.NotifyMessage, UserID: conv.Assignee, ChannelID: conv.ChannelID, ConversationID: conv.ID,
		MessageID: p.MessageID, Linked: !contact.Record.IsZero(), At: p.At}
	return s.listSignal(ctx, tx, n, "message:"+p.MessageID)
}

// stageInbounds stages inbound jobs (staged.go): each routes its conversation and lists its notification
// in the batch's shared transaction; telling the Notifier follows the commit.
func (s *Service) stageInbounds(_ context.Context, _ *channelCache, jobs []store.Job, _ int) []staged {
	st := make([]staged, len(jobs))
	for i, j := range jobs {
		var p inboundJob
		if st[i].err = decode(j, &p); st[i].err != nil {
			continue
		}
		st[i].contact = p.ContactID
		st[i].record = func(ctx context.Context, tx store.Store) (func(context.Context) error, error) {
			n, tell, err := s.routeAndList(ctx, tx, p)
			if err != nil || !tell {
				return nil, err
			}
			return func(ctx context.Context) error { return s.tell(ctx, n) }, nil
		}
		st[i].alone = func(ctx context.Context) error { return s.runInbound(ctx, j) }
	}
	return st
}

// decideOwner gives the conversation its owner in tx: the linked record's owner (unless a person
// assigned it by hand), or the Assigner's pick for an unregistered sender. Nobody available returns
// assign.ErrNoAgent: tx must be rolled back, and the conversation waits for assign.Drain.
func (s *Service) decideOwner(ctx context.Context, tx store.Store, convID, contactID string) (store.Conversation, store.Contact, error) {
	contact, err := tx.GetContact(ctx, contactID)
	if err != nil {
		return store.Conversation{}, contact, err
	}
	var conv store.Conversation
	switch owner := contact.Record.Owner; {
	case !contact.Record.IsZero() && owner != "":
		conv, err = toRecordOwner(ctx, tx, convID, owner)
	case s.o.Assigner == nil:
		conv, err = tx.GetConversation(ctx, convID)
	default:
		conv, err = assign.RouteTx(ctx, tx, s.o.Assigner, convID)
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
