// Package watest is a fake of the WhatsApp Business Cloud API (the Graph API's messages, media and phone
// number endpoints) as an http.Handler. Point the WhatsApp adapter's Endpoint at it to run demos with no
// Meta account, and to test hosts and the adapter against faults that are hard to provoke on the real
// service.
//
//	srv := watest.NewServer(nil)
//	defer srv.Close()
//	a, _ := whatsapp.New(cfg, &whatsapp.Options{Endpoint: srv.URL})
//
// It behaves as WhatsApp does where a client's correctness depends on it: requests need a bearer token
// (a wrong one answers 401, code 190); a message other than a template to a customer who has not
// written within the customer service window (24 hours by default, by an injectable clock) answers 400,
// code 131047; a malformed message answers 400, code 100; each accepted message is answered with its
// own "wamid.…" ID; GET /{media-id} answers a download URL, served by the same handler, that needs the
// token; requests for another phone number ID or an unknown media ID answer "no such object" (code 100,
// subcode 33); every answer carries x-fb-trace-id, and error bodies are the Graph API's
// {"error": {message, type, code, error_subcode, error_data, fbtrace_id}}.
//
// What it received is kept: Sent lists each accepted message (recipient, type, request body, wamid),
// Reads the message IDs marked read, Requests every request.
//
// # Faults
//
// Fail scripts what the next requests of an operation meet (a Fault): an error answer of any status,
// headers and body (GraphError, RateLimit, WindowClosed, Undeliverable, InvalidToken, ServerError); a
// timeout before WhatsApp handled the request (nothing sent; the request is held until the client gives
// up) or after (sent, the answer never comes); a connection reset before or after. A client cannot tell
// a "before" fault from its "after" twin: an attempt whose answer was lost may have been delivered, and
// WhatsApp has no retry key to make a retry safe.
//
// # Webhooks
//
// Webhook writes the body Meta would POST for customers' messages (and opens each sender's window and
// registers their media); StatusWebhook writes status updates (sent, delivered, read, failed) of sent
// messages. Sign and NewWebhookRequest sign a body with the app secret as Meta does
// ("sha256=" + hex HMAC-SHA256 in X-Hub-Signature-256); NewHandshakeRequest makes Meta's GET
// verification of a webhook URL.
//
// # Concurrency
//
// API and Server are safe for concurrent use. Close releases requests held by timeout faults.
//
// # Testing
//
// The package has no test dependencies: demos may link it. Its own tests drive it through the real
// WhatsApp adapter.
package watest
