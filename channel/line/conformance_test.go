package line_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
)

const secret = "testsecret"

func TestConformance(t *testing.T) {
	channeltest.RunAdapter(t, channeltest.Harness{New: func(t *testing.T) channeltest.Instance {
		api := newLineAPI(t, nil)
		return channeltest.Instance{
			Adapter:         api.adapter(t, line.Config{}, nil),
			SignatureHeader: line.SignatureHeader,
			Sign:            func(body []byte) string { return linetest.Sign(secret, body) },
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
				case channeltest.WebhookImage:
					return api.Webhook(linetest.Event{UserID: "U1", Content: &linetest.Content{Type: "image", ContentType: "image/jpeg",
						Data: []byte(channeltest.ImageContent)}})
				default:
					return readWebhook(t, "empty-events-verification.synthetic.json")
				}
			},
			FailNext: func(f channeltest.Failure) {
				api.Fail(linetest.OpAny, map[channeltest.Failure]linetest.Fault{
					channeltest.FailRateLimited:  linetest.RateLimit(3 * time.Second),
					channeltest.FailQuota:        linetest.MonthlyLimit(),
					channeltest.FailUnauthorized: linetest.ErrorAnswer(http.StatusUnauthorized, "Authentication failed."),
					channeltest.FailInvalid:      linetest.ErrorAnswer(http.StatusBadRequest, "The request body has 1 error(s)"),
					channeltest.FailReplyToken:   linetest.ErrorAnswer(http.StatusBadRequest, linetest.MessageInvalidToken),
					channeltest.FailNotFound:     linetest.ErrorAnswer(http.StatusNotFound, linetest.MessageNotFound),
					channeltest.FailServer:       linetest.ServerError(),
				}[f])
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
