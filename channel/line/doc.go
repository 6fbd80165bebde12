// Package line is the LINE Official Account adapter: a channel.Adapter for LINE's Messaging API, built on
// line-bot-sdk-go v8.14.0. It is the only msgkit package that imports the SDK.
//
// # Connecting
//
// New takes the channel ID and secret from the LINE Developers console and either a long-lived channel
// access token or nothing more: without AccessToken the adapter issues stateless 15-minute tokens from
// the ID and secret, renews them two minutes before they expire, and lets concurrent callers share one.
//
// # Webhooks
//
// ParseWebhook (used through channel.Handler) checks X-Line-Signature on a size-limited body and decodes
// each event on its own, several times cheaper than the SDK's webhook.ParseRequest (see BENCHMARKS.md).
// Every event type of LINE's webhook spec maps onto a channel.Event; types LINE adds later arrive as
// channel.EventUnknown with their JSON, never as an error, and so does an event that does not decode (a
// field of an unexpected JSON type): it never fails the other events of its body. Only a body that is not
// a JSON object, or whose "events" is not an array, is refused. Decoding errors never quote the body.
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
// AccountInfoer (bot info), a SettingsChecker (webhook URL and switch, a test delivery, LINE's chat mode;
// greeting and auto-reply reported for manual confirmation), a QuotaReporter, a ContentFetcher (media
// users sent, size-limited) and a Limiter (5 messages per call, 5,000 UTF-16 code units of text, no file
// messages: send files as links; mentions, quick replies and sender).
//
// # Concurrency
//
// An Adapter is safe for concurrent use. The SDK's clients are not (WithContext mutates them), so the
// adapter builds a fresh client for every call; two Adapters share nothing.
//
// # Testing
//
// Package linetest is a fake of LINE's API (an http.Handler) to point an Adapter at: it keeps what was
// delivered, by reply token and by retry key, and takes scripted faults (error answers, timeouts and
// connection resets before or after LINE handled the request). The package passes
// channeltest.RunAdapter against it, drives every fault through it, and a contract test sends every call
// to Prism serving LINE's own OpenAPI spec. Application tests that do not need LINE's wire behaviour can
// use channeltest.Fake instead of this adapter.
package line
