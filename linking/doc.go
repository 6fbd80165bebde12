// Package linking connects messenger contacts to the host CRM's leads and contacts (FEATURES.md F5, F9–F11).
//
// LINE tells a business no phone number or e-mail, so every new sender is unregistered until an agent
// links it: to an existing record (Suggest, then Link), or to one created from the messenger profile
// (CreateAndLink). Links can be undone (Undo), removed (Unlink) or moved (Relink), and follow the CRM
// when it merges records (Merged) or changes their owner (OwnerChanged). Several contacts, say the same
// person on two LINE accounts, may link to one record, whose Timeline then shows every message with
// all of them, across channels, in order.
//
// The CRM owns its records and implements Records (MemoryRecords is an in-memory one); msgkit owns
// only the links and their history, in the store (store.Links). A Record may carry more of its fields
// (Record.Fields) for templates' merge fields: conversation.RecordFields reads them for {{record.…}}.
//
// # Suggestions
//
// Suggest lists candidate records for an unlinked contact from its profile's display name, through the
// CRM's Records.Search (once for the name, then for its longest tokens when that finds too few), and
// ranks them (Rank): an exact match first, then the same tokens in another order (family name first or
// last), a name that starts the other, names sharing whole tokens, a name inside the other, and what
// the CRM found by its own rules last; within each, more tokens in common, then nearer lengths, then the
// CRM's order. Case, full-width forms, spaces and punctuation are ignored. Nothing is ever linked
// automatically: a display name is whatever the customer typed, and two people share names.
//
// # Errors
//
// Every change is compare-and-set on the contact's current link, so two agents linking one contact at
// once cannot both win: the loser gets store.ErrConflict (ErrAlreadyLinked when both started from
// unregistered). A record the CRM does not have is ErrRecordNotFound.
//
// # Ownership
//
// A linked contact's conversations belong to the record's owner rather than to round robin: OwnerOf
// tells the conversation service who that is.
//
// # Concurrency
//
// A Linker is safe for concurrent use and keeps no state outside the store.
//
// # Testing
//
// MemoryRecords stands in for the CRM's records in application tests.
package linking
