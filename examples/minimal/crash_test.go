package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel/line/linetest"
	"github.com/msgkit/msgkit/conversation/connect"
)

// The crash test's knobs. The service uses a reply token for crashTokenTTL after its message; the fake
// LINE honours it for longer (crashFakeTokenTTL), so a token the service deems fresh always is. A killed
// process's claims lapse after crashLease, well within crashTokenTTL: a reply whose token was used by an
// attempt that the kill cut short is retried while the token is still fresh — the case where a retry
// could deliver twice.
const (
	crashKills        = 16               // SIGKILLs at random moments while customers write and agents reply (with the trap kills, issue 13's ≥ 20)
	crashTrapKills    = 4                // more SIGKILLs, each at the worst moment: LINE has just accepted a send, and the answer is not out
	crashRounds       = 40 * time.Second // rounds of kills stop after this (the test must stay around a minute)
	crashMinKills     = 12               // fewer kills than this in crashRounds fails the test: it would prove too little
	crashWorkers      = 3                // clients sending webhooks and replies at once
	crashUsers        = 8                // customers
	crashTokenTTL     = 8 * time.Second
	crashFakeTokenTTL = 20 * time.Second
	crashLease        = 2 * time.Second
	crashMaxKillDelay = 1500 * time.Millisecond // a kill comes 30ms–1.5s after the example is ready
)

// TestCrash is issue 13's crash test. The example runs on SQLite, with a LINE channel an admin connected
// over the API against a fake of LINE's API (linetest, served by this test), as a separate process that
// is SIGKILLed at random points while customers write (signed webhooks) and an agent replies (POSTs with
// a bearer token and an Idempotency-Key): some replies while
// the reply token is fresh, some once it has expired, some after the token was spent. After each restart
// on the same database, every webhook that got no 200 is redelivered and every reply that got no answer
// is retried with the same key. At the end: every part is delivered exactly once, or is uncertain and
// delivered at most once; no reply token and no retry key delivered twice; every customer message stored
// once; every reply recorded once.
//
// Besides the kills at random moments, a few come at the worst one: LINE (the fake, behind a trap) has
// accepted a reply or a push and the example is killed before the answer reaches it. A send whose outcome
// the example cannot know is then certain in every run, not only when a random kill happens to hit one.
//
// The example is built with -race when the test is (so the build reuses the test's compiled packages),
// and a data race it reports fails the test.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test runs the example as a separate process for about a minute")
	}
	start := time.Now()
	end := start.Add(2 * time.Minute)
	if d, ok := t.Deadline(); ok && d.Add(-20*time.Second).Before(end) {
		end = d.Add(-20 * time.Second)
	}
	ctx, cancel := context.WithDeadline(t.Context(), end)
	defer cancel()

	bin := buildExample(t, ctx)
	built := time.Since(start)
	const channelID, secret, token = "1650000000", "crash-secret", "crash-token"
	api := linetest.New(&linetest.Options{ChannelID: channelID, ChannelSecret: secret, AccessToken: token,
		ReplyTokenTTL: crashFakeTokenTTL})
	lineTrap := &trap{api: api}
	lineServer := httptest.NewServer(lineTrap)
	t.Cleanup(func() {
		api.Close()
		lineServer.Close()
	})
	key, err := connect.GenerateKey("crash")
	require.NoError(t, err)
	dir := t.TempDir()
	sealFile := filepath.Join(dir, "seal.keys")
	require.NoError(t, os.WriteFile(sealFile, []byte(key.Export()), 0o600))
	args := []string{"-addr", "127.0.0.1:0", "-store", "sqlite", "-db", filepath.Join(dir, "msgkit.db"), "-data", filepath.Join(dir, "data"),
		"-users", writeUsers(t), "-seal-keys-file", sealFile, "-line-api", lineServer.URL, "-line-data", lineServer.URL,
		"-job-lease", crashLease.String(), "-reply-token-ttl", crashTokenTTL.String()}
	env := append(os.Environ(), envSessionKey+"="+base64.StdEncoding.EncodeToString([]byte("the crash test's session key, 32+ bytes")))

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	// The webhook path names the channel the example connected on its first start; every restart finds
	// it connected.
	w := newWorld(api, secret, "", rand.New(rand.NewPCG(seed, seed>>7)))

	kills, trapKills, startupKills := 0, 0, 0
	for (kills < crashKills || trapKills < crashTrapKills) && time.Since(start)-built < crashRounds {
		require.NoError(t, ctx.Err(), "out of time after %d kills", kills+trapKills)
		p := startExample(t, bin, args, env)
		// Now and then the kill comes while the example is starting, before it serves.
		if kills > 0 && w.chance(0.12) {
			sleep(ctx, w.duration(0, 150*time.Millisecond))
			p.kill()
			startupKills++
			p.checkOutput(t)
			continue
		}
		base := p.waitReady(t, ctx)
		if w.webhook == "" {
			// The first start: an admin connects the LINE account; the agent signs in. Every restart finds
			// the channel connected, and the agent's token still valid (the session key is the same).
			w.webhook = "/webhooks/" + connectLine(t, ctx, base, channelID, secret, token)
			w.auth = bearer(t, ctx, base, "aiko", "aiko-password")
		}
		round, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for range crashWorkers {
			wg.Go(func() { w.work(round, base, false) })
		}
		sleep(ctx, w.duration(30*time.Millisecond, crashMaxKillDelay))
		if trapKills < crashTrapKills && (kills >= crashKills || w.chance(float64(crashTrapKills)/float64(crashKills+crashTrapKills))) {
			// Kill it at the next send LINE accepts, before LINE's answer is out.
			trapped := lineTrap.arm(p.kill)
			select {
			case <-trapped:
				trapKills++
			case <-time.After(5 * time.Second): // no send came: a kill at a random moment after all
				lineTrap.disarm()
				kills++
			case <-ctx.Done():
			}
		} else {
			kills++
		}
		p.kill()
		stop()
		wg.Wait()
		p.checkOutput(t)
	}
	rounds := time.Since(start) - built
	require.GreaterOrEqual(t, kills+trapKills, crashMinKills, "too few kills in %s to prove anything", crashRounds)
	require.Positive(t, trapKills, "a kill as LINE accepted a send")

	// The last process runs until every webhook got its 200 and every reply its answer, then until no part
	// is queued or sending.
	p := startExample(t, bin, args, env)
	base := p.waitReady(t, ctx)
	final, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range crashWorkers {
		wg.Go(func() { w.work(final, base, true) })
	}
	wg.Wait()
	stop()
	require.NoError(t, ctx.Err(), "out of time redelivering webhooks and retrying replies: %s\n%s", w.pending(), p.tail())
	var convs map[string][]apiMessage
	for {
		convs = snapshot(t, ctx, base, w.auth)
		busy := 0
		for _, msgs := range convs {
			for _, m := range msgs {
				if m.Direction == "out" && (m.Status == "queued" || m.Status == "sending") {
					busy++
				}
			}
		}
		if busy == 0 {
			break
		}
		require.NoError(t, ctx.Err(), "out of time waiting for %d parts to settle\n%s", busy, p.tail())
		sleep(ctx, 250*time.Millisecond)
	}
	p.stop(t)
	p.checkOutput(t)

	w.check(t, convs)
	t.Logf("%d kills at random moments while serving, %d as LINE accepted a send, %d while starting, in %s; build %s (race: %t), whole test %s",
		kills, trapKills, startupKills, rounds.Round(time.Millisecond), built.Round(time.Millisecond), raceEnabled(), time.Since(start).Round(time.Millisecond))
}

// post POSTs body to the example's API with the Authorization header auth, requires a 200, and decodes
// the answer into into.
func post(t *testing.T, ctx context.Context, url, auth, body string, into any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "POST %s: %s", url, b)
	require.NoError(t, json.Unmarshal(b, into))
}

// bearer signs user in as an API client and returns the Authorization header's value.
func bearer(t *testing.T, ctx context.Context, base, user, password string) string {
	t.Helper()
	var out struct{ Token string }
	post(t, ctx, base+"/api/token", "", fmt.Sprintf(`{"user": %q, "password": %q}`, user, password), &out)
	return "Bearer " + out.Token
}

// connectLine has the admin connect the LINE account over the API, its conversations assigned round robin
// to the role "sales", and returns the channel's ID.
func connectLine(t *testing.T, ctx context.Context, base, id, secret, token string) string {
	t.Helper()
	var ch struct{ ID string }
	post(t, ctx, base+"/api/channels", bearer(t, ctx, base, "root", "root-password"), fmt.Sprintf(`{"kind": "line", "name": "Crash shop",
		"credentials": {"channel_id": %q, "channel_secret": %q, "access_token": %q},
		"assignment": {"strategy": "round_robin", "pool": "role", "poolIds": ["sales"]}}`, id, secret, token), &ch)
	require.NotEmpty(t, ch.ID)
	return ch.ID
}

// buildExample builds the example into a temporary directory, with -race if the test binary has it.
func buildExample(t *testing.T, ctx context.Context) string {
	t.Helper()
	goTool, err := exec.LookPath("go") // go test puts its own go first in PATH
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "minimal")
	args := []string{"build", "-o", bin}
	if raceEnabled() {
		args = append(args, "-race")
	}
	out, err := exec.CommandContext(ctx, goTool, append(args, ".")...).CombinedOutput()
	require.NoError(t, err, "building the example: %s", out)
	return bin
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// process is one run of the example.
type process struct {
	cmd   *exec.Cmd
	out   *output
	ready chan string   // receives the listening address
	done  chan struct{} // closed once the process has exited
	err   error         // its exit, once done
}

// startExample starts the example; waitReady waits until it serves.
func startExample(t *testing.T, bin string, args, env []string) *process {
	t.Helper()
	p := &process{ready: make(chan string, 1), done: make(chan struct{})}
	p.out = &output{ready: p.ready}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	require.NoError(t, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

func (p *process) waitReady(t *testing.T, ctx context.Context) string {
	t.Helper()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	select {
	case addr := <-p.ready:
		return "http://" + addr
	case <-p.done:
		t.Fatalf("the example exited before serving: %v\n%s", p.err, p.tail())
	case <-timeout.C:
		t.Fatalf("the example did not serve within 30s\n%s", p.tail())
	case <-ctx.Done():
		t.Fatalf("out of time starting the example\n%s", p.tail())
	}
	return ""
}

// kill sends SIGKILL and waits for the process to end.
func (p *process) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop asks the process to shut down (SIGINT) and waits for a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	timeout := time.NewTimer(15 * time.Second)
	defer timeout.Stop()
	select {
	case <-p.done:
		require.NoError(t, p.err, "the example's exit after SIGINT\n%s", p.tail())
	case <-timeout.C:
		p.kill()
		t.Errorf("the example did not stop within 15s of SIGINT\n%s", p.tail())
	}
}

// checkOutput fails the test if the process reported a data race or panicked.
func (p *process) checkOutput(t *testing.T) {
	t.Helper()
	all := p.out.String()
	for _, bad := range []string{"WARNING: DATA RACE", "panic: "} {
		if i := strings.Index(all, bad); i >= 0 {
			t.Errorf("the example's output has %q:\n%s", bad, all[i:min(len(all), i+8000)])
		}
	}
}

func (p *process) tail() string {
	all := p.out.String()
	return "the example's output ends with:\n" + all[max(0, len(all)-4000):]
}

// trap serves LINE's fake API and, once armed, kills the example when the fake has accepted a reply or a
// push, before the answer is sent: the example never learns that LINE delivered it.
type trap struct {
	api *linetest.API

	mu     sync.Mutex
	kill   func()
	sprung chan struct{}
}

// arm makes the next reply or push kill the example with kill; the channel is closed once it has.
func (tr *trap) arm(kill func()) <-chan struct{} {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.kill, tr.sprung = kill, make(chan struct{})
	return tr.sprung
}

func (tr *trap) disarm() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.kill = nil
}

func (tr *trap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	send := r.Method == http.MethodPost && (r.URL.Path == "/v2/bot/message/reply" || r.URL.Path == "/v2/bot/message/push")
	tr.mu.Lock()
	kill, sprung := tr.kill, tr.sprung
	if send {
		tr.kill = nil
	}
	tr.mu.Unlock()
	if !send || kill == nil {
		tr.api.ServeHTTP(w, r)
		return
	}
	tr.api.ServeHTTP(httptest.NewRecorder(), r) // LINE handles it (delivers, or refuses the token) …
	kill()                                      // … and the example dies waiting for the answer
	close(sprung)
	panic(http.ErrAbortHandler) // no answer: the connection is dropped
}

// output keeps what a process writes and spots the address it listens on.
type output struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan<- string
	seen  bool
}

var listening = regexp.MustCompile(`listening on http://(\S+) `)

func (o *output) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(b)
	if !o.seen {
		if m := listening.FindSubmatch(o.buf.Bytes()); m != nil {
			o.seen = true
			o.ready <- string(m[1])
		}
	}
	return len(b), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// world is what the customers and agents of the crash test have done, and what remains to do. Its
// workers run in their own goroutines and never fail the test; the test's goroutine checks the outcome.
type world struct {
	api     *linetest.API
	secret  string
	webhook string // the webhook path
	auth    string // the agent's Authorization header

	mu        sync.Mutex
	rng       *rand.Rand
	users     []string
	convs     map[string]string // user → conversation ID
	webhooks  []*webhookItem
	replies   []*replyItem
	seq       int
	anomalies []string // what a worker saw that must not happen
}

// webhookItem is one customer message, as the webhook LINE (re)delivers until it gets a 200.
type webhookItem struct {
	user, text string
	body       []byte
	status     int // of the last answer; 0: none
	final      bool
	attempts   int
	busy       bool
	notBefore  time.Time
}

// replyItem is one agent reply, POSTed with its idempotency key until it gets an answer.
type replyItem struct {
	n         int
	user, key string
	text      string
	parts     int // how many parts the text makes
	late      bool
	status    int // of the last answer; 0: none
	answer    []apiPart
	attempts  int
	busy      bool
	notBefore time.Time
}

type apiPart struct{ ID, Status string }

func (r *replyItem) answered() bool {
	return r.status == http.StatusOK || r.status >= 400 && r.status < 500
}

func (h *webhookItem) done() bool { return h.status == http.StatusOK || h.final }

func newWorld(api *linetest.API, secret, webhook string, rng *rand.Rand) *world {
	w := &world{api: api, secret: secret, webhook: webhook, rng: rng, convs: map[string]string{}}
	for i := range crashUsers {
		w.users = append(w.users, fmt.Sprintf("U%032x", 0xc0ffee00+i))
	}
	return w
}

func (w *world) chance(p float64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rng.Float64() < p
}

func (w *world) duration(lo, hi time.Duration) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return lo + time.Duration(w.rng.Int64N(int64(hi-lo)+1))
}

// work plays customers and agents against the example at base until ctx ends: first what earlier runs
// left undone, then (unless final) new messages and replies. With final it returns once nothing is left.
func (w *world) work(ctx context.Context, base string, final bool) {
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	for ctx.Err() == nil {
		hook, reply, idle := w.next(final)
		switch {
		case hook != nil:
			w.deliver(ctx, client, base, hook)
		case reply != nil:
			w.reply(ctx, client, base, reply)
		case final && idle:
			return
		}
		if final {
			sleep(ctx, 20*time.Millisecond)
		} else {
			sleep(ctx, w.duration(20*time.Millisecond, 120*time.Millisecond))
		}
	}
}

// next picks the next thing to do and marks it busy: a webhook to redeliver, a reply to (re)try, or a new
// customer message. idle reports that nothing is left to do at all (with final: nothing new is made).
func (w *world) next(final bool) (*webhookItem, *replyItem, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now, idle := time.Now(), true
	for _, h := range w.webhooks {
		if !h.done() {
			idle = false
			if !h.busy && !now.Before(h.notBefore) {
				h.busy = true
				return h, nil, false
			}
		}
	}
	for _, r := range w.replies {
		if !r.answered() {
			idle = false
			if !r.busy && (final || !now.Before(r.notBefore)) {
				r.busy = true
				return nil, r, false
			}
		}
	}
	if final {
		return nil, nil, idle
	}
	w.seq++
	user := w.users[w.rng.IntN(len(w.users))]
	text := fmt.Sprintf("m%d from %s", w.seq, user)
	h := &webhookItem{user: user, text: text, busy: true,
		body: w.api.Webhook(linetest.Event{UserID: user, Name: user, Text: text})}
	w.webhooks = append(w.webhooks, h)
	return h, nil, false
}

// deliver POSTs a webhook, signed as LINE signs it.
func (w *world) deliver(ctx context.Context, client *http.Client, base string, h *webhookItem) {
	req, err := linetest.NewWebhookRequest(ctx, base+w.webhook, w.secret, h.body)
	status := 0
	if err == nil {
		var res *http.Response
		if res, err = client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			status = res.StatusCode
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	h.busy, h.attempts = false, h.attempts+1
	h.status = status
	switch {
	case status == http.StatusOK: // the only 200 this webhook gets
		w.planReplies(h.user)
		return
	case status >= 400 && status < 500:
		h.final = true
		w.anomalies = append(w.anomalies, fmt.Sprintf("webhook %q answered %d", h.text, status))
	}
	h.notBefore = time.Now().Add(100 * time.Millisecond)
}

// planReplies plans what agents answer a customer's message: at once (with the fresh reply token), a
// second time at once (a push: the token is spent), or after the token has expired (a push).
func (w *world) planReplies(user string) {
	now := time.Now()
	plan := func(late bool, at time.Time) {
		w.seq++
		n := w.seq
		r := &replyItem{n: n, user: user, late: late, notBefore: at, key: fmt.Sprintf("crash-%d-%x", n, w.rng.Uint64()),
			text: fmt.Sprintf("r%d: an answer for %s", n, user), parts: 1}
		if w.rng.Float64() < 0.1 { // over LINE's 5,000 characters: two parts, sent in one call
			r.text, r.parts = fmt.Sprintf("r%d:", n)+strings.Repeat(fmt.Sprintf(" r%d", n), 6000/len(strconv.Itoa(n))/2), 2
		}
		w.replies = append(w.replies, r)
	}
	if w.rng.Float64() < 0.6 {
		plan(false, now)
		if w.rng.Float64() < 0.3 {
			plan(false, now)
		}
	}
	if w.rng.Float64() < 0.35 {
		plan(true, now.Add(crashTokenTTL+time.Duration(w.rng.Int64N(int64(3*time.Second)))))
	}
}

// reply POSTs an agent's reply with its idempotency key.
func (w *world) reply(ctx context.Context, client *http.Client, base string, r *replyItem) {
	posted, status, parts := w.postReply(ctx, client, base, r)
	w.mu.Lock()
	defer w.mu.Unlock()
	r.busy = false
	if posted {
		r.attempts++
		r.status, r.answer = status, parts
	}
	if status >= 400 && status < 500 {
		w.anomalies = append(w.anomalies, fmt.Sprintf("reply r%d answered %d", r.n, status))
	}
	if !r.answered() {
		r.notBefore = time.Now().Add(100 * time.Millisecond)
	}
}

// postReply finds the conversation and POSTs the reply. posted reports whether the POST was made (the
// example may have got it); status is 0 when no answer came.
func (w *world) postReply(ctx context.Context, client *http.Client, base string, r *replyItem) (posted bool, status int, parts []apiPart) {
	conv, err := w.conversation(ctx, client, base, r.user)
	if err != nil {
		return false, 0, nil
	}
	body, _ := json.Marshal(map[string]string{"text": r.text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/conversations/"+conv+"/reply", bytes.NewReader(body))
	if err != nil {
		return false, 0, nil
	}
	req.Header.Set("Idempotency-Key", r.key)
	req.Header.Set("Authorization", w.auth)
	res, err := client.Do(req)
	if err != nil {
		return true, 0, nil
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return true, 0, nil
	}
	var out struct{ Parts []apiPart }
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil {
			return true, 0, nil
		}
	}
	return true, res.StatusCode, out.Parts
}

// conversation returns the ID of the user's conversation, listing them if it is not known yet.
func (w *world) conversation(ctx context.Context, client *http.Client, base, user string) (string, error) {
	w.mu.Lock()
	id, ok := w.convs[user]
	w.mu.Unlock()
	if ok {
		return id, nil
	}
	cursor := ""
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/conversations?limit=100&cursor="+cursor, nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", w.auth)
		res, err := client.Do(req)
		if err != nil {
			return "", err
		}
		var page struct {
			Conversations []struct {
				ID      string
				Contact struct{ Name string }
			}
			Next string
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			return "", fmt.Errorf("listing conversations: %d %v", res.StatusCode, err)
		}
		w.mu.Lock()
		for _, c := range page.Conversations {
			for _, u := range w.users {
				if c.Contact.Name == u { // the fake's profile of each user is named after its ID
					if prev, ok := w.convs[u]; ok && prev != c.ID {
						w.anomalies = append(w.anomalies, fmt.Sprintf("%s has two conversations: %s and %s", u, prev, c.ID))
					}
					w.convs[u] = c.ID
				}
			}
		}
		id, ok = w.convs[user]
		w.mu.Unlock()
		if ok {
			return id, nil
		}
		if page.Next == "" {
			return "", errors.New("the conversation is not listed")
		}
		cursor = page.Next
	}
}

// pending describes what is left undone, for a failure message.
func (w *world) pending() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var s []string
	for _, h := range w.webhooks {
		if !h.done() {
			s = append(s, fmt.Sprintf("webhook %q (last answer %d)", h.text, h.status))
		}
	}
	for _, r := range w.replies {
		if !r.answered() {
			s = append(s, fmt.Sprintf("reply r%d (last answer %d)", r.n, r.status))
		}
	}
	return strings.Join(s, "; ")
}

// apiMessage is a message as the example's API lists it.
type apiMessage struct {
	ID, Direction, Status, Detail string
	Content                       struct{ Text string }
}

// snapshot lists every conversation's messages through the example's API.
func snapshot(t *testing.T, ctx context.Context, base, auth string) map[string][]apiMessage {
	t.Helper()
	client := &http.Client{Timeout: 20 * time.Second}
	defer client.CloseIdleConnections()
	get := func(url string, into any) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", auth)
		res, err := client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode, "GET %s: %s", url, b)
		require.NoError(t, json.Unmarshal(b, into))
	}
	out := map[string][]apiMessage{}
	for cursor := ""; ; {
		var page struct {
			Conversations []struct{ ID string }
			Next          string
		}
		get(base+"/api/conversations?limit=100&cursor="+cursor, &page)
		for _, c := range page.Conversations {
			out[c.ID] = nil
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	for id := range out {
		for cursor := ""; ; {
			var page struct {
				Messages []apiMessage
				Next     string
			}
			get(base+"/api/conversations/"+id+"/messages?cursor="+cursor, &page)
			out[id] = append(out[id], page.Messages...)
			if cursor = page.Next; cursor == "" {
				break
			}
		}
	}
	return out
}

var replyNumber = regexp.MustCompile(`^\s*r(\d+)\b`)

// check compares what the example stored with what the customers wrote, the agents sent and LINE
// delivered.
func (w *world) check(t *testing.T, convs map[string][]apiMessage) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	require.Empty(t, w.anomalies, "what the clients saw")

	// Every customer message is stored exactly once.
	inbound := map[string]int{}
	var outbound []apiMessage
	for _, msgs := range convs {
		for _, m := range msgs {
			switch m.Direction {
			case "in":
				inbound[m.Content.Text]++
			case "out":
				outbound = append(outbound, m)
			}
		}
	}
	redelivered := 0
	for _, h := range w.webhooks {
		require.Equal(t, http.StatusOK, h.status, "webhook %q", h.text)
		require.Equal(t, 1, inbound[h.text], "customer message %q is stored once", h.text)
		delete(inbound, h.text)
		if h.attempts > 1 {
			redelivered++
		}
	}
	require.Empty(t, inbound, "inbound messages no customer wrote")

	// Every reply is recorded once, with the parts its first answer named.
	replies := map[int]*replyItem{}
	retried := 0
	for _, r := range w.replies {
		require.Equal(t, http.StatusOK, r.status, "reply r%d", r.n)
		replies[r.n] = r
		if r.attempts > 1 {
			retried++
		}
	}
	parts := map[int][]apiMessage{}
	texts := map[string]bool{}
	for _, m := range outbound {
		match := replyNumber.FindStringSubmatch(m.Content.Text)
		require.NotNil(t, match, "outbound message %s is no agent's reply", m.ID)
		n, _ := strconv.Atoi(match[1])
		require.Contains(t, replies, n, "outbound message %s is no agent's reply", m.ID)
		parts[n] = append(parts[n], m)
		require.False(t, texts[m.Content.Text], "two parts read the same (r%d)", n)
		texts[m.Content.Text] = true
	}
	for n, r := range replies {
		require.Len(t, parts[n], r.parts, "reply r%d is recorded once, in %d parts", n, r.parts)
		var ids []string
		for _, p := range r.answer {
			ids = append(ids, p.ID)
		}
		var stored []string
		for _, m := range parts[n] {
			stored = append(stored, m.ID)
		}
		require.ElementsMatch(t, ids, stored, "reply r%d's answer names its stored parts", n)
	}

	// Every part is delivered once, or is uncertain and delivered at most once; no reply token or retry
	// key delivers twice.
	delivered := map[string]int{}
	byToken, byPush := 0, 0
	for _, d := range w.api.Deliveries() {
		for _, text := range d.Texts() {
			delivered[text]++
		}
		if d.Op == linetest.OpReply {
			byToken++
		} else {
			byPush++
		}
	}
	var sent, sentFree, uncertain, uncertainDelivered int
	var wrong []string
	for _, m := range outbound {
		n := delivered[m.Content.Text]
		switch m.Status {
		case "sent":
			sent++
			if strings.Contains(m.Detail, "as a reply") {
				sentFree++
			}
			if n != 1 {
				wrong = append(wrong, fmt.Sprintf("part %s is sent and was delivered %d times (%s)", m.ID, n, m.Detail))
			}
		case "uncertain":
			uncertain++
			uncertainDelivered += min(n, 1)
			if n > 1 {
				wrong = append(wrong, fmt.Sprintf("part %s is uncertain and was delivered %d times (%s)", m.ID, n, m.Detail))
			}
		default:
			wrong = append(wrong, fmt.Sprintf("part %s is %s, neither sent nor uncertain (%s)", m.ID, m.Status, m.Detail))
		}
		delete(delivered, m.Content.Text)
	}
	for text, n := range delivered {
		wrong = append(wrong, fmt.Sprintf("LINE delivered %q %d times, and no part holds it", text[:min(len(text), 40)], n))
	}
	for token, n := range w.api.DeliveriesByReplyToken() {
		if n != 1 {
			wrong = append(wrong, fmt.Sprintf("reply token %s delivered %d times", token, n))
		}
	}
	for key, n := range w.api.DeliveriesByRetryKey() {
		if key == "" || n != 1 {
			wrong = append(wrong, fmt.Sprintf("retry key %q delivered %d times", key, n))
		}
	}
	refused := 0
	for _, r := range w.api.Requests() {
		if r.Op == linetest.OpReply && r.Fault == "" {
			refused++
		}
	}
	refused -= byToken

	late := 0
	for _, r := range w.replies {
		if r.late {
			late++
		}
	}
	t.Logf("%d customer messages (%d redelivered), %d replies (%d planned for after their message's reply token expired, %d retried with their key)",
		len(w.webhooks), redelivered, len(w.replies), late, retried)
	t.Logf("%d parts: %d sent (%d as free replies, %d pushed), %d uncertain (%d of them delivered)",
		len(outbound), sent, sentFree, sent-sentFree, uncertain, uncertainDelivered)
	t.Logf("LINE: %d replies and %d pushes delivered, %d reply-token requests refused", byToken, byPush, refused)
	require.Empty(t, wrong, "%d parts, reply tokens or retry keys delivered other than once", len(wrong))
	require.Positive(t, sentFree, "some replies went out with a fresh reply token")
	require.Positive(t, sent-sentFree, "some replies were pushed")
}
