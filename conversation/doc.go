// Package conversation is the service a CRM calls: it ingests webhook events into conversations and sends
// agents' replies within each channel's rules (FEATURES F5–F8, F12, F14–F17).
//
// # The flow
//
// A channel.Handler verifies a webhook and calls Service.Receive (the channel.Sink). Receive stores the
// batch in as few transactions as it can (Options.Batch events each, every chat's events in order):
// for each new event it finds or creates the contact and the conversation, appends the message (or
// records the event), merges the message into the conversation (unreplied, last inbound time, reply
// token) with an atomic update that concurrent messages never make fail, applies follow state by event
// time, and records the work the event causes as jobs — deciding the owner and notifying them, fetching
// a new sender's profile, the Media hook. The webhook is answered once that commits, and waits for
// nothing else.
//
// Run executes the jobs (in every instance; Flush does the due ones in the caller's goroutine). The
// owner is the linked record's owner, or the Assigner's pick for an unregistered sender, sticky for
// returning ones; the Notifier is told; the profile is fetched.
//
// An agent calls Service.Reply. The channel's Policy decides whether a reply is allowed and whether the
// free reply token can be used; templates are rendered, attachments become media or links, text is
// split to the channel's limits. Every part is stored, with its outcome (as is, degraded, rejected), in
// the same transaction as the job that delivers it and the conversation's update (no longer unreplied,
// reply token spent); a message or an assignment stored meanwhile never makes a reply fail.
//
// # Guarantees
//
// Every event a webhook brought is stored exactly once when the webhook is answered 200, however often
// the channel delivers it, and wherever it is delivered: messages (and recorded events) are appended
// idempotently on the channel's IDs, and everything else an event changes is written in the same
// transaction. Events that belong to no conversation go to the channel's event log
// (store.ChannelEvents). An event that cannot be stored makes the webhook fail, so the channel delivers
// it again; nothing acknowledged is dropped (but for a deactivated channel's, FEATURES F4, which the
// archive still keeps when Options.Archive is set).
//
// The work an event or a reply causes is recorded in its transaction and done at least once, by any
// instance, with leases (a job runs in one place at a time while its lease lasts) and backoff. Failures
// that may pass (an outage, a rate limit, an error nobody categorised, a store fault) are retried until
// Options.Jobs.RetryFor; failures the channel marks final are recorded at once where they show (the
// contact's ProfileError, the parts' status). Job handlers are idempotent, and the Notifier is called at
// least once per message (Notification.MessageID tells repeats apart).
//
// Round robin is fair under races: the turn is taken in the transaction that claims the conversation,
// so only the winning claim consumes it (package assign).
//
// The store must provide what storetest checks, notably transactions (RunInTx), idempotent appends,
// atomic RecordInbound, compare-and-set assignment and leased job claims. The fault-injection tests run
// the whole inbound flow with a store fault, or a crash, at each of its store calls.
//
// # Delivery
//
// A send is written to the store before it is attempted, so a crash cannot lose it: Run resumes it in
// any process. Each send keeps one retry key for its life (its n-th channel call uses id.Derive(key, n)),
// so LINE delivers each push exactly once however often it is retried, and calls already accepted are
// not repeated. Rate limits and outages back off exponentially with jitter, honouring Retry-After; an
// expired or used reply token falls back to a push once; a used-up quota, refused credentials or an
// invalid request fail at once, with the reason on every part. Each sent part records whether it was free
// (a reply) or billable (a push).
//
// # Replay
//
// With Options.Archive set, every accepted webhook's verified body is kept that long, and Replay
// re-ingests a channel's time range with no duplicates: recovery from a bug in the host's handling.
//
// # Reply window
//
// Policy is a pure function of the conversation and the time. The default, Window{LINEWindow}, allows
// replies until 7 days after the customer's last message, and refuses business-initiated messages:
// both fail with a *WindowError (ErrOutsideReplyWindow) saying when the window closed. Options.Policies
// sets one per channel kind; Open allows everything.
//
// # Errors
//
// ErrOutsideReplyWindow, ErrChannelInactive, ErrUnfollowed and ErrEmptyReply come from Reply; store and
// channel errors pass through wrapped. Jobs that fail go to Options.OnError. Logs carry error categories
// only, never message content, names or tokens.
//
// # Concurrency
//
// A Service is safe for concurrent use, and several Services in several processes may share one store.
//
// # Testing
//
// Run the service on store/memstore with channeltest.Fake as the adapter and a fixed clock
// (Options.Now): Fake records every send and can be scripted to fail; Flush runs the due jobs in the
// test's goroutine; Options.DeferDelivery leaves delivery to Flush or Run. storetest.Faults fails any
// store call on purpose.
package conversation
