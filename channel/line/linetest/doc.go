// Package linetest is a fake of LINE's API: the Messaging API, the data API (content), the stateless
// channel access token endpoint and the token verification endpoint, as an http.Handler. Point the LINE adapter's endpoints at it to run
// demos with no LINE account, and to test hosts and the adapter against faults that are hard to provoke
// on the real service.
//
//	srv := linetest.NewServer(nil)
//	defer srv.Close()
//	a, _ := line.New(cfg, &line.Options{APIEndpoint: srv.URL, DataEndpoint: srv.URL})
//
// It behaves as LINE does where a client's correctness depends on it: reply tokens are issued by the
// fake (Webhook, NewReplyToken), work once and expire after Options.ReplyTokenTTL by an injectable clock;
// a second use, an expired or an unknown token answers 400 "Invalid reply token". A push repeated with
// an accepted X-Line-Retry-Key answers 409 with x-line-accepted-request-id and the accepted request's
// sentMessages; a retry key that is not a UUID answers 400. Pushes count against Options.MonthlyLimit and
// answer 429 "You have reached your monthly limit." past it. Videos and audio clips report their
// transcoding status. Requests need a bearer token; every answer carries x-line-request-id.
//
// Credentials: with Options.ChannelID and ChannelSecret set, the token endpoint issues tokens for that
// pair only, answering a wrong channel ID and a wrong secret each with its own 400 (see
// TokenErrorInvalidClientID); with Options.AccessToken set, it is the only long-lived token accepted.
// The token verification endpoint names the channel of a token it accepts and its remaining lifetime,
// and answers 400 for one it does not. RevokeAccessToken revokes a token as an administrator would.
//
// What LINE delivered is kept: Deliveries lists each reply and push (recipient, messages, reply token or
// retry key, request ID), DeliveriesByReplyToken and DeliveriesByRetryKey count them, and Requests lists
// every request received.
//
// # Faults
//
// Fail scripts what the next requests of an operation meet (a Fault): an error answer of any status,
// headers and body (ErrorAnswer, RateLimit, MonthlyLimit, ServerError); a timeout before LINE handled the
// request (nothing delivered; the request is held until the client gives up) or after (delivered, the
// answer never comes); a connection reset before or after. A client cannot tell a "before" fault from
// its "after" twin, which is what makes them worth testing: an attempt whose answer was lost may have
// been delivered.
//
// Go's http.Transport retries a GET (an idempotent request) once on a fresh connection when a reused
// connection fails before any answer; a reset on a GET may therefore be retried transparently and meet
// the next scripted fault. Pushes and replies are POSTs and are never retried by the transport.
//
// # Webhooks
//
// Webhook writes the body LINE would POST for users' messages (and registers their reply tokens,
// profiles and media); Sign and NewWebhookRequest sign it with the channel secret as LINE does
// (base64 HMAC-SHA256 in X-Line-Signature).
//
// # Concurrency
//
// API and Server are safe for concurrent use. Close releases requests held by timeout faults.
//
// # Testing
//
// The package has no test dependencies: demos may link it. Its own tests drive it through the real LINE
// adapter.
package linetest
