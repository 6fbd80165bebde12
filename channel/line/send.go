package line

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/id"
)

// Send replies when opt.ReplyToken is set and pushes otherwise.
//
// A reply is free but its token works once and only for about a minute; an expired or used token fails
// with an error wrapping channel.ErrReplyTokenInvalid, and the caller may push instead — unless an
// earlier attempt with the token may have been delivered (channel.MayHaveSent): LINE answers a used
// token exactly as an expired one. A push counts against the monthly quota and carries opt.RetryKey as
// X-Line-Retry-Key: LINE delivers a push once per key, and answers a repeat of an accepted one with 409,
// which Send reports as success with Duplicate set and the accepted request's message IDs. Without a
// RetryKey, Send makes one for this call only, so the caller's own retries are not deduplicated.
//
// Everything is checked before anything is sent, and refused with an error wrapping
// channel.ErrInvalidRequest: more than MaxMessages messages, a message failing channel.Message.Validate,
// text longer than MaxTextLength UTF-16 code units, a RetryKey that is not a UUID (LINE would refuse it),
// and any part LINE cannot carry on that message (see Limits): nothing is dropped silently.
//
// When the request fails without an answer, the error is an *channel.APIError with Status 0;
// channel.MayHaveSent reports false for it only if no connection to LINE was made.
func (a *Adapter) Send(ctx context.Context, to channel.Peer, msgs []channel.Message, opt channel.SendOptions) (channel.SendResult, error) {
	if err := ctx.Err(); err != nil {
		return channel.SendResult{}, err
	}
	out, err := outbound(to, msgs)
	if err != nil {
		return channel.SendResult{}, err
	}
	if opt.ReplyToken != "" {
		return a.reply(ctx, out, opt)
	}
	if opt.RetryKey != "" && !validRetryKey(opt.RetryKey) {
		return channel.SendResult{}, fmt.Errorf("line push: the retry key must be a UUID (8-4-4-4-12 hexadecimal digits): %w", channel.ErrInvalidRequest)
	}
	return a.push(ctx, to, out, opt)
}

func (a *Adapter) reply(ctx context.Context, msgs []messaging_api.MessageInterface, opt channel.SendOptions) (channel.SendResult, error) {
	api, err := a.client(ctx)
	if err != nil {
		return channel.SendResult{}, err
	}
	ctx, connected := traceConnection(ctx)
	res, body, err := api.WithContext(ctx).ReplyMessageWithHttpInfo(&messaging_api.ReplyMessageRequest{
		ReplyToken: opt.ReplyToken, Messages: msgs, NotificationDisabled: opt.Silent})
	if err != nil {
		return channel.SendResult{}, a.sendError(ctx, "reply", res, err, connected.Load())
	}
	return channel.SendResult{MessageIDs: sentIDs(body.SentMessages), RequestID: res.Header.Get("X-Line-Request-Id")}, nil
}

func (a *Adapter) push(ctx context.Context, to channel.Peer, msgs []messaging_api.MessageInterface, opt channel.SendOptions) (channel.SendResult, error) {
	api, err := a.client(ctx)
	if err != nil {
		return channel.SendResult{}, err
	}
	key := opt.RetryKey
	if key == "" {
		key = id.New()
	}
	ctx, connected := traceConnection(ctx)
	res, body, err := api.WithContext(ctx).PushMessageWithHttpInfo(&messaging_api.PushMessageRequest{
		To: to.ID, Messages: msgs, NotificationDisabled: opt.Silent,
		CustomAggregationUnits: []string{}, // LINE's spec rejects null here
	}, key)
	if res != nil && res.StatusCode == http.StatusConflict {
		if dup, ok := duplicate(res); ok {
			return dup, nil
		}
	}
	if err != nil {
		return channel.SendResult{}, a.sendError(ctx, "push", res, err, connected.Load())
	}
	return channel.SendResult{MessageIDs: sentIDs(body.SentMessages), RequestID: res.Header.Get("X-Line-Request-Id"),
		Billable: true}, nil
}

// duplicate reads LINE's 409 answer to a push whose retry key was accepted before: the accepted
// request's ID and the messages it sent. A 409 without x-line-accepted-request-id is not one.
func duplicate(res *http.Response) (channel.SendResult, bool) {
	accepted := res.Header.Get("X-Line-Accepted-Request-Id")
	if accepted == "" {
		return channel.SendResult{}, false
	}
	var body messaging_api.ErrorResponse
	if res.Body != nil {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		_ = json.Unmarshal(raw, &body) // the IDs are a bonus: the send succeeded either way
	}
	var ids []string
	if len(body.SentMessages) > 0 {
		ids = sentIDs(body.SentMessages)
	}
	return channel.SendResult{MessageIDs: ids, RequestID: res.Header.Get("X-Line-Request-Id"), Duplicate: true,
		AcceptedRequestID: accepted, Billable: true}, true
}

// client returns a Messaging API client for one call, bound to ctx. The SDK's WithContext mutates the
// client, so clients are never shared.
func (a *Adapter) client(ctx context.Context) (*messaging_api.MessagingApiAPI, error) {
	token, err := a.tokens.Token(ctx)
	if err != nil {
		return nil, err
	}
	api, err := messaging_api.NewMessagingApiAPI(token,
		messaging_api.WithEndpoint(a.api), messaging_api.WithHTTPClient(a.http))
	if err != nil {
		return nil, fmt.Errorf("line: client: %w", err)
	}
	return api.WithContext(ctx), nil
}

// traceConnection returns ctx with a trace that records whether the HTTP client got a connection to
// LINE: a send that failed before it did cannot have been delivered.
func traceConnection(ctx context.Context) (context.Context, *atomic.Bool) {
	var connected atomic.Bool
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connected.Store(true) },
	}), &connected
}

func sentIDs(sent []messaging_api.SentMessage) []string {
	ids := make([]string, len(sent))
	for i, s := range sent {
		ids[i] = s.Id
	}
	return ids
}

// validRetryKey reports whether key is a UUID in the hexadecimal 8-4-4-4-12 form LINE requires of
// X-Line-Retry-Key (any version; either case).
func validRetryKey(key string) bool {
	if len(key) != 36 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
