package whatsapp

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/msgkit/msgkit/channel"
)

// FetchContent implements channel.ContentFetcher for WhatsApp's media IDs: inbound media arrive as a
// media ID, not as content under the message's ID, so mediaID is the media ID of the message —
// Media.ID of a parsed image, video, audio, document or sticker message, which channel.ContentRef
// returns — not its wamid. FetchContent asks the Graph API for the media's URL
// (GET /{media-id}, for this phone number), then downloads it with the access token. Meta keeps inbound
// media for a limited time and its URLs work for 5 minutes: fetch soon after the webhook, and fetch
// again rather than keeping a URL.
//
// A wamid, or anything but a media ID, returns an error wrapping channel.ErrInvalidRequest; media Meta
// no longer has, channel.ErrNotFound. Content larger than Options.MaxContentBytes is refused (when its
// size is known) or fails when the stream passes the limit.
func (a *Adapter) FetchContent(ctx context.Context, mediaID string) (*channel.Content, error) {
	if strings.HasPrefix(mediaID, "wamid.") {
		return nil, fmt.Errorf("whatsapp content: that is a message ID; pass the message's media ID (channel.ContentRef): %w", channel.ErrInvalidRequest)
	}
	if !digits(mediaID) {
		return nil, fmt.Errorf("whatsapp content: malformed media ID: %w", channel.ErrInvalidRequest)
	}
	var media struct {
		URL      string  `json:"url"`
		MimeType string  `json:"mime_type"`
		FileSize flexInt `json:"file_size"`
	}
	q := url.Values{"phone_number_id": {a.cfg.PhoneNumberID}}
	if _, err := a.do(ctx, "media", http.MethodGet, mediaID, q, nil, &media); err != nil {
		return nil, err
	}
	if u, err := url.Parse(media.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &channel.APIError{Channel: Kind, Op: "media", Category: channel.ErrUnavailable, Err: errMalformedResponse}
	}
	if int64(media.FileSize) > a.maxContent {
		return nil, fmt.Errorf("whatsapp content: %d bytes, more than the %d allowed: %w", media.FileSize, a.maxContent, channel.ErrInvalidRequest)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, media.URL, nil)
	if err != nil {
		return nil, &channel.APIError{Channel: Kind, Op: "media download", Category: channel.ErrUnavailable, Err: errMalformedResponse}
	}
	req.Header.Set("Authorization", "Bearer "+a.cfg.AccessToken)
	res, err := a.http.Do(req)
	if err != nil {
		return nil, a.apiError(ctx, "media download", nil, err)
	}
	if res.StatusCode/100 != 2 {
		defer res.Body.Close()
		return nil, a.apiError(ctx, "media download", res, nil)
	}
	if res.ContentLength > a.maxContent {
		res.Body.Close()
		return nil, fmt.Errorf("whatsapp content: %d bytes, more than the %d allowed: %w", res.ContentLength, a.maxContent, channel.ErrInvalidRequest)
	}
	ct := res.Header.Get("Content-Type")
	if media.MimeType != "" {
		ct = media.MimeType
	}
	length := res.ContentLength
	if length < 0 && media.FileSize > 0 {
		length = int64(media.FileSize)
	}
	return &channel.Content{ReadCloser: &limitedBody{body: res.Body, left: a.maxContent}, ContentType: ct, Length: length}, nil
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
			return 0, fmt.Errorf("whatsapp content: larger than the allowed size: %w", channel.ErrInvalidRequest)
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
