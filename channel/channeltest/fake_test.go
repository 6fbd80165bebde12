package channeltest_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
)

// The Fake is an adapter too: it must pass the suite adapter authors run.
func TestFakePassesRunAdapter(t *testing.T) {
	channeltest.RunAdapter(t, channeltest.Harness{New: func(t *testing.T) channeltest.Instance {
		f := channeltest.NewFake(nil)
		return channeltest.Instance{
			Adapter:         f,
			SignatureHeader: channeltest.SignatureHeader,
			Sign:            f.Sign,
			Webhook: func(c channeltest.WebhookCase) []byte {
				switch c {
				case channeltest.WebhookText:
					msg := channel.Text("hello")
					msg.ID = "m-1"
					return f.Body(channel.Event{ID: "ev-1", Kind: channel.EventMessage, Time: channeltestT0,
						Source: channel.User("U1"), Message: &msg})
				case channeltest.WebhookUnknown:
					raw, _ := json.Marshal(map[string]any{"events": []any{map[string]any{"id": "ev-2", "kind": "things", "time": channeltestT0}}})
					return raw
				case channeltest.WebhookImage:
					f.SetContent("m-3", "image/jpeg", []byte(channeltest.ImageContent))
					return f.Body(channel.Event{ID: "ev-3", Kind: channel.EventMessage, Time: channeltestT0, Source: channel.User("U1"),
						Message: &channel.Message{Type: channel.TypeImage, ID: "m-3", Media: &channel.Media{ContentType: "image/jpeg"}}})
				default:
					return f.Body()
				}
			},
			FailNext: func(fl channeltest.Failure) { f.Fail(channeltest.OpSend, failureError(fl)) },
			To:       channel.User("U1"),
		}
	}})
}

var channeltestT0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func failureError(f channeltest.Failure) error {
	return channeltest.Error(map[channeltest.Failure]error{
		channeltest.FailRateLimited:  channel.ErrRateLimited,
		channeltest.FailQuota:        channel.ErrQuotaExceeded,
		channeltest.FailUnauthorized: channel.ErrUnauthorized,
		channeltest.FailInvalid:      channel.ErrInvalidRequest,
		channeltest.FailReplyToken:   channel.ErrReplyTokenInvalid,
		channeltest.FailNotFound:     channel.ErrNotFound,
		channeltest.FailServer:       channel.ErrUnavailable,
	}[f])
}

func TestFakeReplyTokensWorkOnce(t *testing.T) {
	t.Parallel()
	f := channeltest.NewFake(nil)
	msgs := []channel.Message{channel.Text("hi")}
	res, err := f.Send(t.Context(), channel.User("U1"), msgs, channel.SendOptions{ReplyToken: "rt"})
	require.NoError(t, err)
	require.False(t, res.Billable, "a reply is free")
	_, err = f.Send(t.Context(), channel.User("U1"), msgs, channel.SendOptions{ReplyToken: "rt"})
	require.ErrorIs(t, err, channel.ErrReplyTokenInvalid)
	require.ErrorIs(t, err, channel.ErrInvalidRequest)
	require.Len(t, f.Delivered(), 1)
	require.Len(t, f.Sends(), 2, "failed sends are recorded too")
}

func TestFakeRetryKeyDeliversOnce(t *testing.T) {
	t.Parallel()
	f := channeltest.NewFake(nil)
	msgs := []channel.Message{channel.Text("hi")}
	opt := channel.SendOptions{RetryKey: "k1"}
	f.Fail(channeltest.OpSend, channeltest.Error(channel.ErrRateLimited))
	_, err := f.Send(t.Context(), channel.User("U1"), msgs, opt)
	require.ErrorIs(t, err, channel.ErrRateLimited)
	require.Equal(t, time.Second, channel.RetryAfter(err))
	first, err := f.Send(t.Context(), channel.User("U1"), msgs, opt)
	require.NoError(t, err)
	require.True(t, first.Billable, "a push is billable")
	again, err := f.Send(t.Context(), channel.User("U1"), msgs, opt)
	require.NoError(t, err)
	require.True(t, again.Duplicate, "a push repeated with its retry key is a duplicate")
	require.Equal(t, first.RequestID, again.AcceptedRequestID)
	require.Len(t, f.Delivered(), 1, "delivered once")
	other, err := f.Send(t.Context(), channel.User("U1"), msgs, channel.SendOptions{RetryKey: "k2"})
	require.NoError(t, err)
	require.False(t, other.Duplicate)
}

func TestFakeScriptedFailuresComeInOrder(t *testing.T) {
	t.Parallel()
	f := channeltest.NewFake(nil)
	f.Fail(channeltest.OpProfile, channeltest.Error(channel.ErrUnavailable), nil, channeltest.Error(channel.ErrUnauthorized))
	f.SetProfile(channel.Profile{UserID: "U1"})
	_, err := f.Profile(t.Context(), channel.User("U1"))
	require.ErrorIs(t, err, channel.ErrUnavailable)
	_, err = f.Profile(t.Context(), channel.User("U1"))
	require.NoError(t, err, "a nil entry lets the call through")
	_, err = f.Profile(t.Context(), channel.User("U1"))
	require.ErrorIs(t, err, channel.ErrUnauthorized)
	_, err = f.Profile(t.Context(), channel.User("U1"))
	require.NoError(t, err, "the script is used up")
}

func TestFakeParsesEveryEventKindItKnows(t *testing.T) {
	t.Parallel()
	f := channeltest.NewFake(nil)
	in := []channel.Event{
		{ID: "1", Kind: channel.EventFollow, Time: channeltestT0, Source: channel.User("U1"), Unblocked: true},
		{ID: "2", Kind: channel.EventPostback, Time: channeltestT0, Source: channel.User("U1"), Postback: &channel.Postback{Data: "a=1"}},
		{ID: "3", Kind: channel.EventMemberJoined, Time: channeltestT0, Source: channel.Group("G1", ""), Members: []channel.Peer{channel.User("U2")}},
	}
	out, err := f.ParseWebhook(f.Request(in...))
	require.NoError(t, err)
	require.Equal(t, in, out)
}

func TestFakeRefusesWhatAChannelWould(t *testing.T) {
	t.Parallel()
	f := channeltest.NewFake(nil)
	long := make([]rune, 5001)
	for i := range long {
		long[i] = 'a'
	}
	for name, msgs := range map[string][]channel.Message{
		"none":          nil,
		"too long text": {channel.Text(string(long))},
		"file":          {{Type: channel.TypeFile, Media: &channel.Media{URL: "https://x.example/f.pdf"}}},
	} {
		_, err := f.Send(t.Context(), channel.User("U1"), msgs, channel.SendOptions{})
		require.ErrorIs(t, err, channel.ErrInvalidRequest, name)
	}
	_, err := f.Send(t.Context(), channel.Peer{}, []channel.Message{channel.Text("x")}, channel.SendOptions{})
	require.ErrorIs(t, err, channel.ErrInvalidRequest, "no recipient")
	require.Empty(t, f.Sends(), "refused sends never reach the channel")
}

func FuzzFakeParseWebhook(f *testing.F) {
	fake := channeltest.NewFake(nil)
	f.Add(fake.Body(), true)
	f.Add([]byte(`{"events":[{"id":"1","kind":"things"}]}`), true)
	f.Add([]byte(`{"events":[{"id":"1","kind":"message","message":{"type":"text","text":"hi"}}]}`), false)
	f.Add([]byte(`{"events":[`), true)
	f.Fuzz(func(t *testing.T, body []byte, sign bool) {
		r := fake.SignedRequest(body)
		if !sign {
			r.Header.Set(channeltest.SignatureHeader, "AAAA")
		}
		events, err := fake.ParseWebhook(r)
		if !sign {
			require.ErrorIs(t, err, channel.ErrInvalidSignature)
		}
		if err != nil {
			require.Empty(t, events, "no events with an error")
		}
	})
}
