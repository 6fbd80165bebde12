package connect_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/store/memstore"
)

// An administrator connects an account: the channel checks the credentials, the account's details and
// its sealed credentials are stored, and the settings checklist comes back.
func ExampleService_Connect() {
	ctx := context.Background()
	key, _ := connect.ParseKey("k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=") // from the host's secret store
	sealer, _ := connect.NewAESGCM(key)
	reg, _ := connect.NewRegistry(sealer, channeltest.NewConnector("fake")) // line.NewConnector(nil) for LINE
	svc, _ := connect.New(memstore.New(nil), reg, &connect.Options{
		WebhookURL: func(id string) string { return "https://crm.example.com/webhooks/" + id },
	})

	got, err := svc.Connect(ctx, connect.Request{Kind: "fake", Name: "Tokyo shop",
		Credentials: channel.Credentials{channeltest.CredAccount: "1650", channeltest.CredSecret: "s3cret"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(got.Channel.Name, "is", got.Channel.Account.DisplayName, "with secret", got.Channel.Credentials[channeltest.CredSecret])
	for _, c := range got.Checks {
		fmt.Println(c.Title+":", c.Status)
	}
	_, err = svc.Connect(ctx, connect.Request{Kind: "fake", Name: "Again",
		Credentials: channel.Credentials{channeltest.CredAccount: "1650", channeltest.CredSecret: "s3cret"}})
	var dup *connect.AlreadyConnectedError
	fmt.Println(errors.As(err, &dup), dup.Existing.Name)
	// Output:
	// Tokyo shop is Shop 1650 with secret ********
	// Webhook: ok
	// true Tokyo shop
}

// The registry builds each connected channel's adapter from its stored credentials: the conversation
// service takes it as its Adapters, for any number of accounts.
func ExampleRegistry() {
	ctx := context.Background()
	key, _ := connect.GenerateKey("k1")
	sealer, _ := connect.NewAESGCM(key)
	reg, _ := connect.NewRegistry(sealer, channeltest.NewConnector("fake"))
	db := memstore.New(nil)
	svc, _ := connect.New(db, reg, &connect.Options{WebhookURL: func(id string) string { return "https://crm.example.com/webhooks/" + id }})
	for _, account := range []string{"1", "2", "3"} {
		_, _ = svc.Connect(ctx, connect.Request{Kind: "fake", Name: "Shop " + account,
			Credentials: channel.Credentials{channeltest.CredAccount: account, channeltest.CredSecret: "s-" + account}})
	}

	conv, _ := conversation.New(db, reg, nil) // no factory code
	_ = conv
	channels, _ := db.ListChannels(ctx)
	for _, ch := range channels {
		a, err := reg.Adapter(ctx, ch)
		fmt.Println(ch.Name, a.Kind(), err)
	}
	// Output:
	// Shop 1 fake <nil>
	// Shop 2 fake <nil>
	// Shop 3 fake <nil>
}
