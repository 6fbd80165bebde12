// Package memstore is an in-memory store.Store: a real backend that passes the whole storetest suite,
// not a stub. Use it in tests, in examples, and in single-process deployments that can lose their data.
//
// Its only limits: nothing survives the process, and the data cannot be shared between processes. For
// persistence use the SQLite backend; for several application instances, the PostgreSQL one.
//
// # Concurrency
//
// A Store is safe for concurrent use. One mutex serialises all operations, so each is atomic, and
// RunInTx gives fn exclusive access and undoes every change if fn fails; inside fn, call only the tx it
// is given (calling the Store itself would wait for the lock fn holds). Conversations are kept in inbox
// order once per view scope (all, an assignee's, unassigned, unregistered, linked, a record owner's), per
// channel and unreplied, and messages in conversation order, with a record's contacts and a contact's
// conversations indexed for the record timeline: a view or timeline page costs what it returns, not the
// table's size. Every write keeps these indexes and a rolled-back transaction undoes them; the other
// lists scan what they select.
//
// # Clock
//
// Options.Now is the store's clock: it stamps records and decides dedup expiry, outbox due times and
// leases. Tests inject a fake clock there.
package memstore
