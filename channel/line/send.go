package line

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/id"
)

// Send replies when opt.ReplyToken is set and pushes otherwise.
//
// A reply is free but its token works once and only for about a minute; an expired or used token fails
// with an error wrapping channel.ErrReplyTokenInvalid, and the caller may push instead. A push counts
// against the monthly quota and carries opt.RetryKey as X-Line-Retry-Key: LINE delivers a push once per
// key, and answers a repeat of an accepted one with 409, which Send reports as success with Duplicate
// set. Without a RetryKey, Send makes one for this call only, so the caller's own retries are not
// deduplicated.
//
// Messages are checked before anything is sent: more than MaxMessages, text longer than MaxTextLength
// UTF-16 code units, or a message failing channel.Message.Validate returns channel.ErrInvalidRequest.
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
	return a.push(ctx, to, out, opt)
}

func (a *Adapter) reply(ctx context.Context, msgs []messaging_api.MessageInterface, opt channel.SendOptions) (channel.SendResult, error) {
	api, err := a.client(ctx)
	if err != nil {
		return channel.SendResult{}, err
	}
	res, body, err := api.ReplyMessageWithHttpInfo(&messaging_api.ReplyMessageRequest{
		ReplyToken: opt.ReplyToken, Messages: msgs, NotificationDisabled: opt.Silent})
	if err != nil {
		return channel.SendResult{}, a.apiError(ctx, "reply", res, err)
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
	res, body, err := api.PushMessageWithHttpInfo(&messaging_api.PushMessageRequest{
		To: to.ID, Messages: msgs, NotificationDisabled: opt.Silent,
		CustomAggregationUnits: []string{}, // LINE's spec rejects null here
	}, key)
	if res != nil && res.StatusCode == http.StatusConflict {
		if accepted := res.Header.Get("X-Line-Accepted-Request-Id"); accepted != "" {
			return channel.SendResult{RequestID: res.Header.Get("X-Line-Request-Id"), Duplicate: true,
				AcceptedRequestID: accepted, Billable: true}, nil
		}
	}
	if err != nil {
		return channel.SendResult{}, a.apiError(ctx, "push", res, err)
	}
	return channel.SendResult{MessageIDs: sentIDs(body.SentMessages), RequestID: res.Header.Get("X-Line-Request-Id"),
		Billable: true}, nil
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

func sentIDs(sent []messaging_api.SentMessage) []string {
	ids := make([]string, len(sent))
	for i, s := range sent {
		ids[i] = s.Id
	}
	return ids
}

// outbound checks msgs against LINE's limits and converts them to the SDK's message types.
func outbound(to channel.Peer, msgs []channel.Message) ([]messaging_api.MessageInterface, error) {
	if to.ID == "" {
		return nil, fmt.Errorf("line send: no recipient: %w", channel.ErrInvalidRequest)
	}
	if len(msgs) == 0 || len(msgs) > MaxMessages {
		return nil, fmt.Errorf("line send: %d messages, LINE takes 1 to %d per call: %w", len(msgs), MaxMessages, channel.ErrInvalidRequest)
	}
	out := make([]messaging_api.MessageInterface, len(msgs))
	for i, m := range msgs {
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("line send: message %d: %w", i+1, err)
		}
		lm, err := toLINE(m)
		if err != nil {
			return nil, fmt.Errorf("line send: message %d: %w", i+1, err)
		}
		out[i] = lm
	}
	return out, nil
}

// toLINE converts one validated message.
func toLINE(m channel.Message) (messaging_api.MessageInterface, error) {
	switch m.Type {
	case channel.TypeText:
		if n := channel.UnitUTF16.Count(m.Text); n > MaxTextLength {
			return nil, fmt.Errorf("text is %d UTF-16 code units, LINE takes %d: %w", n, MaxTextLength, channel.ErrInvalidRequest)
		}
		t := &messaging_api.TextMessage{Text: m.Text, QuoteToken: m.QuoteToken}
		for _, e := range m.Emojis {
			t.Emojis = append(t.Emojis, messaging_api.Emoji{Index: int32(e.Index), ProductId: e.ProductID, EmojiId: e.EmojiID})
		}
		return t, nil
	case channel.TypeImage:
		return &messaging_api.ImageMessage{OriginalContentUrl: m.Media.URL, PreviewImageUrl: m.Media.PreviewURL}, nil
	case channel.TypeVideo:
		return &messaging_api.VideoMessage{OriginalContentUrl: m.Media.URL, PreviewImageUrl: m.Media.PreviewURL}, nil
	case channel.TypeAudio:
		return &messaging_api.AudioMessage{OriginalContentUrl: m.Media.URL, Duration: m.Media.Duration.Milliseconds()}, nil
	case channel.TypeSticker:
		return &messaging_api.StickerMessage{PackageId: m.Sticker.PackageID, StickerId: m.Sticker.StickerID, QuoteToken: m.QuoteToken}, nil
	case channel.TypeLocation:
		l := m.Location
		title, address := l.Title, l.Address
		coords := strconv.FormatFloat(l.Latitude, 'f', -1, 64) + ", " + strconv.FormatFloat(l.Longitude, 'f', -1, 64)
		if title == "" { // LINE requires both
			title = "Location"
		}
		if address == "" {
			address = coords
		}
		return &messaging_api.LocationMessage{Title: title, Address: address, Latitude: l.Latitude, Longitude: l.Longitude}, nil
	case channel.TypeLink:
		text := m.Link.URL
		if title := strings.TrimSpace(cmp.Or(m.Link.Title, m.Text)); title != "" {
			text = title + "\n" + m.Link.URL
		}
		if n := channel.UnitUTF16.Count(text); n > MaxTextLength {
			return nil, fmt.Errorf("link text is %d UTF-16 code units, LINE takes %d: %w", n, MaxTextLength, channel.ErrInvalidRequest)
		}
		return &messaging_api.TextMessage{Text: text}, nil
	case channel.TypeRaw:
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(m.Raw, &head); err != nil || head.Type == "" {
			return nil, fmt.Errorf("raw message has no \"type\": %w", channel.ErrInvalidRequest)
		}
		return rawMessage{typ: head.Type, raw: m.Raw}, nil
	}
	return nil, fmt.Errorf("%s messages cannot be sent on LINE: %w", m.Type, channel.ErrInvalidRequest)
}

// rawMessage sends channel-native JSON (a flex message, a template, an imagemap, …) as is.
type rawMessage struct {
	typ string
	raw json.RawMessage
}

// GetType implements messaging_api.MessageInterface.
func (r rawMessage) GetType() string { return r.typ }

// MarshalJSON returns the message's JSON unchanged.
func (r rawMessage) MarshalJSON() ([]byte, error) { return r.raw, nil }
