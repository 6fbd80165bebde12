package line_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
)

func ExampleAdapter_ParseWebhook() {
	a, err := line.New(line.Config{ChannelID: "1650000000", ChannelSecret: "testsecret"}, nil)
	if err != nil {
		panic(err)
	}
	body := []byte(`{"destination":"Ubot","events":[{"type":"message","mode":"active","timestamp":1462629479859,
		"source":{"type":"user","userId":"U4af4980629"},"webhookEventId":"01FZ74A0TDDPYRVKNK77XKC3ZR",
		"deliveryContext":{"isRedelivery":false},"replyToken":"nHuyWiB7yP5Zw52FIkcQobQuGDXCTA",
		"message":{"id":"444573844083572737","type":"text","quoteToken":"q","text":"Is the blue one in stock?"}}]}`)
	r := httptest.NewRequest(http.MethodPost, "/webhooks/line", bytes.NewReader(body))
	mac := hmac.New(sha256.New, []byte("testsecret"))
	mac.Write(body)
	r.Header.Set(line.SignatureHeader, base64.StdEncoding.EncodeToString(mac.Sum(nil)))

	events, err := a.ParseWebhook(r)
	if err != nil {
		panic(err)
	}
	e := events[0]
	fmt.Println(e.Kind, e.Source, e.Message.Type, e.Message.Text)
	// Output: message user:U4af4980629 text Is the blue one in stock?
}

// Reply while the token is fresh; when LINE refuses it, and no earlier attempt may have delivered the
// reply, push the same messages with a retry key. A push that fails on the monthly quota is not worth
// retrying. (linetest plays LINE here: it refuses the reply token, which it never issued.)
func ExampleAdapter_Send() {
	lineAPI := linetest.NewServer(&linetest.Options{MonthlyLimit: 1})
	defer lineAPI.Close()
	a, _ := line.New(line.Config{ChannelSecret: "secret", AccessToken: "token"},
		&line.Options{APIEndpoint: lineAPI.URL, HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	ctx := context.Background()
	to := channel.User("U4af4980629")
	msgs := []channel.Message{channel.Text("Yes, it ships tomorrow.")}

	_, err := a.Send(ctx, to, msgs, channel.SendOptions{ReplyToken: "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"})
	if errors.Is(err, channel.ErrReplyTokenInvalid) && !channel.MayHaveSent(err) {
		res, err := a.Send(ctx, to, msgs, channel.SendOptions{RetryKey: "3f1c8a52-6a8e-4b0e-9a51-2c7d1e0b9f44"})
		fmt.Println("pushed:", res.MessageIDs, "billable:", res.Billable, err)
	}

	_, err = a.Send(ctx, to, []channel.Message{channel.Text("Last one")}, channel.SendOptions{RetryKey: "6c0e2a1d-4f7b-4f3e-8d2a-9b1c0e7f5a33"})
	fmt.Println(errors.Is(err, channel.ErrQuotaExceeded), channel.IsRetryable(err))
	// Output:
	// pushed: [500000000000000001] billable: true <nil>
	// true false
}

// Rotating the channel secret: both secrets verify during the changeover, then only the new one.
func ExampleConfig_secretRotation() {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC) // the moment the secret was reissued
	a, _ := line.New(line.Config{
		ChannelID:           "1650000000",
		ChannelSecret:       "new-secret",
		PreviousSecret:      "old-secret",
		PreviousSecretUntil: now.Add(10 * time.Minute),
	}, &line.Options{Now: func() time.Time { return now }})
	body := []byte(`{"destination":"Ubot","events":[]}`)

	_, err := a.ParseWebhook(signedRequest("old-secret", body)) // a webhook in flight during the change
	fmt.Println(err)
	now = now.Add(11 * time.Minute)
	_, err = a.ParseWebhook(signedRequest("old-secret", body))
	fmt.Println(errors.Is(err, channel.ErrInvalidSignature))
	// Output:
	// <nil>
	// true
}

// Connecting a LINE account: Verify checks the credentials an administrator entered against LINE and
// says what to store; Adapter builds the account's adapter from what was stored; EntryPoints makes its
// add-friend link and button. (linetest plays LINE, knowing one channel ID and secret.)
func ExampleConnector() {
	lineAPI := linetest.NewServer(&linetest.Options{ChannelID: "1650000000", ChannelSecret: "0123456789abcdef0123456789abcdef"})
	defer lineAPI.Close()
	connector, err := line.NewConnector(&line.Options{APIEndpoint: lineAPI.URL, DataEndpoint: lineAPI.URL,
		HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	// A mistyped secret: the error names the field and says what to do.
	_, err = connector.Verify(ctx, channel.Credentials{line.CredChannelID: "1650000000", line.CredChannelSecret: "0123456789abcdef0123456789abcdee"})
	var refused *channel.CredentialError
	if errors.As(err, &refused) {
		fmt.Println("refused:", refused.Field, errors.Is(err, channel.ErrUnauthorized))
	}

	conn, err := connector.Verify(ctx, channel.Credentials{
		line.CredChannelID:     "1650000000",
		line.CredChannelSecret: "0123456789abcdef0123456789abcdef",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("account:", conn.ExternalID, conn.Account.BasicID, conn.Account.DisplayName)
	fmt.Println("bot user ID stored:", conn.Credentials[line.CredBotUserID] == conn.Account.UserID)

	adapter, err := connector.Adapter(conn.Credentials) // later, from the stored (unsealed) credentials
	if err != nil {
		panic(err)
	}
	fmt.Println("adapter:", adapter.Kind())

	entry, err := connector.EntryPoints(conn.Account)
	if err != nil {
		panic(err)
	}
	fmt.Println(entry.URL)
	// Output:
	// refused: channel_secret true
	// account: 1650000000 @linetest linetest
	// bot user ID stored: true
	// adapter: line
	// https://line.me/R/ti/p/@linetest
}

// The add-friend link and LINE's "Add friend" button of an account, from its basic ID. A QR code of the
// link does what the link does.
func ExampleConnector_EntryPoints() {
	connector, _ := line.NewConnector(nil)
	entry, err := connector.EntryPoints(channel.AccountInfo{BasicID: "@123abcde"})
	fmt.Println(entry.URL, err)
	fmt.Println(entry.ButtonHTML)

	_, err = connector.EntryPoints(channel.AccountInfo{})
	fmt.Println(errors.Is(err, channel.ErrInvalidRequest))
	// Output:
	// https://line.me/R/ti/p/@123abcde <nil>
	// <a href="https://line.me/R/ti/p/@123abcde"><img height="36" border="0" alt="Add friend" src="https://scdn.line-apps.com/n/line_add_friends/btn/en.png"></a>
	// true
}
