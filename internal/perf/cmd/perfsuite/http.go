package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/msgkit/msgkit/channel/line/linetest"

	"github.com/msgkit/msgkit/internal/perf"
	"github.com/msgkit/msgkit/internal/perf/loadgen"
)

// child is a server process started with -serve.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   string
}

// start runs a server of kind (see serveChild) in a child process.
func (e *env) start(kind string) (*child, error) {
	dir, err := os.MkdirTemp(e.dir, kind)
	if err != nil {
		return nil, err
	}
	e.lineOnce.Do(func() {
		e.lineAPI = linetest.NewServer(&linetest.Options{ChannelID: lineChannelID, ChannelSecret: secret, AccessToken: lineToken})
	})
	cmd := exec.Command(e.self, "-serve", kind, dir, e.lineAPI.URL)
	cmd.Stderr = e.log
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, path, ok := strings.Cut(strings.TrimSpace(line), " ")
	if err != nil || !ok {
		c.stop()
		return nil, fmt.Errorf("server %s did not start: %q %v", kind, line, err)
	}
	c.url = "http://" + addr + path
	return c, nil
}

// stop ends the child: it exits when its stdin closes; killed after 10 s.
func (c *child) stop() {
	c.stdin.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// cpu is the CPU time the child has used (user + system), from /proc.
func (c *child) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // after "pid (comm) ": field 3 is f[0]
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// rss is the child's resident set size in bytes, from /proc.
func (c *child) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// quiet waits until the child has done its background work (its CPU time grows by less than 5 % of the
// wall time over 400 ms), at most limit, and returns how long it waited.
func (c *child) quiet(ctx context.Context, limit time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < limit && ctx.Err() == nil {
		before := c.cpu()
		time.Sleep(400 * time.Millisecond)
		if c.cpu()-before <= 20*time.Millisecond {
			break
		}
	}
	return time.Since(start)
}

// load runs the generator against c: count webhooks from new senders over 8 connections, at most d.
func load(ctx context.Context, c *child, b *loadgen.Bodies, count int, d time.Duration) (loadgen.Result, error) {
	return loadgen.Run(ctx, loadgen.Config{URL: c.url, Secret: secret, Bodies: b, Conns: 8, Count: count, Duration: d})
}

// httpFigure loads the subject and baseline servers alternately, in rounds, with the same generator (8
// connections, new senders), waiting after each burst until the server is idle (msgkit's Run finishing
// the jobs), and compares their throughput in webhooks answered 200 per second of the burst; the p99
// latencies are reported beside.
func httpFigure(ctx context.Context, e *env, name, subjKind, baseKind string, target perf.Target) ([]perf.Line, error) {
	subjSrv, err := e.start(subjKind)
	if err != nil {
		return nil, err
	}
	defer subjSrv.stop()
	baseSrv, err := e.start(baseKind)
	if err != nil {
		return nil, err
	}
	defer baseSrv.stop()
	count, d := e.scale(3000, 30000), time.Duration(e.scale(2, 10))*time.Second
	b := loadgen.NewBodies(bot)
	var subjLat, baseLat []time.Duration
	var failed int
	var firstErr error
	var drain []float64
	var burstOf func(c *child, lat *[]time.Duration, count int) (float64, error)
	burst := func(c *child, lat *[]time.Duration) (float64, error) {
		return burstOf(c, lat, count)
	}
	burstOf = func(c *child, lat *[]time.Duration, count int) (float64, error) {
		r, err := load(ctx, c, b, count, d)
		if err != nil {
			return 0, err
		}
		if r.OK == 0 {
			return 0, fmt.Errorf("%s: no webhook answered 200: %v", c.url, r.FirstError)
		}
		*lat = append(*lat, r.Latencies...)
		if c == subjSrv {
			failed += r.Failed
			if firstErr == nil {
				firstErr = r.FirstError
			}
			drain = append(drain, c.quiet(ctx, 2*time.Minute).Seconds())
		} else {
			c.quiet(ctx, 2*time.Minute)
		}
		return r.PerSecond(), nil
	}
	for _, c := range []*child{subjSrv, baseSrv} { // warm-up: caches, connections, the first pages
		var discard []time.Duration
		if _, err := burstOf(c, &discard, count/10); err != nil {
			return nil, err
		}
	}
	subjLat, baseLat, failed, firstErr, drain = nil, nil, 0, nil, nil
	subj, base, err := perf.Rounds(e.rounds,
		func() (float64, error) { return burst(subjSrv, &subjLat) },
		func() (float64, error) { return burst(baseSrv, &baseLat) })
	if err != nil {
		return nil, err
	}
	subject := fmt.Sprintf("%.0f/s (+%.1f s jobs)", perf.Median(subj), perf.Median(drain))
	if failed > 0 {
		subject += fmt.Sprintf(", %d refused (%v)", failed, firstErr)
	}
	sp, bp := perf.Quantile(subjLat, 0.99), perf.Quantile(baseLat, 0.99)
	return []perf.Line{
		{Name: name + ": webhooks/s", Subject: subject, Baseline: fmt.Sprintf("%.0f/s", perf.Median(base)),
			Ratio: perf.Ratio(subj, base), Target: target},
		{Name: name + ": p99", Subject: fmtDur(sp), Baseline: fmtDur(bp), Ratio: float64(sp) / float64(bp), Info: true},
	}, nil
}

// figHTTPSQLite: msgkit wired as examples/minimal on SQLite against the hand-written peer as an HTTP
// server.
func figHTTPSQLite(ctx context.Context, e *env) ([]perf.Line, error) {
	return httpFigure(ctx, e, "HTTP, SQLite", "msgkit-sqlite", "peer", perf.Ge(2))
}

// figHTTPMemory: msgkit wired as examples/minimal on memstore against a bare signature-checking server.
func figHTTPMemory(ctx context.Context, e *env) ([]perf.Line, error) {
	return httpFigure(ctx, e, "HTTP, memory", "msgkit-memory", "bare", perf.Ge(0.6))
}

// figMemory: the resident set of msgkit wired as examples/minimal on SQLite after N webhooks (new
// senders, 8 connections, jobs done) against its resident set after start. One run, no rounds: RSS does
// not come back down to be measured again.
func figMemory(ctx context.Context, e *env) ([]perf.Line, error) {
	c, err := e.start("msgkit-sqlite")
	if err != nil {
		return nil, err
	}
	defer c.stop()
	c.quiet(ctx, 10*time.Second)
	start := c.rss()
	_, _ = io.WriteString(c.stdin, "stats\n") // where the memory is at start, on stderr
	time.Sleep(2 * time.Second)
	n := e.scale(3000, e.memoryWebhooks)
	r, err := load(ctx, c, loadgen.NewBodies(bot), n, time.Duration(e.scale(60, 1500))*time.Second)
	if err != nil {
		return nil, err
	}
	c.quiet(ctx, 3*time.Minute)
	after := c.rss()
	_, _ = io.WriteString(c.stdin, "stats\n") // where the memory is, on stderr
	time.Sleep(2 * time.Second)
	return []perf.Line{{Name: "memory: RSS after webhooks", Subject: fmt.Sprintf("%.1f MB after %d", float64(after)/1e6, r.OK),
		Baseline: fmt.Sprintf("%.1f MB at start", float64(start)/1e6), Ratio: float64(after) / float64(start), Target: perf.Le(1.5)}}, nil
}
