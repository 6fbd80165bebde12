// Package msgkit lets a CRM converse with its customers over messenger apps, with LINE Official Account
// as the reference channel and WhatsApp (Business Cloud API) the second. This package holds only
// documentation; the code lives in the packages below. FEATURES.md, beside this file, lists what msgkit
// does (F1…, B1…): package comments cite its features by ID ("FEATURES F9").
//
// # Packages
//
//	channel              the adapter contract: events, messages, Adapter, optional capabilities, the
//	                     webhook Handler, error categories (standard library only)
//	channel/channeltest  a Fake adapter for application tests, and RunAdapter, the adapter conformance suite
//	channel/line         the LINE Official Account adapter (the only library package that imports LINE's
//	                     Go SDK; beyond it, only the examples and internal/perf, whose baselines are the SDK)
//	channel/line/linetest
//	                     a fake of LINE's API for demos and host tests (no test dependencies)
//	channel/whatsapp     the WhatsApp Business Cloud API adapter, on net/http
//	channel/whatsapp/watest
//	                     a fake of WhatsApp's Graph API for demos and host tests (no test dependencies)
//	store                the storage contract: records and one small interface per aggregate
//	store/memstore       in-memory backend; passes the whole conformance suite
//	store/sqlite         embedded default backend, pure Go
//	store/postgres       PostgreSQL backend for several application instances
//	store/mysql          MySQL and MariaDB backend for several application instances
//	store/sqlstore       the SQL layer those three share: a new SQL backend is a dialect plus its migrations
//	store/storetest      the store conformance suite every backend runs with one call
//	assign               who gets a new conversation: round robin over users, roles and groups
//	template             merge-field templates checked when saved, not when the customer reads them
//	linking              link messenger contacts to CRM leads and contacts; record timelines
//	conversation         the service a CRM calls: ingest webhooks, reply within the channel's rules
//	conversation/connect connect accounts: credentials checked and stored sealed, settings checks,
//	                     deactivation, secret rotation, quota, entry points, the webhooks router
//
// examples/minimal runs them together as a server, with a demo mode that needs no LINE account and no
// WhatsApp number.
//
// # Where to start
//
// A message arrives as a webhook at a channel.Handler, which verifies it through the channel's Adapter
// (channel/line for LINE, channel/whatsapp for WhatsApp) and hands them to conversation.Service.Receive,
// which stores them in a store.Store together with the work they cause; Service.Run does that work
// (assigning the conversation through package assign, notifying, fetching profiles). Agents answer with
// Service.Reply, which keeps to the channel's reply window and delivers through durable jobs. Start with
// the conversation package's examples, then examples/minimal.
//
// # Conventions
//
// Every package follows the same rules, so learning one teaches the others.
//
//   - Context first: every call that may block takes a context.Context first and honours cancellation.
//     No type stores a context.
//   - Errors: each package has sentinel errors (store.ErrNotFound, channel.ErrRateLimited, …); typed
//     errors such as *channel.APIError unwrap to them, so use errors.Is and errors.As, never error text.
//     Error texts never contain message content, names, tokens or secrets.
//   - Constructors take required collaborators as arguments and knobs in an *Options struct, where nil
//     means the documented defaults; they validate and return an error.
//   - Clock: every rule that depends on time takes it from an injected clock (Options.Now) or a now
//     argument, never from time.Now directly, so tests control time.
//   - No globals: no init side effects, no package-level mutable state, no http.DefaultClient. Two
//     channels, tenants or services coexist in one process.
//   - Logging: log/slog through Options.Logger, silent by default, never with personal data.
//   - Concurrency: every exported type documents whether it is safe for concurrent use; services,
//     stores and adapters are.
//   - Extension: interfaces stay small; new abilities arrive as optional interfaces found by type
//     assertion, so code written against an older msgkit keeps compiling.
package msgkit
