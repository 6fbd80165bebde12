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
// is given (calling the Store itself would wait for the lock fn holds). Conversations and messages are
// kept in list order, so a page costs what it returns and skips; the other lists scan what they select.
//
// # Clock
//
// Options.Now is the store's clock: it stamps records and decides dedup expiry, outbox due times and
// leases. Tests inject a fake clock there.
package memstore
