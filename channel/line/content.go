package line

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/msgkit/msgkit/channel"
)

// TranscodingRetryAfter is the RetryAfter hint FetchContent gives while LINE is still preparing a video
// or audio clip and did not say how long to wait.
const TranscodingRetryAfter = 10 * time.Second

// FetchContent downloads the image, video, audio or file a user sent, from LINE's data API. LINE keeps
// content only for a while: fetch it soon after the webhook. The stream fails once it passes
// Options.MaxContentBytes; content LINE no longer has returns an error wrapping channel.ErrNotFound.
//
// LINE prepares (transcodes) videos and audio clips before they can be downloaded, and an early download
// can be empty or damaged, so FetchContent first asks LINE whether the content is ready. While LINE is
// still preparing it, FetchContent returns an *channel.APIError wrapping channel.ErrUnavailable with a
// RetryAfter hint (LINE's Retry-After, or TranscodingRetryAfter): fetch again later. If LINE reports that
// preparing it failed, the content will never be available and FetchContent returns an error wrapping
// channel.ErrNotFound. Images and files need no preparation: LINE refuses the question for them (400),
// and FetchContent downloads them at once; since it knows only the message ID, it asks for every message.
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
	if err := a.transcoded(ctx, blob, messageID); err != nil {
		return nil, err
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

// transcoded returns nil when the content of messageID can be downloaded: LINE reports its preparation
// succeeded, or has nothing to prepare (it refuses the question for images and files, and for content it
// does not have, which the download then reports).
func (a *Adapter) transcoded(ctx context.Context, blob *messaging_api.MessagingApiBlobAPI, messageID string) error {
	res, body, err := blob.WithContext(ctx).GetMessageContentTranscodingByMessageIdWithHttpInfo(messageID)
	if err != nil {
		if res != nil && (res.StatusCode == http.StatusBadRequest || res.StatusCode == http.StatusNotFound) {
			return nil
		}
		return a.apiError(ctx, "content transcoding", res, err)
	}
	e := &channel.APIError{Channel: Kind, Op: "content", Status: res.StatusCode, RequestID: res.Header.Get("X-Line-Request-Id")}
	switch body.Status {
	case messaging_api.GetMessageContentTranscodingResponseSTATUS_SUCCEEDED:
		return nil
	case messaging_api.GetMessageContentTranscodingResponseSTATUS_PROCESSING:
		e.Category, e.Message = channel.ErrUnavailable, "LINE is still preparing the video or audio (transcoding: processing)"
		e.RetryAfter = cmp.Or(retryAfter(res.Header.Get("Retry-After"), a.now()), TranscodingRetryAfter)
	case messaging_api.GetMessageContentTranscodingResponseSTATUS_FAILED:
		e.Category, e.Message = channel.ErrNotFound, "LINE could not prepare the video or audio (transcoding: failed); it cannot be downloaded"
	default:
		e.Status, e.Category, e.Err = 0, channel.ErrUnavailable, errMalformedResponse
	}
	return e
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
