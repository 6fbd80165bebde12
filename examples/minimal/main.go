// Command minimal is msgkit's example server: LINE webhooks in, a JSON API for agents, conversations
// stored in SQLite (or PostgreSQL, or memory), assigned round robin, replies within LINE's rules.
//
// Try it without a LINE account:
//
//	go run ./examples/minimal -demo
//
// then, in another terminal:
//
//	curl -s -XPOST localhost:8080/demo/customer -d '{"user":"U1","name":"Hanako","text":"Is the blue one in stock?"}'
//	curl -s localhost:8080/api/conversations
//	curl -s -XPOST localhost:8080/api/conversations/<id>/reply -d '{"author":"aiko","text":"Yes!"}'
//	curl -s localhost:8080/demo/sent
//
// The demo runs the real LINE adapter against a fake of LINE's API (package linetest) served on a local
// port: /demo/customer has it write and sign a customer's webhook, /demo/sent lists what it delivered.
//
// With a LINE Official Account, point its webhook URL at https://<your host>/webhooks/<channel id>
// (printed at start) and run
//
//	go run ./examples/minimal -line-channel-id 1650000000 -line-secret … [-line-token …]
//
// An agent's reply is safe to retry: send the same Idempotency-Key header again (a request ID of the
// client's) and the reply is sent once, the answer being the first request's parts as they are now.
//
//	curl -s -XPOST localhost:8080/api/conversations/<id>/reply -H 'Idempotency-Key: 7c9e…' -d '{"author":"aiko","text":"Yes!"}'
//
// # Flags
//
//	-addr             listen address (default 127.0.0.1:8080)
//	-store            sqlite, postgres or memory (default sqlite)
//	-db               SQLite file (default msgkit.db)
//	-dsn              PostgreSQL URL (default $MSGKIT_POSTGRES_DSN)
//	-schema           PostgreSQL schema for msgkit's tables (default msgkit)
//	-demo             a simulated LINE account: no LINE credentials needed (the -line flags are ignored)
//	-line-channel-id  LINE Messaging API channel ID (default $LINE_CHANNEL_ID)
//	-line-secret      LINE channel secret (default $LINE_CHANNEL_SECRET)
//	-line-token       long-lived channel access token (default $LINE_CHANNEL_TOKEN); empty issues
//	                  15-minute tokens from the channel ID and secret
//	-line-api         Messaging API endpoint (default $LINE_API_ENDPOINT, else https://api.line.me)
//	-line-data        data API endpoint, for media (default $LINE_DATA_ENDPOINT, else https://api-data.line.me);
//	                  point both at a fake of LINE's API (package linetest) to test without LINE
//	-agents           agents who take new conversations in turn (default aiko,ben)
//	-job-lease        how long a claim on background work (a delivery, a profile fetch) lasts (default 1m):
//	                  the work of a process that died is taken up by the next one after it
//	-reply-token-ttl  how long after a customer's message its reply token is used (default 50s); LINE's
//	                  expire after about a minute, so never more
//
// Defaults read from the environment are never printed by -h.
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
