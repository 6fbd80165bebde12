package assign

import (
	"context"
	"errors"
	"fmt"

	"github.com/msgkit/msgkit/store"
)

//go:generate go tool mockgen -typed -destination ../internal/mocks/assignmock/assign.go -package assignmock . Assigner,Directory

// ErrNoAgent is returned when no member of the pool can take the conversation now (nobody eligible, or
// everyone at their cap). The conversation waits unassigned until Drain finds someone.
var ErrNoAgent = errors.New("assign: no agent available")

// Strategy names, as stored in store.AssignmentRule.Strategy.
const (
	StrategyRoundRobin = "round_robin"
	StrategyBalanced   = "balanced"
)

// Assigner picks who should own a conversation. It only picks: Route records the choice.
type Assigner interface {
	// Assign returns the user who should own c, a conversation of channel ch (whose Assignment rule is
	// current), or ErrNoAgent. Route calls it inside the transaction that claims c and passes that
	// transaction as tx: Assign must do its store work through tx, so that what it takes from the store
	// (a round-robin turn) is kept only if the claim commits. Keep host lookups (the Directory) quick: the
	// transaction is open meanwhile. Implementations must be safe for concurrent use.
	Assign(ctx context.Context, tx store.Store, ch store.Channel, c store.Conversation) (string, error)
}

// Directory is the host CRM's view of its users. It must be safe for concurrent use, and should answer
// quickly (from memory or a cache): assigners ask it while a store transaction is open.
type Directory interface {
	// Members returns the user IDs in a role or a group (kind is store.PoolRole or store.PoolGroup). An
	// unknown role or group has no members.
	Members(ctx context.Context, kind store.PoolKind, id string) ([]string, error)
	// Available reports whether user can take conversations now: active, not away, on shift.
	Available(ctx context.Context, user string) (bool, error)
}

// Strategies dispatches to the Assigner named by each channel's store.AssignmentRule.Strategy, so the
// rule can be changed at any time and applies from the next assignment.
type Strategies map[string]Assigner

// Assign implements Assigner. A channel without a strategy assigns nobody (ErrNoAgent); a strategy
// without an Assigner is an error.
func (s Strategies) Assign(ctx context.Context, tx store.Store, ch store.Channel, c store.Conversation) (string, error) {
	name := ch.Assignment.Strategy
	if name == "" {
		return "", fmt.Errorf("channel %s assigns nobody automatically: %w", c.ChannelID, ErrNoAgent)
	}
	a, ok := s[name]
	if !ok {
		return "", fmt.Errorf("assign: channel %s uses strategy %q, which has no assigner", c.ChannelID, name)
	}
	return a.Assign(ctx, tx, ch, c)
}

// Route gives conversation id the owner it should have now, and records any change:
//
//   - unassigned: a picks an owner, claimed with compare-and-set (reason store.AssignAuto). The pick
//     and the claim are one transaction, so of concurrent Route calls, in any number of processes, one
//     claim wins, the others return its result, and only the winner's round-robin turn is consumed.
//     With nobody available it returns the conversation as it is and ErrNoAgent; it waits for Drain.
//   - assigned automatically: a keeps the assignee while they are eligible (assigners are sticky); if
//     they no longer are, the conversation moves to a's pick. If nobody else is available it stays.
//   - assigned by hand (or to the owner of a linked record): it stays; only people move it.
//
// Call it for every inbound message of a conversation that is not owned through a linked record.
func Route(ctx context.Context, s store.Store, a Assigner, id string) (store.Conversation, error) {
	c, _, err := route(ctx, s, a, id)
	return c, err
}

// maxRouteTries bounds how often route decides again after losing a race: each lost race means another
// caller changed the conversation, so the next decision usually finds it settled.
const maxRouteTries = 8

// route is Route, also reporting whether this call changed the assignee.
func route(ctx context.Context, s store.Store, a Assigner, id string) (store.Conversation, bool, error) {
	var c store.Conversation
	var moved bool
	var err error
	for range maxRouteTries {
		err = s.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
			c, moved, err = routeTx(ctx, tx, a, id)
			return err
		})
		if !errors.Is(err, store.ErrConflict) {
			return c, moved, err
		}
	}
	return c, false, fmt.Errorf("assign: routing conversation %s lost %d races in a row: %w", id, maxRouteTries, err)
}

// RouteTx is Route inside the caller's transaction tx, for a caller that records more in the same
// commit (the conversation package completes its routing job with it). It decides and claims once: a
// claim that loses a race returns store.ErrConflict, and the caller runs the transaction again. On any
// error, ErrNoAgent included, the caller must roll tx back, which undoes the round-robin turns the
// assigner took.
func RouteTx(ctx context.Context, tx store.Store, a Assigner, id string) (store.Conversation, error) {
	c, _, err := routeTx(ctx, tx, a, id)
	return c, err
}

// routeTx decides and claims in tx.
func routeTx(ctx context.Context, tx store.Store, a Assigner, id string) (store.Conversation, bool, error) {
	c, err := tx.GetConversation(ctx, id)
	if err != nil {
		return c, false, err
	}
	if c.Assignee != "" {
		history, err := tx.ListAssignments(ctx, id)
		if err != nil {
			return c, false, err
		}
		if len(history) > 0 && history[len(history)-1].Reason != store.AssignAuto {
			return c, false, nil
		}
	}
	ch, err := tx.GetChannel(ctx, c.ChannelID)
	if err != nil {
		return c, false, err
	}
	user, err := a.Assign(ctx, tx, ch, c)
	if errors.Is(err, ErrNoAgent) && c.Assignee != "" {
		return c, false, nil
	}
	if err != nil || user == c.Assignee {
		return c, false, err
	}
	moved, err := tx.AssignConversation(ctx, store.Assignment{ConversationID: id, From: c.Assignee, To: user, Reason: store.AssignAuto})
	return moved, err == nil, err
}

// Reassign hands conversation id from one user to another by hand (to may be empty to unassign), and
// records who did it. It fails with store.ErrConflict if from is no longer the assignee, so two managers
// reassigning at once cannot bounce a conversation.
func Reassign(ctx context.Context, s store.Assignments, id, from, to, by string) (store.Conversation, error) {
	return s.AssignConversation(ctx, store.Assignment{ConversationID: id, From: from, To: to, By: by, Reason: store.AssignManual})
}

// Drain assigns the channel's waiting conversations, oldest first, until they are all assigned or a
// says nobody is available. Call it when availability changes (someone comes back, a cap frees up, the
// pool rule changes): it is explicit, not a polling loop. It returns how many it assigned.
func Drain(ctx context.Context, s store.Store, a Assigner, channelID string) (int, error) {
	assigned := 0
	var after store.Cursor
	for {
		page, next, err := s.ListConversations(ctx, store.View{ChannelID: channelID, Unassigned: true},
			store.Page{After: after, Order: store.OldestFirst})
		if err != nil {
			return assigned, err
		}
		for _, e := range page {
			_, ok, err := route(ctx, s, a, e.Conversation.ID)
			if errors.Is(err, ErrNoAgent) {
				return assigned, nil
			}
			if err != nil {
				return assigned, err
			}
			if ok {
				assigned++
			}
		}
		if next.IsZero() {
			return assigned, nil
		}
		after = next
	}
}
