package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/examples/minimal/internal/api"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
	"github.com/msgkit/msgkit/examples/minimal/internal/web"
	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/postgres"
	"github.com/msgkit/msgkit/store/sqlite"
)

// run serves the inbox until ctx ends. -hash-password reads the password from stdin. ready, if set,
// receives the listening address once the server serves (and, in the demo, has seeded).
func run(ctx context.Context, args []string, stdin io.Reader, out io.Writer, ready chan<- string) error {
	cfg, err := parse(args, out)
	if err != nil {
		return err
	}
	if cfg.hashPassword {
		return hashPassword(stdin, out)
	}
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
		return err
	}
	sessionKey, sealer, err := keys(cfg)
	if err != nil {
		return err
	}
	users, err := usersOf(cfg)
	if err != nil {
		return err
	}
	db, closeDB, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	ctx, cancel := context.WithCancel(ctx)
	var background sync.WaitGroup
	defer func() {
		cancel()
		background.Wait() // before the store closes
	}()

	l, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	defer l.Close()
	public := cfg.publicURL
	if public == "" {
		public = "http://" + l.Addr().String()
	}
	var d *demo
	if cfg.demo {
		d = newDemo()
		defer d.Close()
		self := l.Addr().(*net.TCPAddr)
		if self.IP.IsUnspecified() { // listening on every interface: the loopback one will do
			self = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: self.Port}
		}
		d.hooks = "http://" + self.String()
	}

	// Channels are connected through the connect service: each kind's connector checks the credentials
	// and builds the adapters, which the registry makes from the credentials it stores sealed.
	webhookURL := func(id string) string { return public + "/webhooks/" + id }
	reg, err := connect.NewRegistry(sealer, connectors(cfg, d, logger)...)
	if err != nil {
		return err
	}
	if err := openable(ctx, db, reg); err != nil {
		return err
	}

	f, err := openFiles(cfg, public, sessionKey, d, logger)
	if err != nil {
		return err
	}
	defer f.close()

	records, err := openCRM(filepath.Join(cfg.dataDir, "crm.json"))
	if err != nil {
		return err
	}
	// Round robin, or the least loaded, over the users of a role (or a list of users), as each channel's
	// rule says: both strategies the channel page offers.
	dir := directory(users)
	rr, err := assign.NewRoundRobin(dir)
	if err != nil {
		return err
	}
	balanced, err := assign.NewBalanced(dir)
	if err != nil {
		return err
	}
	strategies := assign.Strategies{assign.StrategyRoundRobin: rr, assign.StrategyBalanced: balanced}
	svc, err := conversation.New(db, reg, &conversation.Options{
		Logger:   logger,
		Assigner: strategies,
		Records:  records,
		Fields:   agentFields{base: conversation.RecordFields{Records: records}, users: users},
		Files:    conversation.Files{Store: f.blobs, Server: f.media, Sources: f.sources},
		Archive:  7 * 24 * time.Hour,
		// A reply token is used while LINE still takes it (-reply-token-ttl); a killed process's claims on
		// the deliveries it was making are taken up by the next one after -job-lease.
		ReplyTokenTTL: cfg.replyTokenTTL,
		Jobs:          conversation.JobOptions{Lease: cfg.jobLease},
	})
	if err != nil {
		return err
	}
	// Disconnecting with erase erases through the conversation service, so the channel's files in the
	// blob store go with its rows.
	conn, err := connect.New(db, reg, &connect.Options{Logger: logger, WebhookURL: webhookURL, Eraser: svc,
		OnChange: func(ctx context.Context, id string, changes []connect.Change) {
			for _, c := range changes {
				logger.Info("channel settings changed", "channel_id", id, "item", c.Title, "from", string(c.From), "to", string(c.To))
			}
		}})
	if err != nil {
		return err
	}
	fields := mergeFields()
	tpls, err := conversation.NewTemplates(svc, fields, nil)
	if err != nil {
		return err
	}
	linker, err := linking.New(db, records)
	if err != nil {
		return err
	}
	// Signed-out sessions and tokens are refused until they expire, across restarts as the sessions last.
	revoked, err := auth.OpenRevocations(filepath.Join(cfg.dataDir, "revoked-sessions.json"))
	if err != nil {
		return err
	}
	authn, err := auth.New(users, derive(sessionKey, "sessions"), &auth.Options{Revocations: revoked})
	if err != nil {
		return err
	}
	apiHandler, err := api.New(api.Deps{Store: db, Service: svc, Connect: conn, Templates: tpls, Linker: linker, Records: records,
		Auth: authn, Assign: svc.Assign, Strategies: slices.Sorted(maps.Keys(strategies)), Sources: f.pickers,
		Uploads: f.uploads, UploadsName: "uploads", InboxURL: f.inboxURL, Fields: fields, Logger: logger})
	if err != nil {
		return err
	}
	deps := web.Deps{API: apiHandler, Auth: authn, Logger: logger}
	if d != nil {
		deps.DemoCustomer = d.webCustomer
	}
	inbox, err := web.New(deps)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	// POSTs carry a channel's events; a GET is the channel checking the URL (Meta's verification
	// handshake). Webhooks need no sign-in: the channel signs them.
	hooks := conn.Webhooks(svc.Receive, &channel.HandlerOptions{Logger: logger})
	mux.Handle("POST /webhooks/{channel}", hooks)
	mux.Handle("GET /webhooks/{channel}", hooks)
	mux.Handle("GET /media/", f.media)
	mux.Handle("HEAD /media/", f.media)
	if d != nil {
		mux.Handle("POST /demo/customer", authn.RequireAdmin(func(w http.ResponseWriter, _ *http.Request, err error) {
			status, code := auth.Status(err), "forbidden"
			if status == http.StatusUnauthorized {
				code = "unauthorized"
			}
			jsonError(w, status, code, err.Error())
		}, http.HandlerFunc(d.customerWrites)))
	}
	mux.Handle("/", inbox)
	var handler http.Handler = mux
	if strings.HasPrefix(public, "https://") {
		handler = behindHTTPS(mux)
	}
	// The demo's channels are connected (or found connected) before the server serves: its demo route
	// reads them.
	connected := false
	if d != nil {
		if connected, err = d.connect(ctx, conn, db, webhookURL); err != nil {
			return err
		}
	}
	httpServer := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	httpServer.RegisterOnShutdown(inbox.Close)
	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(l) }()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = httpServer.Shutdown(shutdown)
	}()
	background.Go(func() { _ = svc.Run(ctx) })
	background.Go(func() { _ = conn.Run(ctx) })

	if d != nil {
		if err := d.seed(ctx, cfg, records, tpls, connected); err != nil {
			return err
		}
	}
	channels, err := conn.List(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "msgkit example listening on http://%s (store: %s, demo: %t)\n", l.Addr(), cfg.storeKind, cfg.demo)
	fmt.Fprintf(out, "open %s/inbox\n", public)
	for _, ch := range channels {
		fmt.Fprintf(out, "%s webhook URL of channel %q: %s\n", kindName(ch.Kind), ch.Name, webhookURL(ch.ID))
	}
	if d != nil {
		fmt.Fprintln(out, "demo sign-ins (user / password):")
		for _, s := range demoSignIns {
			role := strings.Join(s.user.Roles, ",")
			if s.user.Admin {
				role = "admin"
			}
			fmt.Fprintf(out, "  %-6s / %-11s %s (%s)\n", s.user.ID, s.password, s.user.Name, role)
		}
		fmt.Fprintf(out, "a demo customer writes: POST %s/demo/customer as admin, e.g. {\"channel\": \"line\", \"user\": \"U1\", \"name\": \"Hiro\", \"text\": \"Hello!\"}\n", public)
	}
	if len(channels) == 0 {
		fmt.Fprintln(out, "no channel is connected yet: sign in as an admin and connect one at /channels")
	}
	if ready != nil {
		ready <- l.Addr().String()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openable checks that the sealing keys open every connected channel's credentials: started with the
// wrong keys, the example stops at once rather than fail each channel's work later.
func openable(ctx context.Context, db store.Store, reg *connect.Registry) error {
	all, err := db.ListChannels(ctx)
	if err != nil {
		return err
	}
	for _, ch := range all {
		if ch.Credentials == nil {
			continue // disconnected
		}
		if _, err := reg.Adapter(ctx, ch); errors.Is(err, connect.ErrUnknownKey) {
			return fmt.Errorf("channel %s (%s): its credentials were sealed with a key the sealing keys do not hold: %w", ch.ID, kindName(ch.Kind), err)
		}
	}
	return nil
}

// behindHTTPS marks every request as one that reached the server over HTTPS (the public URL is https:
// a proxy terminates TLS in front of it), so that cookies are Secure and origins are https.
func behindHTTPS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("X-Forwarded-Proto", "https")
		next.ServeHTTP(w, r)
	})
}

// hashPassword reads a password (the first line of stdin) and prints its bcrypt hash for a users file.
func hashPassword(stdin io.Reader, out io.Writer) error {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	h, err := auth.HashPassword(strings.TrimRight(line, "\r\n"))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, h)
	return err
}

// directory says who is in which role, as the users file does: the pools of round robin.
func directory(users *auth.Users) *assign.MemoryDirectory {
	dir := &assign.MemoryDirectory{}
	roles := map[string]bool{}
	for _, u := range users.List() {
		for _, r := range u.Roles {
			roles[r] = true
		}
	}
	for r := range roles {
		dir.SetMembers(store.PoolRole, r, users.WithRole(r)...)
	}
	return dir
}

// usersOf returns who may sign in: the demo's users, or the users file's.
func usersOf(cfg config) (*auth.Users, error) {
	if cfg.demo {
		return demoUsers()
	}
	return auth.ReadUsers(cfg.usersFile)
}

// connectors returns the connectors of the channel kinds the example serves: LINE's and WhatsApp's, on
// the real APIs (or where -line-api, -line-data and -wa-api point), or on the demo's fakes.
func connectors(cfg config, d *demo, logger *slog.Logger) []channel.Connector {
	lineOpts := &line.Options{Logger: logger, APIEndpoint: cfg.lineAPI, DataEndpoint: cfg.lineData}
	waOpts := &whatsapp.Options{Logger: logger, Endpoint: cfg.waAPI, HTTPClient: &http.Client{Timeout: 30 * time.Second}}
	if d != nil {
		lineOpts.APIEndpoint, lineOpts.DataEndpoint = d.line.URL, d.line.URL
		waOpts.Endpoint = d.wa.URL
	}
	lineConn, err := line.NewConnector(lineOpts)
	if err != nil {
		panic(err) // only options this function sets, and they are valid
	}
	return []channel.Connector{lineConn, whatsapp.NewConnector(waOpts)}
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

// createPrivate creates the SQLite file, empty, readable by its owner only, or makes an existing one so
// (with its WAL and shared-memory files). The database holds customers' messages and names, and -db puts
// it outside the -data directory (0700) by default: created by SQLite, it would be readable by every user
// of the host (the umask's 0644), and so would the WAL and shared-memory files SQLite gives the database's
// own mode; an earlier version of this example left it so.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			info, err := os.Stat(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("checking the SQLite file: %w", err)
			}
			if info.Mode().IsRegular() && info.Mode().Perm()&0o077 != 0 {
				if err := os.Chmod(p, info.Mode().Perm()&0o700); err != nil {
					return fmt.Errorf("making the SQLite file private: %w", err)
				}
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating the SQLite file: %w", err)
	}
	return f.Close()
}

func openStore(ctx context.Context, cfg config) (store.Store, func(), error) {
	switch cfg.storeKind {
	case "sqlite":
		if err := createPrivate(cfg.dbPath); err != nil {
			return nil, nil, err
		}
		s, err := sqlite.Open(ctx, cfg.dbPath, nil)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	case "postgres":
		if cfg.dsn == "" {
			return nil, nil, errors.New("-store postgres needs $" + envDSN)
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
