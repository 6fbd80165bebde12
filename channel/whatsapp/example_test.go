package whatsapp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
)

// A customer writes; the agent replies within the 24-hour window; a day later only a template goes out.
// (watest plays the Graph API here.)
func ExampleNew() {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	graph := watest.NewServer(&watest.Options{AccessToken: "EAAtoken", Now: func() time.Time { return now }})
	defer graph.Close()
	a, err := whatsapp.New(whatsapp.Config{
		PhoneNumberID: watest.DefaultPhoneNumberID,
		AccessToken:   "EAAtoken",
		AppSecret:     "app-secret",
		VerifyToken:   "verify-token",
	}, &whatsapp.Options{Endpoint: graph.URL, HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	body := graph.Webhook(watest.Inbound{From: "16505551234", Name: "Sheena Nelson", Text: "Does it come in another color?"})
	req, _ := watest.NewWebhookRequest(ctx, "https://crm.example/webhooks/whatsapp", "app-secret", body)
	events, err := a.ParseWebhook(req)
	if err != nil {
		panic(err)
	}
	e := events[0]
	fmt.Println(e.Kind, e.Account, e.Source, e.Profile.DisplayName, "-", e.Message.Text)

	_, err = a.Send(ctx, e.Source, []channel.Message{channel.Text("Yes, in blue.")}, channel.SendOptions{})
	fmt.Println("reply:", err)

	now = now.Add(25 * time.Hour)
	_, err = a.Send(ctx, e.Source, []channel.Message{channel.Text("Still interested?")}, channel.SendOptions{})
	fmt.Println("a day later:", errors.Is(err, whatsapp.ErrWindowClosed))
	res, err := a.Send(ctx, e.Source, []channel.Message{{Type: channel.TypeTemplate,
		Template: &channel.Template{Name: "follow_up", Language: "en_US", BodyParams: []string{"Sheena"}}}}, channel.SendOptions{})
	fmt.Println("template:", err, "billable:", res.Billable)
	// Output:
	// message 106540352242922 user:16505551234 Sheena Nelson - Does it come in another color?
	// reply: <nil>
	// a day later: true
	// template: <nil> billable: true
}

// Meta's GET verification of the webhook URL, answered through channel.Handler.
func ExampleAdapter_Handshake() {
	a, _ := whatsapp.New(whatsapp.Config{PhoneNumberID: "106540352242922", AccessToken: "EAAtoken",
		AppSecret: "app-secret", VerifyToken: "verify-token"}, nil)
	h, _ := channel.NewHandler("wa-1", a, func(context.Context, channel.Delivery) error { return nil }, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()

	req, _ := watest.NewHandshakeRequest(context.Background(), srv.URL+"/webhooks/whatsapp", "verify-token", "1158201444")
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	var challenge [32]byte
	n, _ := res.Body.Read(challenge[:])
	fmt.Println(res.StatusCode, string(challenge[:n]))
	// Output: 200 1158201444
}

// The connector of WhatsApp numbers: the wa.me link and chat button of a connected number.
func ExampleNewConnector() {
	ep, _ := whatsapp.NewConnector(nil).EntryPoints(channel.AccountInfo{BasicID: "+1 555-078-3881", DisplayName: "Lucky Shrub"})
	fmt.Println(ep.URL)
	// Output: https://wa.me/15550783881
}
