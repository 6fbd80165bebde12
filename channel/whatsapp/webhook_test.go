package whatsapp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
)

// Every body in testdata/webhooks parses to the events in its golden file.
func TestWebhookGolden(t *testing.T) {
	t.Parallel()
	a := newFake(t, nil).adapter(whatsappConfig(), nil)
	files, err := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			body := readWebhook(t, name)
			events, err := a.ParseWebhook(signedRequest(appSecret, body))
			require.NoError(t, err)
			out, err := json.MarshalIndent(events, "", "  ")
			require.NoError(t, err)
			golden(t, filepath.Join("webhooks", name), append(out, '\n'))
			ids := map[string]bool{}
			for _, e := range events {
				require.NotEmpty(t, e.ID, "every event has an ID to deduplicate on")
				require.False(t, ids[e.ID], "event IDs are unique within a body")
				ids[e.ID] = true
				if e.Kind == channel.EventUnknown {
					require.NotEmpty(t, e.Raw, "an unknown event keeps its JSON")
				}
			}
			again, err := a.ParseBody(body)
			require.NoError(t, err)
			require.Equal(t, events, again, "parsing is deterministic: redeliveries get the same IDs")
		})
	}
}

func parseOne(t *testing.T, a *whatsapp.Adapter, name string) channel.Event {
	t.Helper()
	events, err := a.ParseWebhook(signedRequest(appSecret, readWebhook(t, name)))
	require.NoError(t, err)
	require.Len(t, events, 1)
	return events[0]
}

// The mapping of each of Meta's examples, field by field.
func TestWebhookMapsMetaExamples(t *testing.T) {
	t.Parallel()
	a := newFake(t, nil).adapter(whatsappConfig(), nil)
	const account, customer = "106540352242922", "16505551234"

	e := parseOne(t, a, "text.json")
	require.Equal(t, "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", e.ID, "a message's event ID is its wamid")
	require.Equal(t, account, e.Account)
	require.Equal(t, channel.EventMessage, e.Kind)
	require.Equal(t, channel.User(customer), e.Source)
	require.Equal(t, time.Unix(1749416383, 0).UTC(), e.Time)
	require.Equal(t, &channel.Message{Type: channel.TypeText, ID: e.ID, Text: "Does it come in another color?"}, e.Message)
	require.Equal(t, &channel.Profile{UserID: customer, DisplayName: "Sheena Nelson"}, e.Profile, "the sender's profile, from value.contacts")

	e = parseOne(t, a, "text-context-product.json")
	require.Equal(t, "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA", e.Message.QuotedMessageID)
	require.Contains(t, string(e.Raw), "referred_product", "what is not modelled is kept in Event.Raw")

	e = parseOne(t, a, "image.json")
	require.Equal(t, channel.TypeImage, e.Message.Type)
	require.Equal(t, "Taj Mahal", e.Message.Text, "the caption")
	require.Equal(t, &channel.Media{ID: "1003383421387256", ContentType: "image/jpeg"}, e.Message.Media)
	require.Equal(t, "1003383421387256", channel.ContentRef(*e.Message), "content is fetched by the media ID")

	e = parseOne(t, a, "document.json")
	require.Equal(t, channel.TypeFile, e.Message.Type)
	require.Equal(t, &channel.Media{ID: "1003383421387259", ContentType: "application/pdf", FileName: "receipt.pdf"}, e.Message.Media)

	e = parseOne(t, a, "audio-voice.json")
	require.Equal(t, channel.TypeAudio, e.Message.Type)
	require.Equal(t, "1003383421387258", channel.ContentRef(*e.Message))

	e = parseOne(t, a, "video.json")
	require.Equal(t, channel.TypeVideo, e.Message.Type)
	require.Equal(t, "My vacation video", e.Message.Text)

	e = parseOne(t, a, "sticker-animated.json")
	require.Equal(t, &channel.Sticker{StickerID: "1003383421387260", ResourceType: "ANIMATION"}, e.Message.Sticker)
	require.Equal(t, "1003383421387260", channel.ContentRef(*e.Message), "a sticker's WebP is fetched by its media ID")

	e = parseOne(t, a, "location.json")
	require.Equal(t, &channel.Location{Title: "Philz Coffee", Address: "101 Forest Ave, Palo Alto, CA 94301",
		Latitude: 37.44221496582, Longitude: -122.16165924072}, e.Message.Location)
	require.Empty(t, e.Message.Raw)

	e = parseOne(t, a, "contacts.json")
	require.Equal(t, channel.TypeRaw, e.Message.Type)
	require.Equal(t, "Lucía Gómez: +1 (983) 555-2319", e.Message.Text)
	require.Contains(t, string(e.Message.Raw), `"org"`)

	e = parseOne(t, a, "interactive-button-reply.json")
	require.Equal(t, channel.EventMessage, e.Kind, "a reply is the customer writing: it opens the window")
	require.Equal(t, channel.TypeText, e.Message.Type)
	require.Equal(t, "Cancel", e.Message.Text)
	require.Equal(t, "cancel-button", whatsapp.ReplyID(*e.Message))
	require.Equal(t, "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA", e.Message.QuotedMessageID)

	e = parseOne(t, a, "interactive-list-reply.json")
	require.Equal(t, "Priority Mail Express", e.Message.Text)
	require.Equal(t, "priority_express", whatsapp.ReplyID(*e.Message))

	e = parseOne(t, a, "button.json")
	require.Equal(t, "Unsubscribe", e.Message.Text)
	require.Equal(t, "Unsubscribe", whatsapp.ReplyID(*e.Message))

	e = parseOne(t, a, "reaction.json")
	require.Equal(t, channel.EventReaction, e.Kind)
	require.Nil(t, e.Message)
	require.Equal(t, &channel.Reaction{MessageID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA", Emoji: "👍"}, e.Reaction)

	e = parseOne(t, a, "reaction-removed.synthetic.json")
	require.Equal(t, channel.EventReaction, e.Kind)
	require.Empty(t, e.Reaction.Emoji, "a reaction taken off has no emoji")

	e = parseOne(t, a, "unsupported.json")
	require.Equal(t, channel.TypeRaw, e.Message.Type)
	require.Contains(t, string(e.Message.Raw), "131051")

	e = parseOne(t, a, "order.json")
	require.Equal(t, channel.TypeRaw, e.Message.Type)

	e = parseOne(t, a, "system.json")
	require.Equal(t, channel.EventUnknown, e.Kind, "a system notice is not the customer writing")
	require.Equal(t, "system", e.Type)

	e = parseOne(t, a, "status-failed.json")
	require.Equal(t, channel.EventReceipt, e.Kind)
	require.Equal(t, "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA:failed", e.ID)
	require.Equal(t, &channel.Receipt{MessageID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA",
		Status: channel.ReceiptFailed, Error: "131047 Re-engagement message"}, e.Receipt)
	require.Equal(t, channel.User(customer), e.Source)
	require.Equal(t, account, e.Account)

	for name, status := range map[string]channel.ReceiptStatus{"status-sent.json": channel.ReceiptSent,
		"status-delivered.json": channel.ReceiptDelivered, "status-read.json": channel.ReceiptRead} {
		e = parseOne(t, a, name)
		require.Equal(t, status, e.Receipt.Status, name)
		require.Empty(t, e.Receipt.Error, name)
		require.Equal(t, e.Receipt.MessageID+":"+string(status), e.ID, name)
	}

	e = parseOne(t, a, "errors.json")
	require.Equal(t, channel.EventUnknown, e.Kind)
	require.Equal(t, "error", e.Type)
	require.Contains(t, string(e.Raw), "130429")

	e = parseOne(t, a, "template-status-update.synthetic.json")
	require.Equal(t, channel.EventUnknown, e.Kind)
	require.Equal(t, "message_template_status_update", e.Type)

	e = parseOne(t, a, "group-lifecycle-update.json")
	require.Equal(t, channel.EventUnknown, e.Kind)
	require.Equal(t, "group_lifecycle_update", e.Type)
}

// Several entries, changes, messages and statuses in one body: one event each, in order, each naming
// the phone number that received it.
func TestWebhookSeveralEntries(t *testing.T) {
	t.Parallel()
	a := newFake(t, nil).adapter(whatsappConfig(), nil)
	events, err := a.ParseWebhook(signedRequest(appSecret, readWebhook(t, "multi-entries.synthetic.json")))
	require.NoError(t, err)
	require.Len(t, events, 4)
	require.Equal(t, []channel.EventKind{channel.EventMessage, channel.EventMessage, channel.EventReceipt, channel.EventReceipt},
		[]channel.EventKind{events[0].Kind, events[1].Kind, events[2].Kind, events[3].Kind})
	require.Equal(t, "Sheena Nelson", events[0].Profile.DisplayName)
	require.Equal(t, &channel.Profile{UserID: "19835552319", DisplayName: "Lucía Gómez"}, events[1].Profile, "each message carries its own sender's profile")
	require.Nil(t, events[2].Profile, "a receipt names no sender")
	require.Equal(t, channel.User("19835552319"), events[1].Source)
	require.Equal(t, "106540352242923", events[2].Account, "each change names its own phone number")
	require.Equal(t, "106540352242922", events[3].Account)
}

// One odd message or status never fails its neighbours.
func TestWebhookOddPartsAreKept(t *testing.T) {
	t.Parallel()
	a := newFake(t, nil).adapter(whatsappConfig(), nil)
	events, err := a.ParseWebhook(signedRequest(appSecret, readWebhook(t, "odd-neighbours.synthetic.json")))
	require.NoError(t, err)
	require.Len(t, events, 5)
	require.Equal(t, channel.TypeText, events[0].Message.Type)
	require.Equal(t, channel.EventUnknown, events[1].Kind, "a text whose body is a number does not decode")
	require.Equal(t, "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTA2NTUwRkNEMDdFQjJCRUU0NQA=", events[1].ID, "its ID is recovered")
	require.Equal(t, channel.User("16505551234"), events[1].Source)
	require.Equal(t, "text", events[1].Type)
	require.Equal(t, channel.EventMessage, events[2].Kind, "an unknown message type is still the customer writing")
	require.Equal(t, channel.TypeRaw, events[2].Message.Type)
	require.JSONEq(t, `{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUQ0N0VFMDA2MTQ0RkJFNkNDNAA=","timestamp":"1749416385","type":"hologram","hologram":{"depth":3}}`,
		string(events[2].Message.Raw))
	require.Equal(t, channel.EventUnknown, events[3].Kind, "a status that does not decode")
	require.Equal(t, channel.EventUnknown, events[4].Kind, "a status WhatsApp added later")
	require.Equal(t, "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA:played", events[4].ID)
}

func TestWebhookRejectsBadSignatures(t *testing.T) {
	t.Parallel()
	a := newFake(t, nil).adapter(whatsappConfig(), nil)
	body := readWebhook(t, "text.json")
	good := watest.Sign(appSecret, body)
	for name, sig := range map[string]string{
		"missing":        "",
		"no prefix":      strings.TrimPrefix(good, "sha256="),
		"sha1 prefix":    "sha1=" + strings.TrimPrefix(good, "sha256="),
		"not hex":        "sha256=zz",
		"short":          "sha256=abcd",
		"other secret":   watest.Sign("othersecret", body),
		"upper-case hex": "sha256=" + strings.ToUpper(strings.Repeat("0", 64)),
	} {
		r := signedRequest(appSecret, body)
		r.Header.Set(whatsapp.SignatureHeader, sig)
		events, err := a.ParseWebhook(r)
		require.ErrorIs(t, err, channel.ErrInvalidSignature, name)
		require.Nil(t, events, name)
	}
	// Meta sends lower-case hex; upper-case hex of the right signature is the same bytes and verifies.
	r := signedRequest(appSecret, body)
	r.Header.Set(whatsapp.SignatureHeader, "sha256="+strings.ToUpper(strings.TrimPrefix(good, "sha256=")))
	_, err := a.ParseWebhook(r)
	require.NoError(t, err)
}

// Through channel.Handler: a signature failure is 401 and the sink is never called.
func TestWebhookSignatureFailureThroughHandler(t *testing.T) {
	t.Parallel()
	a := newFake(t, nil).adapter(whatsappConfig(), nil)
	var rejected []int
	h, err := channel.NewHandler("wa-1", a, func(context.Context, channel.Delivery) error {
		t.Error("the sink must not be called")
		return nil
	}, &channel.HandlerOptions{Rejected: func(status int, _ error) { rejected = append(rejected, status) }})
	require.NoError(t, err)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signedRequest("wrong-secret", readWebhook(t, "text.json")))
	require.Equal(t, http.StatusUnauthorized, w.Code)
	require.Equal(t, []int{http.StatusUnauthorized}, rejected)
}

// After an app secret reset the previous secret verifies until the changeover ends.
func TestWebhookSecretRotation(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	f := newFake(t, nil)
	a := f.adapter(whatsapp.Config{AppSecret: "new-secret", PreviousAppSecret: appSecret, PreviousAppSecretUntil: now.Add(time.Hour)},
		&whatsapp.Options{Now: clock})
	body := readWebhook(t, "text.json")
	_, err := a.ParseWebhook(signedRequest("new-secret", body))
	require.NoError(t, err)
	_, err = a.ParseWebhook(signedRequest(appSecret, body))
	require.NoError(t, err, "the previous secret works during the changeover")
	now = now.Add(time.Hour)
	_, err = a.ParseWebhook(signedRequest(appSecret, body))
	require.ErrorIs(t, err, channel.ErrInvalidSignature)

	_, err = whatsapp.New(whatsapp.Config{PhoneNumberID: "1", AccessToken: "t", AppSecret: "s", PreviousAppSecret: "p"}, nil)
	require.Error(t, err, "a changeover without an end is refused")
}

// A body that verifies but is not a JSON object with an "entry" array is an invalid request, and the
// error holds none of it.
func TestWebhookMalformedBodyErrorHoldsNoBody(t *testing.T) {
	t.Parallel()
	a := newFake(t, nil).adapter(whatsappConfig(), nil)
	for name, body := range map[string]string{
		"truncated":       `{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"text":{"body":"Call me at 090-1234-5678"}`,
		"not JSON":        `Call me at 090-1234-5678`,
		"a string":        `"Call me at 090-1234-5678"`,
		"an array":        `[{"text":{"body":"Call me at 090-1234-5678"}}]`,
		"null":            `null`,
		"entry is object": `{"entry":{"text":{"body":"Call me at 090-1234-5678"}}}`,
		"entry is string": `{"entry":"Call me at 090-1234-5678"}`,
	} {
		events, err := a.ParseWebhook(signedRequest(appSecret, []byte(body)))
		require.ErrorIs(t, err, channel.ErrInvalidRequest, name)
		require.Nil(t, events, name)
		require.NotContains(t, err.Error(), "090", name)
	}
}

func TestHandshake(t *testing.T) {
	t.Parallel()
	a := newFake(t, nil).adapter(whatsappConfig(), nil)
	h, err := channel.NewHandler("wa-1", a, func(context.Context, channel.Delivery) error { return nil }, nil)
	require.NoError(t, err)
	get := func(query string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/webhooks/whatsapp?"+query, nil))
		return w
	}
	w := get("hub.mode=subscribe&hub.verify_token=" + verifyToken + "&hub.challenge=1158201444")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "1158201444", w.Body.String(), "the challenge is echoed")

	require.Equal(t, http.StatusForbidden, get("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444").Code)
	for name, q := range map[string]string{
		"no mode":        "hub.verify_token=" + verifyToken + "&hub.challenge=1",
		"other mode":     "hub.mode=unsubscribe&hub.verify_token=" + verifyToken + "&hub.challenge=1",
		"no token":       "hub.mode=subscribe&hub.challenge=1",
		"no challenge":   "hub.mode=subscribe&hub.verify_token=" + verifyToken,
		"markup":         "hub.mode=subscribe&hub.verify_token=" + verifyToken + "&hub.challenge=%3Cscript%3E",
		"huge challenge": "hub.mode=subscribe&hub.verify_token=" + verifyToken + "&hub.challenge=" + strings.Repeat("1", 300),
		"nothing":        "",
	} {
		require.Equal(t, http.StatusBadRequest, get(q).Code, name)
	}

	// The fake builds the same request Meta sends.
	r, err := watest.NewHandshakeRequest(t.Context(), "https://crm.example/webhooks/whatsapp", verifyToken, "42")
	require.NoError(t, err)
	got, err := a.Handshake(r)
	require.NoError(t, err)
	require.Equal(t, "42", string(got))

	// Without a verify token configured, every handshake is refused.
	noToken, err := whatsapp.New(whatsapp.Config{PhoneNumberID: "1", AccessToken: "t", AppSecret: "s"}, nil)
	require.NoError(t, err)
	_, err = noToken.Handshake(r)
	require.ErrorIs(t, err, channel.ErrInvalidSignature)
}

// The parser never panics, and a verified body that is a JSON object with an "entry" array never
// fails: every part it cannot map becomes an unknown event.
func FuzzParseWebhook(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"type":"text","text":{"body":1}}]}}]}]}`))
	f.Add([]byte(`{"entry":[1,"x",null,{"changes":"no"}]}`))
	f.Add([]byte(`{"object":1,"entry":[]}`))
	a, err := whatsapp.New(whatsapp.Config{PhoneNumberID: "1", AccessToken: "t", AppSecret: appSecret}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := a.ParseWebhook(signedRequest(appSecret, body))
		var top map[string]json.RawMessage
		shaped := json.Unmarshal(body, &top) == nil && top != nil
		if shaped {
			var entries []json.RawMessage
			if raw, ok := top["entry"]; ok && string(raw) != "null" {
				shaped = json.Unmarshal(raw, &entries) == nil
			}
		}
		if shaped && err != nil {
			t.Fatalf("a webhook-shaped body failed: %v", err)
		}
		if err != nil {
			return
		}
		for _, e := range events {
			if e.ID == "" || e.Kind == "" {
				t.Fatalf("an event without an ID or kind: %+v", e)
			}
			if e.Kind == channel.EventUnknown && len(e.Raw) == 0 {
				t.Fatalf("an unknown event without its JSON")
			}
		}
	})
}
