package line_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
// Prism does not follow the spec's discriminators, so the parts of a sent message behind one (textV2
// substitutions and their mentionees, quick-reply items and their actions, the sender) are checked
// again, each against its own schema, by a second Prism serving those schemas (checkParts). It then
// forces error answers and checks their categories. LINE's spec declares no 401 or 5xx answers,
// so 401 is provoked by a missing token (Prism's security check) and 5xx mapping is tested against the
// httptest fake instead.
//
// It needs Prism: set MSGKIT_PRISM_URL to a running one, or install it where .ci/run does
// (npm install --prefix .cache/prism @stoplight/prism-cli@5.14.2) and the test starts it. In CI it must run.
func TestContractWithLINESpec(t *testing.T) {
	base := prismURL(t)
	schemas := schemaPrismURL(t)
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
			for _, msg := range tr.takeMessages() {
				require.Empty(t, checkParts(t, schemas, msg), "push %s: a part violates LINE's spec", name)
			}
			_, err = a.Send(ctx, to, []channel.Message{m}, channel.SendOptions{ReplyToken: "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"})
			ok(t, "reply "+name, err)
			require.NotEmpty(t, tr.takeMessages())
		}
		five := []channel.Message{channel.Text("1"), channel.Text("2"), channel.Text("3"), channel.Text("4"), channel.Text("5")}
		_, err := a.Send(ctx, to, five, channel.SendOptions{RetryKey: key, Silent: true})
		ok(t, "push of five", err)
	})

	// The shapes added for mentions (textV2), quick replies and sender pass above only if they are
	// checked: these deliberately wrong ones must be caught, or those passes prove nothing. Prism checks
	// what its schemas reach directly; what hides behind a discriminator (a substitution's mentionee, a
	// quick reply's action) only the subschema check reaches.
	t.Run("wrong textV2, quick replies and senders are caught", func(t *testing.T) {
		items := strings.Repeat(`{"type":"action","action":{"type":"message","label":"a","text":"a"}},`, 14)
		for name, raw := range map[string]string{
			"sender name over 20":    `{"type":"text","text":"x","sender":{"name":"123456789012345678901"}}`,
			"14 quick replies":       `{"type":"text","text":"x","quickReply":{"items":[` + strings.TrimSuffix(items, ",") + `]}}`,
			"icon that is not a URL": `{"type":"text","text":"x","quickReply":{"items":[{"type":"action","imageUrl":"not a url","action":{"type":"message","label":"a","text":"a"}}]}}`,
		} {
			_, err := a.Send(ctx, to, []channel.Message{channel.Raw(json.RawMessage(raw))}, channel.SendOptions{RetryKey: key})
			require.ErrorIs(t, err, channel.ErrInvalidRequest, name)
			require.NotEmpty(t, tr.takeViolations(), "%s: Prism did not catch it", name)
		}
		for name, raw := range map[string]string{
			"mention without mentionee": `{"type":"textV2","text":"{m1}","substitution":{"m1":{"type":"mention"}}}`,
			"user mention without ID":   `{"type":"textV2","text":"{m1}","substitution":{"m1":{"type":"mention","mentionee":{"type":"user"}}}}`,
			"unknown mentionee":         `{"type":"textV2","text":"{m1}","substitution":{"m1":{"type":"mention","mentionee":{"type":"everyone"}}}}`,
			"emoji without its ID":      `{"type":"textV2","text":"{e1}","substitution":{"e1":{"type":"emoji","productId":"p"}}}`,
			"postback data over 300":    `{"type":"text","text":"x","quickReply":{"items":[{"type":"action","action":{"type":"postback","label":"a","data":"` + strings.Repeat("d", 301) + `"}}]}}`,
		} {
			require.NotEmpty(t, checkParts(t, schemas, json.RawMessage(raw)), "%s: the subschema check did not catch it", name)
		}
	})

	t.Run("content waits for transcoding", func(t *testing.T) {
		_, err := a.FetchContent(ctx, "325708")
		require.Empty(t, tr.takeViolations())
		require.ErrorIs(t, err, channel.ErrUnavailable, "the spec's example status is processing")
		require.Positive(t, channel.RetryAfter(err))
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
			{"409", channel.ErrInvalidRequest, false}, // without x-line-accepted-request-id a 409 is no duplicate
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

// TestContractConnectorWithLINESpec connects an account through the Connector, with and without an
// access token, against Prism serving LINE's own specs: the token calls (verify, issue a stateless
// token) go to a Prism serving testdata/openapi/channel-access-token.yml, the bot info to the one
// serving messaging-api.yml. Prism checks every request against its operation, and answers with the
// spec's examples: the verification example names channel 1350031035, so that is the channel
// connected. It needs Prism, as TestContractWithLINESpec does.
func TestContractConnectorWithLINESpec(t *testing.T) {
	messaging := prismURL(t)
	tokens := tokenPrismURL(t)
	tr := &prismTransport{}
	connector, err := line.NewConnector(&line.Options{APIEndpoint: messaging, DataEndpoint: messaging,
		HTTPClient: &http.Client{Transport: &tokenRouter{tokens: tokens, next: tr}, Timeout: 30 * time.Second}})
	require.NoError(t, err)
	const channelID = "1350031035" // the client_id of the spec's verification example

	for name, creds := range map[string]channel.Credentials{
		"ID and secret": {line.CredChannelID: channelID, line.CredChannelSecret: "0123456789abcdef0123456789abcdef"},
		"with an access token": {line.CredChannelID: channelID, line.CredChannelSecret: "0123456789abcdef0123456789abcdef",
			line.CredAccessToken: "long-lived-token"},
	} {
		conn, err := connector.Verify(t.Context(), creds)
		require.NoError(t, err, "%s: refused by LINE's spec", name)
		require.Empty(t, tr.takeViolations(), "%s: a request violates LINE's spec", name)
		require.Equal(t, channelID, conn.ExternalID, name)
		require.NotEmpty(t, conn.Account.UserID, name)
		require.Equal(t, conn.Account.UserID, conn.Credentials[line.CredBotUserID], name)
	}

	// The passes above prove something only if Prism checks these form bodies: wrong ones are caught
	// (these operations declare no 400, so Prism answers a violation with 422).
	for path, form := range map[string]string{
		"/oauth2/v3/token": "grant_type=password&client_id=" + channelID,
		"/v2/oauth/verify": "token=x",
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, tokens+path, strings.NewReader(form))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := tr.RoundTrip(req)
		require.NoError(t, err)
		res.Body.Close()
		require.NotEmpty(t, tr.takeViolations(), "%s %s: Prism did not catch it", path, form)
	}
}

// tokenRouter sends the token endpoints' requests (/oauth2/…, /v2/oauth/…) to the Prism serving the
// token spec, and the rest where they were going.
type tokenRouter struct {
	tokens string
	next   http.RoundTripper
}

func (r *tokenRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasPrefix(req.URL.Path, "/oauth2/") || strings.HasPrefix(req.URL.Path, "/v2/oauth/") {
		u, err := url.Parse(r.tokens)
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.URL.Scheme, req.URL.Host, req.Host = u.Scheme, u.Host, u.Host
	}
	return r.next.RoundTrip(req)
}

// prismTransport adds Prism's Prefer header (or drops the token) on the next request, and collects
// the spec violations Prism reports.
type prismTransport struct {
	mu         sync.Mutex
	preferNext string
	noAuthNext bool
	violations []string
	messages   []json.RawMessage // of the replies and pushes sent
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

func (p *prismTransport) takeMessages() []json.RawMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.messages
	p.messages = nil
	return m
}

func (p *prismTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if r.Body != nil && strings.HasPrefix(r.URL.Path, "/v2/bot/message/") && r.Method == http.MethodPost {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var req struct {
			Messages []json.RawMessage `json:"messages"`
		}
		_ = json.Unmarshal(body, &req)
		p.mu.Lock()
		p.messages = append(p.messages, req.Messages...)
		p.mu.Unlock()
	}
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
		v := res.Header.Get("sl-violations")
		if v == "" && res.StatusCode == http.StatusUnprocessableEntity {
			v = "422: Prism's answer to a violation where the operation declares no 400"
		}
		if v != "" {
			p.mu.Lock()
			p.violations = append(p.violations, r.Method+" "+r.URL.Path+": "+v)
			p.mu.Unlock()
		}
	}
	return res, err
}

// checkParts validates the parts of one sent message that sit behind a discriminator in LINE's spec,
// each against its concrete schema, on the Prism serving them at base (schemaPrismURL). It returns the
// violations. The discriminator mappings below are the spec's own (Message, SubstitutionObject,
// MentionTarget, Action); a type they do not map is a violation.
func checkParts(t *testing.T, base string, msg json.RawMessage) []string {
	t.Helper()
	type part struct {
		schema string
		body   json.RawMessage
	}
	var parts []part
	var violations []string
	typeOf := func(raw json.RawMessage) (string, map[string]json.RawMessage) {
		var m map[string]json.RawMessage
		_ = json.Unmarshal(raw, &m)
		var typ string
		_ = json.Unmarshal(m["type"], &typ)
		return typ, m
	}
	typ, m := typeOf(msg)
	if typ == "textV2" {
		parts = append(parts, part{"TextMessageV2", msg})
		var subs map[string]json.RawMessage
		_ = json.Unmarshal(m["substitution"], &subs)
		for key, sub := range subs {
			switch st, sm := typeOf(sub); st {
			case "mention":
				parts = append(parts, part{"MentionSubstitutionObject", sub})
				if mt, _ := typeOf(sm["mentionee"]); mt == "user" {
					parts = append(parts, part{"UserMentionTarget", sm["mentionee"]})
				} else if mt == "all" {
					parts = append(parts, part{"AllMentionTarget", sm["mentionee"]})
				} else if sm["mentionee"] != nil {
					violations = append(violations, "substitution "+key+": unknown mentionee type "+strconv.Quote(mt))
				}
			case "emoji":
				parts = append(parts, part{"EmojiSubstitutionObject", sub})
			default:
				violations = append(violations, "substitution "+key+": unknown type "+strconv.Quote(st))
			}
		}
	}
	if qr := m["quickReply"]; qr != nil {
		parts = append(parts, part{"QuickReply", qr})
		var q struct {
			Items []json.RawMessage `json:"items"`
		}
		_ = json.Unmarshal(qr, &q)
		for i, item := range q.Items {
			parts = append(parts, part{"QuickReplyItem", item})
			_, im := typeOf(item)
			switch at, _ := typeOf(im["action"]); at {
			case "message":
				parts = append(parts, part{"MessageAction", im["action"]})
			case "postback":
				parts = append(parts, part{"PostbackAction", im["action"]})
			default:
				violations = append(violations, "quick reply "+strconv.Itoa(i)+": unexpected action type "+strconv.Quote(at))
			}
		}
	}
	if s := m["sender"]; s != nil {
		parts = append(parts, part{"Sender", s})
	}
	for _, p := range parts {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/"+p.schema, bytes.NewReader(p.body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		detail, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10)) // Prism's 422 body lists the violations
		res.Body.Close()
		if v := res.Header.Get("sl-violations"); v != "" || res.StatusCode != http.StatusOK {
			violations = append(violations, p.schema+": "+strconv.Itoa(res.StatusCode)+" "+v+" "+string(detail))
		}
	}
	return violations
}

// partSchemas are the schemas of LINE's spec that checkParts validates against directly.
func partSchemas() []string {
	return []string{"TextMessageV2", "MentionSubstitutionObject", "EmojiSubstitutionObject", "UserMentionTarget",
		"AllMentionTarget", "QuickReply", "QuickReplyItem", "MessageAction", "PostbackAction", "Sender"}
}

// prismProcess is a Prism this test binary started, if any; TestMain stops it.
type prismProcess struct {
	once sync.Once
	cmd  *exec.Cmd
	url  string
	err  error
}

// prism serves LINE's Messaging API spec; schemaPrism serves partSchemas, one operation each;
// tokenPrism serves LINE's channel access token spec.
var prism, schemaPrism, tokenPrism prismProcess

// prismURL returns the base URL of a Prism serving LINE's spec, starting one from .cache/prism if needed.
func prismURL(t *testing.T) string {
	if u := os.Getenv("MSGKIT_PRISM_URL"); u != "" {
		return u
	}
	bin := prismBin(t)
	prism.once.Do(func() {
		spec, err := filepath.Abs(filepath.Join("testdata", "openapi", "messaging-api.yml"))
		if err != nil {
			prism.err = err
			return
		}
		prism.url, prism.err = startPrism(&prism, bin, spec, func(url string) *http.Request {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url+"/v2/bot/info", nil)
			req.Header.Set("Authorization", "Bearer probe")
			return req
		})
	})
	require.NoError(t, prism.err)
	return prism.url
}

// tokenPrismURL returns the base URL of a Prism serving LINE's channel access token spec, starting one
// from .cache/prism.
func tokenPrismURL(t *testing.T) string {
	bin := prismBin(t)
	tokenPrism.once.Do(func() {
		spec, err := filepath.Abs(filepath.Join("testdata", "openapi", "channel-access-token.yml"))
		if err != nil {
			tokenPrism.err = err
			return
		}
		tokenPrism.url, tokenPrism.err = startPrism(&tokenPrism, bin, spec, func(url string) *http.Request {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/v2/oauth/verify",
				strings.NewReader("access_token=probe"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return req
		})
	})
	require.NoError(t, tokenPrism.err)
	return tokenPrism.url
}

// schemaPrismURL returns the base URL of a Prism whose operation POST /{schema} takes a body of that
// schema of LINE's spec, for each of partSchemas.
func schemaPrismURL(t *testing.T) string {
	bin := prismBin(t)
	schemaPrism.once.Do(func() {
		spec, err := filepath.Abs(filepath.Join("testdata", "openapi", "messaging-api.yml"))
		if err != nil {
			schemaPrism.err = err
			return
		}
		paths := map[string]any{}
		for _, s := range partSchemas() {
			paths["/"+s] = map[string]any{"post": map[string]any{
				"operationId": "check" + s,
				"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{
					"schema": map[string]any{"$ref": spec + "#/components/schemas/" + s}}}},
				"responses": map[string]any{"200": map[string]any{"description": "conforms"}},
			}}
		}
		doc, _ := json.Marshal(map[string]any{"openapi": "3.0.0", "info": map[string]any{"title": "LINE schemas", "version": "1"}, "paths": paths})
		dir, err := os.MkdirTemp("", "line-schemas-*")
		if err != nil {
			schemaPrism.err = err
			return
		}
		file := filepath.Join(dir, "schemas.json")
		if schemaPrism.err = os.WriteFile(file, doc, 0o644); schemaPrism.err != nil {
			return
		}
		schemaPrism.url, schemaPrism.err = startPrism(&schemaPrism, bin, file, func(url string) *http.Request {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/Sender", strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			return req
		})
	})
	require.NoError(t, schemaPrism.err)
	return schemaPrism.url
}

// prismBin returns the Prism installed in .cache/prism, or skips the test (fails it in CI) without one.
func prismBin(t *testing.T) string {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	bin := filepath.Join(root, ".cache", "prism", "node_modules", ".bin", "prism")
	if _, err := os.Stat(bin); err != nil {
		msg := "Prism is not installed, so LINE's contract test cannot run. Install it with\n" +
			"  npm install --prefix .cache/prism @stoplight/prism-cli@" + prismVersion + "\n" +
			"(bash .ci/run does), or point MSGKIT_PRISM_URL at a running Prism (the subschema check still needs it installed)."
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

// startPrism runs Prism serving spec on a free port until the test binary exits, and waits until probe
// answers 200.
func startPrism(p *prismProcess, bin, spec string, probe func(url string) *http.Request) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "mock", "-h", "127.0.0.1", "-p", strconv.Itoa(port), spec)
	log, err := os.CreateTemp("", "prism-*.log")
	if err != nil {
		return "", err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return "", err
	}
	p.cmd = cmd
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.DefaultClient.Do(probe(url)); err == nil {
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
