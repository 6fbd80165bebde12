// Command minimal is msgkit's example server: LINE and WhatsApp webhooks in, a JSON API for agents,
// conversations stored in SQLite (or PostgreSQL, or memory), assigned round robin, replies within each
// channel's rules. Channels are connected through the connect service (package conversation/connect):
// their credentials are checked with the channel, stored sealed (AES-GCM), and never shown again.
//
// Try it without a LINE account or a WhatsApp number:
//
//	go run ./examples/minimal -demo
//
// The demo connects a LINE account and a WhatsApp number, each through its real adapter against a fake
// of its API (packages linetest and watest) served on a local port; a customer writes on each as it
// starts. Then, in another terminal:
//
//	curl -s localhost:8080/api/conversations
//	curl -s -XPOST localhost:8080/api/conversations/<id>/reply -d '{"author":"aiko","text":"Yes!"}'
//	curl -s -XPOST localhost:8080/demo/customer -d '{"channel":"whatsapp","user":"19835552319","name":"Lucía","text":"¿Hola?"}'
//	curl -s -XPOST localhost:8080/demo/customer -d '{"user":"U2","name":"Taro","text":"Is the shop open?"}'
//	curl -s localhost:8080/demo/sent
//	curl -s -XPOST localhost:8080/demo/receipt -d '{"message":"wamid.…","status":"read"}'
//	curl -s localhost:8080/api/channels
//
// /demo/customer has a fake write and sign a customer's webhook ("channel": "line", the default, or
// "whatsapp"), delivered through the same webhooks router real webhooks use; /demo/sent lists what the
// fakes delivered; /demo/receipt has WhatsApp report a message delivered or read. The demo's fakes forget
// everything when it stops, so each run connects its channels afresh (removing an earlier run's).
//
// WhatsApp lets a business write freely for 24 hours after the customer's last message; after that only
// approved templates go out, and free text is refused (409) with the rule it broke:
//
//	curl -s -XPOST localhost:8080/api/conversations/<id>/reply -d '{"author":"aiko","template":{"name":"order_shipped","language":"en_US","bodyParams":["#42"]}}'
//
// With real accounts, keep a sealing key in your secret store and give the accounts' credentials
// (flags, or the environment variables named below):
//
//	export MSGKIT_SEAL_KEYS="k1:$(openssl rand -base64 32)"   # once; keep it: it opens what it sealed
//	go run ./examples/minimal -public-url https://crm.example.com \
//	    -line-channel-id 1650000000 -line-secret … [-line-token …] \
//	    -wa-phone-number-id 106540352242922 -wa-token … -wa-app-secret … -wa-verify-token …
//
// and point each channel's webhook URL (printed at start: <public URL>/webhooks/<channel id>) at it: in
// the LINE Developers console, and in the Meta app's WhatsApp configuration with the verify token. Either
// channel may be left out. Restarted on the same database, the example finds its channels connected and
// gives them the credentials the flags name, checked again with each channel. GET /api/channels shows
// each channel's settings checklist (what is checked automatically and what to confirm by hand), quota,
// and entry points (the add-friend or wa.me link, a chat button and, at /api/channels/<id>/qr.svg, a QR
// code).
//
// An agent's reply is safe to retry: send the same Idempotency-Key header again (a request ID of the
// client's) and the reply is sent once, the answer being the first request's parts as they are now.
//
//	curl -s -XPOST localhost:8080/api/conversations/<id>/reply -H 'Idempotency-Key: 7c9e…' -d '{"author":"aiko","text":"Yes!"}'
//
// # Flags
//
//	-addr                listen address (default 127.0.0.1:8080)
//	-store               sqlite, postgres or memory (default sqlite)
//	-db                  SQLite file (default msgkit.db)
//	-dsn                 PostgreSQL URL (default $MSGKIT_POSTGRES_DSN)
//	-schema              PostgreSQL schema for msgkit's tables (default msgkit)
//	-public-url          the URL the channels reach this server at (default $MSGKIT_PUBLIC_URL, else
//	                     http://<addr>): webhook URLs are <public-url>/webhooks/<channel id>
//	-seal-keys           keys that seal stored credentials (default $MSGKIT_SEAL_KEYS): ID:base64 of 32
//	                     bytes, the current key first, then older ones still needed, comma-separated;
//	                     required unless -demo or -store memory (which make one for the run)
//	-demo                a simulated LINE account and WhatsApp number: no credentials needed (the LINE
//	                     and WhatsApp flags are ignored)
//	-line-channel-id     LINE Messaging API channel ID (default $LINE_CHANNEL_ID)
//	-line-secret         LINE channel secret (default $LINE_CHANNEL_SECRET)
//	-line-token          long-lived channel access token (default $LINE_CHANNEL_TOKEN); empty issues
//	                     15-minute tokens from the channel ID and secret
//	-line-api            Messaging API endpoint (default $LINE_API_ENDPOINT, else https://api.line.me)
//	-line-data           data API endpoint, for media (default $LINE_DATA_ENDPOINT, else https://api-data.line.me);
//	                     point both at a fake of LINE's API (package linetest) to test without LINE
//	-wa-phone-number-id  WhatsApp Business phone number ID (default $WHATSAPP_PHONE_NUMBER_ID)
//	-wa-token            system user access token (default $WHATSAPP_ACCESS_TOKEN)
//	-wa-app-secret       the Meta app's secret, which signs webhooks (default $WHATSAPP_APP_SECRET)
//	-wa-verify-token     the verify token entered with the webhook URL (default $WHATSAPP_VERIFY_TOKEN)
//	-wa-api              Graph API endpoint (default $WHATSAPP_API_ENDPOINT, else https://graph.facebook.com);
//	                     point it at a fake (package watest) to test without Meta
//	-agents              agents who take new conversations in turn (default aiko,ben)
//	-job-lease           how long a claim on background work (a delivery, a profile fetch) lasts (default 1m):
//	                     the work of a process that died is taken up by the next one after it
//	-reply-token-ttl     how long after a customer's message its reply token is used (default 50s); LINE's
//	                     expire after about a minute, so never more
//
// Defaults read from the environment are never printed by -h, and no secret is ever printed or logged.
//
// The example is the only code in msgkit that reads flags and environment variables.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, nil)
	switch {
	case errors.Is(err, flag.ErrHelp): // -h: the usage is printed
	case err != nil:
		fmt.Fprintln(os.Stderr, "minimal:", err)
		os.Exit(1)
	}
}
