package line_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func signature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func signedRequest(secret string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	r.Header.Set(line.SignatureHeader, signature(secret, body))
	return r
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -update")
	require.Equal(t, string(want), string(got), "output differs from %s (run with -update and review the diff)", path)
}

// Every body in testdata/webhooks parses to the events in its golden file, and to as many events, of the
// same types and IDs, as the SDK's own parser finds.
func TestWebhookGolden(t *testing.T) {
	a := newLineAPI(t, nil).adapter(t, line.Config{}, nil)
	files, err := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			body := readWebhook(t, name)
			events, err := a.ParseWebhook(signedRequest(secret, body))
			require.NoError(t, err)
			out, err := json.MarshalIndent(events, "", "  ")
			require.NoError(t, err)
			golden(t, filepath.Join("webhooks", name), append(out, '\n'))

			sdk, err := webhook.ParseRequest(secret, signedRequest(secret, body))
			require.NoError(t, err)
			require.Len(t, events, len(sdk.Events), "the SDK finds as many events")
			for i, e := range sdk.Events {
				require.Equal(t, sdkEventType(t, e), events[i].Type, "event %d type", i)
			}
		})
	}
}

func sdkEventType(t *testing.T, e webhook.EventInterface) string {
	t.Helper()
	b, err := json.Marshal(e)
	require.NoError(t, err)
	var head struct {
		Type string `json:"type"`
	}
	require.NoError(t, json.Unmarshal(b, &head))
	return head.Type
}

func TestWebhookMapsEveryField(t *testing.T) {
	a := newLineAPI(t, nil).adapter(t, line.Config{}, nil)
	parse := func(event string) channel.Event {
		t.Helper()
		events, err := a.ParseWebhook(signedRequest(secret, []byte(`{"destination":"Ubot","events":[`+event+`]}`)))
		require.NoError(t, err)
		require.Len(t, events, 1)
		return events[0]
	}
	const head = `"mode":"standby","timestamp":1700000000123,"webhookEventId":"E1","deliveryContext":{"isRedelivery":true},`

	e := parse(`{"type":"message",` + head + `"replyToken":"rt","source":{"type":"room","roomId":"R1","userId":"U1"},
		"message":{"type":"text","id":"m1","text":"@Sato @All hi","quoteToken":"qt","quotedMessageId":"m0",
		"emojis":[{"index":0,"length":6,"productId":"p","emojiId":"e"}],
		"mention":{"mentionees":[{"index":0,"length":5,"type":"user","userId":"U2"},{"index":6,"length":4,"type":"all"}]}}}`)
	require.Equal(t, "E1", e.ID)
	require.Equal(t, time.UnixMilli(1700000000123).UTC(), e.Time)
	require.True(t, e.Redelivery)
	require.Equal(t, channel.ModeStandby, e.Mode)
	require.Equal(t, channel.Room("R1", "U1"), e.Source)
	require.Equal(t, "rt", e.ReplyToken)
	require.Equal(t, &channel.Message{Type: channel.TypeText, ID: "m1", Text: "@Sato @All hi", QuoteToken: "qt", QuotedMessageID: "m0",
		Emojis:   []channel.Emoji{{Index: 0, Length: 6, ProductID: "p", EmojiID: "e"}},
		Mentions: []channel.Mention{{Index: 0, Length: 5, UserID: "U2"}, {Index: 6, Length: 4, All: true}}}, e.Message)

	e = parse(`{"type":"message",` + head + `"source":{"type":"user","userId":"U1"},"message":{"type":"image","id":"m2","quoteToken":"q",
		"contentProvider":{"type":"external","originalContentUrl":"https://x.example/o.jpg","previewImageUrl":"https://x.example/p.jpg"},
		"imageSet":{"id":"S","index":2,"total":3}}}`)
	require.Equal(t, &channel.Media{URL: "https://x.example/o.jpg", PreviewURL: "https://x.example/p.jpg",
		Set: &channel.ImageSet{ID: "S", Index: 2, Total: 3}}, e.Message.Media)

	e = parse(`{"type":"message",` + head + `"source":{"type":"user","userId":"U1"},"message":{"type":"video","id":"m3","duration":60500,"contentProvider":{"type":"line"}}}`)
	require.Equal(t, &channel.Media{Duration: 60500 * time.Millisecond}, e.Message.Media, "LINE-hosted media have no URL")

	e = parse(`{"type":"message",` + head + `"source":{"type":"user","userId":"U1"},"message":{"type":"file","id":"m4","fileName":"quote.pdf","fileSize":2048}}`)
	require.Equal(t, channel.TypeFile, e.Message.Type)
	require.Equal(t, &channel.Media{FileName: "quote.pdf", Size: 2048}, e.Message.Media)

	e = parse(`{"type":"message",` + head + `"source":{"type":"user","userId":"U1"},"message":{"type":"sticker","id":"m5","packageId":"446","stickerId":"1988",
		"stickerResourceType":"MESSAGE","keywords":["hi","wave"],"text":"Hello","quoteToken":"q"}}`)
	require.Equal(t, &channel.Sticker{PackageID: "446", StickerID: "1988", ResourceType: "MESSAGE", Keywords: []string{"hi", "wave"}, Text: "Hello"}, e.Message.Sticker)

	e = parse(`{"type":"follow",` + head + `"replyToken":"rt","source":{"type":"user","userId":"U1"},"follow":{"isUnblocked":true}}`)
	require.Equal(t, channel.EventFollow, e.Kind)
	require.True(t, e.Unblocked)

	e = parse(`{"type":"memberJoined",` + head + `"source":{"type":"group","groupId":"G1"},"joined":{"members":[{"type":"user","userId":"U7"}]}}`)
	require.Equal(t, []channel.Peer{channel.User("U7")}, e.Members)
	require.Equal(t, channel.Group("G1", ""), e.Source)

	e = parse(`{"type":"postback",` + head + `"source":{"type":"user","userId":"U1"},"postback":{"data":"action=book","params":{"datetime":"2026-12-01T10:00"}}}`)
	require.Equal(t, &channel.Postback{Data: "action=book", Params: map[string]string{"datetime": "2026-12-01T10:00"}}, e.Postback)

	e = parse(`{"type":"unsend",` + head + `"source":{"type":"user","userId":"U1"},"unsend":{"messageId":"m9"}}`)
	require.Equal(t, "m9", e.UnsentMessageID)

	e = parse(`{"type":"videoPlayComplete",` + head + `"source":{"type":"user","userId":"U1"},"videoPlayComplete":{"trackingId":"track-1"}}`)
	require.Equal(t, channel.EventVideoPlayComplete, e.Kind)
	require.Equal(t, "track-1", e.TrackingID)

	e = parse(`{"type":"beacon",` + head + `"source":{"type":"user","userId":"U1"},"beacon":{"hwid":"d41d8cd98f","type":"enter","dm":"1234"}}`)
	require.Equal(t, &channel.Beacon{HardwareID: "d41d8cd98f", Type: "enter", DeviceMessage: "1234"}, e.Beacon)

	e = parse(`{"type":"accountLink",` + head + `"source":{"type":"user","userId":"U1"},"link":{"result":"ok","nonce":"n-1"}}`)
	require.Equal(t, &channel.AccountLink{Result: "ok", Nonce: "n-1"}, e.AccountLink)
}

// Types LINE adds later are kept, never an error: whole events, message contents and sources.
func TestWebhookKeepsUnknownTypesRaw(t *testing.T) {
	a := newLineAPI(t, nil).adapter(t, line.Config{}, nil)
	body := []byte(`{"destination":"Ubot","events":[
		{"type":"botSuspended","mode":"active","timestamp":1,"webhookEventId":"E1","deliveryContext":{"isRedelivery":false}},
		{"type":"message","mode":"active","timestamp":2,"webhookEventId":"E2","deliveryContext":{"isRedelivery":false},
		 "source":{"type":"user","userId":"U1"},"message":{"type":"hologram","id":"m1","depth":3}},
		{"type":"follow","mode":"active","timestamp":3,"webhookEventId":"E3","deliveryContext":{"isRedelivery":false},
		 "source":{"type":"space","spaceId":"S1","userId":"U1"},"follow":{"isUnblocked":false}},
		{"type":"message","mode":"active","timestamp":4,"webhookEventId":"E4","deliveryContext":{"isRedelivery":false},
		 "source":{"type":"user","userId":"U1"},"message":{"type":"text","id":"m2","text":"plain"}}]}`)
	events, err := a.ParseWebhook(signedRequest(secret, body))
	require.NoError(t, err)
	require.Len(t, events, 4)

	require.Equal(t, channel.EventUnknown, events[0].Kind)
	require.Equal(t, "botSuspended", events[0].Type)
	require.JSONEq(t, `{"type":"botSuspended","mode":"active","timestamp":1,"webhookEventId":"E1","deliveryContext":{"isRedelivery":false}}`, string(events[0].Raw))

	require.Equal(t, channel.EventMessage, events[1].Kind)
	require.Equal(t, channel.TypeRaw, events[1].Message.Type)
	require.Equal(t, "m1", events[1].Message.ID)
	require.JSONEq(t, `{"type":"hologram","id":"m1","depth":3}`, string(events[1].Message.Raw))

	require.Equal(t, channel.EventFollow, events[2].Kind)
	require.Equal(t, channel.PeerKind("space"), events[2].Source.Kind)
	require.Contains(t, string(events[2].Raw), `"spaceId":"S1"`, "an unknown source keeps the event's JSON")

	require.Empty(t, events[3].Raw, "known events carry no raw copy")
}

func TestWebhookRejectsBadSignatures(t *testing.T) {
	a := newLineAPI(t, nil).adapter(t, line.Config{}, nil)
	body := readWebhook(t, "message-text-user.json")
	for name, sig := range map[string]string{
		"missing":      "",
		"not base64":   "%%%",
		"short":        base64.StdEncoding.EncodeToString([]byte("short")),
		"other secret": signature("othersecret", body),
	} {
		r := signedRequest(secret, body)
		r.Header.Set(line.SignatureHeader, sig)
		events, err := a.ParseWebhook(r)
		require.ErrorIs(t, err, channel.ErrInvalidSignature, name)
		require.Nil(t, events, name)
	}
}

// During a secret rotation the previous secret is accepted until the changeover window closes.
func TestWebhookSecretRotation(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := newLineAPI(t, nil).adapter(t, line.Config{ChannelSecret: "newsecret", PreviousSecret: secret,
		PreviousSecretUntil: now.Add(time.Hour)}, &line.Options{Now: clock})
	body := readWebhook(t, "message-text-user.json")

	_, err := a.ParseWebhook(signedRequest("newsecret", body))
	require.NoError(t, err, "the new secret works")
	_, err = a.ParseWebhook(signedRequest(secret, body))
	require.NoError(t, err, "the previous secret works during the changeover")
	now = now.Add(time.Hour)
	_, err = a.ParseWebhook(signedRequest(secret, body))
	require.ErrorIs(t, err, channel.ErrInvalidSignature, "the previous secret stops working when the window closes")
	_, err = a.ParseWebhook(signedRequest("newsecret", body))
	require.NoError(t, err)

	_, err = line.New(line.Config{ChannelSecret: "s", AccessToken: "t", PreviousSecret: "p"}, nil)
	require.Error(t, err, "a changeover without an end is refused")
}

// A body that verifies but is not a JSON object with an "events" array is an invalid request, and the
// error holds none of it.
func TestWebhookMalformedBodyErrorHoldsNoBody(t *testing.T) {
	a := newLineAPI(t, nil).adapter(t, line.Config{}, nil)
	for name, body := range map[string]string{
		"truncated":         `{"events":[{"type":"message","message":{"type":"text","text":"Call me at 090-1234-5678"}`,
		"not JSON":          `Call me at 090-1234-5678`,
		"a string":          `"Call me at 090-1234-5678"`,
		"an array":          `[{"type":"message","message":{"type":"text","text":"Call me at 090-1234-5678"}}]`,
		"events is object":  `{"events":{"type":"message","message":{"type":"text","text":"Call me at 090-1234-5678"}}}`,
		"events is string":  `{"events":"Call me at 090-1234-5678"}`,
		"events is number":  `{"destination":"Ubot","events":9012345678}`,
		"bad JSON in event": `{"events":[{"type":"message","message":{"type":"text","text":"Call me at 090-1234-5678"},}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			events, err := a.ParseWebhook(signedRequest(secret, []byte(body)))
			require.ErrorIs(t, err, channel.ErrInvalidRequest)
			require.Nil(t, events)
			require.NotContains(t, err.Error(), "090", "the error must not quote the body")
			require.NotContains(t, err.Error(), "Call me")
		})
	}
}

// An event whose fields have JSON types the adapter does not expect — as when LINE adds an event or
// message type that reuses a field name — comes back as an unknown event with its JSON and the common
// fields that still decode; the events around it parse as usual and nothing fails.
func TestWebhookOddEventKeepsNeighbours(t *testing.T) {
	a := newLineAPI(t, nil).adapter(t, line.Config{}, nil)
	const (
		good1 = `{"type":"message","mode":"active","timestamp":1700000000100,"webhookEventId":"E1",
			"deliveryContext":{"isRedelivery":false},"replyToken":"rt1","source":{"type":"user","userId":"U1"},
			"message":{"type":"text","id":"m1","text":"@Sato hi","quoteToken":"q1",
			"emojis":[{"index":6,"length":2,"productId":"p","emojiId":"e"}],
			"mention":{"mentionees":[{"index":0,"length":5,"type":"user","userId":"U2"}]}}}`
		good2 = `{"type":"postback","mode":"standby","timestamp":1700000000300,"webhookEventId":"E3",
			"deliveryContext":{"isRedelivery":true},"replyToken":"rt3","source":{"type":"group","groupId":"G1","userId":"U3"},
			"postback":{"data":"action=book","params":{"date":"2026-12-01"}}}`
		// head is the odd event's common fields; every case below breaks something after it.
		head = `"mode":"standby","timestamp":1700000000200,"webhookEventId":"ODD","deliveryContext":{"isRedelivery":true},
			"replyToken":"rt2","source":{"type":"room","roomId":"R1","userId":"U9"}`
	)
	wantGood1 := channel.Event{ID: "E1", Kind: channel.EventMessage, Type: "message", Time: time.UnixMilli(1700000000100).UTC(),
		Mode: channel.ModeActive, Source: channel.User("U1"), ReplyToken: "rt1",
		Message: &channel.Message{Type: channel.TypeText, ID: "m1", Text: "@Sato hi", QuoteToken: "q1",
			Emojis:   []channel.Emoji{{Index: 6, Length: 2, ProductID: "p", EmojiID: "e"}},
			Mentions: []channel.Mention{{Index: 0, Length: 5, UserID: "U2"}}}}
	wantGood2 := channel.Event{ID: "E3", Kind: channel.EventPostback, Type: "postback", Time: time.UnixMilli(1700000000300).UTC(),
		Redelivery: true, Mode: channel.ModeStandby, Source: channel.Group("G1", "U3"), ReplyToken: "rt3",
		Postback: &channel.Postback{Data: "action=book", Params: map[string]string{"date": "2026-12-01"}}}
	// recovered is what comes back of the odd event when only its type-specific part is odd.
	recovered := func(typ string) channel.Event {
		return channel.Event{ID: "ODD", Kind: channel.EventUnknown, Type: typ, Time: time.UnixMilli(1700000000200).UTC(),
			Redelivery: true, Mode: channel.ModeStandby, Source: channel.Room("R1", "U9"), ReplyToken: "rt2"}
	}
	odd := func(typ, rest string) string { return `{"type":"` + typ + `",` + head + `,` + rest + `}` }

	for _, tc := range []struct {
		name, event string
		want        channel.Event // Raw is the event itself
	}{
		{"message is a string", odd("message", `"message":"a string"`), recovered("message")},
		{"message is a number on a new event type", odd("reaction", `"message":5`), recovered("reaction")},
		{"new message type reuses text as an object", odd("message", `"message":{"type":"richText","id":"m2","text":{"runs":[]}}`), recovered("message")},
		{"message id is a number", odd("message", `"message":{"type":"text","id":42,"text":"hi"}`), recovered("message")},
		{"mention is a string", odd("message", `"message":{"type":"text","id":"m2","text":"hi","mention":"all"}`), recovered("message")},
		{"mentionee index is a string", odd("message", `"message":{"type":"text","id":"m2","text":"hi","mention":{"mentionees":[{"index":"0","length":2,"type":"user"}]}}`), recovered("message")},
		{"emojis is an object", odd("message", `"message":{"type":"text","id":"m2","text":"hi","emojis":{"index":0}}`), recovered("message")},
		{"duration is a string", odd("message", `"message":{"type":"video","id":"m2","duration":"60s"}`), recovered("message")},
		{"latitude is a string", odd("message", `"message":{"type":"location","id":"m2","latitude":"35.6","longitude":139.7}`), recovered("message")},
		{"keywords is a string", odd("message", `"message":{"type":"sticker","id":"m2","packageId":"1","stickerId":"2","keywords":"hi"}`), recovered("message")},
		{"imageSet is a number", odd("message", `"message":{"type":"image","id":"m2","imageSet":5}`), recovered("message")},
		{"contentProvider is a string", odd("message", `"message":{"type":"image","id":"m2","contentProvider":"line"}`), recovered("message")},
		{"postback is an array", odd("postback", `"postback":[]`), recovered("postback")},
		{"postback param is a number", odd("postback", `"postback":{"data":"d","params":{"n":5}}`), recovered("postback")},
		{"follow is a string", odd("follow", `"follow":"yes"`), recovered("follow")},
		{"isUnblocked is a string", odd("follow", `"follow":{"isUnblocked":"true"}`), recovered("follow")},
		{"joined members is an object", odd("memberJoined", `"joined":{"members":{"type":"user"}}`), recovered("memberJoined")},
		{"left is a number", odd("memberLeft", `"left":7`), recovered("memberLeft")},
		{"unsend is a number", odd("unsend", `"unsend":5`), recovered("unsend")},
		{"videoPlayComplete is a bool", odd("videoPlayComplete", `"videoPlayComplete":true`), recovered("videoPlayComplete")},
		{"beacon is a string", odd("beacon", `"beacon":"enter"`), recovered("beacon")},
		{"link is an array", odd("accountLink", `"link":[]`), recovered("accountLink")},
		{"timestamp is a string", `{"type":"message","timestamp":"x","webhookEventId":"ODD","mode":"active","source":{"type":"user","userId":"U9"}}`,
			channel.Event{ID: "ODD", Kind: channel.EventUnknown, Type: "message", Time: time.UnixMilli(0).UTC(), Mode: channel.ModeActive, Source: channel.User("U9")}},
		{"source is a number", `{"type":"follow","timestamp":1700000000200,"webhookEventId":"ODD","replyToken":"rt2","source":5}`,
			channel.Event{ID: "ODD", Kind: channel.EventUnknown, Type: "follow", Time: time.UnixMilli(1700000000200).UTC(), ReplyToken: "rt2"}},
		{"source userId is a number", `{"type":"follow","timestamp":1700000000200,"webhookEventId":"ODD","source":{"type":"user","userId":5}}`,
			channel.Event{ID: "ODD", Kind: channel.EventUnknown, Type: "follow", Time: time.UnixMilli(1700000000200).UTC()}},
		{"deliveryContext is a string", `{"type":"unfollow","timestamp":1700000000200,"webhookEventId":"ODD","deliveryContext":"again","source":{"type":"user","userId":"U9"}}`,
			channel.Event{ID: "ODD", Kind: channel.EventUnknown, Type: "unfollow", Time: time.UnixMilli(1700000000200).UTC(), Source: channel.User("U9")}},
		{"mode is a number", `{"type":"unfollow","mode":1,"timestamp":1700000000200,"webhookEventId":"ODD"}`,
			channel.Event{ID: "ODD", Kind: channel.EventUnknown, Type: "unfollow", Time: time.UnixMilli(1700000000200).UTC()}},
		{"replyToken is an object", `{"type":"follow","replyToken":{},"timestamp":1700000000200,"webhookEventId":"ODD"}`,
			channel.Event{ID: "ODD", Kind: channel.EventUnknown, Type: "follow", Time: time.UnixMilli(1700000000200).UTC()}},
		{"webhookEventId is a number", `{"type":"follow","timestamp":1700000000200,"webhookEventId":7}`,
			channel.Event{Kind: channel.EventUnknown, Type: "follow", Time: time.UnixMilli(1700000000200).UTC()}},
		{"type is a number", `{"type":7,"timestamp":1700000000200,"webhookEventId":"ODD"}`,
			channel.Event{ID: "ODD", Kind: channel.EventUnknown, Time: time.UnixMilli(1700000000200).UTC()}},
		{"event is a string", `"an event"`, channel.Event{Kind: channel.EventUnknown, Time: time.UnixMilli(0).UTC()}},
		{"event is an array", `[{"type":"message"}]`, channel.Event{Kind: channel.EventUnknown, Time: time.UnixMilli(0).UTC()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(`{"destination":"Ubot","events":[` + good1 + `,` + tc.event + `,` + good2 + `]}`)
			events, err := a.ParseWebhook(signedRequest(secret, body))
			require.NoError(t, err, "one odd event must not fail the body")
			require.Len(t, events, 3)
			require.Equal(t, wantGood1, events[0], "the event before the odd one parses fully")
			require.Equal(t, wantGood2, events[2], "the event after the odd one parses fully")
			want := tc.want
			want.Raw = json.RawMessage(tc.event)
			require.Equal(t, want, events[1], "the odd event is kept raw, with what can be recovered")
			require.NotSame(t, &body[bytes.Index(body, []byte(tc.event))], &events[1].Raw[0], "Raw is a copy, not the body")
		})
	}
}

func TestWebhookBodyLimit(t *testing.T) {
	a := newLineAPI(t, nil).adapter(t, line.Config{}, &line.Options{MaxBodyBytes: 100})
	body := readWebhook(t, "message-text-user.json")
	_, err := a.ParseWebhook(signedRequest(secret, body))
	var tooBig *http.MaxBytesError
	require.ErrorAs(t, err, &tooBig, "a declared length over the limit")
	r := signedRequest(secret, body)
	r.ContentLength = -1 // chunked: the limit applies while reading
	_, err = a.ParseWebhook(r)
	require.ErrorAs(t, err, &tooBig, "a body that grows past the limit")
}

func FuzzParseWebhook(f *testing.F) {
	for _, name := range []string{"message-text-user.json", "member-left.json", "postback.json", "empty-events-verification.synthetic.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "webhooks", name))
		require.NoError(f, err)
		f.Add(b, true)
		f.Add(b, false)
	}
	for _, body := range []string{
		`{"events":[{"type":"message","message":null}]}`,
		`{"events":[{"type":"x","source":{"type":"y"}}]}`,
		`{"events":[{"type":"message","webhookEventId":"E1","message":"a string"},{"type":"follow","webhookEventId":"E2"}]}`,
		`{"events":[{"type":"message","timestamp":"x","source":5,"postback":[]},null,7,"s",[]]}`,
		`{"events":[{"type":"follow","follow":"yes","deliveryContext":"x","mode":1}]}`,
		`{"events":[{"type":"message","message":{"type":"text","mention":"all","emojis":{}}}]}`,
		`{"events":[{"type":"message","message":{"type":"hologram","text":{"runs":[]}}}]}`,
		`{"destination":5,"events":[{"type":"memberJoined","joined":{"members":{}}}]}`,
		`{"events":{"type":"message"}}`,
		`{"events":null}`,
		`null`,
	} {
		f.Add([]byte(body), true)
	}
	f.Add([]byte(`{"destination":"U0123456789abcdef0123456789abcdef","events":[{"type":"follow"}]}`), true)
	f.Add([]byte(`{"destination":"Uother","DESTINATION":"U0123456789abcdef0123456789abcdef","events":[{"type":"follow"}]}`), true)
	a, err := line.New(line.Config{ChannelSecret: secret, AccessToken: "t"}, nil)
	require.NoError(f, err)
	const bot = "U0123456789abcdef0123456789abcdef"
	checked, err := line.New(line.Config{ChannelSecret: secret, AccessToken: "t", BotUserID: bot}, nil)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, body []byte, sign bool) {
		// With a bot user ID, a body that parses is refused exactly when it has events and names another
		// bot, and the refusal never quotes the body.
		defer func() {
			want, wantErr := a.ParseBody(body)
			got, err := checked.ParseWebhook(signedRequest(secret, body))
			if wantErr != nil {
				require.ErrorIs(t, err, channel.ErrInvalidRequest)
				return
			}
			var top struct {
				Destination json.RawMessage `json:"destination"`
			}
			_ = json.Unmarshal(body, &top)
			var dest string
			_ = json.Unmarshal(top.Destination, &dest)
			if len(want) == 0 || dest == bot {
				require.NoError(t, err)
				require.Equal(t, want, got)
				return
			}
			require.ErrorIs(t, err, line.ErrOtherDestination)
			require.Nil(t, got)
			if b := strings.TrimSpace(string(body)); len(b) > 16 {
				require.NotContains(t, err.Error(), b, "errors never repeat the body")
			}
		}()
		r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		if sign {
			r.Header.Set(line.SignatureHeader, signature(secret, body))
		} else {
			r.Header.Set(line.SignatureHeader, signature("wrong", body))
		}
		events, err := a.ParseWebhook(r)
		if !sign {
			require.ErrorIs(t, err, channel.ErrInvalidSignature, "an unsigned body must never yield events")
			require.Nil(t, events)
			return
		}
		// A verified body whose top level decodes with an "events" array (or without one) never fails, and
		// yields one event per element, whatever the elements hold.
		var top struct {
			Events []json.RawMessage `json:"events"`
		}
		if json.Unmarshal(body, &top) == nil {
			require.NoError(t, err, "only the top level may fail a verified body")
			require.Len(t, events, len(top.Events), "one event per element of the events array")
		}
		if err != nil {
			require.Nil(t, events)
			require.ErrorIs(t, err, channel.ErrInvalidRequest)
			if b := strings.TrimSpace(string(body)); len(b) > 16 { // a short body may match the error by chance
				require.NotContains(t, err.Error(), b, "errors never repeat the body")
			}
			return
		}
		for _, e := range events {
			require.NotEmpty(t, e.Kind)
			if e.Kind == channel.EventUnknown {
				require.True(t, json.Valid(e.Raw), "an unknown event keeps its JSON")
			}
			if e.Message != nil && e.Message.Type == channel.TypeRaw {
				require.True(t, json.Valid(e.Message.Raw), "an unknown message keeps its JSON")
			}
		}
	})
}
