// Package channel is the contract between msgkit and a messenger: the events a channel delivers, the
// messages it sends, the Adapter interface a channel implements, and the Handler that serves its
// webhooks. It imports only the standard library, so an adapter for a new messenger depends on nothing
// else of msgkit.
//
// # Flow
//
// A Handler receives a webhook, limits the body, asks the Adapter to verify and parse it into Events, and
// passes them to a Sink (usually conversation.Service.Ingest). Replies go out through Adapter.Send as
// Message values built with Text, Image, LinkMessage and the other constructors.
//
// Message is one type for both directions: inbound messages set ID and whatever content the user sent;
// outbound messages leave ID empty. TypeRaw carries channel-native JSON both ways: inbound content the
// library does not model, and outbound messages such as LINE flex messages.
//
// What a webhook itself says about the sender is on the Event: Event.Profile (WhatsApp names the sender
// in every message webhook; LINE says nothing, and a ProfileFetcher looks the user up). Inbound media
// are downloaded by ContentRef(message): the channel's own ID of the content (Media.ID, WhatsApp's media
// ID) when it has one, else the message ID (LINE).
//
// # Optional capabilities
//
// Adapter is deliberately small. Everything else a channel may offer is a separate interface, discovered
// by type assertion through a helper that returns an error wrapping errors.ErrUnsupported when the adapter
// lacks it:
//
//	ProfileFetcher   FetchProfile      a user's display name, picture, language
//	AccountInfoer    FetchAccountInfo  the connected account's own details
//	SettingsChecker  CheckSettings     is the account set up right (webhook URL, chat mode, …)
//	QuotaReporter    FetchQuota        the message quota and this period's usage
//	ContentFetcher   FetchContent      download media a user sent, by ContentRef
//	Limiter          LimitsOf          messages per send, text length and unit, sendable types
//	BodyParser       ParseBody         parse an archived webhook body again, for replays
//	RuleReporter     RulesOf           reply window, what may go outside it, reply tokens, retry keys
//	Handshaker       (Handler)         answer a GET verification of the webhook URL
//	ReadMarker       MarkRead          tell the customer their messages were read
//	MediaRuler       MediaRulesOf      which files go out as images, videos, audio (types, sizes, previews)
//
// New capabilities arrive as new interfaces, so adapters written against an older msgkit keep compiling.
//
// # Errors
//
// Adapters return errors that wrap one category: ErrInvalidSignature, ErrRateLimited, ErrQuotaExceeded,
// ErrUnauthorized, ErrInvalidRequest, ErrUnavailable or ErrNotFound. API failures are *APIError values
// carrying the HTTP status, the channel's request ID, Retry-After and error details, and unwrapping to
// their category, so errors.Is and errors.As both work. ErrReplyTokenInvalid refines ErrInvalidRequest
// for an expired or used reply token: send again as a push. IsRetryable says whether waiting can help;
// RetryAfter says how long the channel asked for.
//
// No error text an adapter returns may contain message text, names, tokens or secrets, and the Handler logs
// only error categories, never error texts, so that logs stay free of personal data.
//
// # Concurrency
//
// Adapters and Handlers are safe for concurrent use. Message, Event and the other values are plain data;
// treat those handed to an adapter or a store as immutable.
//
// # Testing
//
// Package channeltest has a Fake adapter for application tests and RunAdapter, the conformance suite every
// adapter runs.
package channel
