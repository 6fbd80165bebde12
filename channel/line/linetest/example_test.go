package linetest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
)

// A customer writes, the agent replies with the webhook's reply token, and a push whose answer is lost
// is retried with its retry key: LINE delivered it once.
func ExampleNewServer() {
	lineAPI := linetest.NewServer(nil)
	defer lineAPI.Close()
	a, err := line.New(line.Config{ChannelSecret: "secret", AccessToken: "token"}, &line.Options{
		APIEndpoint: lineAPI.URL, DataEndpoint: lineAPI.URL,
		HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}, // short: the example waits for a timeout
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	body := lineAPI.Webhook(linetest.Event{UserID: "U4af4980629", Name: "Hanako", Text: "Is the blue one in stock?"})
	req, err := linetest.NewWebhookRequest(ctx, "http://crm.example/webhooks/line", "secret", body)
	if err != nil {
		panic(err)
	}
	events, err := a.ParseWebhook(req)
	if err != nil {
		panic(err)
	}
	e := events[0]
	_, err = a.Send(ctx, e.Source, []channel.Message{channel.Text("Yes, it ships tomorrow.")}, channel.SendOptions{ReplyToken: e.ReplyToken})
	fmt.Println("reply:", err)

	lineAPI.Fail(linetest.OpPush, linetest.Fault{Kind: linetest.TimeoutAfter})
	opt := channel.SendOptions{RetryKey: "3f1c8a52-6a8e-4b0e-9a51-2c7d1e0b9f44"}
	msgs := []channel.Message{channel.Text("It has shipped.")}
	_, err = a.Send(ctx, e.Source, msgs, opt)
	fmt.Println("push:", errors.Is(err, channel.ErrUnavailable), "may have sent:", channel.MayHaveSent(err))
	res, err := a.Send(ctx, e.Source, msgs, opt)
	fmt.Println("retry:", err, "duplicate:", res.Duplicate)

	for _, d := range lineAPI.Deliveries() {
		fmt.Println(d.Op, d.To, d.Texts())
	}
	fmt.Println(lineAPI.DeliveriesByRetryKey())
	// Output:
	// reply: <nil>
	// push: true may have sent: true
	// retry: <nil> duplicate: true
	// reply U4af4980629 [Yes, it ships tomorrow.]
	// push U4af4980629 [It has shipped.]
	// map[3f1c8a52-6a8e-4b0e-9a51-2c7d1e0b9f44:1]
}

// API is an http.Handler: mount it where a demo serves, and point the adapter there.
func ExampleNew() {
	api := linetest.New(&linetest.Options{MonthlyLimit: 500})
	defer api.Close()
	mux := http.NewServeMux()
	mux.Handle("/", api)

	req := httptest.NewRequest(http.MethodGet, "/v2/bot/message/quota", nil)
	req.Header.Set("Authorization", "Bearer any-token")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	fmt.Print(w.Code, " ", w.Body.String())
	// Output: 200 {"type":"limited","value":500}
}

func ExampleSign() {
	body := []byte(`{"destination":"U0123456789abcdef0123456789abcdef","events":[]}`)
	fmt.Println(linetest.Sign("testsecret", body))
	// Output: 68T4hrXlCXQMCJqA3fGlBzTyBPmhsLT3g4xth3uGq7Y=
}
