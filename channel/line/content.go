package line

import (
	"context"
	"fmt"
	"io"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/msgkit/msgkit/channel"
)

// FetchContent downloads the image, video, audio or file a user sent, from LINE's data API. LINE keeps
// content only for a while: fetch it soon after the webhook. The stream fails once it passes
// Options.MaxContentBytes; content LINE no longer has returns an error wrapping channel.ErrNotFound.
func (a *Adapter) FetchContent(ctx context.Context, messageID string) (*channel.Content, error) {
	if !validID(messageID) {
		return nil, fmt.Errorf("line content: malformed message ID: %w", channel.ErrInvalidRequest)
	}
	token, err := a.tokens.Token(ctx)
	if err != nil {
		return nil, err
	}
	blob, err := messaging_api.NewMessagingApiBlobAPI(token,
		messaging_api.WithBlobEndpoint(a.data), messaging_api.WithBlobHTTPClient(a.http))
	if err != nil {
		return nil, fmt.Errorf("line: blob client: %w", err)
	}
	res, _, err := blob.WithContext(ctx).GetMessageContentWithHttpInfo(messageID)
	if err != nil {
		return nil, a.apiError(ctx, "content", res, err)
	}
	if res.ContentLength > a.maxContent {
		res.Body.Close()
		return nil, fmt.Errorf("line content: %d bytes, more than the %d allowed: %w", res.ContentLength, a.maxContent, channel.ErrInvalidRequest)
	}
	return &channel.Content{
		ReadCloser:  &limitedBody{body: res.Body, left: a.maxContent},
		ContentType: res.Header.Get("Content-Type"),
		Length:      res.ContentLength,
	}, nil
}

// limitedBody fails a read that would pass the size limit, rather than truncating silently.
type limitedBody struct {
	body io.ReadCloser
	left int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var probe [1]byte
		n, err := l.body.Read(probe[:])
		if n > 0 {
			return 0, fmt.Errorf("line content: larger than the allowed size: %w", channel.ErrInvalidRequest)
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.body.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedBody) Close() error { return l.body.Close() }
