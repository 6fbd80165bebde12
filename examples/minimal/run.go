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
	"github.com/msgkit/msgkit/channel/line/linetest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/postgres"
	"github.com/msgkit/msgkit/store/sqlite"
)

// config is what the flags say.
type config struct {
	addr, storeKind, dbPath, dsn string
	schema                       string
	demo                         bool
	lineID, lineSecret, lineTok  string
	lineAPI, lineData            string
	agents                       string
	jobLease, replyTokenTTL      time.Duration
}

func parse(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("minimal", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.storeKind, "store", "sqlite", "storage: sqlite, postgres or memory")
	fs.StringVar(&c.dbPath, "db", "msgkit.db", "SQLite file (with -store sqlite)")
	fs.StringVar(&c.dsn, "dsn", "", "PostgreSQL URL (with -store postgres; default $MSGKIT_POSTGRES_DSN)")
	fs.StringVar(&c.schema, "schema", "msgkit", "PostgreSQL schema for msgkit's tables (with -store postgres)")
	fs.BoolVar(&c.demo, "demo", false, "demo mode: a simulated LINE account (a fake of LINE's API), no LINE credentials needed")
	fs.StringVar(&c.lineID, "line-channel-id", "", "LINE Messaging API channel ID (default $LINE_CHANNEL_ID)")
	fs.StringVar(&c.lineSecret, "line-secret", "", "LINE channel secret (default $LINE_CHANNEL_SECRET)")
	fs.StringVar(&c.lineTok, "line-token", "", "LINE long-lived access token (default $LINE_CHANNEL_TOKEN); empty issues tokens from ID and secret")
	fs.StringVar(&c.lineAPI, "line-api", "", "LINE Messaging API endpoint (default $LINE_API_ENDPOINT, else "+line.DefaultAPIEndpoint+")")
	fs.StringVar(&c.lineData, "line-data", "", "LINE data API endpoint, for media (default $LINE_DATA_ENDPOINT, else "+line.DefaultDataEndpoint+")")
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
		"dsn":             {&c.dsn, "MSGKIT_POSTGRES_DSN"},
		"line-channel-id": {&c.lineID, "LINE_CHANNEL_ID"},
		"line-secret":     {&c.lineSecret, "LINE_CHANNEL_SECRET"},
		"line-token":      {&c.lineTok, "LINE_CHANNEL_TOKEN"},
		"line-api":        {&c.lineAPI, "LINE_API_ENDPOINT"},
		"line-data":       {&c.lineData, "LINE_DATA_ENDPOINT"},
	} {
		if !set[name] {
			*from.v = os.Getenv(from.env)
		}
	}
	switch {
	case !c.demo && (c.lineID == "" || c.lineSecret == ""):
		return c, errors.New("give -line-channel-id and -line-secret, or run with -demo")
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
	db, closeDB, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()

	ch, adapter, demo, err := connect(ctx, db, cfg, logger)
	if demo != nil {
		defer demo.Close()
	}
	if err != nil {
		return err
	}
	rr, err := assign.NewRoundRobin(&assign.MemoryDirectory{})
	if err != nil {
		return err
	}
	svc, err := conversation.New(db, conversation.AdapterMap{ch.ID: adapter}, &conversation.Options{
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
	webhook, err := channel.NewHandler(ch.ID, adapter, svc.Receive, &channel.HandlerOptions{Logger: logger})
	if err != nil {
		return err
	}
	srv := &server{db: db, svc: svc, ch: ch, adapter: adapter, webhook: webhook, demo: demo}

	l, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	httpServer := &http.Server{Handler: srv.routes(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "msgkit example listening on http://%s (store: %s, demo: %t)\n", l.Addr(), cfg.storeKind, cfg.demo)
	fmt.Fprintf(out, "LINE webhook URL: https://<your host>/webhooks/%s\n", ch.ID)
	if ready != nil {
		ready <- l.Addr().String()
	}
	go func() { _ = svc.Run(ctx) }()
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

// The demo account's credentials, known to the fake LINE of demo mode and to the adapter talking to it.
const demoSecret, demoToken = "demo-secret", "demo-token"

// connect returns the connected channel (stored on first start) and its adapter. In demo mode the adapter
// is LINE's, pointed at a fake of LINE's API served on a local port, which connect returns too; the
// caller closes it.
func connect(ctx context.Context, db store.Store, cfg config, logger *slog.Logger) (store.Channel, channel.Adapter, *linetest.Server, error) {
	rule := store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: splitList(cfg.agents)}
	want := store.Channel{ID: "line-" + cfg.lineID, Name: "LINE " + cfg.lineID, Kind: line.Kind, ExternalID: cfg.lineID,
		Active: true, Assignment: rule}
	lineCfg := line.Config{ChannelID: cfg.lineID, ChannelSecret: cfg.lineSecret, AccessToken: cfg.lineTok}
	opts := &line.Options{Logger: logger, APIEndpoint: cfg.lineAPI, DataEndpoint: cfg.lineData}
	var demo *linetest.Server
	if cfg.demo {
		want = store.Channel{ID: "demo", Name: "Demo shop", Kind: line.Kind, ExternalID: "demo", Active: true, Assignment: rule}
		demo = linetest.NewServer(&linetest.Options{ChannelSecret: demoSecret, AccessToken: demoToken, MonthlyLimit: 500,
			Bot:        linetest.BotInfo{BasicID: "@demo", DisplayName: "Demo shop"},
			WebhookURL: "https://demo.invalid/webhooks/demo", WebhookActive: true})
		lineCfg = line.Config{ChannelID: "demo", ChannelSecret: demoSecret, AccessToken: demoToken}
		opts.APIEndpoint, opts.DataEndpoint = demo.URL, demo.URL
	}
	adapter, err := line.New(lineCfg, opts)
	if err != nil {
		return store.Channel{}, nil, demo, err
	}
	ch, err := db.GetChannel(ctx, want.ID)
	if errors.Is(err, store.ErrNotFound) {
		if info, err := channel.FetchAccountInfo(ctx, adapter); err == nil { // FEATURES F2: fetched on save
			want.Account = info
		} else {
			logger.Warn("could not fetch the account's details", "error_category", fmt.Sprint(channel.Category(err)))
		}
		ch, err = db.CreateChannel(ctx, want)
	}
	return ch, adapter, demo, err
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
