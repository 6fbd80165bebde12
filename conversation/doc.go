// Package conversation is the service a CRM calls: it ingests webhook events into conversations and sends
// agents' replies within each channel's rules (FEATURES F5–F8, F12, F14–F17).
//
// # The flow
//
// A channel.Handler verifies a webhook and calls Service.Ingest. For each event, in one store
// transaction, Ingest drops redeliveries (by the channel's event ID, and by its message ID), finds or
// creates the contact and the conversation, appends the message and marks the conversation unreplied
// with the event's reply token. Once that is stored it decides the owner (the linked record's owner, or
// the Assigner's pick for an unregistered sender, sticky for returning ones) and notifies them. The
// sender's profile and the Media hook run later, in Run, so the webhook answer never waits on them.
//
// An agent calls Service.Reply. The channel's Policy decides whether a reply is allowed and whether the
// free reply token can be used; templates are rendered, attachments become media or links, text is
// split to the channel's limits. Every part is stored, with its outcome (as is, degraded, rejected), in
// the same transaction as the outbox item that delivers it and the conversation's update (no longer
// unreplied, reply token spent).
//
// # Outbox guarantees
//
// A send is written to the store before it is attempted, so a crash cannot lose it: Run (or RunOutbox,
// or DeliverDue from a scheduler) resumes it in any process. Each item keeps one retry key for its life
// (its n-th channel call uses id.Derive(key, n)), so LINE delivers each push exactly once however often it
// is retried, and calls already accepted are not repeated. Claims are leased, so two instances never send
// one item at the same time. Rate limits and outages back off exponentially with jitter, honouring
// Retry-After; an expired or used reply token falls back to a push once; a used-up quota, refused
// credentials or an invalid request fail at once, with the reason on every part. Each sent part records
// whether it was free (a reply) or billable (a push).
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
// channel errors pass through wrapped. Background failures go to Options.OnError. Logs carry error
// categories only, never message content, names or tokens.
//
// # Concurrency
//
// A Service is safe for concurrent use, and several Services in several processes may share one store.
//
// # Testing
//
// Run the service on store/memstore with channeltest.Fake as the adapter and a fixed clock
// (Options.Now): Fake records every send and can be scripted to fail; Flush runs the queued background
// work in the test's goroutine; Options.Outbox.Deferred leaves delivery to explicit DeliverDue calls.
package conversation
