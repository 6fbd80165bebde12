// Package channeltest helps test code that uses channels, and adapters that implement them.
//
// Fake is an in-memory channel.Adapter with every optional capability. Application tests use it to
// deliver signed webhooks (Fake.Request), to inspect what was sent (Fake.Sends, Fake.Delivered) and to
// script failures of any category (Fake.Fail with Error). It follows LINE's rules where they matter to
// callers: five messages per send, text counted in UTF-16 code units, single-use reply tokens, pushes
// that are idempotent per retry key and billable.
//
// RunAdapter is the conformance suite for adapter authors: one call checks webhook verification (a
// missing, wrong or tampered signature is rejected and yields no events), that unknown event types are
// kept raw, that malformed bodies are refused without echoing them, that errors map to the right
// categories with retryability, that limits are reported, and (for a channel.ContentFetcher whose
// harness writes a WebhookImage) that inbound media download by channel.ContentRef of the parsed
// message. The Fake itself passes it.
//
// # Concurrency
//
// A Fake is safe for concurrent use.
package channeltest
