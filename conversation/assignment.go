package conversation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/store"
)

// jobAssign tells the new owner of a conversation assigned by hand or by Drain.
const jobAssign = "assigned"

// assignedJob is an assignment whose new owner is to be told: conversation ConversationID went to To at
// At, and became Version.
type assignedJob struct {
	ConversationID string    `json:"conversationId"`
	To             string    `json:"to"`
	Version        int64     `json:"version"`
	At             time.Time `json:"at"`
}

// key names the assignment (the conversation's version it made), as the key of its job and of the
// notification that tells of it.
func (p assignedJob) key() string {
	return "assigned:" + p.ConversationID + ":" + strconv.FormatInt(p.Version, 10)
}

// Assign hands conversation id to user to by hand (store.AssignManual: automatic routing leaves it
// there), from whoever has it, recording by as who did it; to may be empty to unassign. The new owner
// is told (store.NotifyAssigned) by Run, unless they assigned it to themselves: the job that tells them
// is recorded in the assignment's transaction. Assigning it to its assignee changes nothing. An unknown
// conversation returns store.ErrNotFound.
func (s *Service) Assign(ctx context.Context, id, to, by string) (store.Conversation, error) {
	var conv store.Conversation
	err := s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		cur, err := tx.GetConversation(ctx, id)
		if err != nil || cur.Assignee == to {
			conv = cur
			return err
		}
		conv, err = recordAssignment(ctx, tx, store.Assignment{ConversationID: id, From: cur.Assignee, To: to, By: by,
			Reason: store.AssignManual})
		return err
	})
	if err != nil {
		return store.Conversation{}, fmt.Errorf("conversation: assigning conversation %s: %w", id, err)
	}
	s.nudge()
	return conv, nil
}

// Reassign is assign.Reassign — by hand from one user to another, failing with store.ErrConflict when
// from is no longer the assignee, so two managers reassigning at once cannot bounce a conversation — and
// tells the new owner as Assign does.
func (s *Service) Reassign(ctx context.Context, id, from, to, by string) (store.Conversation, error) {
	conv, err := assign.Reassign(ctx, telling{s.store}, id, from, to, by)
	if err != nil {
		return conv, err
	}
	s.nudge()
	return conv, nil
}

// Drain is assign.Drain with Options.Assigner: it assigns the channel's waiting conversations, oldest
// first, until they are all assigned or nobody is available, and returns how many it assigned. Each new
// owner is told (store.NotifyAssigned) by Run: the job that tells them is recorded in the transaction
// that claims the conversation. Call it when availability changes.
func (s *Service) Drain(ctx context.Context, channelID string) (int, error) {
	if s.o.Assigner == nil {
		return 0, errors.New("conversation: Drain needs Options.Assigner")
	}
	n, err := assign.Drain(ctx, telling{s.store}, s.o.Assigner, channelID)
	if n > 0 {
		s.nudge()
	}
	return n, err
}

// telling is a store whose assignments also record, in their transaction, the job that tells the new
// owner; every transaction it runs hands fn a telling store too. It lets package assign's Drain and
// Reassign tell owners without knowing about notifications.
type telling struct{ store.Store }

// RunInTx implements store.Transactor.
func (t telling) RunInTx(ctx context.Context, fn func(ctx context.Context, tx store.Store) error) error {
	return t.Store.RunInTx(ctx, func(ctx context.Context, tx store.Store) error { return fn(ctx, telling{tx}) })
}

// AssignConversation implements store.Assignments, in a transaction (joining the caller's, if any).
func (t telling) AssignConversation(ctx context.Context, a store.Assignment) (store.Conversation, error) {
	var conv store.Conversation
	err := t.Store.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
		var err error
		conv, err = recordAssignment(ctx, tx, a)
		return err
	})
	return conv, err
}

// recordAssignment makes the assignment a in tx and records the job that tells the new owner, unless
// there is none or they assigned it to themselves.
func recordAssignment(ctx context.Context, tx store.Store, a store.Assignment) (store.Conversation, error) {
	conv, err := tx.AssignConversation(ctx, a)
	if err != nil || a.To == "" || a.To == a.By {
		return conv, err
	}
	p := assignedJob{ConversationID: conv.ID, To: a.To, Version: conv.Version, At: conv.UpdatedAt}
	_, err = enqueue(ctx, tx, jobAssign, p.key(), p)
	return conv, err
}

// runAssigned tells the new owner of an assignment, unless the conversation changed hands again since
// (a later assignment tells its own owner).
func (s *Service) runAssigned(ctx context.Context, j store.Job) error {
	var p assignedJob
	if err := decode(j, &p); err != nil {
		return err
	}
	conv, err := s.store.GetConversation(ctx, p.ConversationID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || conv.Assignee != p.To {
		return err
	}
	return s.signal(ctx, Notification{Event: store.NotifyAssigned, UserID: p.To, ChannelID: conv.ChannelID, ConversationID: conv.ID,
		Linked: !conv.Record.IsZero(), At: p.At}, p.key())
}
