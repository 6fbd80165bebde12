package line_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
)

// The credentials of the connector tests: distinctive, so that a leak into an error or a log is found.
const (
	connChannelID = "1650000000"
	connSecret    = "s3cr3t-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	connToken     = "tok-LONG-LIVED-ab12cd34ef56"
	otherChannel  = "1659999999"
	otherBot      = "Ufedcba9876543210fedcba9876543210"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers: slog handlers of several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// connectorFixture is a linetest API that knows connSecret (and, with token, connToken) for
// connChannelID, and a Connector pointed at it that logs at debug level.
type connectorFixture struct {
	api  *lineAPI
	conn *line.Connector
	logs *syncBuffer
}

func newConnectorFixture(t *testing.T, opts *linetest.Options, clientTimeout time.Duration) *connectorFixture {
	t.Helper()
	o := linetest.Options{ChannelID: connChannelID, ChannelSecret: connSecret, AccessToken: connToken}
	if opts != nil {
		o = *opts
	}
	api := newLineAPI(t, &o)
	logs := &syncBuffer{}
	conn, err := line.NewConnector(&line.Options{APIEndpoint: api.URL, DataEndpoint: api.URL,
		HTTPClient: &http.Client{Timeout: clientTimeout},
		Logger:     slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	return &connectorFixture{api: api, conn: conn, logs: logs}
}

// ops lists the operations of the requests f's API received.
func (f *connectorFixture) ops() []linetest.Op {
	var ops []linetest.Op
	for _, r := range f.api.Requests() {
		ops = append(ops, r.Op)
	}
	return ops
}

// requireNoSecrets fails if text holds the secret or a token.
func requireNoSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range []string{connSecret, connToken, "stateless-", "previous-s3cr3t"} {
		require.NotContains(t, text, s, "%s must not hold a secret or a token", what)
	}
}

func creds(kv ...string) channel.Credentials {
	c := channel.Credentials{}
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i]] = kv[i+1]
	}
	return c
}

func TestConnectorVerifies(t *testing.T) {
	t.Parallel()
	t.Run("with a valid access token", func(t *testing.T) {
		t.Parallel()
		f := newConnectorFixture(t, nil, 10*time.Second)
		conn, err := f.conn.Verify(t.Context(), creds(line.CredChannelID, connChannelID,
			line.CredChannelSecret, connSecret, line.CredAccessToken, connToken))
		require.NoError(t, err)
		require.Equal(t, connChannelID, conn.ExternalID, "the external ID is the channel ID")
		require.Equal(t, channel.Credentials{line.CredChannelID: connChannelID, line.CredChannelSecret: connSecret,
			line.CredAccessToken: connToken, line.CredBotUserID: linetest.DefaultBotUserID}, conn.Credentials)
		require.Equal(t, channel.AccountInfo{UserID: linetest.DefaultBotUserID, BasicID: "@linetest", DisplayName: "linetest",
			ChatMode: "bot"}, conn.Account)
		require.Equal(t, []linetest.Op{linetest.OpVerifyToken, linetest.OpToken, linetest.OpBotInfo}, f.ops(),
			"the token's channel, then the ID and secret, then the bot")
		require.Equal(t, "Bearer "+connToken, f.api.last(t).Header.Get("Authorization"), "the bot info is fetched with the given token")
		requireNoSecrets(t, "the debug log", f.logs.String())
		require.Contains(t, f.logs.String(), "credentials verified")
	})
	t.Run("issuing a token from the ID and secret", func(t *testing.T) {
		t.Parallel()
		f := newConnectorFixture(t, nil, 10*time.Second)
		conn, err := f.conn.Verify(t.Context(), creds(line.CredChannelID, " "+connChannelID+"\n", line.CredChannelSecret, connSecret+" \n"))
		require.NoError(t, err)
		require.Equal(t, channel.Credentials{line.CredChannelID: connChannelID, line.CredChannelSecret: connSecret,
			line.CredBotUserID: linetest.DefaultBotUserID}, conn.Credentials,
			"values are trimmed, and the 15-minute token is not stored: adapters issue their own")
		require.Equal(t, []linetest.Op{linetest.OpToken, linetest.OpBotInfo}, f.ops())
		require.Equal(t, "Bearer stateless-1", f.api.last(t).Header.Get("Authorization"))
		requireNoSecrets(t, "the debug log", f.logs.String())
	})
	t.Run("an access token LINE's verification does not place, but the API accepts", func(t *testing.T) {
		t.Parallel()
		f := newConnectorFixture(t, nil, 10*time.Second)
		f.api.Fail(linetest.OpVerifyToken, linetest.TokenError(linetest.TokenErrorInvalidRequest, linetest.TokenErrorInvalidToken))
		conn, err := f.conn.Verify(t.Context(), creds(line.CredChannelID, connChannelID,
			line.CredChannelSecret, connSecret, line.CredAccessToken, connToken))
		require.NoError(t, err, "a token the Messaging API accepts is valid, and it is this channel's bot")
		require.Equal(t, linetest.DefaultBotUserID, conn.Account.UserID)
		require.Equal(t, []linetest.Op{linetest.OpVerifyToken, linetest.OpToken, linetest.OpBotInfo, linetest.OpBotInfo}, f.ops(),
			"the bot is fetched with both tokens and compared")
	})
}

// Every way Verify refuses, with the field it names, the category, and what the admin reads; none of
// them holds a secret or a token, in the error or in the debug log.
func TestConnectorVerifyRefusals(t *testing.T) {
	t.Parallel()
	full := func() channel.Credentials {
		return creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret, line.CredAccessToken, connToken)
	}
	idAndSecret := func() channel.Credentials {
		return creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret)
	}
	botInfo := func(userID string) linetest.Fault {
		return linetest.Fault{Kind: linetest.Answer, Status: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: `{"userId":"` + userID + `","basicId":"@other","displayName":"other","chatMode":"bot","markAsReadMode":"auto"}`}
	}
	verified := func(clientID string, expiresIn int) linetest.Fault {
		return linetest.Fault{Kind: linetest.Answer, Status: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: fmt.Sprintf(`{"client_id":%q,"expires_in":%d,"scope":"P CM"}`, clientID, expiresIn)}
	}
	ambiguous := linetest.TokenError(linetest.TokenErrorInvalidRequest, linetest.TokenErrorMissing)
	cases := []struct {
		name     string
		creds    channel.Credentials
		setup    func(f *connectorFixture)
		field    string // "" when the error is no *channel.CredentialError
		want     error
		reason   string // in the error text
		noCalls  bool
		mayRetry bool
	}{
		// Missing or malformed: refused before any call.
		{name: "no channel ID", creds: creds(line.CredChannelSecret, connSecret), field: line.CredChannelID,
			want: channel.ErrInvalidRequest, reason: "channel ID is required", noCalls: true},
		{name: "blank channel ID", creds: creds(line.CredChannelID, "  ", line.CredChannelSecret, connSecret), field: line.CredChannelID,
			want: channel.ErrInvalidRequest, reason: "channel ID is required", noCalls: true},
		{name: "no secret", creds: creds(line.CredChannelID, connChannelID, line.CredAccessToken, connToken), field: line.CredChannelSecret,
			want: channel.ErrInvalidRequest, reason: "secret is required", noCalls: true},
		{name: "channel ID not a number", creds: creds(line.CredChannelID, "@linetest", line.CredChannelSecret, connSecret),
			field: line.CredChannelID, want: channel.ErrInvalidRequest, reason: "is a number", noCalls: true},
		{name: "previous secret without the end of its window",
			creds: creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret, line.CredPreviousSecret, "previous-s3cr3t"),
			field: line.CredPreviousSecretUntil, want: channel.ErrInvalidRequest, reason: "must end", noCalls: true},
		{name: "window end not a time",
			creds: creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret, line.CredPreviousSecret, "previous-s3cr3t",
				line.CredPreviousSecretUntil, "tomorrow"),
			field: line.CredPreviousSecretUntil, want: channel.ErrInvalidRequest, reason: "RFC 3339", noCalls: true},
		{name: "unknown key", creds: creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret, "channelSecret", connSecret),
			field: "channelSecret", want: channel.ErrInvalidRequest, reason: "no such credential", noCalls: true},

		// What LINE refuses.
		{name: "wrong channel ID", creds: creds(line.CredChannelID, "1650000999", line.CredChannelSecret, connSecret),
			field: line.CredChannelID, want: channel.ErrUnauthorized, reason: "LINE does not know channel 1650000999"},
		{name: "wrong secret", creds: creds(line.CredChannelID, connChannelID, line.CredChannelSecret, "not-the-s3cr3t"),
			field: line.CredChannelSecret, want: channel.ErrUnauthorized, reason: "LINE refused the channel secret for channel " + connChannelID},
		{name: "LINE does not say whether the ID or the secret is wrong", creds: idAndSecret(),
			setup: func(f *connectorFixture) { f.api.Fail(linetest.OpToken, ambiguous) },
			field: line.CredChannelSecret, want: channel.ErrUnauthorized, reason: "refused this channel ID and secret pair, without saying which"},
		{name: "the pair refused, and the token confirms the channel ID", creds: full(),
			setup: func(f *connectorFixture) { f.api.Fail(linetest.OpToken, ambiguous) },
			field: line.CredChannelSecret, want: channel.ErrUnauthorized, reason: "the access token confirms the channel ID"},
		{name: "the pair refused, and the token belongs to another channel", creds: full(),
			setup: func(f *connectorFixture) {
				f.api.Fail(linetest.OpVerifyToken, verified(otherChannel, 86400*365))
				f.api.Fail(linetest.OpToken, ambiguous)
			},
			field: line.CredChannelID, want: channel.ErrUnauthorized, reason: "check that the channel ID is " + otherChannel},
		{name: "revoked access token", creds: full(),
			setup: func(f *connectorFixture) { f.api.RevokeAccessToken(connToken) },
			field: line.CredAccessToken, want: channel.ErrUnauthorized, reason: "revoked, has expired, or was mistyped"},
		{name: "access token of another channel", creds: full(),
			setup: func(f *connectorFixture) { f.api.Fail(linetest.OpVerifyToken, verified(otherChannel, 86400*365)) },
			field: line.CredAccessToken, want: channel.ErrUnauthorized, reason: "belongs to LINE channel " + otherChannel + ", not to channel " + connChannelID},
		{name: "access token of another bot, placed by the API only", creds: full(),
			setup: func(f *connectorFixture) {
				f.api.Fail(linetest.OpVerifyToken, linetest.TokenError(linetest.TokenErrorInvalidRequest, linetest.TokenErrorInvalidToken))
				f.api.Fail(linetest.OpBotInfo, botInfo(otherBot))
			},
			field: line.CredAccessToken, want: channel.ErrUnauthorized, reason: "its bot is " + otherBot},
		{name: "a stateless token pasted as the access token", creds: full(),
			setup: func(f *connectorFixture) { f.api.Fail(linetest.OpVerifyToken, verified(connChannelID, 899)) },
			field: line.CredAccessToken, want: channel.ErrInvalidRequest, reason: "expires in 15m0s, too soon to store"},

		// LINE unreachable or busy.
		{name: "token endpoint down", creds: idAndSecret(),
			setup: func(f *connectorFixture) { f.api.Fail(linetest.OpToken, linetest.ServerError()) },
			want:  channel.ErrUnavailable, reason: "could not check the channel ID and secret", mayRetry: true},
		{name: "token verification down", creds: full(),
			setup: func(f *connectorFixture) { f.api.Fail(linetest.OpVerifyToken, linetest.ServerError()) },
			want:  channel.ErrUnavailable, reason: "could not verify the access token", mayRetry: true},
		{name: "bot info down", creds: idAndSecret(),
			setup: func(f *connectorFixture) { f.api.Fail(linetest.OpBotInfo, linetest.ServerError()) },
			want:  channel.ErrUnavailable, reason: "could not fetch the bot info", mayRetry: true},
		{name: "token endpoint times out", creds: idAndSecret(),
			setup: func(f *connectorFixture) { f.api.Fail(linetest.OpToken, linetest.Fault{Kind: linetest.TimeoutBefore}) },
			want:  channel.ErrUnavailable, reason: "could not check the channel ID and secret", mayRetry: true},
		{name: "connection reset", creds: full(),
			setup: func(f *connectorFixture) {
				f.api.Fail(linetest.OpVerifyToken, linetest.Fault{Kind: linetest.ResetBefore})
			},
			want: channel.ErrUnavailable, reason: "could not verify the access token", mayRetry: true},
		{name: "rate limited", creds: idAndSecret(),
			setup: func(f *connectorFixture) { f.api.Fail(linetest.OpToken, linetest.RateLimit(3*time.Second)) },
			want:  channel.ErrRateLimited, reason: "rate limited", mayRetry: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newConnectorFixture(t, nil, clientTimeout)
			if tc.setup != nil {
				tc.setup(f)
			}
			_, err := f.conn.Verify(t.Context(), tc.creds)
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), tc.reason)
			require.Equal(t, tc.mayRetry, channel.IsRetryable(err))
			var ce *channel.CredentialError
			if tc.field == "" {
				require.False(t, errors.As(err, &ce), "a failure to reach LINE names no credential: %v", err)
			} else {
				require.ErrorAs(t, err, &ce)
				require.Equal(t, tc.field, ce.Field)
			}
			if tc.noCalls {
				require.Empty(t, f.api.Requests(), "malformed credentials are refused before any call")
			}
			requireNoSecrets(t, "the error", fmt.Sprintf("%v %+v %#v", err, err, errors.Unwrap(err)))
			var apiErr *channel.APIError
			if errors.As(err, &apiErr) {
				requireNoSecrets(t, "LINE's answer", apiErr.Error())
			}
			requireNoSecrets(t, "the debug log", f.logs.String())
			require.Contains(t, f.logs.String(), "credentials not verified")
		})
	}
}

// A LINE that cannot be reached at all (connection refused) is unavailable, not a refusal.
func TestConnectorVerifyNetworkRefused(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	endpoint := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	var logs syncBuffer
	conn, err := line.NewConnector(&line.Options{APIEndpoint: endpoint, HTTPClient: &http.Client{Timeout: clientTimeout},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	for name, c := range map[string]channel.Credentials{
		"ID and secret":     creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret),
		"with access token": creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret, line.CredAccessToken, connToken),
	} {
		_, err := conn.Verify(t.Context(), c)
		require.ErrorIs(t, err, channel.ErrUnavailable, name)
		require.True(t, channel.IsRetryable(err), name)
		var ce *channel.CredentialError
		require.False(t, errors.As(err, &ce), "%s: nothing was refused", name)
		var op *net.OpError
		require.ErrorAs(t, err, &op, "%s: the cause is kept", name)
		requireNoSecrets(t, name+": the error", err.Error())
	}
	requireNoSecrets(t, "the debug log", logs.String())
}

// LINE quoting a credential back in its error answer never brings it into the error text.
func TestConnectorVerifyScrubsEchoedSecrets(t *testing.T) {
	t.Parallel()
	f := newConnectorFixture(t, nil, 10*time.Second)
	f.api.Fail(linetest.OpToken, linetest.TokenError(linetest.TokenErrorInvalidClient, "client_secret "+connSecret+" is not valid"))
	_, err := f.conn.Verify(t.Context(), creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret))
	var ce *channel.CredentialError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, line.CredChannelSecret, ce.Field)
	var apiErr *channel.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Contains(t, apiErr.Message, "[redacted]")
	requireNoSecrets(t, "LINE's answer", apiErr.Error())
}

// Adapter builds a working adapter from what Verify stored, with the connector's options, and refuses
// stored credentials it cannot use.
func TestConnectorAdapter(t *testing.T) {
	t.Parallel()
	clock := newClock()
	api := newLineAPI(t, &linetest.Options{ChannelID: connChannelID, ChannelSecret: connSecret, AccessToken: connToken, Now: clock.Now})
	var calls counter
	conn, err := line.NewConnector(&line.Options{APIEndpoint: api.URL, DataEndpoint: api.URL, Now: clock.Now,
		HTTPClient: &http.Client{Transport: &calls, Timeout: 10 * time.Second}})
	require.NoError(t, err)
	require.Equal(t, "line", conn.Kind())

	verified, err := conn.Verify(t.Context(), creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret))
	require.NoError(t, err)
	stored := verified.Credentials
	stored[line.CredPreviousSecret] = "previous-s3cr3t"
	stored[line.CredPreviousSecretUntil] = clock.Now().Add(10 * time.Minute).Format(time.RFC3339)
	stored["added_by_a_later_version"] = "x"
	a, err := conn.Adapter(stored)
	require.NoError(t, err, "unknown stored keys are ignored")

	before := calls.n.Load()
	_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("hi")}, channel.SendOptions{})
	require.NoError(t, err, "without an access token the adapter issues its own")
	require.Greater(t, calls.n.Load(), before, "the adapter uses the connector's HTTP client")

	body := []byte(`{"destination":"` + linetest.DefaultBotUserID + `","events":[{"type":"follow","webhookEventId":"E1","timestamp":1,
		"mode":"active","source":{"type":"user","userId":"U1"},"replyToken":"rt"}]}`)
	_, err = a.ParseWebhook(signedRequest("previous-s3cr3t", body))
	require.NoError(t, err, "the previous secret verifies during the rotation window")
	clock.Advance(11 * time.Minute)
	_, err = a.ParseWebhook(signedRequest("previous-s3cr3t", body))
	require.ErrorIs(t, err, channel.ErrInvalidSignature, "and not after it")
	_, err = a.ParseWebhook(signedRequest(connSecret, bytes.Replace(body, []byte(linetest.DefaultBotUserID), []byte(otherBot), 1)))
	require.ErrorIs(t, err, line.ErrOtherDestination, "the stored bot user ID is checked")

	for name, c := range map[string]channel.Credentials{
		"no secret":          creds(line.CredChannelID, connChannelID),
		"no ID and no token": creds(line.CredChannelSecret, connSecret),
		"endless window":     creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret, line.CredPreviousSecret, "p"),
		"unparsable window": creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret, line.CredPreviousSecret, "p",
			line.CredPreviousSecretUntil, "soon"),
	} {
		_, err := conn.Adapter(c)
		require.ErrorIs(t, err, channel.ErrInvalidRequest, name)
		var ce *channel.CredentialError
		require.ErrorAs(t, err, &ce, name)
		requireNoSecrets(t, name, err.Error())
	}
	_, err = line.NewConnector(&line.Options{APIEndpoint: "not a url"})
	require.Error(t, err)
}

// counter is an http.RoundTripper that counts requests.
type counter struct{ n atomic.Int64 }

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// With the bot user ID set, a verified body for another bot is refused without quoting the body;
// LINE's connectivity check, and bodies for this bot, pass.
func TestWebhookDestinationCheck(t *testing.T) {
	t.Parallel()
	a := newLineAPI(t, nil).adapter(t, line.Config{BotUserID: linetest.DefaultBotUserID}, nil)
	event := `{"type":"message","webhookEventId":"E1","timestamp":1,"mode":"active","source":{"type":"user","userId":"U1"},
		"replyToken":"rt","message":{"type":"text","id":"m1","text":"Hanako 090-1234-5678"}}`
	body := func(dest string, events string) []byte {
		return []byte(`{` + dest + `"events":[` + events + `]}`)
	}
	events, err := a.ParseWebhook(signedRequest(secret, body(`"destination":"`+linetest.DefaultBotUserID+`",`, event)))
	require.NoError(t, err)
	require.Len(t, events, 1)
	events, err = a.ParseWebhook(signedRequest(secret, readWebhook(t, "empty-events-verification.synthetic.json")))
	require.NoError(t, err, "LINE's connectivity check passes, whatever bot it names: nothing in it is used")
	require.Empty(t, events)

	for name, tc := range map[string]struct{ dest, says string }{
		"another bot":                 {`"destination":"` + otherBot + `",`, "addressed to bot " + otherBot},
		"no destination":              {``, "addressed to no bot"},
		"a destination of other form": {`"destination":"Hanako 090-1234-5678",`, "an unrecognised destination"},
		"not a string":                {`"destination":{"name":"Hanako"},`, "addressed to no bot"},
	} {
		for _, events := range []string{event, event + `,{"type":"unknownType","webhookEventId":"E2","x":"Hanako"}`} {
			_, err := a.ParseWebhook(signedRequest(secret, body(tc.dest, events)))
			require.ErrorIs(t, err, line.ErrOtherDestination, name)
			require.ErrorIs(t, err, channel.ErrInvalidSignature, name)
			require.Contains(t, err.Error(), tc.says, name)
			require.Contains(t, err.Error(), "but this channel's bot is "+linetest.DefaultBotUserID, name)
			require.NotContains(t, err.Error(), "Hanako", "%s: the error never quotes the body", name)
			require.NotContains(t, err.Error(), "090", name)
		}
	}

	// Through channel.Handler it is refused like a forged signature.
	h, err := channel.NewHandler("shop", a, func(context.Context, channel.Delivery) error { return nil }, nil)
	require.NoError(t, err)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signedRequest(secret, body(`"destination":"`+otherBot+`",`, event)))
	require.Equal(t, http.StatusUnauthorized, w.Code)

	// Without a bot user ID nothing is checked.
	unchecked := newLineAPI(t, nil).adapter(t, line.Config{}, nil)
	_, err = unchecked.ParseWebhook(signedRequest(secret, body(`"destination":"`+otherBot+`",`, event)))
	require.NoError(t, err)
}

func TestConnectorEntryPoints(t *testing.T) {
	t.Parallel()
	f := newConnectorFixture(t, nil, 10*time.Second)
	conn, err := f.conn.Verify(t.Context(), creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret))
	require.NoError(t, err)
	ep, err := channel.EntryPointsOf(f.conn, conn.Account)
	require.NoError(t, err)
	require.Equal(t, "https://line.me/R/ti/p/@linetest", ep.URL)
	require.Equal(t, `<a href="https://line.me/R/ti/p/@linetest"><img height="36" border="0" alt="Add friend" `+
		`src="https://scdn.line-apps.com/n/line_add_friends/btn/en.png"></a>`, ep.ButtonHTML)

	for basicID, want := range map[string]string{
		"123abcde":     "https://line.me/R/ti/p/@123abcde", // stored without its @
		" @shop.jp ":   "https://line.me/R/ti/p/@shop.jp",
		`@a b"<c>`:     "https://line.me/R/ti/p/@a%20b%22%3Cc%3E",
		"@ümlaut/../x": "https://line.me/R/ti/p/@%C3%BCmlaut%2F..%2Fx",
	} {
		ep, err := f.conn.EntryPoints(channel.AccountInfo{BasicID: basicID})
		require.NoError(t, err, basicID)
		require.Equal(t, want, ep.URL, basicID)
		require.Contains(t, ep.ButtonHTML, `href="`+want+`"`, "%s: the link is escaped for the URL and then for HTML", basicID)
		require.NotContains(t, ep.ButtonHTML, `<c>`, basicID)
	}
	for _, basicID := range []string{"", "  ", "@"} {
		_, err := f.conn.EntryPoints(channel.AccountInfo{UserID: linetest.DefaultBotUserID, BasicID: basicID})
		require.ErrorIs(t, err, channel.ErrInvalidRequest, "%q", basicID)
		require.Contains(t, err.Error(), "no basic ID")
	}
}

// A whole connection's debug log — verify, build the adapter, send, check settings, refuse a wrong
// secret and a revoked token — holds no secret and no token.
func TestConnectorFlowLogsNoSecrets(t *testing.T) {
	t.Parallel()
	f := newConnectorFixture(t, &linetest.Options{ChannelID: connChannelID, ChannelSecret: connSecret, AccessToken: connToken,
		WebhookURL: "https://crm.example.com/hook", WebhookActive: true}, 10*time.Second)
	for _, c := range []channel.Credentials{
		creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret),
		creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret, line.CredAccessToken, connToken),
	} {
		conn, err := f.conn.Verify(t.Context(), c)
		require.NoError(t, err)
		a, err := f.conn.Adapter(conn.Credentials)
		require.NoError(t, err)
		_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("hi")}, channel.SendOptions{})
		require.NoError(t, err)
		checks, err := channel.CheckSettings(t.Context(), a, channel.SettingsWant{WebhookURL: "https://crm.example.com/hook"})
		require.NoError(t, err)
		for _, ch := range checks {
			requireNoSecrets(t, "a check", ch.Detail)
		}
	}
	_, err := f.conn.Verify(t.Context(), creds(line.CredChannelID, connChannelID, line.CredChannelSecret, "wrong-"+connSecret))
	require.Error(t, err)
	f.api.RevokeAccessToken(connToken)
	_, err = f.conn.Verify(t.Context(), creds(line.CredChannelID, connChannelID, line.CredChannelSecret, connSecret, line.CredAccessToken, connToken))
	require.Error(t, err)
	logs := f.logs.String()
	require.Contains(t, logs, "issued a stateless channel access token", "the log is at debug level")
	requireNoSecrets(t, "the debug log", logs)
	require.NotContains(t, logs, "wrong-")
	require.Equal(t, 4, strings.Count(logs, `"msg":"line: credentials`), "each Verify logs one record")
}
