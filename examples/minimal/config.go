package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/whatsapp"
)

// config is what the flags and the environment say. Secrets (the session key, the sealing keys, a
// PostgreSQL DSN) come from a file or the environment only, never from the command line.
type config struct {
	addr, publicURL              string
	storeKind, dbPath, schema    string
	dsn                          string
	dataDir                      string
	usersFile                    string
	sessionKeyFile, sealKeysFile string
	lineAPI, lineData, waAPI     string
	jobLease, replyTokenTTL      time.Duration
	demo, hashPassword           bool
}

// Environment variables the example reads.
const (
	envPublicURL  = "MSGKIT_PUBLIC_URL"
	envDSN        = "MSGKIT_POSTGRES_DSN"
	envSessionKey = "MSGKIT_SESSION_KEY"
	envSealKeys   = "MSGKIT_SEAL_KEYS"
	envLineAPI    = "LINE_API_ENDPOINT"
	envLineData   = "LINE_DATA_ENDPOINT"
	envWAAPI      = "WHATSAPP_API_ENDPOINT"
)

// Data directory defaults: the demo's is its own, so that it never touches a real deployment's files.
const (
	defaultDataDir = "msgkit-data"
	demoDataDir    = "msgkit-demo"
)

func parse(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("minimal", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, "Usage: minimal [flags]\n\n"+
			"msgkit's example CRM inbox. Try it with: go run ./examples/minimal -demo\n\n"+
			"Secrets are never flags: the session key and the sealing keys come from files (-session-key-file,\n"+
			"-seal-keys-file) or from $"+envSessionKey+" and $"+envSealKeys+"; PostgreSQL's DSN from $"+envDSN+".\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.publicURL, "public-url", "", "the URL browsers and channels reach this server at: webhook URLs are <public-url>/webhooks/<channel id>, media <public-url>/media/…; https makes cookies Secure (default $"+envPublicURL+", else http://<addr>)")
	fs.StringVar(&c.storeKind, "store", "sqlite", "storage: sqlite, postgres ($"+envDSN+") or memory")
	fs.StringVar(&c.dbPath, "db", "msgkit.db", "SQLite file (with -store sqlite; the demo keeps its own in -data)")
	fs.StringVar(&c.schema, "schema", "msgkit", "PostgreSQL schema for msgkit's tables (with -store postgres)")
	fs.StringVar(&c.dataDir, "data", "", "directory for files: uploads, re-hosted attachments, copies of inbound media, the CRM's records, signed-out sessions (default "+defaultDataDir+", with -demo "+demoDataDir+")")
	fs.StringVar(&c.usersFile, "users", "", "users file: who may sign in (JSON, bcrypt hashes; see -hash-password); required without -demo")
	fs.StringVar(&c.sessionKeyFile, "session-key-file", "", "file holding the key that signs sessions, tokens and media URLs: base64 of at least 32 random bytes (default $"+envSessionKey+")")
	fs.StringVar(&c.sealKeysFile, "seal-keys-file", "", "file holding the keys that seal stored channel credentials: ID:base64 of 32 bytes, the current first, comma-separated (default $"+envSealKeys+")")
	fs.StringVar(&c.lineAPI, "line-api", "", "LINE Messaging API endpoint (default $"+envLineAPI+", else "+line.DefaultAPIEndpoint+")")
	fs.StringVar(&c.lineData, "line-data", "", "LINE data API endpoint, for media (default $"+envLineData+", else "+line.DefaultDataEndpoint+")")
	fs.StringVar(&c.waAPI, "wa-api", "", "WhatsApp Graph API endpoint (default $"+envWAAPI+", else "+whatsapp.DefaultEndpoint+")")
	fs.DurationVar(&c.jobLease, "job-lease", time.Minute, "how long a claim on background work lasts; a killed process's claims are taken up after it")
	fs.DurationVar(&c.replyTokenTTL, "reply-token-ttl", 50*time.Second, "how long after a message its reply token is used; LINE's expire after about a minute, so never more")
	fs.BoolVar(&c.demo, "demo", false, "demo mode: LINE and WhatsApp on in-process fakes of their APIs, demo users, a small CRM, customers writing in")
	fs.BoolVar(&c.hashPassword, "hash-password", false, "read a password from standard input, print its bcrypt hash for the users file, and exit")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		// Not repeated: it may be a secret given by mistake.
		return c, errors.New("unexpected arguments after the flags (secrets are read from files or the environment, never from arguments)")
	}
	// Defaults from the environment are applied after parsing, so that -h never prints them.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, from := range map[string]struct {
		v   *string
		env string
	}{
		"public-url": {&c.publicURL, envPublicURL},
		"line-api":   {&c.lineAPI, envLineAPI},
		"line-data":  {&c.lineData, envLineData},
		"wa-api":     {&c.waAPI, envWAAPI},
	} {
		if !set[name] {
			*from.v = os.Getenv(from.env)
		}
	}
	c.dsn = os.Getenv(envDSN)
	if c.hashPassword {
		return c, nil
	}
	if c.dataDir == "" {
		c.dataDir = defaultDataDir
		if c.demo {
			c.dataDir = demoDataDir
		}
	}
	switch {
	case c.jobLease <= 0 || c.replyTokenTTL <= 0:
		return c, errors.New("-job-lease and -reply-token-ttl must be positive")
	case c.demo && set["db"]:
		return c, errors.New("-demo keeps its database in its -data directory (demo.db); -db is for real channels")
	case c.demo && c.storeKind == "postgres":
		return c, errors.New("-demo runs on SQLite (its own file in -data) or -store memory")
	case c.demo && set["users"]:
		return c, errors.New("-demo has its own users; -users is for real channels")
	case !c.demo && c.usersFile == "":
		return c, errors.New("give -users (a users file: see -h and README.md), or run with -demo")
	}
	if c.demo && c.storeKind == "sqlite" {
		c.dbPath = filepath.Join(c.dataDir, "demo.db")
	}
	c.publicURL = strings.TrimRight(c.publicURL, "/")
	return c, nil
}
