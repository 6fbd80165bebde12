package watest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
)

// A customer writes, the agent replies, and a reply whose answer is lost may have been delivered:
// WhatsApp has no retry key, so it must not be sent again blindly.
func ExampleNewServer() {
	graph := watest.NewServer(nil)
	defer graph.Close()
	a, err := whatsapp.New(whatsapp.Config{PhoneNumberID: watest.DefaultPhoneNumberID, AccessToken: "token", AppSecret: "secret"},
		&whatsapp.Options{Endpoint: graph.URL, HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	body := graph.Webhook(watest.Inbound{From: "16505551234", Name: "Sheena Nelson", Text: "Is the blue one in stock?"})
	req, _ := watest.NewWebhookRequest(ctx, "http://crm.example/webhooks/whatsapp", "secret", body)
	events, err := a.ParseWebhook(req)
	if err != nil {
		panic(err)
	}
	_, err = a.Send(ctx, events[0].Source, []channel.Message{channel.Text("Yes, it ships tomorrow.")}, channel.SendOptions{})
	fmt.Println("reply:", err)

	graph.Fail(watest.OpSend, watest.Fault{Kind: watest.TimeoutAfter})
	_, err = a.Send(ctx, events[0].Source, []channel.Message{channel.Text("It has shipped.")}, channel.SendOptions{})
	fmt.Println("lost answer:", channel.MayHaveSent(err), "sent:", len(graph.Sent()))
	// Output:
	// reply: <nil>
	// lost answer: true sent: 2
}

// The API is an http.Handler: serve it wherever the test or demo needs it.
func ExampleNew() {
	api := watest.New(&watest.Options{VerifiedName: "Lucky Shrub"})
	srv := httptest.NewServer(api)
	defer srv.Close()
	defer api.Close()
	conn, err := whatsapp.NewConnector(&whatsapp.Options{Endpoint: srv.URL, HTTPClient: &http.Client{Timeout: 10 * time.Second}}).
		Verify(context.Background(), channel.Credentials{whatsapp.CredPhoneNumberID: watest.DefaultPhoneNumberID,
			whatsapp.CredAccessToken: "token", whatsapp.CredAppSecret: "secret"})
	fmt.Println(conn.Account.DisplayName, conn.Account.BasicID, err)
	// Output: Lucky Shrub 15550783881 <nil>
}
