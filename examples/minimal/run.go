package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/postgres"
	"github.com/msgkit/msgkit/store/sqlite"
)

// config is what the flags say.
type config struct {
	addr, storeKind, dbPath, dsn string
	schema                       string
	publicURL                    string
	sealKeys                     string
	demo                         bool
	lineID, lineSecret, lineTok  string
	lineAPI, lineData            string
	waPhoneID, waToken           string
	waAppSecret, waVerify, waAPI string
	agents                       string
	jobLease, replyTokenTTL      time.Duration
}

// line reports whether LINE credentials were given; whatsApp, whether WhatsApp's were.
func (c config) line() bool     { return c.lineID != "" || c.lineSecret != "" }
func (c config) whatsApp() bool { return c.waPhoneID != "" || c.waToken != "" || c.waAppSecret != "" }

func parse(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("minimal", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.storeKind, "store", "sqlite", "storage: sqlite, postgres or memory")
	fs.StringVar(&c.dbPath, "db", "msgkit.db", "SQLite file (with -store sqlite)")
	fs.StringVar(&c.dsn, "dsn", "", "PostgreSQL URL (with -store postgres; default $MSGKIT_POSTGRES_DSN)")
	fs.StringVar(&c.schema, "schema", "msgkit", "PostgreSQL schema for msgkit's tables (with -store postgres)")
	fs.StringVar(&c.publicURL, "public-url", "", "the URL the channels reach this server at, for their webhook URLs (default $MSGKIT_PUBLIC_URL, else http://<addr>)")
	fs.StringVar(&c.sealKeys, "seal-keys", "", "keys that seal stored channel credentials, ID:base64 (AES-256), the current first, comma-separated (default $MSGKIT_SEAL_KEYS)")
	fs.BoolVar(&c.demo, "demo", false, "demo mode: a simulated LINE account and WhatsApp number (fakes of their APIs), no credentials needed")
	fs.StringVar(&c.lineID, "line-channel-id", "", "LINE Messaging API channel ID (default $LINE_CHANNEL_ID)")
	fs.StringVar(&c.lineSecret, "line-secret", "", "LINE channel secret (default $LINE_CHANNEL_SECRET)")
	fs.StringVar(&c.lineTok, "line-token", "", "LINE long-lived access token (default $LINE_CHANNEL_TOKEN); empty issues tokens from ID and secret")
	fs.StringVar(&c.lineAPI, "line-api", "", "LINE Messaging API endpoint (default $LINE_API_ENDPOINT, else "+line.DefaultAPIEndpoint+")")
	fs.StringVar(&c.lineData, "line-data", "", "LINE data API endpoint, for media (default $LINE_DATA_ENDPOINT, else "+line.DefaultDataEndpoint+")")
	fs.StringVar(&c.waPhoneID, "wa-phone-number-id", "", "WhatsApp Business phone number ID (default $WHATSAPP_PHONE_NUMBER_ID)")
	fs.StringVar(&c.waToken, "wa-token", "", "WhatsApp system user access token (default $WHATSAPP_ACCESS_TOKEN)")
	fs.StringVar(&c.waAppSecret, "wa-app-secret", "", "the Meta app's secret, which signs webhooks (default $WHATSAPP_APP_SECRET)")
	fs.StringVar(&c.waVerify, "wa-verify-token", "", "the verify token entered with the webhook URL in the Meta app (default $WHATSAPP_VERIFY_TOKEN)")
	fs.StringVar(&c.waAPI, "wa-api", "", "Graph API endpoint (default $WHATSAPP_API_ENDPOINT, else "+whatsapp.DefaultEndpoint+")")
	fs.StringVar(&c.agents, "agents", "aiko,ben", "agents who take conversations in turn (comma-separated user IDs)")
	fs.DurationVar(&c.jobLease, "job-lease", time.Minute, "how long a claim on background work lasts; a killed process's claims are taken up after it")
	fs.DurationVar(&c.replyTokenTTL, "reply-token-ttl", 50*time.Second,
		"how long after a message its reply token is used; LINE's expire after about a minute, so never more")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	// Defaults from the environment are applied after parsing, so that -h never prints a secret.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, from := range map[string]struct {
		v   *string
		env string
	}{
		"dsn":                {&c.dsn, "MSGKIT_POSTGRES_DSN"},
		"public-url":         {&c.publicURL, "MSGKIT_PUBLIC_URL"},
		"seal-keys":          {&c.sealKeys, "MSGKIT_SEAL_KEYS"},
		"line-channel-id":    {&c.lineID, "LINE_CHANNEL_ID"},
		"line-secret":        {&c.lineSecret, "LINE_CHANNEL_SECRET"},
		"line-token":         {&c.lineTok, "LINE_CHANNEL_TOKEN"},
		"line-api":           {&c.lineAPI, "LINE_API_ENDPOINT"},
		"line-data":          {&c.lineData, "LINE_DATA_ENDPOINT"},
		"wa-phone-number-id": {&c.waPhoneID, "WHATSAPP_PHONE_NUMBER_ID"},
		"wa-token":           {&c.waToken, "WHATSAPP_ACCESS_TOKEN"},
		"wa-app-secret":      {&c.waAppSecret, "WHATSAPP_APP_SECRET"},
		"wa-verify-token":    {&c.waVerify, "WHATSAPP_VERIFY_TOKEN"},
		"wa-api":             {&c.waAPI, "WHATSAPP_API_ENDPOINT"},
	} {
		if !set[name] {
			*from.v = os.Getenv(from.env)
		}
	}
	switch {
	case !c.demo && !c.line() && !c.whatsApp():
		return c, errors.New("give -line-channel-id and -line-secret (or the -wa- flags of a WhatsApp number), or run with -demo")
	case !c.demo && c.line() && (c.lineID == "" || c.lineSecret == ""):
		return c, errors.New("LINE needs both -line-channel-id and -line-secret")
	case !c.demo && c.whatsApp() && (c.waPhoneID == "" || c.waToken == "" || c.waAppSecret == ""):
		return c, errors.New("WhatsApp needs -wa-phone-number-id, -wa-token and -wa-app-secret (and -wa-verify-token for Meta's webhook check)")
	case c.jobLease <= 0 || c.replyTokenTTL <= 0:
		return c, errors.New("-job-lease and -reply-token-ttl must be positive")
	}
	return c, nil
}

// run starts the server and serves until ctx ends. ready, if set, receives the listening address.
func run(ctx context.Context, args []string, out io.Writer, ready chan<- string) error {
	cfg, err := parse(args, out)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	sealer, err := sealerFor(cfg, out)
	if err != nil {
		return err
	}
	db, closeDB, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()

	l, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	defer l.Close()
	public := strings.TrimRight(cfg.publicURL, "/")
	if public == "" {
		public = "http://" + l.Addr().String()
	}
	var demo *demoAPIs
	if cfg.demo {
		demo = newDemoAPIs()
		defer demo.Close()
	}

	// Channels are connected through the connect service: each kind's connector checks the credentials
	// and builds the adapters, which the registry makes from the credentials it stores sealed.
	reg, err := connect.NewRegistry(sealer, connectors(cfg, demo, logger)...)
	if err != nil {
		return err
	}
	conn, err := connect.New(db, reg, &connect.Options{Logger: logger,
		WebhookURL: func(id string) string { return public + "/webhooks/" + id },
		OnChange: func(ctx context.Context, id string, changes []connect.Change) {
			for _, c := range changes {
				logger.Info("channel settings changed", "channel_id", id, "item", c.Title, "from", string(c.From), "to", string(c.To))
			}
		}})
	if err != nil {
		return err
	}
	rule := store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: splitList(cfg.agents)}
	var channels []store.Channel
	if cfg.demo {
		channels, err = demo.connect(ctx, conn, rule, public)
	} else {
		channels, err = connectChannels(ctx, conn, cfg, rule)
	}
	if err != nil {
		return err
	}

	rr, err := assign.NewRoundRobin(&assign.MemoryDirectory{})
	if err != nil {
		return err
	}
	svc, err := conversation.New(db, reg, &conversation.Options{
		Logger:   logger,
		Assigner: assign.Strategies{assign.StrategyRoundRobin: rr},
		Archive:  7 * 24 * time.Hour,
		// A reply token is used while LINE still takes it (-reply-token-ttl); a killed process's claims on
		// the deliveries it was making are taken up by the next one after -job-lease.
		ReplyTokenTTL: cfg.replyTokenTTL,
		Jobs:          conversation.JobOptions{Lease: cfg.jobLease},
	})
	if err != nil {
		return err
	}
	srv := &server{db: db, svc: svc, conn: conn, hooks: conn.Webhooks(svc.Receive, &channel.HandlerOptions{Logger: logger}), demo: demo}
	if demo != nil {
		if err := srv.demoOpening(ctx); err != nil {
			return err
		}
	}

	httpServer := &http.Server{Handler: srv.routes(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "msgkit example listening on http://%s (store: %s, demo: %t)\n", l.Addr(), cfg.storeKind, cfg.demo)
	for _, ch := range channels {
		fmt.Fprintf(out, "%s webhook URL of channel %q: %s/webhooks/%s\n", kindName(ch.Kind), ch.Name, public, ch.ID)
	}
	if ready != nil {
		ready <- l.Addr().String()
	}
	go func() { _ = svc.Run(ctx) }()
	go func() { _ = conn.Run(ctx) }()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = httpServer.Shutdown(shutdown)
	}()
	if err := httpServer.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sealerFor returns the sealer of stored credentials: AES-GCM with the keys of -seal-keys. The demo, and a
// store that keeps nothing, may run without: a key is made for this run (the demo connects its fake
// channels afresh each run).
func sealerFor(cfg config, out io.Writer) (*connect.AESGCM, error) {
	if cfg.sealKeys == "" {
		if !cfg.demo && cfg.storeKind != "memory" {
			return nil, errors.New("give the key that seals stored credentials with $MSGKIT_SEAL_KEYS (or -seal-keys), " +
				`and keep it in your secret store; make one with: echo "k1:$(openssl rand -base64 32)"`)
		}
		k, err := connect.GenerateKey("run")
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(out, "credentials are sealed with a key made for this run (give -seal-keys to keep one)")
		return connect.NewAESGCM(k)
	}
	keys, err := connect.ParseKeys(cfg.sealKeys)
	if err != nil {
		return nil, fmt.Errorf("-seal-keys: %w", err)
	}
	return connect.NewAESGCM(keys[0], keys[1:]...)
}

// connectors returns the connectors of the channel kinds the example serves: LINE's and WhatsApp's, on
// the real APIs (or where the -line-api, -line-data and -wa-api flags point), or on the demo's fakes.
func connectors(cfg config, demo *demoAPIs, logger *slog.Logger) []channel.Connector {
	lineOpts := &line.Options{Logger: logger, APIEndpoint: cfg.lineAPI, DataEndpoint: cfg.lineData}
	waOpts := &whatsapp.Options{Logger: logger, Endpoint: cfg.waAPI, HTTPClient: &http.Client{Timeout: 30 * time.Second}}
	if demo != nil {
		lineOpts.APIEndpoint, lineOpts.DataEndpoint = demo.line.URL, demo.line.URL
		waOpts.Endpoint = demo.wa.URL
	}
	lineConn, err := line.NewConnector(lineOpts)
	if err != nil {
		panic(err) // only options this function sets, and they are valid
	}
	return []channel.Connector{lineConn, whatsapp.NewConnector(waOpts)}
}

// connectChannels connects the accounts the flags name, or, when one is connected already (the example
// restarted on the same database), gives it the flags' credentials: they are checked as on connecting.
func connectChannels(ctx context.Context, conn *connect.Service, cfg config, rule store.AssignmentRule) ([]store.Channel, error) {
	var reqs []connect.Request
	if cfg.line() {
		creds := channel.Credentials{line.CredChannelID: cfg.lineID, line.CredChannelSecret: cfg.lineSecret}
		if cfg.lineTok != "" {
			creds[line.CredAccessToken] = cfg.lineTok
		}
		reqs = append(reqs, connect.Request{Kind: line.Kind, Name: "LINE " + cfg.lineID, Credentials: creds, Assignment: rule})
	}
	if cfg.whatsApp() {
		creds := channel.Credentials{whatsapp.CredPhoneNumberID: cfg.waPhoneID, whatsapp.CredAccessToken: cfg.waToken,
			whatsapp.CredAppSecret: cfg.waAppSecret}
		if cfg.waVerify != "" {
			creds[whatsapp.CredVerifyToken] = cfg.waVerify
		}
		reqs = append(reqs, connect.Request{Kind: whatsapp.Kind, Name: "WhatsApp " + cfg.waPhoneID, Credentials: creds, Assignment: rule})
	}
	var out []store.Channel
	for _, r := range reqs {
		ch, err := connectOrUpdate(ctx, conn, r)
		if err != nil {
			return nil, fmt.Errorf("connecting %s: %w", kindName(r.Kind), err)
		}
		out = append(out, ch)
	}
	return out, nil
}

// connectOrUpdate connects the account r names or, when it is connected already, gives its channel r's
// credentials, checked as on connecting. While the channel cannot be reached, a connected account keeps
// its stored credentials.
func connectOrUpdate(ctx context.Context, conn *connect.Service, r connect.Request) (store.Channel, error) {
	all, err := conn.List(ctx)
	if err != nil {
		return store.Channel{}, err
	}
	for _, ch := range all {
		if ch.Kind != r.Kind || ch.ExternalID == "" || ch.ExternalID != accountOf(r) {
			continue
		}
		updated, err := conn.SetCredentials(ctx, ch.ID, r.Credentials)
		if errors.Is(err, channel.ErrUnavailable) {
			return ch, nil
		}
		return updated, err
	}
	got, err := conn.Connect(ctx, r)
	return got.Channel, err
}

// accountOf returns the channel's ID of the account r connects, as its connector stores it.
func accountOf(r connect.Request) string {
	switch r.Kind {
	case line.Kind:
		return strings.TrimSpace(r.Credentials[line.CredChannelID])
	case whatsapp.Kind:
		return strings.TrimSpace(r.Credentials[whatsapp.CredPhoneNumberID])
	}
	return ""
}

func kindName(kind string) string {
	switch kind {
	case line.Kind:
		return "LINE"
	case whatsapp.Kind:
		return "WhatsApp"
	}
	return kind
}

func openStore(ctx context.Context, cfg config) (store.Store, func(), error) {
	switch cfg.storeKind {
	case "sqlite":
		s, err := sqlite.Open(ctx, cfg.dbPath, nil)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	case "postgres":
		if cfg.dsn == "" {
			return nil, nil, errors.New("-store postgres needs -dsn or $MSGKIT_POSTGRES_DSN")
		}
		s, err := postgres.Open(ctx, cfg.dsn, &postgres.Options{Schema: cfg.schema})
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	case "memory":
		return memstore.New(nil), func() {}, nil
	}
	return nil, nil, fmt.Errorf("-store %q is not sqlite, postgres or memory", cfg.storeKind)
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
