package store

import (
	"context"
	"time"
)

// AssignReason says why a conversation changed hands.
type AssignReason string

// Assignment reasons.
const (
	AssignAuto        AssignReason = "auto"         // an assigner picked the user (round robin, balanced)
	AssignManual      AssignReason = "manual"       // a user reassigned it
	AssignRecordOwner AssignReason = "record_owner" // it follows the owner of the linked CRM record
)

// Assignment is one change of a conversation's assignee, kept as its history.
type Assignment struct {
	ID             string // assigned by the store
	ConversationID string
	From           string // the assignee before; empty when it was unassigned
	To             string // the assignee after; empty to unassign
	By             string // the user who made the change; empty for the system
	Reason         AssignReason
	At             time.Time // set by the store
}

// UserLoad is a user's current share of the work, for balanced assignment.
type UserLoad struct {
	User string
	// Open counts the conversations assigned to the user that await a reply, on every channel.
	Open int
	// LastAssignedAt is when a conversation was last assigned to the user; zero if never.
	LastAssignedAt time.Time
}

// Assignments holds what assignment shares between goroutines and processes: round-robin cursors,
// compare-and-set assignment with its history, and users' loads. Implementations must be safe for
// concurrent use.
type Assignments interface {
	// NextCursor atomically advances the cursor named pool and returns its new value: 1 on the first call,
	// then 2, 3, … Every value is handed out exactly once, whatever the number of concurrent callers or
	// store handles sharing the data.
	NextCursor(ctx context.Context, pool string) (int64, error)

	// AssignConversation sets the assignee of a.ConversationID to a.To if it is still a.From, and records a
	// in the history (stamping ID and At), atomically. Claiming an unassigned conversation is a.From == "":
	// of concurrent claims exactly one succeeds. A different current assignee returns ErrConflict; a
	// missing conversation ErrNotFound. It returns the updated conversation (Version+1).
	AssignConversation(ctx context.Context, a Assignment) (Conversation, error)
	// ListAssignments returns the history of conversationID, oldest first.
	ListAssignments(ctx context.Context, conversationID string) ([]Assignment, error)
	// UserLoads returns the load of each user in users, in the same order.
	UserLoads(ctx context.Context, users []string) ([]UserLoad, error)
}
