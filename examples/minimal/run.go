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
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/channel/line"
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
	agents                       string
}

func parse(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("minimal", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.storeKind, "store", "sqlite", "storage: sqlite, postgres or memory")
	fs.StringVar(&c.dbPath, "db", "msgkit.db", "SQLite file (with -store sqlite)")
	fs.StringVar(&c.dsn, "dsn", os.Getenv("MSGKIT_POSTGRES_DSN"), "PostgreSQL URL (with -store postgres; default $MSGKIT_POSTGRES_DSN)")
	fs.StringVar(&c.schema, "schema", "msgkit", "PostgreSQL schema for msgkit's tables (with -store postgres)")
	fs.BoolVar(&c.demo, "demo", false, "demo mode: a simulated LINE account, no LINE credentials needed")
	fs.StringVar(&c.lineID, "line-channel-id", os.Getenv("LINE_CHANNEL_ID"), "LINE Messaging API channel ID (default $LINE_CHANNEL_ID)")
	fs.StringVar(&c.lineSecret, "line-secret", os.Getenv("LINE_CHANNEL_SECRET"), "LINE channel secret (default $LINE_CHANNEL_SECRET)")
	fs.StringVar(&c.lineTok, "line-token", os.Getenv("LINE_CHANNEL_TOKEN"), "LINE long-lived access token; empty issues tokens from ID and secret")
	fs.StringVar(&c.agents, "agents", "aiko,ben", "agents who take conversations in turn (comma-separated user IDs)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if !c.demo && (c.lineID == "" || c.lineSecret == "") {
		return c, errors.New("give -line-channel-id and -line-secret, or run with -demo")
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

	ch, adapter, err := connect(ctx, db, cfg, logger)
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
	})
	if err != nil {
		return err
	}
	webhook, err := channel.NewHandler(ch.ID, adapter, svc.Receive, &channel.HandlerOptions{Logger: logger})
	if err != nil {
		return err
	}
	srv := &server{db: db, svc: svc, ch: ch, adapter: adapter, webhook: webhook}

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

// connect returns the connected channel (stored on first start) and its adapter.
func connect(ctx context.Context, db store.Store, cfg config, logger *slog.Logger) (store.Channel, channel.Adapter, error) {
	rule := store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: splitList(cfg.agents)}
	want := store.Channel{ID: "line-" + cfg.lineID, Name: "LINE " + cfg.lineID, Kind: line.Kind, ExternalID: cfg.lineID,
		Active: true, Assignment: rule}
	var adapter channel.Adapter
	if cfg.demo {
		want = store.Channel{ID: "demo", Name: "Demo shop", Kind: "demo", ExternalID: "demo", Active: true, Assignment: rule}
		adapter = channeltest.NewFake(&channeltest.FakeOptions{Kind: "demo", Secret: "demo-secret",
			Account: channel.AccountInfo{UserID: "Udemo", BasicID: "@demo", DisplayName: "Demo shop", ChatMode: "bot"},
			Quota:   channel.Quota{Limited: true, Limit: 500}})
	} else {
		a, err := line.New(line.Config{ChannelID: cfg.lineID, ChannelSecret: cfg.lineSecret, AccessToken: cfg.lineTok},
			&line.Options{Logger: logger})
		if err != nil {
			return store.Channel{}, nil, err
		}
		adapter = a
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
	return ch, adapter, err
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
