package line_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/sqlite"
)

// BenchmarkWebhookPath measures one inbound LINE message end to end (it lives here, beside the SDK, so
// that only this package imports it): channel.Handler, the LINE adapter's
// verify and parse, and Service.Ingest storing it (a new event ID each time) on memstore and on SQLite.
// Beside it, in the same loop, the SDK's webhook.ParseRequest on the same body: "x-sdk-parse" is how many
// SDK parses the whole path costs.
func BenchmarkWebhookPath(b *testing.B) {
	template := readWebhook(b, "bench-text-user.synthetic.json")
	stores := map[string]func(b *testing.B) store.Store{
		"memstore": func(*testing.B) store.Store { return memstore.New(nil) },
		"sqlite": func(b *testing.B) store.Store {
			s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		},
	}
	for name, open := range stores {
		b.Run(name, func(b *testing.B) {
			db := open(b)
			ch, err := db.CreateChannel(b.Context(), store.Channel{Kind: "line", ExternalID: "1", Active: true})
			if err != nil {
				b.Fatal(err)
			}
			a, err := line.New(line.Config{ChannelSecret: secret, AccessToken: "t"}, nil)
			if err != nil {
				b.Fatal(err)
			}
			svc, err := conversation.New(db, conversation.AdapterMap{ch.ID: a}, nil)
			if err != nil {
				b.Fatal(err)
			}
			h, err := channel.NewHandler(ch.ID, a, svc.Receive, nil)
			if err != nil {
				b.Fatal(err)
			}
			var pathTime, sdkTime time.Duration
			i := 0
			for b.Loop() {
				i++
				body := bytes.Replace(template, []byte(`"webhookEventId":"01FZ74A0TDDPYRVKNK77XKC3ZR"`),
					fmt.Appendf(nil, `"webhookEventId":"%026d"`, i), 1)
				body = bytes.Replace(body, []byte(`"id":"444573844083572737"`), fmt.Appendf(nil, `"id":"%d"`, i), 1)
				sig := signature(secret, body)
				w := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
				r.Header.Set(line.SignatureHeader, sig)
				t0 := time.Now()
				h.ServeHTTP(w, r)
				pathTime += time.Since(t0)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
				r = httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
				r.Header.Set(line.SignatureHeader, sig)
				t1 := time.Now()
				if _, err := webhook.ParseRequest(secret, r); err != nil {
					b.Fatal(err)
				}
				sdkTime += time.Since(t1)
			}
			b.ReportMetric(float64(pathTime.Nanoseconds())/float64(i), "path-ns/op")
			b.ReportMetric(float64(pathTime)/float64(sdkTime), "x-sdk-parse")
		})
	}
}
