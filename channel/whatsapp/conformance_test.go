package whatsapp_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
)

func TestConformance(t *testing.T) {
	channeltest.RunAdapter(t, channeltest.Harness{New: func(t *testing.T) channeltest.Instance {
		api := newFake(t, nil)
		const customer = "16505551234"
		api.CustomerWrote(customer, time.Now()) // the customer service window is open
		return channeltest.Instance{
			Adapter:         api.adapter(whatsappConfig(), nil),
			SignatureHeader: watest.SignatureHeader,
			Sign:            func(body []byte) string { return watest.Sign(appSecret, body) },
			Webhook: func(c channeltest.WebhookCase) []byte {
				switch c {
				case channeltest.WebhookText:
					return []byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{
						"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
						"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],
						"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
						"timestamp":"1749416383","type":"text","text":{"body":"hello"}}]},"field":"messages"}]}]}`)
				case channeltest.WebhookUnknown:
					return readWebhook(t, "template-status-update.synthetic.json")
				case channeltest.WebhookImage:
					return api.Webhook(watest.Inbound{From: customer, Name: "Sheena Nelson", Media: &watest.Media{Type: "image",
						MimeType: "image/jpeg", Data: []byte(channeltest.ImageContent)}})
				default:
					return readWebhook(t, "empty-entry.synthetic.json")
				}
			},
			FailNext: func(f channeltest.Failure) {
				api.Fail(watest.OpAny, map[channeltest.Failure]watest.Fault{
					channeltest.FailRateLimited:  watest.RateLimit(),
					channeltest.FailUnauthorized: watest.InvalidToken(),
					channeltest.FailInvalid:      watest.GraphError(http.StatusBadRequest, 100, 0, "(#100) Invalid parameter", "Parameter value is not valid"),
					channeltest.FailNotFound:     watest.Undeliverable(),
					channeltest.FailServer:       watest.ServerError(),
				}[f])
			},
			Unsupported: []channeltest.Failure{channeltest.FailQuota, channeltest.FailReplyToken},
			To:          channel.User(customer),
		}
	}})
}
