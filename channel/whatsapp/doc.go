// Package whatsapp is the WhatsApp Business Cloud API adapter: a channel.Adapter for Meta's Graph API,
// written on net/http (there is no official Go SDK). The Graph API version is configurable
// (Options.APIVersion, default DefaultAPIVersion).
//
// # Connecting
//
// New takes the business phone number's ID, a system user access token with the
// whatsapp_business_messaging permission, the Meta app's secret (webhooks are signed with it) and the
// verify token entered with the webhook URL. Connector does the same from stored credentials, checks
// the token and phone number ID against the Graph API when an account is connected, and makes the
// wa.me link and a chat button (channel.EntryPointer).
//
// # Webhooks
//
// ParseWebhook (used through channel.Handler) checks X-Hub-Signature-256 ("sha256=" + hex
// HMAC-SHA256 of the body with the app secret, compared in constant time) on a size-limited body.
// Handshake answers Meta's GET verification (hub.mode=subscribe, hub.verify_token, hub.challenge);
// channel.Handler calls it for GET requests.
//
// Every change of every entry is mapped, and each part on its own: one message, status or error of an
// unexpected shape becomes channel.EventUnknown with its JSON and never fails its neighbours. Every
// event carries the receiving phone number ID (value.metadata.phone_number_id) as Event.Account, so one
// webhook URL can serve every number of an app. WhatsApp gives events no ID of their own, so the
// adapter derives stable ones: a message's wamid; a status's wamid and status ("wamid.…:delivered");
// for other parts, their type and a hash of their bytes. Redeliveries deduplicate on them. Event.Type
// is the message's type ("text", "interactive", …), "status", "error", or another change's field name
// ("message_template_status_update"). WhatsApp has no reply tokens, no standby mode and no redelivery
// hint: ReplyToken, Mode and Redelivery stay empty.
//
// Messages map onto channel.Message as follows (Message.ID is always the wamid, context.id becomes
// QuotedMessageID):
//
//	text                       TypeText
//	image, video, audio        TypeImage, TypeVideo, TypeAudio: Media.ID (the media ID) and ContentType;
//	                           the caption in Text
//	document                   TypeFile: Media.ID, FileName and ContentType; the caption in Text
//	sticker                    TypeSticker: Sticker.StickerID is the media ID, ResourceType STATIC or
//	                           ANIMATION; Media.ID the media ID too, for its WebP content
//	location                   TypeLocation
//	contacts                   TypeRaw, with Text a plain rendering (one line per contact: name: phones)
//	interactive button_reply,  TypeText whose Text is the title the customer tapped; ReplyID returns the
//	list_reply, button         reply's id (or the template button's payload)
//	reaction                   channel.EventReaction: Reaction.MessageID and Emoji ("" when taken off)
//	system                     channel.EventUnknown (a notice about the customer, such as a new number)
//	anything else              TypeRaw
//
// Interactive replies are messages rather than postbacks because, on WhatsApp, they are the customer
// writing: they open the customer service window and belong in the conversation. Message.Raw keeps the
// message object as WhatsApp sent it for every type whose content is not fully modelled (media,
// contacts, replies, unknown types), so nothing is lost.
//
// Every event of a message carries the sender's profile name from value.contacts[].profile.name as
// Event.Profile (DisplayName, and UserID the sender's WhatsApp ID); WhatsApp has no profile API, so the
// adapter is no channel.ProfileFetcher. Event.Raw holds the change's value cut down to the event:
// metadata, the sender's entry of value.contacts and the one message (or status, or error).
//
// Statuses become channel.EventReceipt events: Receipt.MessageID is the wamid, Status sent, delivered,
// read or failed, and Error a failure's codes and titles ("131047 Re-engagement message"). Meta does
// not promise order: a late "delivered" may follow "read".
//
// # Media
//
// Inbound media arrive as media IDs, not as URLs: Media.ID holds a message's media ID (what
// channel.ContentRef returns for it), and FetchContent (channel.ContentFetcher) takes it, asks the Graph
// API for the media's short-lived URL and downloads it with the access token, size-limited by
// Options.MaxContentBytes.
//
// # Sending
//
// Send posts one message per API call, in order (WhatsApp has no batch; MaxMessages per Send): text
// (with preview_url when it holds a link), image, video and audio by link (with Text as the caption of
// images and videos), location, template (name, language, BodyParams as the body's parameters or
// Components as sent), link (as text with preview), and raw messages in WhatsApp's JSON — Reaction and
// Document build two. QuotedMessageID becomes the reply context. A part WhatsApp cannot carry is refused
// before anything is sent, never dropped. MarkRead marks an inbound message read (channel.ReadMarker).
//
// WhatsApp has no retry key: a send whose answer was lost may have been delivered, and nothing makes a
// retry safe, so Rules reports RetryKeys false and callers must treat such a send as uncertain. When a
// later message of a send fails after earlier ones went out, Send returns the delivered IDs and a
// *PartialError, which is neither retryable nor known to have delivered nothing.
//
// # Rules and errors
//
// Rules reports the 24-hour customer service window; outside it only approved templates may be sent.
// Failures are *channel.APIError values with the Graph error's message, code (as a detail) and
// fbtrace_id, unwrapping to a category by the error code first (the Graph API answers most errors with
// 400): 4, 80007, 130429, 131048, 131056 and HTTP 429 are channel.ErrRateLimited; 131047 (the window
// has closed) is channel.ErrInvalidRequest with Reason ErrWindowClosed; 190, 3, 10, 200–299, HTTP 401 and
// 403 channel.ErrUnauthorized; 131026 (the number cannot receive WhatsApp messages) and 100/33 (no
// such object) channel.ErrNotFound; 131030 (recipient not in the test number's allowed list)
// channel.ErrInvalidRequest; 2, 131000, 131016 and 5xx channel.ErrUnavailable; the rest
// channel.ErrInvalidRequest. WhatsApp has no message quota answer: nothing maps to
// channel.ErrQuotaExceeded. Error texts and logs never hold message content, tokens or secrets.
//
// # Concurrency
//
// An Adapter and a Connector are safe for concurrent use; an Adapter holds nothing that changes after
// New.
//
// # Testing
//
// Package watest is a fake of the Graph API (an http.Handler) to point an Adapter at: it keeps what was
// sent, enforces the customer service window and takes scripted faults, and it writes signed webhooks.
// This package passes channeltest.RunAdapter against it; its webhook fixtures come from Meta's
// documented examples (testdata/README.md says where each came from) and are checked against golden
// files and fuzzed.
package whatsapp
