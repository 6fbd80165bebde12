// Package loadgen is the performance suite's webhook load generator: it POSTs signed LINE webhooks to a
// server on the loopback interface over a fixed number of connections, bounded in count and in time, and
// measures each answer's latency.
package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds on one Run: it is a measuring tool, never a flood.
const (
	MaxCount    = 1_000_000
	MaxDuration = 30 * time.Minute
	MaxConns    = 256
)

// ErrNotLoopback is returned for a URL whose host is not a loopback address.
var ErrNotLoopback = errors.New("loadgen: the target must be on the loopback interface")

// ErrUnbounded is returned for a Config without a count or a duration, or with more than the maximums.
var ErrUnbounded = errors.New("loadgen: a run needs a count (≤ MaxCount) and a duration (≤ MaxDuration)")

// Config is one run of the generator.
type Config struct {
	// URL is the webhook endpoint; its host must be a loopback IP address or "localhost".
	URL string
	// Secret is the channel secret the bodies are signed with.
	Secret string
	// Bodies writes the bodies; required.
	Bodies *Bodies
	// Conns is how many connections post at once (default 8, at most MaxConns).
	Conns int
	// Count is how many webhooks to send (1 to MaxCount); Duration the longest the run may take (up to
	// MaxDuration): the run ends at whichever comes first.
	Count    int
	Duration time.Duration
	// Users returns the senders of webhook i (one event each); nil means a new sender per webhook.
	Users func(i int) []string
}

// Result is what a run measured.
type Result struct {
	Sent, OK int // webhooks sent, and answered 200
	// Failed counts the others (another status or a transport error); FirstError describes the first.
	Failed     int
	FirstError error
	Elapsed    time.Duration
	Latencies  []time.Duration // of the answers 200, in no particular order
}

// PerSecond is the throughput: webhooks answered 200 per second of the run.
func (r Result) PerSecond() float64 { return float64(r.OK) / r.Elapsed.Seconds() }

// Check validates cfg: a loopback target and a bounded run.
func (cfg Config) Check() error {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return ErrNotLoopback
	}
	if cfg.Count <= 0 || cfg.Count > MaxCount || cfg.Duration <= 0 || cfg.Duration > MaxDuration || cfg.Conns > MaxConns {
		return ErrUnbounded
	}
	if cfg.Bodies == nil {
		return errors.New("loadgen: Config.Bodies is required")
	}
	return nil
}

// Run sends cfg.Count webhooks, or as many as cfg.Duration allows, and returns what it measured. It stops
// early, with what it has, when ctx ends.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.Check(); err != nil {
		return Result{}, err
	}
	conns := cfg.Conns
	if conns <= 0 {
		conns = 8
	}
	users := cfg.Users
	if users == nil {
		base := int(time.Now().UnixNano() % 1_000_000_000_000)
		users = func(i int) []string { return []string{User(base + i)} }
	}
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	var (
		next atomic.Int64
		mu   sync.Mutex
		res  Result
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range conns {
		wg.Go(func() {
			var lat []time.Duration
			sent, failed := 0, 0
			var firstErr error
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= cfg.Count {
					break
				}
				body := cfg.Bodies.Next(users(i)...)
				t0 := time.Now()
				err := post(ctx, client, cfg.URL, cfg.Secret, body)
				sent++
				if err != nil {
					if ctx.Err() != nil {
						sent-- // cut short by the deadline: not a failure of the server
						break
					}
					failed++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			defer mu.Unlock()
			res.Sent += sent
			res.OK += len(lat)
			res.Failed += failed
			res.Latencies = append(res.Latencies, lat...)
			if res.FirstError == nil {
				res.FirstError = firstErr
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, nil
}

// post sends one signed webhook and reads its answer; a status other than 200 is an error.
func post(ctx context.Context, c *http.Client, url, secret string, body []byte) error {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(SignatureHeader, Sign(secret, body))
	resp, err := c.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("loadgen: answered %d", resp.StatusCode)
	}
	return nil
}
