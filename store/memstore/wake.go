package memstore

// WatchJobs implements store.JobWaker for the workers in this process: a wake follows every call, or
// committed transaction, that enqueued a job due now without a lease, or released one to run now. Other
// processes cannot share a memstore, so this is all of them.
func (h *handle) WatchJobs() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	h.st.watchMu.Lock()
	h.st.watchers[c] = struct{}{}
	h.st.watchMu.Unlock()
	return c, func() {
		h.st.watchMu.Lock()
		delete(h.st.watchers, c)
		h.st.watchMu.Unlock()
	}
}

// jobsDue wakes the watchers now, or, in a transaction, when it commits.
func (h *handle) jobsDue() {
	if h.tx != nil {
		h.tx.due = true
		return
	}
	h.st.wakeJobs()
}

// wakeJobs signals every watcher without blocking: one that has a wake pending keeps that one.
func (st *state) wakeJobs() {
	st.watchMu.Lock()
	defer st.watchMu.Unlock()
	for c := range st.watchers {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}
