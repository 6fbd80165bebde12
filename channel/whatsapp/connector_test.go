package whatsapp_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
)

func connectorFor(f *fake) *whatsapp.Connector {
	return whatsapp.NewConnector(&whatsapp.Options{Endpoint: f.URL, HTTPClient: &http.Client{Timeout: 10 * time.Second}})
}

func creds() channel.Credentials {
	return channel.Credentials{whatsapp.CredPhoneNumberID: watest.DefaultPhoneNumberID, whatsapp.CredAccessToken: accessToken,
		whatsapp.CredAppSecret: appSecret, whatsapp.CredVerifyToken: verifyToken}
}

func TestConnectorVerify(t *testing.T) {
	t.Parallel()
	f := newFake(t, &watest.Options{VerifiedName: "Lucky Shrub"})
	c := connectorFor(f)
	require.Equal(t, whatsapp.Kind, c.Kind())

	conn, err := c.Verify(t.Context(), creds())
	require.NoError(t, err)
	require.Equal(t, watest.DefaultPhoneNumberID, conn.ExternalID)
	require.Equal(t, channel.AccountInfo{UserID: watest.DefaultPhoneNumberID, BasicID: watest.DefaultDisplayPhoneNumber,
		DisplayName: "Lucky Shrub"}, conn.Account)
	require.Equal(t, creds(), conn.Credentials)
	req := f.Requests()[0]
	require.Equal(t, "/"+whatsapp.DefaultAPIVersion+"/"+watest.DefaultPhoneNumberID, req.Path)
	require.Equal(t, "fields=display_phone_number%2Cverified_name", req.Query)

	credErr := func(t *testing.T, err error) *channel.CredentialError {
		t.Helper()
		var ce *channel.CredentialError
		require.ErrorAs(t, err, &ce)
		require.NotContains(t, err.Error(), accessToken, "no secret in errors")
		require.NotContains(t, err.Error(), appSecret)
		return ce
	}
	wrong := creds()
	wrong[whatsapp.CredAccessToken] = "EAAwrong"
	_, err = c.Verify(t.Context(), wrong)
	ce := credErr(t, err)
	require.Equal(t, whatsapp.CredAccessToken, ce.Field)
	require.ErrorIs(t, err, channel.ErrUnauthorized)

	unknown := creds()
	unknown[whatsapp.CredPhoneNumberID] = "999999999999999"
	_, err = c.Verify(t.Context(), unknown)
	ce = credErr(t, err)
	require.Equal(t, whatsapp.CredPhoneNumberID, ce.Field)
	require.ErrorIs(t, err, channel.ErrInvalidRequest)

	for _, field := range []string{whatsapp.CredPhoneNumberID, whatsapp.CredAccessToken, whatsapp.CredAppSecret} {
		missing := creds()
		delete(missing, field)
		_, err = c.Verify(t.Context(), missing)
		ce = credErr(t, err)
		require.Equal(t, field, ce.Field)
		require.ErrorIs(t, err, channel.ErrInvalidRequest)
	}
	malformed := creds()
	malformed[whatsapp.CredPhoneNumberID] = "1/messages"
	_, err = c.Verify(t.Context(), malformed)
	require.Equal(t, whatsapp.CredPhoneNumberID, credErr(t, err).Field)

	f.Fail(watest.OpPhoneNumber, watest.ServerError())
	_, err = c.Verify(t.Context(), creds())
	require.ErrorIs(t, err, channel.ErrUnavailable)
	var ce2 *channel.CredentialError
	require.False(t, errors.As(err, &ce2), "WhatsApp being down refuses no credential")
}

func TestConnectorAdapter(t *testing.T) {
	t.Parallel()
	f := newFake(t, nil)
	f.CustomerWrote(customer, time.Now())
	c := connectorFor(f)
	a, err := c.Adapter(creds())
	require.NoError(t, err)
	_, err = a.Send(t.Context(), channel.User(customer), []channel.Message{channel.Text("hi")}, channel.SendOptions{})
	require.NoError(t, err)

	_, err = c.Adapter(channel.Credentials{whatsapp.CredPhoneNumberID: "1"})
	require.ErrorIs(t, err, channel.ErrInvalidRequest)

	// A rotated app secret keeps the previous one verifying until the end of the overlap.
	rotated := creds()
	rotated[whatsapp.CredAppSecret] = "new-secret"
	rotated[whatsapp.CredAppSecret+"_previous"] = appSecret
	rotated[whatsapp.CredAppSecret+"_previous_until"] = time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	a, err = c.Adapter(rotated)
	require.NoError(t, err)
	_, err = a.ParseWebhook(signedRequest(appSecret, readWebhook(t, "text.json")))
	require.NoError(t, err)
	rotated[whatsapp.CredAppSecret+"_previous_until"] = "soon"
	_, err = c.Adapter(rotated)
	require.ErrorIs(t, err, channel.ErrInvalidRequest)
}

func TestConnectorEntryPoints(t *testing.T) {
	t.Parallel()
	c := whatsapp.NewConnector(nil)
	ep, err := channel.EntryPointsOf(c, channel.AccountInfo{BasicID: "+1 555-078-3881", DisplayName: `Lucky "Shrub" <&>`})
	require.NoError(t, err)
	require.Equal(t, "https://wa.me/15550783881", ep.URL)
	require.Contains(t, ep.ButtonHTML, `href="https://wa.me/15550783881"`)
	require.Contains(t, ep.ButtonHTML, "Lucky &#34;Shrub&#34; &lt;&amp;&gt;", "the name is escaped")
	_, err = c.EntryPoints(channel.AccountInfo{})
	require.ErrorIs(t, err, channel.ErrNotFound)
}
