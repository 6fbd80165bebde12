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
// success with SendResult.Duplicate set. That makes "retry until it succeeds" safe after timeouts and
// crashes.
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
// messages: send files as links).
//
// # Concurrency
//
// An Adapter is safe for concurrent use. The SDK's clients are not (WithContext mutates them), so the
// adapter builds a fresh client for every call; two Adapters share nothing.
//
// # Testing
//
// The package passes channeltest.RunAdapter against an httptest fake of LINE's API, and a contract test
// sends every call to Prism serving LINE's own OpenAPI spec. Application tests should use
// channeltest.Fake rather than this adapter.
package line
