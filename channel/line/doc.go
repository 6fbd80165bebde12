// Package line is the LINE Official Account adapter: a channel.Adapter for LINE's Messaging API, built on
// line-bot-sdk-go v8.14.0. It is the only msgkit package that imports the SDK.
//
// # Connecting
//
// New takes the channel ID and secret from the LINE Developers console and either a long-lived channel
// access token or nothing more: without AccessToken the adapter issues stateless 15-minute tokens from
// the ID and secret, renews them two minutes before they expire, and lets concurrent callers share one.
//
// A host that connects accounts at run time uses a Connector (channel.Connector): Verify checks what an
// administrator entered against LINE — the access token's channel through LINE's token verification,
// the channel ID and secret by issuing a stateless token (LINE's only check of a secret), the bot info
// with the token adapters will use — and returns what to store (the Cred… keys, with the bot user ID
// added) and the account. Refusals are *channel.CredentialError values naming the field (wrong channel
// ID, wrong secret, or, when LINE's answer does not tell them apart, the pair; a revoked token; a token
// of another channel), failures to reach LINE wrap channel.ErrUnavailable. Adapter builds an account's
// Adapter from its stored credentials, with a secret rotation window and the bot user ID; EntryPoints
// makes its add-friend link (https://line.me/R/ti/p/@basicid) and LINE's "Add friend" button.
//
// # Webhooks
//
// ParseWebhook (used through channel.Handler) checks X-Line-Signature on a size-limited body and decodes
// each event on its own, several times cheaper than the SDK's webhook.ParseRequest (see BENCHMARKS.md).
// Every event type of LINE's webhook spec maps onto a channel.Event; types LINE adds later arrive as
// channel.EventUnknown with their JSON, never as an error, and so does an event that does not decode (a
// field of an unexpected JSON type): it never fails the other events of its body. Only a body that is not
// a JSON object, or whose "events" is not an array, is refused. Decoding errors never quote the body.
// With Config.BotUserID set, a verified body with events for another bot (its "destination") is refused
// with ErrOtherDestination, which wraps channel.ErrInvalidSignature; LINE's connectivity check (no
// events) always passes.
//
// # Reply or push
//
// Send with SendOptions.ReplyToken replies: free, but the token is single-use and expires about a minute
// after the event. An expired or used token fails with an error wrapping channel.ErrReplyTokenInvalid;
// send the same messages again without the token to push them. Pushes count against the account's
// monthly quota (SendResult.Billable).
//
// # Retry keys
//
// A push carries SendOptions.RetryKey as X-Line-Retry-Key. Choose one UUID per logical message and reuse
// it on every retry: LINE delivers a key once and answers a repeat with 409, which Send reports as
// success with SendResult.Duplicate set and the message IDs of the accepted request. That makes "retry
// until it succeeds" safe after timeouts and crashes. A key that is not a UUID (8-4-4-4-12 hexadecimal
// digits) is refused before sending: LINE would refuse it with a 400 no retry can fix.
//
// A reply cannot be deduplicated that way. When a send fails without an answer (a timeout, a reset
// connection) channel.MayHaveSent reports true: it may have been delivered. Only a send that never got
// a connection to LINE (refused, or cut short while connecting) reports false. Retry a reply whose
// outcome is unknown only with the same reply token — LINE refuses a used one — and never as a push:
// its "Invalid reply token" answer does not say whether the token expired or was used by the lost
// attempt.
//
// # Message parts
//
// Text with mentions goes out as LINE's textV2: each mention's span of the text (and each emoji's)
// becomes a placeholder, so LINE renders the mention. Quick replies (on the last message of a send:
// LINE shows only those) become message actions, or postback actions when Data is set; a sender changes
// the name and icon a message is shown under. Limits reports all three. A part LINE cannot carry (a
// mention outside a text, a 21-character label, a fourteenth button, an http icon) is refused with
// channel.ErrInvalidRequest before anything is sent, never dropped.
//
// # Content
//
// FetchContent asks LINE whether a video or audio clip is ready before downloading it: while LINE is
// still preparing it the error wraps channel.ErrUnavailable with a RetryAfter hint; if preparing it
// failed, channel.ErrNotFound (it will never be available).
//
// # Quota and errors
//
// Failures are *channel.APIError values with LINE's status, message, details and request ID, unwrapping
// to a category: 429 "You have reached your monthly limit." is channel.ErrQuotaExceeded (not retryable
// until next month or a plan change; Quota reports the limit and this month's usage), any other 429 is
// channel.ErrRateLimited (retryable, after Retry-After), 401/403 channel.ErrUnauthorized, 404
// channel.ErrNotFound, other 4xx channel.ErrInvalidRequest, 5xx and network failures
// channel.ErrUnavailable. Error texts never hold message content, tokens or secrets.
//
// # Secret rotation
//
// When you reissue the channel secret, LINE signs webhooks already in flight with the old one. Set
// Config.PreviousSecret to the old secret and Config.PreviousSecretUntil to the end of the changeover
// (a few minutes is plenty): both secrets verify until then, only the new one after.
//
// # Capabilities
//
// Besides channel.Adapter, an Adapter is a ProfileFetcher (users, and group or room members), an
// AccountInfoer (bot info), a SettingsChecker, a QuotaReporter, a ContentFetcher (media users sent,
// size-limited) and a Limiter (5 messages per call, 5,000 UTF-16 code units of text, no file messages:
// send files as links; mentions, quick replies and sender).
//
// # Settings check
//
// CheckSettings returns an administrator's checklist, one item per setting (the Check… IDs). Checked
// automatically through LINE's API: the access token is accepted (or one is issued for the ID and
// secret); the webhook URL is exactly the expected one (both are named when they differ); "Use webhook"
// is on; LINE's test delivery to the webhook URL succeeds (with a hint from the status it got); LINE's
// own chat is off (the bot info's chat mode). Not exposed by the API, so listed as "confirm by hand"
// with where to find them in LINE Official Account Manager or the LINE Developers console: the greeting
// message and auto-reply messages are off, webhook redelivery is on.
//
// # Concurrency
//
// An Adapter is safe for concurrent use. The SDK's clients are not (WithContext mutates them), so the
// adapter builds a fresh client for every call; two Adapters share nothing.
//
// # Testing
//
// Package linetest is a fake of LINE's API (an http.Handler) to point an Adapter or a Connector at: it
// keeps what was delivered, by reply token and by retry key, knows one channel's ID, secret and token
// (and which tokens were revoked), and takes scripted faults (error answers, timeouts and connection
// resets before or after LINE handled the request). The package passes channeltest.RunAdapter against
// it, drives every fault and every refusal of Verify through it, and a contract test sends every call,
// the Connector's token calls included, to Prism serving LINE's own OpenAPI specs. Application tests
// that do not need LINE's wire behaviour can use channeltest.Fake instead of this adapter.
package line
