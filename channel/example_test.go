package channel_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
)

// A Handler serves one connected channel's webhooks: it verifies them through the adapter and answers 200
// only after the sink has stored the events.
func ExampleNewHandler() {
	adapter := channeltest.NewFake(nil) // in production: the LINE adapter
	sink := func(ctx context.Context, d channel.Delivery) error {
		fmt.Println(d.ChannelID, len(d.Events), d.Events[0].Kind)
		return nil // e.g. conversation.Service.Receive
	}
	h, err := channel.NewHandler("shop-tokyo", adapter, sink, nil)
	if err != nil {
		panic(err)
	}

	w := httptest.NewRecorder()
	h.ServeHTTP(w, adapter.Request(channel.Event{ID: "ev-1", Kind: channel.EventFollow, Source: channel.User("U1")}))
	fmt.Println(w.Code)

	forged := adapter.Request(channel.Event{ID: "ev-2", Kind: channel.EventFollow})
	forged.Header.Set(channeltest.SignatureHeader, "forged")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, forged)
	fmt.Println(w.Code)
	// Output:
	// shop-tokyo 1 follow
	// 200
	// 401
}

// Callers decide by category, never by error text.
func ExampleIsRetryable() {
	err := fmt.Errorf("push: %w", &channel.APIError{Channel: "line", Status: http.StatusTooManyRequests,
		Message: "You have reached your monthly limit.", Category: channel.ErrQuotaExceeded})
	fmt.Println(channel.IsRetryable(err), errors.Is(err, channel.ErrQuotaExceeded))

	var apiErr *channel.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Status)
	}
	// Output:
	// false true
	// 429
}

// Text length is counted in the channel's own unit: LINE counts UTF-16 code units.
func ExampleTextUnit_Count() {
	fmt.Println(channel.UnitUTF16.Count("Thanks 😀"), channel.UnitRune.Count("Thanks 😀"))
	// Output: 9 8
}

// Optional capabilities are reached through helpers that report errors.ErrUnsupported when missing.
func ExampleFetchQuota() {
	adapter := channeltest.NewFake(&channeltest.FakeOptions{Quota: channel.Quota{Limited: true, Limit: 500, Used: 120}})
	q, err := channel.FetchQuota(context.Background(), adapter)
	if errors.Is(err, errors.ErrUnsupported) {
		fmt.Println("this channel has no quota")
		return
	}
	fmt.Println(q.Remaining())
	// Output: 380
}

// ContentRef names the content of an inbound media message for ContentFetcher.FetchContent: the
// channel's own ID of the content when it has one (WhatsApp's media IDs), else the message ID (LINE).
func ExampleContentRef() {
	line := channel.Message{Type: channel.TypeImage, ID: "325708", Media: &channel.Media{ContentType: "image/jpeg"}}
	whatsapp := channel.Message{Type: channel.TypeImage, ID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
		Media: &channel.Media{ID: "1003383421387256", ContentType: "image/jpeg"}}
	fmt.Println(channel.ContentRef(line), channel.ContentRef(whatsapp))
	// Output: 325708 1003383421387256
}
