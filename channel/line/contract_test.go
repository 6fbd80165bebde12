package line_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
)

// prismVersion is the Prism release .ci/run installs into .cache/prism.
const prismVersion = "5.14.2"

// TestContractWithLINESpec sends every kind of call through the adapter to Prism serving LINE's own
// OpenAPI spec (testdata/openapi/messaging-api.yml). Prism validates each request against the spec and
// answers 400/422 with an sl-violations header when it does not conform; the test fails on any violation.
// It then forces error answers and checks their categories. LINE's spec declares no 401 or 5xx answers,
// so 401 is provoked by a missing token (Prism's security check) and 5xx mapping is tested against the
// httptest fake instead.
//
// It needs Prism: set MSGKIT_PRISM_URL to a running one, or install it where .ci/run does
// (npm install --prefix .cache/prism @stoplight/prism-cli@5.14.2) and the test starts it. In CI it must run.
func TestContractWithLINESpec(t *testing.T) {
	base := prismURL(t)
	tr := &prismTransport{}
	a, err := line.New(line.Config{ChannelSecret: secret, AccessToken: "contract-test-token"},
		&line.Options{APIEndpoint: base, DataEndpoint: base, HTTPClient: &http.Client{Transport: tr, Timeout: 30 * time.Second}})
	require.NoError(t, err)
	ctx := t.Context()
	to := channel.User("U4af4980629f0a8c3e43ac0f5e0a3ba1a")
	const key = "123e4567-e89b-12d3-a456-426614174000"

	ok := func(t *testing.T, what string, err error) {
		t.Helper()
		require.NoError(t, err, "%s was refused by LINE's spec", what)
		require.Empty(t, tr.takeViolations(), "%s violates LINE's spec", what)
	}

	t.Run("every message type, pushed and replied", func(t *testing.T) {
		for name, m := range outboundCases() {
			_, err := a.Send(ctx, to, []channel.Message{m}, channel.SendOptions{RetryKey: key})
			ok(t, "push "+name, err)
			_, err = a.Send(ctx, to, []channel.Message{m}, channel.SendOptions{ReplyToken: "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"})
			ok(t, "reply "+name, err)
		}
		five := []channel.Message{channel.Text("1"), channel.Text("2"), channel.Text("3"), channel.Text("4"), channel.Text("5")}
		_, err := a.Send(ctx, to, five, channel.SendOptions{RetryKey: key, Silent: true})
		ok(t, "push of five", err)
	})

	t.Run("capabilities", func(t *testing.T) {
		_, err := a.Profile(ctx, to)
		ok(t, "profile", err)
		_, err = a.Profile(ctx, channel.Group("Ca56f94637c0123456789abcdef012345", to.ID))
		ok(t, "group member profile", err)
		_, err = a.Profile(ctx, channel.Room("Ra8dbf4673c0123456789abcdef012345", to.ID))
		ok(t, "room member profile", err)
		_, err = a.AccountInfo(ctx)
		ok(t, "bot info", err)
		_, err = a.Quota(ctx)
		ok(t, "quota and consumption", err)
		checks, err := a.CheckSettings(ctx, channel.SettingsWant{WebhookURL: "https://crm.example.com/webhooks/line"})
		ok(t, "webhook endpoint, webhook test and bot info", err)
		for _, c := range checks {
			require.NotEqual(t, channel.CheckFailed, c.Status, "%s could not be checked: %s", c.ID, c.Detail)
		}
	})

	t.Run("forced errors map to their categories", func(t *testing.T) {
		for _, tc := range []struct {
			code      string
			want      error
			retryable bool
		}{
			{"400", channel.ErrInvalidRequest, false},
			{"403", channel.ErrUnauthorized, false},
			{"429", channel.ErrRateLimited, true},
		} {
			tr.prefer("code=" + tc.code)
			_, err := a.Send(ctx, to, []channel.Message{channel.Text("hi")}, channel.SendOptions{RetryKey: key})
			require.ErrorIs(t, err, tc.want, "Prefer: code=%s", tc.code)
			require.Equal(t, tc.retryable, channel.IsRetryable(err), "code %s", tc.code)
			var apiErr *channel.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tc.code, strconv.Itoa(apiErr.Status))
		}
		tr.prefer("code=400")
		_, err := a.Send(ctx, to, []channel.Message{channel.Text("hi")}, channel.SendOptions{ReplyToken: "rt"})
		require.ErrorIs(t, err, channel.ErrInvalidRequest, "reply 400")

		tr.dropAuth()
		_, err = a.Send(ctx, to, []channel.Message{channel.Text("hi")}, channel.SendOptions{RetryKey: key})
		require.ErrorIs(t, err, channel.ErrUnauthorized, "a request without a valid token")
		tr.takeViolations()
	})
}

// prismTransport adds Prism's Prefer header (or drops the token) on the next request, and collects
// the spec violations Prism reports.
type prismTransport struct {
	mu         sync.Mutex
	preferNext string
	noAuthNext bool
	violations []string
}

func (p *prismTransport) prefer(v string) { p.mu.Lock(); p.preferNext = v; p.mu.Unlock() }
func (p *prismTransport) dropAuth()       { p.mu.Lock(); p.noAuthNext = true; p.mu.Unlock() }

func (p *prismTransport) takeViolations() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := p.violations
	p.violations = nil
	return v
}

func (p *prismTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	p.mu.Lock()
	if p.preferNext != "" {
		r.Header.Set("Prefer", p.preferNext)
		p.preferNext = ""
	}
	if p.noAuthNext {
		r.Header.Del("Authorization")
		p.noAuthNext = false
	}
	p.mu.Unlock()
	res, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		if v := res.Header.Get("sl-violations"); v != "" {
			p.mu.Lock()
			p.violations = append(p.violations, r.Method+" "+r.URL.Path+": "+v)
			p.mu.Unlock()
		}
	}
	return res, err
}

// prism is the Prism this test binary started, if any; TestMain stops it.
var prism struct {
	once sync.Once
	cmd  *exec.Cmd
	url  string
	err  error
}

// prismURL returns the base URL of a Prism serving LINE's spec, starting one from .cache/prism if needed.
func prismURL(t *testing.T) string {
	if u := os.Getenv("MSGKIT_PRISM_URL"); u != "" {
		return u
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	bin := filepath.Join(root, ".cache", "prism", "node_modules", ".bin", "prism")
	if _, err := os.Stat(bin); err != nil {
		msg := "Prism is not installed, so LINE's contract test cannot run. Install it with\n" +
			"  npm install --prefix .cache/prism @stoplight/prism-cli@" + prismVersion + "\n" +
			"(bash .ci/run does), or point MSGKIT_PRISM_URL at a running Prism."
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	prism.once.Do(func() { prism.url, prism.err = startPrism(bin) })
	require.NoError(t, prism.err)
	return prism.url
}

// startPrism runs Prism on a free port until the test binary exits.
func startPrism(bin string) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	spec, err := filepath.Abs(filepath.Join("testdata", "openapi", "messaging-api.yml"))
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "mock", "-h", "127.0.0.1", "-p", strconv.Itoa(port), spec)
	log, err := os.CreateTemp("", "prism-*.log")
	if err != nil {
		return "", err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return "", err
	}
	prism.cmd = cmd
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url+"/v2/bot/info", nil)
		req.Header.Set("Authorization", "Bearer probe")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return url, nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	out, _ := os.ReadFile(log.Name())
	return "", errors.New("Prism did not start within 90s:\n" + string(out))
}
