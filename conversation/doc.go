// Package conversation is the service a CRM calls: it ingests webhook events into conversations and sends
// agents' replies within each channel's rules (FEATURES.md F5–F8, F12, F14–F17).
//
// # The flow
//
// A channel.Handler verifies a webhook and calls Service.Receive (the channel.Sink). Receive stores the
// batch in as few transactions as it can (Options.Batch events each, every chat's events in order):
// for each new event it finds or creates the contact and the conversation, appends the message (or
// records the event), merges the message into the conversation (unreplied, last inbound time, reply
// token) with an atomic update that concurrent messages never make fail, applies follow state by event
// time, sets the sender's profile when the event names it (channel.Event.Profile: WhatsApp), and
// records the work the event causes as jobs — deciding the owner and notifying them, fetching a new
// sender's profile (unless the event named them and the channel cannot look profiles up), copying media
// (then the Media hook). The webhook is answered once that commits, and waits for nothing else.
//
// Run executes the jobs (in every instance; Flush does the due ones in the caller's goroutine). The
// owner is the linked record's owner, or the Assigner's pick for an unregistered sender, sticky for
// returning ones; the Notifier is told; the profile is fetched; inbound media are copied (see Files).
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
// least once per signal (Notification.ID tells repeats apart), which is listed once.
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
// A reply's parts are stored, with the job that delivers them, before anything is sent, so a crash
// cannot lose them: Run resumes them in any process. The guarantee is that every part reaches the
// customer exactly once, or ends "uncertain" and reaches them at most once — never twice — through
// crashes, store faults, channel faults and several instances:
//
//   - A push carries a retry key fixed for the send's life (its n-th call uses id.Derive(key, n)). LINE
//     delivers a push once per key for 24 hours however often it is retried, so a push whose outcome is
//     unknown (a timeout, a reset, a crash) is simply retried; the channel reports the duplicate.
//     Sends are never retried past 24 hours.
//   - A reply token can deliver once and cannot be told apart from a push by the channel, so an attempt
//     with it is recorded first (the parts are "sending"). If its outcome is unknown, it is retried only
//     with the same token while the token is fresh: LINE delivers it if the first attempt never arrived,
//     and refuses the token otherwise. When the token refuses, or has expired before the retry, the parts
//     become uncertain, with the reason in StatusDetail. A token attempt that failed with an answer (a
//     rate limit, a 500) delivered nothing: it is retried with the token while it is fresh, so the free
//     reply is not wasted, and pushed after that.
//   - The outcome of a call and the job's completion are recorded in one transaction, retried through
//     store faults for Options.Jobs.Persist.
//
// Uncertain means: the channel may have shown it to the customer, and msgkit cannot know. An agent (or
// the host) who wants to be sure resends it on purpose, as a new Reply. Failed means it was not
// delivered: a used-up quota, refused credentials, an invalid request fail at once; failures that may
// pass (rate limits honouring Retry-After, outages, errors nobody categorised) are retried with
// exponential backoff and jitter until Options.Jobs.RetryFor, and the parts say "retrying: attempt n
// failed (…); next attempt at t" meanwhile. Sends of a deactivated channel are held and go out when it
// is active again (Options.FailWhileInactive fails them instead). Each sent part records whether it was
// free (a reply) or billable (a push).
//
// A client that calls Reply and gets no answer (a timeout, a lost connection) retries with the same
// Reply.IdempotencyKey: the repeat returns the first call's parts and sends nothing new. Without a key,
// a repeated call is a new reply.
//
// # Notifications
//
// A user is signalled (FEATURES F12, F13) when a conversation they are responsible for (as its assignee,
// or as the owner of its linked record) gets a new inbound message (store.NotifyMessage), when a
// conversation is assigned to them by hand or by Drain (store.NotifyAssigned; Assign, Reassign and Drain
// record the job that tells them in the assignment's transaction; taking one oneself tells nobody, and
// an assignment overtaken by another before Run got to it tells only the latest owner), and when a
// snooze until a time ends (store.NotifySnoozeEnded). Each signal is added to the user's notification
// list (Notifications, UnreadNotifications with a limit for a "99+" badge, MarkNotificationRead,
// MarkNotificationsRead up to what the user was shown), once however often its job runs, and the
// Notifier is told, at least once.
//
// Snooze silences a conversation's new messages for one user until a time — a job due then, recorded
// with the snooze, signals the user again in whichever instance runs it, and a snooze moved or ended
// (Unsnooze) meanwhile makes it do nothing — or until the customer writes again. Ignore ("reply later")
// keeps the conversation unreplied in the views and silences it until the customer writes again or the
// user replies. The customer's next message ends either, and signals. A snooze or an ignore replaces
// the user's earlier one; neither silences assignments.
//
// Per-user settings (SetNotificationSettings) mute events and channels. A signal that settings mute, or
// a snooze or an ignore silences, is neither told nor listed: the list is the history of the signals
// the user was given. Without a Notifier the lists are kept all the same.
//
// # Files (FEATURES F16, B9)
//
// Options.Files gives the service a blob store (conversation/blob), the server that signs URLs to it,
// and the attachment sources (conversation/attach: cloud drives, agents' uploads, and the CRM's own
// files, a Source the host implements over its file store, see ExampleFiles).
//
// Outbound: an Attachment names a source and a reference, or gives a URL. A file by source is opened
// (under the largest size anything on the channel takes), re-hosted under "outbound/<part ID>" (typed
// by sniffing, checksummed) and checked against the channel's media rules (channel.MediaRuler) before
// anything is stored: a file that fits goes as the channel's image, video or audio message under a
// signed URL valid for Files.ChannelURLTTL, with the preview the channel needs (the image itself when
// small enough, a scaled-down copy within the preview limit, a poster for a video) and the clip's
// length (read from the bytes); anything else goes as a link to the signed URL, its part degraded and
// saying why. A file that cannot be resolved, or is larger than anything the channel takes even as a
// link (Files.MaxAttachmentBytes), fails Reply with an *AttachmentError (ErrAttachment and the
// source's category; Temporary for a source or store that is down) and nothing is stored; files
// re-hosted for the reply are deleted again. A channel that states no media rules sends images,
// videos (with a poster) and audio (with a length) by their sniffed type.
//
// Inbound: with Files.Store set, every inbound image, video, audio clip and file is stored with its
// MediaCopy pending, and the media job (recorded in the same transaction) downloads it through the
// adapter's content capability (LINE: once its transcoding is done; "processing" is retried with
// backoff, no sooner than LINE asks) or, for content the channel says lives elsewhere, from that
// HTTPS URL; it stores it under "inbound/<message ID>" (one key per message, so a retry after a crash
// overwrites rather than orphans), at most Files.MaxInboundBytes, sniffed and checksummed, then
// records the copy as ready (key, type, size, SHA-256). Content the channel no longer has (404), a
// failed transcoding, or a file over the limit fails the copy at once, with the reason; failures that
// may pass are retried until Options.Jobs.RetryFor, saying why on the copy meanwhile. A message the
// customer takes back keeps no copy. The Options.Media hook hears of each message once its copy is
// ready. The inbox shows a copy through MediaURL: a signed URL to the blob store, never the channel's
// URL or its token.
//
// Erase: EraseChannel (connect.Service.Disconnect with erase, through connect.Options.Eraser) deletes a
// channel's rows at once and, right after, every file kept for it: the copies under "inbound/", the
// re-hosted attachments under "outbound/" and their previews. The files to delete are recorded as jobs
// in the transaction that deletes the rows, so Run deletes them at least once, in any instance, through
// a crash; a media copy or a send that finds its message or channel erased deletes its files too.
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
// ErrOutsideReplyWindow, ErrChannelInactive, ErrUnfollowed, ErrEmptyReply and *AttachmentError
// (ErrAttachment) come from Reply; ErrNoMedia and ErrMediaNotReady from MediaURL; ErrInvalidSnooze from
// Snooze; ErrUnknownEvent from SetNotificationSettings; store and channel errors pass through wrapped.
// Jobs that fail go to Options.OnError. Logs carry error categories
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
// store call on purpose. blob.NewMemory is a real blob store for Files, and a Fake serves inbound
// content set with SetContent; channel/line/linetest serves LINE's content with its transcoding
// states.
package conversation
