// Command minimal is msgkit's example: a small CRM inbox where signed-in agents answer customers who
// write on LINE and WhatsApp. It wires every part of msgkit together — webhooks in, conversations stored
// (SQLite, PostgreSQL or memory), assigned round robin, linked to the CRM's leads and contacts, replies
// with templates and attachments within each channel's rules, notifications — behind a JSON API
// (internal/api) and a server-rendered web inbox with live updates (internal/web), both for signed-in
// users only (internal/auth). FEATURES.md, at the repository's root, lists the features (F1…, B1…)
// that package comments cite.
//
// Try it without a LINE account or a WhatsApp number:
//
//	go run ./examples/minimal -demo
//
// and open http://127.0.0.1:8080/inbox; the demo's sign-ins are printed at start (admin / admin-demo,
// aiko / aiko-demo, ben / ben-demo, chika / chika-demo). The demo connects a LINE account and a WhatsApp
// number through the connect service, each served by its real adapter against an in-process fake of its
// API (packages linetest and watest); aiko, ben and chika, in the role "sales", take new conversations in
// turn; a small CRM (leads and contacts with owners, files to attach) and a cloud drive (the Dropbox
// source against an in-process fake of Dropbox's API) are there to link and attach; templates are saved;
// and customers write in through signed webhooks: a text, a sticker, an image, a group message and a
// follow on LINE, a text on WhatsApp. An admin has another demo customer write from the inbox's page
// "A customer writes" (/demo), or with
//
//	curl -s -XPOST localhost:8080/demo/customer -H "Authorization: Bearer $TOKEN" \
//	    -d '{"channel": "line", "user": "U1", "name": "Hiro", "text": "Hello!"}'
//
// which the channel's fake signs and POSTs to the webhook route real channels use; on LINE, "type":
// "emoji" (each "$" of the text a LINE emoji), "file", "location" or "unsend" (the user's last message, or
// "messageId") sends those instead of a text. A bearer token comes
// from POST /api/token {"user": …, "password": …}. The demo keeps everything in its data directory
// (msgkit-demo: its SQLite database demo.db, its keys, the CRM's records, files): restarted, it continues
// where it stopped.
//
// With real accounts, give the example a users file, a session key and the sealing keys, and connect
// channels in the inbox as an admin (Channels → connect), which shows the webhook URL to set at the
// channel — <public URL>/webhooks/<channel ID> — and checks the channel's settings:
//
//	go run ./examples/minimal -hash-password < password.txt     # a hash for the users file
//	openssl rand -base64 32 > session.key
//	echo "k1:$(openssl rand -base64 32)" > seal.keys            # keep it: it opens what it sealed
//	go run ./examples/minimal -users users.json -session-key-file session.key -seal-keys-file seal.keys \
//	    -public-url https://crm.example.com
//
// The users file is a JSON array (see package auth):
//
//	[{"id": "aiko", "name": "Aiko Tanaka", "admin": true, "roles": ["sales"], "timeZone": "Asia/Tokyo",
//	  "passwordHash": "$2a$10$…"}]
//
// # Flags
//
//	-addr              listen address (default 127.0.0.1:8080)
//	-public-url        the URL browsers and channels reach the server at (default $MSGKIT_PUBLIC_URL, else
//	                   http://<addr>): webhook URLs are <public-url>/webhooks/<channel id>, files
//	                   <public-url>/media/…; an https URL makes cookies Secure, and attachments need one
//	                   (channels fetch media over HTTPS only)
//	-store             sqlite, postgres or memory (default sqlite)
//	-db                SQLite file (default msgkit.db); the demo uses demo.db in its -data directory
//	-schema            PostgreSQL schema for msgkit's tables (default msgkit); the DSN is $MSGKIT_POSTGRES_DSN
//	-data              directory for uploads, re-hosted attachments, copies of inbound media, the CRM's
//	                   records and signed-out sessions (default msgkit-data; with -demo, msgkit-demo)
//	-users             the users file; required without -demo
//	-session-key-file  file holding the key that signs sessions, bearer tokens and media URLs: base64 of at
//	                   least 32 random bytes (default $MSGKIT_SESSION_KEY); changing it signs everyone out
//	-seal-keys-file    file holding the keys that seal stored channel credentials (default $MSGKIT_SEAL_KEYS):
//	                   ID:base64 of 32 bytes, the current key first, then older ones still needed,
//	                   comma-separated; required unless -demo or -store memory
//	-line-api          LINE Messaging API endpoint (default $LINE_API_ENDPOINT, else https://api.line.me)
//	-line-data         LINE data API endpoint, for media (default $LINE_DATA_ENDPOINT, else
//	                   https://api-data.line.me); point both at a fake of LINE's API (package linetest)
//	-wa-api            WhatsApp Graph API endpoint (default $WHATSAPP_API_ENDPOINT, else
//	                   https://graph.facebook.com)
//	-job-lease         how long a claim on background work (a delivery, a profile fetch) lasts (default 1m):
//	                   the work of a process that died is taken up by the next one after it
//	-reply-token-ttl   how long after a customer's message its reply token is used (default 50s); LINE's
//	                   expire after about a minute, so never more
//	-demo              demo mode (above)
//	-hash-password     read a password from standard input, print its bcrypt hash, and exit
//	-h                 print the flags and exit
//
// Secrets are never flags: they come from the files the flags name or from the environment, and are
// never printed or logged. The example is the only code in msgkit that reads flags and environment
// variables.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // users' time zones, on hosts without a zone database
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, nil)
	switch {
	case errors.Is(err, flag.ErrHelp): // -h: the usage is printed
	case err != nil:
		fmt.Fprintln(os.Stderr, "minimal:", err)
		os.Exit(1)
	}
}
