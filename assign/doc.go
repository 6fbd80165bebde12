// Package assign decides who owns a conversation from an unregistered sender (FEATURES.md F6): in turn
// among a pool of users, a role or a group (RoundRobin), or to the least-loaded member (Balanced).
//
// # Fairness guarantee
//
// RoundRobin is fair under any concurrency: with k eligible members and N conversations assigned by any
// number of goroutines and processes sharing one store — racing for different conversations or for the
// same one — each member gets ⌊N/k⌋ or ⌈N/k⌉. It requires of the store three things, all checked by
// storetest: NextCursor hands out every value once (an atomic counter per channel); AssignConversation
// is a compare-and-set, so a conversation is never assigned twice and a manual reassignment cannot be
// overwritten by a stale one; and transactions roll back, so Route, which takes the turn and claims the
// conversation in one transaction, consumes a turn only when its claim wins. Members who are away are skipped
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
// no state outside the store. Assigners run inside Route's transaction and ask the Directory there, so a
// Directory should answer from memory or a cache.
//
// # Testing
//
// MemoryDirectory stands in for the CRM's users; storetest checks the fairness guarantee on every store
// backend (RunFairness), over several store handles, with callers racing for different conversations
// and for the same one.
package assign
