// Package assign decides who owns a conversation from an unregistered sender (FEATURES F6): in turn
// among a pool of users, a role or a group (RoundRobin), or to the least-loaded member (Balanced).
//
// # Fairness guarantee
//
// RoundRobin is fair under any concurrency: with k eligible members and N assignments made by any number
// of goroutines and processes sharing one store, each member gets ⌊N/k⌋ or ⌈N/k⌉. It requires of the
// store exactly two things, both checked by storetest: NextCursor hands out every value once (an atomic
// counter per channel), and AssignConversation is a compare-and-set, so a conversation is never assigned
// twice and a manual reassignment cannot be overwritten by a stale one. Members who are away are skipped
// without losing their place; membership and availability changes take effect at the next assignment,
// and the rotation stays fair among those eligible from then on.
//
// # Pieces
//
// An Assigner only picks a user. Route applies the pick: it claims unassigned conversations, keeps
// assignees who are still eligible (sticky), moves automatically assigned conversations whose assignee
// is gone, and leaves manual assignments alone. Drain assigns waiting conversations, oldest first, when
// availability changes. Reassign records a manual change. Every change is kept in the store's
// assignment history (who, when, from whom, why).
//
// The pool rule lives on the channel (store.Channel.Assignment) and is read at every assignment, so an
// administrator's change applies from the next one. Strategies picks the Assigner a channel's rule names.
// The host CRM says who is in a role or group, and who is available, through a Directory;
// MemoryDirectory is an in-memory one.
//
// # Errors
//
// ErrNoAgent: nobody can take the conversation now; it waits. Store errors (store.ErrNotFound,
// store.ErrConflict) pass through wrapped.
//
// # Concurrency
//
// RoundRobin, Balanced, Strategies and MemoryDirectory are safe for concurrent use; the first three keep
// no state outside the store.
//
// # Testing
//
// MemoryDirectory stands in for the CRM's users; storetest checks the fairness guarantee on every store
// backend (RunFairness), over several store handles.
package assign
