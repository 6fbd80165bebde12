// Package connect connects messenger accounts to the CRM and keeps them healthy (FEATURES.md F1–F4,
// F21–F23): a library service, so a host hosting one account or five hundred writes no glue.
//
// A Registry knows the channel kinds the host supports, one channel.Connector each (line.NewConnector
// for LINE), and builds every connected account's adapter from its stored credentials — once, and again
// when they change. It implements conversation.Adapters. Credentials are stored sealed with a
// host-supplied key through a Sealer (AESGCM ships, with key rotation), bound to their channel and field;
// no read returns them (they read as masked), and no error or log line holds one.
//
// A Service does what an administrator does:
//
//   - Connect asks the host's Gate first (plan, region, seats: the host decides; refused with its reason,
//     before any network call), has the channel verify the credentials (a *channel.CredentialError names
//     the one refused: a wrong secret, a wrong ID, a revoked token; ErrUnavailable when the channel is
//     down), stores the account's details, refuses an account connected already, and returns the
//     webhook URL and the settings checklist.
//   - Check runs the settings check again and reports what changed; Run does it periodically and tells
//     Options.OnChange. Health adds the signature failures Webhooks counted and the quota state.
//   - Deactivate and Reactivate pause a channel; Disconnect removes its credentials, keeping or erasing
//     its history (through Options.Eraser, the conversation Service, so that its files go too).
//     SetCredentials replaces a token; RotateSecret replaces a secret with an overlap in which both
//     verify webhooks.
//   - Quota reports the channel's quota and msgkit's own count of this month's billable and free sends.
//     EntryPoints returns the add-friend link, a QR code of it (PNG and SVG) and a chat button.
//   - Webhooks is the webhook endpoint of every channel, routed by channel ID.
//
// # What is checked automatically, and what by hand
//
// For LINE, the settings check verifies automatically that the webhook is enabled and points at exactly
// this channel's URL, that LINE's test delivery to it succeeds, that the access token is valid, and
// that LINE's own chat is off. LINE's API cannot see the greeting message and auto-replies: they are
// listed as channel.CheckManual items saying where in LINE Official Account Manager to turn them off.
// A channel that cannot be reached is one failed item; the administrator can finish with warnings.
//
// # Errors
//
// ErrNotAllowed wraps the Gate's reason; *AlreadyConnectedError (ErrAlreadyConnected) names the channel
// an account is connected as; ErrDisconnected; ErrUnknownKind; the Sealer's ErrSealBroken and
// ErrUnknownKey; the connector's *channel.CredentialError and channel categories; store sentinels.
//
// # Concurrency
//
// Registry, Service, AESGCM and the Webhooks handler are safe for concurrent use. Several Services in
// several processes may share one store; signature failures are counted per process.
//
// # Testing
//
// channeltest.NewConnector is a Connector of Fakes; linetest fakes LINE's API for line.NewConnector.
package connect
