package connect_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/store/memstore"
)

const (
	lineID     = "1650000000"
	lineSecret = "line-s3cr3t-0123456789abcdef"
	lineToken  = "line-t0ken-LONG-LIVED"
)

// lineFixture is the connect service with the real LINE connector on a fake of LINE's API.
type lineFixture struct {
	api *linetest.Server
	db  *memstore.Store
	svc *connect.Service
	now *time.Time
}

// newLineFixture makes the fixture; LINE knows knownSecret as the channel's secret (any secret when
// empty).
func newLineFixture(t *testing.T, knownSecret string) lineFixture {
	t.Helper()
	now := t0
	clock := func() time.Time { return now }
	api := linetest.NewServer(&linetest.Options{ChannelID: lineID, ChannelSecret: knownSecret, AccessToken: lineToken, Now: clock,
		WebhookActive: true})
	t.Cleanup(api.Close)
	conn, err := line.NewConnector(&line.Options{APIEndpoint: api.URL, DataEndpoint: api.URL, Now: clock,
		HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	require.NoError(t, err)
	key, err := connect.GenerateKey("k1")
	require.NoError(t, err)
	sealer, err := connect.NewAESGCM(key)
	require.NoError(t, err)
	reg, err := connect.NewRegistry(sealer, conn)
	require.NoError(t, err)
	db := memstore.New(&memstore.Options{Now: clock})
	svc, err := connect.New(db, reg, &connect.Options{Now: clock,
		WebhookURL: func(id string) string { return "https://crm.example.com/webhooks/" + id }})
	require.NoError(t, err)
	return lineFixture{api: api, db: db, svc: svc, now: &now}
}

func lineCreds() channel.Credentials {
	return channel.Credentials{line.CredChannelID: lineID, line.CredChannelSecret: lineSecret, line.CredAccessToken: lineToken}
}

// F1–F3 against LINE: the credentials are verified, the bot's details fetched and stored, and the
// checklist says the webhook URL is not this channel's yet — until it is.
func TestConnectLINE(t *testing.T) {
	t.Parallel()
	fx := newLineFixture(t, lineSecret)
	got, err := fx.svc.Connect(t.Context(), connect.Request{Kind: line.Kind, Name: "Tokyo shop", Credentials: lineCreds()})
	require.NoError(t, err)
	require.Equal(t, lineID, got.Channel.ExternalID)
	require.Equal(t, linetest.DefaultBotUserID, got.Channel.Account.UserID, "bot info is fetched on save")
	require.Equal(t, "@linetest", got.Channel.Account.BasicID)
	problems := map[string]bool{}
	for _, c := range got.Checks {
		if c.Status == channel.CheckProblem {
			problems[c.ID] = true
		}
	}
	require.True(t, problems[line.CheckWebhookURL], "LINE does not send webhooks to this channel's URL yet")

	fx.api.SetWebhookEndpoint(got.WebhookURL, true)
	h, err := fx.svc.Check(t.Context(), got.Channel.ID)
	require.NoError(t, err)
	var urlChange *connect.Change
	for i, c := range h.Changes {
		if c.ID == line.CheckWebhookURL {
			urlChange = &h.Changes[i]
		}
	}
	require.NotNil(t, urlChange, "the re-check reports what changed")
	require.Equal(t, channel.CheckProblem, urlChange.From)
	require.Equal(t, channel.CheckOK, urlChange.To)

	e, err := fx.svc.EntryPoints(t.Context(), got.Channel.ID)
	require.NoError(t, err)
	require.Equal(t, "https://line.me/R/ti/p/@linetest", e.URL)
}

// What LINE refuses is named, and nothing is stored.
func TestConnectLINERefusals(t *testing.T) {
	t.Parallel()
	fx := newLineFixture(t, lineSecret)
	wrong := lineCreds()
	wrong[line.CredChannelSecret] = "not-the-secret"
	_, err := fx.svc.Connect(t.Context(), connect.Request{Kind: line.Kind, Name: "x", Credentials: wrong})
	var ce *channel.CredentialError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, line.CredChannelSecret, ce.Field)
	require.NotContains(t, err.Error(), "not-the-secret")

	fx.api.RevokeAccessToken(lineToken)
	_, err = fx.svc.Connect(t.Context(), connect.Request{Kind: line.Kind, Name: "x", Credentials: lineCreds()})
	require.ErrorAs(t, err, &ce)
	require.Equal(t, line.CredAccessToken, ce.Field)

	down := newLineFixture(t, lineSecret)
	down.api.Fail(linetest.OpAny, linetest.ServerError(), linetest.ServerError(), linetest.ServerError())
	_, err = down.svc.Connect(t.Context(), connect.Request{Kind: line.Kind, Name: "x", Credentials: lineCreds()})
	require.ErrorIs(t, err, channel.ErrUnavailable, "LINE down is not a credential problem")
	for _, f := range []lineFixture{fx, down} {
		all, err := f.db.ListChannels(t.Context())
		require.NoError(t, err)
		require.Empty(t, all)
	}
}

// A rotated secret: during the overlap, webhooks signed with either secret verify; after it, only the new.
func TestRotateLINESecret(t *testing.T) {
	t.Parallel()
	fx := newLineFixture(t, "") // LINE accepts the secret of the moment
	got, err := fx.svc.Connect(t.Context(), connect.Request{Kind: line.Kind, Name: "Shop", Credentials: lineCreds()})
	require.NoError(t, err)
	id := got.Channel.ID
	hooks := fx.svc.Webhooks(func(context.Context, channel.Delivery) error { return nil }, nil)
	post := func(secret string) int {
		body := fx.api.Webhook(linetest.Event{UserID: "U1", Text: "hi"})
		r := httptest.NewRequest(http.MethodPost, "/webhooks/"+id, bytes.NewReader(body))
		r.Header.Set(line.SignatureHeader, linetest.Sign(secret, body))
		w := httptest.NewRecorder()
		hooks.ServeHTTP(w, r)
		return w.Code
	}
	require.Equal(t, http.StatusOK, post(lineSecret))

	newSecret := "line-n3w-s3cr3t-fedcba987654"
	_, err = fx.svc.RotateSecret(t.Context(), id, line.CredChannelSecret, newSecret, time.Hour)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, post(newSecret), "the new secret verifies at once")
	require.Equal(t, http.StatusOK, post(lineSecret), "the old one too, during the overlap")
	*fx.now = fx.now.Add(time.Hour + time.Second)
	require.Equal(t, http.StatusUnauthorized, post(lineSecret), "not after it")
	require.Equal(t, http.StatusOK, post(newSecret))
	h, err := fx.svc.Health(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, int64(1), h.SignatureFailures)
}
