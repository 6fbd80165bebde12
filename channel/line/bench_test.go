package line_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel/line"
)

// benchBot is the destination of the benchmark bodies: the adapters benchmarked check it.
const benchBot = "Uxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

// benchBodies are the bodies the parse benchmarks run on: LINE's ~430-byte text webhook, and a batch of
// 20 such events, both for benchBot.
func benchBodies(b *testing.B) map[string][]byte {
	one := readWebhook(b, "bench-text-user.synthetic.json")
	start, end := bytes.Index(one, []byte(`"events":[`))+len(`"events":[`), bytes.LastIndex(one, []byte(`]`))
	require.Greater(b, end, start)
	event := bytes.TrimSpace(one[start:end])
	var batch bytes.Buffer
	require.Contains(b, string(one), `"destination":"`+benchBot+`"`)
	batch.WriteString(`{"destination":"` + benchBot + `","events":[`)
	for i := range 20 {
		if i > 0 {
			batch.WriteByte(',')
		}
		batch.Write(bytes.Replace(event, []byte(`"webhookEventId":"`), fmt.Appendf(nil, `"webhookEventId":"%02d`, i), 1))
	}
	batch.WriteString(`]}`)
	return map[string][]byte{"text-430B": one, "20-events": batch.Bytes()}
}

func newBenchRequest(body []byte, sig string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	r.Header.Set(line.SignatureHeader, sig)
	return r
}

// BenchmarkParseWebhook measures the adapter's verify + parse + mapping (and destination check) beside the SDK's
// webhook.ParseRequest on the same signed body, in the same run, and reports the ratios
// (time-ratio and alloc-ratio below 1 mean the adapter is cheaper than the SDK alone).
func BenchmarkParseWebhook(b *testing.B) {
	a, err := line.New(line.Config{ChannelSecret: secret, AccessToken: "t", BotUserID: benchBot}, nil)
	require.NoError(b, err)
	for name, body := range benchBodies(b) {
		sig := signature(secret, body)
		ours := func() {
			if _, err := a.ParseWebhook(newBenchRequest(body, sig)); err != nil {
				b.Fatal(err)
			}
		}
		sdk := func() {
			if _, err := webhook.ParseRequest(secret, newBenchRequest(body, sig)); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var oursTime, sdkTime time.Duration
			n := 0
			for b.Loop() {
				r := newBenchRequest(body, sig)
				t0 := time.Now()
				if _, err := a.ParseWebhook(r); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				r = newBenchRequest(body, sig)
				t2 := time.Now()
				if _, err := webhook.ParseRequest(secret, r); err != nil {
					b.Fatal(err)
				}
				sdkTime += time.Since(t2)
				oursTime += t1.Sub(t0)
				n++
			}
			reqAllocs := testing.AllocsPerRun(50, func() { newBenchRequest(body, sig) })
			oursAllocs := testing.AllocsPerRun(50, ours) - reqAllocs
			sdkAllocs := testing.AllocsPerRun(50, sdk) - reqAllocs
			b.ReportMetric(float64(oursTime.Nanoseconds())/float64(n), "adapter-ns/op")
			b.ReportMetric(float64(sdkTime.Nanoseconds())/float64(n), "sdk-ns/op")
			b.ReportMetric(float64(oursTime)/float64(sdkTime), "time-ratio")
			b.ReportMetric(oursAllocs, "adapter-allocs/op")
			b.ReportMetric(sdkAllocs, "sdk-allocs/op")
			b.ReportMetric(oursAllocs/sdkAllocs, "alloc-ratio")
		})
	}
}
