package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/internal/perf/loadgen"
	"github.com/msgkit/msgkit/internal/perf/peer"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/sqlite"
)

// serveChild is a server the HTTP figures load: perfsuite -serve <kind> <dir>. It listens on a loopback
// port, prints "<address> <webhook path>" on stdout and serves until its stdin is closed. Kinds:
//
//   - msgkit-sqlite, msgkit-memory: msgkit wired as examples/minimal wires it — a LINE channel connected
//     through connect.Service (its credentials checked against the fake LINE API the parent serves),
//     conversation.Service with round robin and the webhook archive, connect's webhooks router at
//     /webhooks/{channel}, and Run doing the jobs (profiles come from the fake);
//   - peer: the hand-written peer (package peer) on SQLite;
//   - bare: a net/http server that reads the body, checks its LINE signature and answers 200.
func serveChild(args []string) error {
	if len(args) != 3 {
		return errors.New("usage: -serve <msgkit-sqlite|msgkit-memory|peer|bare> <dir> <fake LINE API URL>")
	}
	kind, dir, lineAPI := args[0], args[1], args[2]
	if path := os.Getenv("PERFSUITE_SERVER_CPUPROFILE"); path != "" { // -server-cpuprofile
		f, err := os.Create(fmt.Sprintf("%s.%s", path, kind))
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer l.Close()
	var h http.Handler
	path := "/webhooks/" + kind
	switch kind {
	case "bare":
		h = http.HandlerFunc(bare)
	case "peer":
		p, err := peer.Open(ctx, filepath.Join(dir, "peer-http.db"), secret, agents)
		if err != nil {
			return err
		}
		defer p.Close()
		h = p
	case "msgkit-sqlite", "msgkit-memory":
		var db store.Store = memstore.New(nil)
		if kind == "msgkit-sqlite" {
			s, err := sqlite.Open(ctx, filepath.Join(dir, "msgkit-http.db"), nil)
			if err != nil {
				return err
			}
			defer s.Close()
			db = s
		}
		var id string
		if h, id, err = exampleServer(ctx, db, "http://"+l.Addr().String(), lineAPI); err != nil {
			return err
		}
		path = "/webhooks/" + id
	default:
		return fmt.Errorf("unknown server kind %q", kind)
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks/{channel}", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	fmt.Printf("%s %s\n", l.Addr(), path)
	// Until the parent closes stdin (or dies); a line "stats" asks for the Go runtime's memory figures on
	// stderr, and a heap profile when -server-memprofile is set.
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "stats" {
			memStats(kind)
		}
	}
	return srv.Close()
}

// memStats reports where the process's memory is, as the Go runtime sees it, on stderr.
func memStats(kind string) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	mb := func(b uint64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }
	fmt.Fprintf(os.Stderr, "  %s server memory: Go heap in use %s, heap reserved %s (released %s), stacks %s, Go runtime total %s; the rest of the RSS is outside the Go heap (SQLite's allocator)\n",
		kind, mb(m.HeapInuse), mb(m.HeapSys), mb(m.HeapReleased), mb(m.StackSys), mb(m.Sys))
	if path := os.Getenv("PERFSUITE_SERVER_MEMPROFILE"); path != "" {
		if f, err := os.Create(fmt.Sprintf("%s.%s", path, kind)); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
}

// bare is the bare signature-checking server's handler.
func bare(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	got, err := base64.StdEncoding.DecodeString(r.Header.Get(loadgen.SignatureHeader))
	want, _ := base64.StdEncoding.DecodeString(loadgen.Sign(secret, body))
	if err != nil || !hmac.Equal(got, want) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// lineChannelID is the fake LINE channel the example-wired servers connect.
const lineChannelID = "1656000000"

// exampleServer wires msgkit on db as examples/minimal does (its LINE channel on the fake LINE API at
// lineAPI, which the suite serves from its own process, as LINE is elsewhere), and returns its webhooks router and the
// connected LINE channel's ID. Run goes on until ctx ends.
func exampleServer(ctx context.Context, db store.Store, public, lineAPI string) (http.Handler, string, error) {
	key, err := connect.GenerateKey("run")
	if err != nil {
		return nil, "", err
	}
	sealer, err := connect.NewAESGCM(key)
	if err != nil {
		return nil, "", err
	}
	lineConn, err := line.NewConnector(&line.Options{APIEndpoint: lineAPI, DataEndpoint: lineAPI})
	if err != nil {
		return nil, "", err
	}
	reg, err := connect.NewRegistry(sealer, lineConn)
	if err != nil {
		return nil, "", err
	}
	conn, err := connect.New(db, reg, &connect.Options{WebhookURL: func(id string) string { return public + "/webhooks/" + id }})
	if err != nil {
		return nil, "", err
	}
	rule := store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: agents}
	got, err := conn.Connect(ctx, connect.Request{Kind: line.Kind, Name: "perfsuite", Assignment: rule, Credentials: channel.Credentials{
		line.CredChannelID: lineChannelID, line.CredChannelSecret: secret, line.CredAccessToken: lineToken}})
	if err != nil {
		return nil, "", err
	}
	rr, err := assign.NewRoundRobin(&assign.MemoryDirectory{})
	if err != nil {
		return nil, "", err
	}
	svc, err := conversation.New(db, reg, &conversation.Options{
		Assigner:      assign.Strategies{assign.StrategyRoundRobin: rr},
		Archive:       7 * 24 * time.Hour,
		ReplyTokenTTL: 50 * time.Second,
		Jobs:          conversation.JobOptions{Lease: time.Minute},
	})
	if err != nil {
		return nil, "", err
	}
	go func() { _ = svc.Run(ctx) }()
	go func() { _ = conn.Run(ctx) }()
	return conn.Webhooks(svc.Receive, nil), got.Channel.ID, nil
}
