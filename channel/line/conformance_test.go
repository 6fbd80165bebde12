package line_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/channel/line"
)

const secret = "testsecret"

func TestConformance(t *testing.T) {
	channeltest.RunAdapter(t, channeltest.Harness{New: func(t *testing.T) channeltest.Instance {
		api := newFakeAPI(t)
		return channeltest.Instance{
			Adapter:         api.adapter(t, line.Config{}, nil),
			SignatureHeader: line.SignatureHeader,
			Sign:            func(body []byte) string { return signature(secret, body) },
			Webhook: func(c channeltest.WebhookCase) []byte {
				switch c {
				case channeltest.WebhookText:
					return []byte(`{"destination":"Ubot","events":[{"type":"message","mode":"active","timestamp":1462629479859,
						"source":{"type":"user","userId":"U1"},"webhookEventId":"01FZ74A0TDDPYRVKNK77XKC3ZR",
						"deliveryContext":{"isRedelivery":false},"replyToken":"rt",
						"message":{"id":"444573844083572737","type":"text","quoteToken":"q","text":"hello"}}]}`)
				case channeltest.WebhookUnknown:
					return []byte(`{"destination":"Ubot","events":[{"type":"futureThing","mode":"active","timestamp":1462629479859,
						"source":{"type":"user","userId":"U1"},"webhookEventId":"01FZ74A0TDDPYRVKNK77XKC3ZS",
						"deliveryContext":{"isRedelivery":false},"futureThing":{"x":1}}]}`)
				default:
					return readWebhook(t, "empty-events-verification.synthetic.json")
				}
			},
			FailNext: func(f channeltest.Failure) {
				switch f {
				case channeltest.FailRateLimited:
					api.failNext(http.StatusTooManyRequests, "Too many requests", map[string]string{"Retry-After": "3"})
				case channeltest.FailQuota:
					api.failNext(http.StatusTooManyRequests, "You have reached your monthly limit.", nil)
				case channeltest.FailUnauthorized:
					api.failNext(http.StatusUnauthorized, "Authentication failed.", nil)
				case channeltest.FailInvalid:
					api.failNext(http.StatusBadRequest, "The request body has 1 error(s)", nil)
				case channeltest.FailReplyToken:
					api.failNext(http.StatusBadRequest, "Invalid reply token", nil)
				case channeltest.FailNotFound:
					api.failNext(http.StatusNotFound, "Not found", nil)
				case channeltest.FailServer:
					api.failNext(http.StatusInternalServerError, "Internal server error", nil)
				}
			},
			To: channel.User("U4af4980629"),
		}
	}})
}

func readWebhook(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "webhooks", name))
	require.NoError(t, err)
	return b
}

func contextCancelled(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx, cancel
}
