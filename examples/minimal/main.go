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
// With a LINE Official Account, point its webhook URL at https://<your host>/webhooks/<channel id>
// (printed at start) and run
//
//	go run ./examples/minimal -line-channel-id 1650000000 -line-secret … [-line-token …]
//
// The example is the only code in msgkit that reads flags and environment variables.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "minimal:", err)
		os.Exit(1)
	}
}
