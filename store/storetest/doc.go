// Package storetest is the conformance suite for store backends: one call runs every rule of the
// store contract against a backend, with the same tests for every backend.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			New: func(t *testing.T, now func() time.Time) store.Store {
//				return mybackend.Open(t, now) // a fresh, empty store per call
//			},
//		})
//	}
//
// Each rule is a subtest named after what it checks ("Messages/AppendIsIdempotentOnChannelMessageID"),
// so a failure names the rule that broke. Rules run in parallel, each on its own fresh store with its
// own Clock starting at T0; backends must take every time from the clock they were given. RunChannels,
// RunMessages and the other runners check one interface each, for backends under construction.
//
// The suite checks round trips, the ErrNotFound / ErrAlreadyExists / ErrConflict sentinels, ordering and
// keyset paging in both directions, expiry and due times against the clock, idempotent appends,
// atomicity under concurrent callers (an atomic-cursor hammer, find-or-create races, outbox claims),
// transactions that roll back, and cancelled contexts. Harness.Handles lets it run the concurrency rules
// across several independent handles, as several processes sharing one database would.
package storetest
