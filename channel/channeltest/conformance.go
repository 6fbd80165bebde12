package channeltest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
)

// WebhookCase names a webhook an adapter's harness must be able to produce.
type WebhookCase string

// Webhook cases.
const (
	// WebhookText: one message event from a user, a text message reading exactly "hello".
	WebhookText WebhookCase = "text"
	// WebhookUnknown: one event of a type the adapter does not know (e.g. a type the channel added later).
	WebhookUnknown WebhookCase = "unknown"
	// WebhookEmpty: no events, as channels send to test an endpoint.
	WebhookEmpty WebhookCase = "empty"
	// WebhookImage: one message event from a user, an image message whose content the channel (its
	// fake) serves as exactly the bytes of ImageContent. Optional: an Instance.Webhook that returns nil
	// for it, or an adapter that is no channel.ContentFetcher, skips the rule that uses it.
	WebhookImage WebhookCase = "image"
)

// ImageContent is the content of the image of WebhookImage.
const ImageContent = "channeltest image content \x00\xff"

// Failure names an API failure an adapter's harness must be able to provoke on the next call.
type Failure string

// Failures, with the category RunAdapter expects the adapter to map them to.
const (
	FailRateLimited  Failure = "rate limited"    // 429 → ErrRateLimited, retryable
	FailQuota        Failure = "quota exceeded"  // the channel's "quota used up" answer → ErrQuotaExceeded, not retryable
	FailUnauthorized Failure = "unauthorized"    // 401 → ErrUnauthorized
	FailInvalid      Failure = "invalid request" // 400 → ErrInvalidRequest
	FailReplyToken   Failure = "reply token"     // the channel's answer to a used reply token → ErrInvalidRequest + ErrReplyTokenInvalid
	FailNotFound     Failure = "not found"       // 404 → ErrNotFound
	FailServer       Failure = "server error"    // 500 → ErrUnavailable, retryable
)

// Harness connects RunAdapter to an adapter under test.
type Harness struct {
	// New returns a fresh instance of the adapter under test, with whatever fake of the channel's API it
	// talks to. Release resources with t.Cleanup.
	New func(t *testing.T) Instance
}

// Instance is one adapter under test and the controls the suite needs.
type Instance struct {
	Adapter channel.Adapter
	// SignatureHeader is the request header carrying the webhook signature.
	SignatureHeader string
	// Sign returns the signature header value for body.
	Sign func(body []byte) string
	// Webhook returns the body of a webhook of case c (the suite signs it).
	Webhook func(c WebhookCase) []byte
	// FailNext makes the adapter's next API call fail as f says.
	FailNext func(f Failure)
	// Unsupported lists the failures the channel has no counterpart of (WhatsApp has no reply tokens
	// and no quota answer): their ErrorCategory rules are skipped, saying so. FailNext is never called
	// with them.
	Unsupported []Failure
	// To is a chat the adapter can send to.
	To channel.Peer
}

// secretMarker is placed in message text sent during failure checks; it must never appear in an error.
const secretMarker = "PERSONAL-DATA-7f3a"

// RunAdapter is the conformance suite for channel adapters. Each subtest is named after the rule it checks.
func RunAdapter(t *testing.T, h Harness) {
	adapterRule := func(name string, f func(t *testing.T, in Instance)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := h.New(t)
			require.NotNil(t, in.Adapter, "Harness.New returned no adapter")
			f(t, in)
		})
	}
	signed := func(in Instance, body []byte) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(in.SignatureHeader, in.Sign(body))
		return r
	}

	adapterRule("KindIsNamed", func(t *testing.T, in Instance) {
		require.NotEmpty(t, in.Adapter.Kind())
	})

	adapterRule("SignedTextWebhookParses", func(t *testing.T, in Instance) {
		events, err := in.Adapter.ParseWebhook(signed(in, in.Webhook(WebhookText)))
		require.NoError(t, err)
		require.Len(t, events, 1)
		e := events[0]
		require.Equal(t, channel.EventMessage, e.Kind)
		require.NotEmpty(t, e.ID, "every event carries the channel's event ID for deduplication")
		require.False(t, e.Time.IsZero(), "every event carries its time")
		require.False(t, e.Source.IsZero(), "a message event has a source")
		require.NotNil(t, e.Message)
		require.Equal(t, channel.TypeText, e.Message.Type)
		require.Equal(t, "hello", e.Message.Text)
		require.NotEmpty(t, e.Message.ID, "an inbound message carries the channel's message ID")
	})

	for name, tamper := range map[string]func(in Instance, r *http.Request){
		"MissingSignatureIsRejected": func(in Instance, r *http.Request) { r.Header.Del(in.SignatureHeader) },
		"WrongSignatureIsRejected": func(in Instance, r *http.Request) {
			r.Header.Set(in.SignatureHeader, in.Sign([]byte("something else")))
		},
		"TamperedBodyIsRejected": func(in Instance, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(append(body, ' ')))
		},
	} {
		adapterRule(name, func(t *testing.T, in Instance) {
			r := signed(in, in.Webhook(WebhookText))
			tamper(in, r)
			events, err := in.Adapter.ParseWebhook(r)
			require.ErrorIs(t, err, channel.ErrInvalidSignature)
			require.Empty(t, events, "no event may come out of a request that failed verification")
		})
	}

	adapterRule("UnknownEventIsKeptRaw", func(t *testing.T, in Instance) {
		events, err := in.Adapter.ParseWebhook(signed(in, in.Webhook(WebhookUnknown)))
		require.NoError(t, err, "an unknown event type must not fail the batch")
		require.Len(t, events, 1, "an unknown event must not be dropped")
		require.Equal(t, channel.EventUnknown, events[0].Kind)
		require.NotEmpty(t, events[0].Type, "an unknown event keeps the channel's type name")
		require.NotEmpty(t, events[0].Raw, "an unknown event keeps its raw JSON")
	})

	adapterRule("MediaContentIsFetchedByContentRef", func(t *testing.T, in Instance) {
		if _, ok := in.Adapter.(channel.ContentFetcher); !ok {
			t.Skip("the adapter is not a channel.ContentFetcher")
		}
		body := in.Webhook(WebhookImage)
		if body == nil {
			t.Skip("the harness has no WebhookImage case")
		}
		events, err := in.Adapter.ParseWebhook(signed(in, body))
		require.NoError(t, err)
		require.Len(t, events, 1)
		m := events[0].Message
		require.NotNil(t, m, "an image message event carries its message")
		require.Equal(t, channel.TypeImage, m.Type)
		c, err := channel.FetchContent(t.Context(), in.Adapter, channel.ContentRef(*m))
		require.NoError(t, err, "FetchContent must take channel.ContentRef of the message as the adapter parsed it")
		defer c.Close()
		data, err := io.ReadAll(c)
		require.NoError(t, err)
		require.Equal(t, ImageContent, string(data))
	})

	adapterRule("EmptyWebhookIsValid", func(t *testing.T, in Instance) {
		events, err := in.Adapter.ParseWebhook(signed(in, in.Webhook(WebhookEmpty)))
		require.NoError(t, err)
		require.Empty(t, events)
	})

	adapterRule("MalformedSignedBodyIsInvalidWithoutEchoingIt", func(t *testing.T, in Instance) {
		body := []byte(`{"events":[{"type":"message","message":{"text":"` + secretMarker + `"`)
		_, err := in.Adapter.ParseWebhook(signed(in, body))
		require.ErrorIs(t, err, channel.ErrInvalidRequest)
		require.NotContains(t, err.Error(), secretMarker, "an error must not repeat the body: it holds personal data")
	})

	adapterRule("OversizedBodyIsAnswered413ByTheHandler", func(t *testing.T, in Instance) {
		called := false
		hd, err := channel.NewHandler("ch", in.Adapter, func(context.Context, channel.Delivery) error {
			called = true
			return nil
		}, &channel.HandlerOptions{MaxBodyBytes: 16})
		require.NoError(t, err)
		w := httptest.NewRecorder()
		hd.ServeHTTP(w, signed(in, in.Webhook(WebhookText)))
		require.Equal(t, http.StatusRequestEntityTooLarge, w.Code, "the adapter must return body read errors wrapped")
		require.False(t, called)
	})

	adapterRule("ArchivedBodyParsesAsTheWebhookDid", func(t *testing.T, in Instance) {
		body := in.Webhook(WebhookText)
		want, err := in.Adapter.ParseWebhook(signed(in, body))
		require.NoError(t, err)
		got, err := channel.ParseBody(in.Adapter, body)
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skip("the adapter is not a channel.BodyParser: its archived webhooks cannot be replayed")
		}
		require.NoError(t, err)
		require.Equal(t, want, got, "ParseBody must return what ParseWebhook returned for the same body")
	})

	adapterRule("LimitsAreReported", func(t *testing.T, in Instance) {
		l, err := channel.LimitsOf(in.Adapter)
		require.NoError(t, err, "an adapter must report its send limits")
		require.Positive(t, l.MaxMessages)
		require.Positive(t, l.MaxTextLength)
		require.NotEmpty(t, l.TextUnit)
		require.True(t, l.Supports(channel.TypeText), "every channel sends text")
	})

	adapterRule("MediaRulesAreConsistent", func(t *testing.T, in Instance) {
		r, err := channel.MediaRulesOf(in.Adapter)
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skip("the adapter is not a channel.MediaRuler: attachments go by the types its limits list")
		}
		require.NoError(t, err)
		l, _ := channel.LimitsOf(in.Adapter)
		seen := map[channel.MessageType]bool{}
		for _, m := range r.Media {
			require.Contains(t, []channel.MessageType{channel.TypeImage, channel.TypeVideo, channel.TypeAudio}, m.Type,
				"media rules are for image, video and audio messages")
			require.False(t, seen[m.Type], "one rule per message type (%s)", m.Type)
			seen[m.Type] = true
			require.True(t, l.Supports(m.Type), "a media rule's type (%s) must be one the channel's limits list", m.Type)
			require.NotEmpty(t, m.ContentTypes, "a %s rule names the types it takes", m.Type)
			for _, ct := range m.ContentTypes {
				require.Equal(t, strings.ToLower(strings.TrimSpace(ct)), ct, "content types are lower case, without spaces")
				require.NotContains(t, ct, ";", "content types have no parameters")
			}
			require.GreaterOrEqual(t, m.MaxBytes, int64(0))
			if p := m.Preview; p != nil {
				require.NotEmpty(t, p.ContentTypes, "a preview rule names the image types it takes")
				for _, ct := range p.ContentTypes {
					require.True(t, strings.HasPrefix(ct, "image/"), "previews are images (%s)", ct)
				}
				require.Positive(t, p.MaxBytes, "a preview rule has a size limit")
			}
		}
		require.GreaterOrEqual(t, r.MaxURLLength, 0)
	})

	adapterRule("SendReturnsAMessageIDPerMessage", func(t *testing.T, in Instance) {
		res, err := in.Adapter.Send(t.Context(), in.To, []channel.Message{channel.Text("one"), channel.Text("two")},
			channel.SendOptions{RetryKey: "2b0f6b1c-3f56-4d5c-9f5e-0d5a8f6f4a01"})
		require.NoError(t, err)
		require.Len(t, res.MessageIDs, 2)
	})

	adapterRule("TooManyMessagesIsInvalidRequest", func(t *testing.T, in Instance) {
		l, err := channel.LimitsOf(in.Adapter)
		require.NoError(t, err)
		msgs := make([]channel.Message, l.MaxMessages+1)
		for i := range msgs {
			msgs[i] = channel.Text("x")
		}
		_, err = in.Adapter.Send(t.Context(), in.To, msgs, channel.SendOptions{})
		require.ErrorIs(t, err, channel.ErrInvalidRequest)
	})

	adapterRule("InvalidMessageIsInvalidRequest", func(t *testing.T, in Instance) {
		_, err := in.Adapter.Send(t.Context(), in.To, []channel.Message{channel.Image("http://insecure.example/a.jpg", "http://insecure.example/p.jpg")},
			channel.SendOptions{})
		require.ErrorIs(t, err, channel.ErrInvalidRequest, "media must be HTTPS")
	})

	adapterRule("CancelledContextIsHonoured", func(t *testing.T, in Instance) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := in.Adapter.Send(ctx, in.To, []channel.Message{channel.Text("x")}, channel.SendOptions{})
		require.ErrorIs(t, err, context.Canceled)
	})

	categories := []struct {
		f         Failure
		want      error
		reason    error
		retryable bool
		reply     bool
	}{
		{FailRateLimited, channel.ErrRateLimited, nil, true, false},
		{FailQuota, channel.ErrQuotaExceeded, nil, false, false},
		{FailUnauthorized, channel.ErrUnauthorized, nil, false, false},
		{FailInvalid, channel.ErrInvalidRequest, nil, false, false},
		{FailReplyToken, channel.ErrInvalidRequest, channel.ErrReplyTokenInvalid, false, true},
		{FailNotFound, channel.ErrNotFound, nil, false, false},
		{FailServer, channel.ErrUnavailable, nil, true, false},
	}
	for _, c := range categories {
		adapterRule("ErrorCategory/"+strings.ReplaceAll(string(c.f), " ", "-"), func(t *testing.T, in Instance) {
			if slices.Contains(in.Unsupported, c.f) {
				t.Skipf("the channel has no %s failure (Instance.Unsupported)", c.f)
			}
			in.FailNext(c.f)
			opt := channel.SendOptions{RetryKey: "5d8c9a4e-1b2f-4c3d-8e9f-a0b1c2d3e4f5"}
			if c.reply {
				opt = channel.SendOptions{ReplyToken: "reply-token-" + secretMarker}
			}
			_, err := in.Adapter.Send(t.Context(), in.To, []channel.Message{channel.Text("hello " + secretMarker)}, opt)
			require.ErrorIs(t, err, c.want, "%s must map to %v", c.f, c.want)
			if c.reason != nil {
				require.ErrorIs(t, err, c.reason, "%s must be detectable as %v", c.f, c.reason)
			}
			var apiErr *channel.APIError
			require.ErrorAs(t, err, &apiErr, "API failures are *channel.APIError")
			require.NotZero(t, apiErr.Status, "an API error carries the HTTP status")
			require.Equal(t, in.Adapter.Kind(), apiErr.Channel)
			require.Equal(t, c.retryable, channel.IsRetryable(err), "retryability of %s", c.f)
			require.NotContains(t, err.Error(), secretMarker, "an error must not contain message text or tokens")
			require.False(t, errors.Is(err, channel.ErrInvalidSignature))
		})
	}
}
