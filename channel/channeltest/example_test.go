package channeltest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
)

// A Fake stands in for a real channel in application tests: it signs webhooks and records sends.
func ExampleNewFake() {
	f := channeltest.NewFake(nil)
	h, _ := channel.NewHandler("ch-1", f, func(ctx context.Context, d channel.Delivery) error {
		for _, e := range d.Events {
			reply := channel.Text("Thanks, " + e.Message.Text + " received")
			_, err := f.Send(ctx, e.Source, []channel.Message{reply}, channel.SendOptions{ReplyToken: e.ReplyToken})
			if err != nil {
				return err
			}
		}
		return nil
	}, nil)

	msg := channel.Text("order #42")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, f.Request(channel.Event{ID: "ev-1", Kind: channel.EventMessage, Source: channel.User("U1"),
		ReplyToken: "rt-1", Message: &msg}))

	fmt.Println(w.Code == http.StatusOK)
	for _, s := range f.Sends() {
		fmt.Println(s.To, s.Messages[0].Text, "billable:", s.Result.Billable)
	}
	// Output:
	// true
	// user:U1 Thanks, order #42 received billable: false
}
