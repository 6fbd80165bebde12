package conversation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/store"
)

// mediaJob copies an inbound message's media into the blob store (with Options.Files.Store), then runs
// the Options.Media hook.
type mediaJob struct {
	MessageID string `json:"messageId"`
}

// errMediaFinal marks a copy that cannot succeed by retrying: the content is too large, empty for
// good, or of a kind msgkit will not fetch.
var errMediaFinal = errors.New("conversation: the media cannot be copied")

// inboundKey is the blob key of a message's media copy: one per message, so a retry after a crash
// overwrites what an earlier attempt wrote rather than leaving an orphan. A store ID that is not a
// valid key (a host's backend may choose other IDs) is hashed into one.
func inboundKey(m store.Message) string {
	if k := inboundPrefix + m.ID; blob.ValidKey(k) {
		return k
	}
	sum := sha256.Sum256([]byte(m.ID))
	return inboundPrefix + hex.EncodeToString(sum[:16])
}

// runMedia copies the media of the job's message, when it is still pending, and records the copy on
// the message; then runs the Media hook. Every step is idempotent: the copy goes to the message's own
// key, and a copy recorded as ready is not made again. The copy of a message erased meanwhile (see
// EraseChannel) is deleted instead.
func (s *Service) runMedia(ctx context.Context, j store.Job) error {
	var p mediaJob
	if err := decode(j, &p); err != nil {
		return err
	}
	m, err := s.store.GetMessage(ctx, p.MessageID)
	if errors.Is(err, store.ErrNotFound) && s.o.Files.Store != nil {
		// Erased with its channel (EraseChannel): a copy an earlier run made must not outlive it.
		return s.deleteFiles(ctx, inboundKey(store.Message{ID: p.MessageID}))
	}
	if err != nil {
		return err
	}
	if c := m.MediaCopy; c != nil && c.Status == store.MediaReady && m.Unsent && s.o.Files.Store != nil {
		return s.forgetCopy(ctx, m)
	}
	if c := m.MediaCopy; c != nil && c.Status == store.MediaPending && s.o.Files.Store != nil {
		if m.Unsent {
			return s.recordCopy(ctx, m.ID, "", &store.MediaCopy{Status: store.MediaFailed,
				Detail: "not copied: the customer took the message back"})
		}
		obj, err := s.copyMedia(ctx, m)
		if err != nil {
			return err
		}
		ready := &store.MediaCopy{Status: store.MediaReady, Key: obj.Key, ContentType: obj.ContentType, Size: obj.Size, SHA256: obj.SHA256}
		err = s.recordCopy(ctx, m.ID, obj.Key, ready)
		if errors.Is(err, store.ErrNotFound) { // erased while it was copied
			return s.deleteFiles(ctx, obj.Key)
		}
		if err != nil || s.o.Media == nil {
			return err
		}
		if m, err = s.store.GetMessage(ctx, p.MessageID); err != nil {
			return err
		}
	}
	if s.o.Media == nil || (m.MediaCopy != nil && m.MediaCopy.Status != store.MediaReady) {
		return nil
	}
	if err := s.o.Media(ctx, m); err != nil {
		return fmt.Errorf("conversation: media hook: %w", err)
	}
	return nil
}

// copyMedia downloads the media of m, through its channel's content capability or, for content the
// channel says lives elsewhere, from its URL, and stores it under the message's key.
func (s *Service) copyMedia(ctx context.Context, m store.Message) (blob.Object, error) {
	var content *channel.Content
	var err error
	if md := m.Content.Media; md != nil && md.URL != "" {
		content, err = s.fetchExternal(ctx, md.URL)
	} else {
		var a channel.Adapter
		if a, err = s.channelOf(ctx, m.ChannelID); err != nil {
			return blob.Object{}, err
		}
		content, err = channel.FetchContent(ctx, a, channel.ContentRef(m.Content))
	}
	if err != nil {
		return blob.Object{}, err
	}
	defer content.Close()
	limit := s.o.Files.MaxInboundBytes
	if content.Length > limit {
		return blob.Object{}, fmt.Errorf("%w: the file is %s, more than the %s kept", errMediaFinal,
			channel.Bytes(content.Length), channel.Bytes(limit))
	}
	var name string
	if md := m.Content.Media; md != nil {
		name = md.FileName
	}
	obj, err := s.o.Files.Store.Put(ctx, content, limit, &blob.PutOptions{Key: inboundKey(m), Name: name, ContentType: content.ContentType})
	switch {
	case errors.Is(err, blob.ErrTooLarge):
		return blob.Object{}, fmt.Errorf("%w: the file is more than the %s kept", errMediaFinal, channel.Bytes(limit))
	case err != nil:
		return blob.Object{}, err
	case obj.Size == 0 && m.Content.Type != channel.TypeFile:
		// An early download of a clip still being prepared can be empty; the next attempt overwrites it.
		return blob.Object{}, &channel.APIError{Op: "content", Category: channel.ErrUnavailable, Message: "the channel sent no content yet"}
	}
	return obj, nil
}

// fetchExternal opens media that a channel says lives at rawURL (LINE's contentProvider "external"):
// HTTPS only, under the same size limit, with the answer's status mapped to the channel's categories
// (404 and 410: gone for good; 429 and 5xx: retried).
func (s *Service) fetchExternal(ctx context.Context, rawURL string) (*channel.Content, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%w: the channel's address for it is not an HTTPS URL", errMediaFinal)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: the channel's address for it cannot be fetched", errMediaFinal)
	}
	res, err := s.o.Files.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may carry a token: keep it out of the error
		}
		return nil, &channel.APIError{Channel: "external", Op: "content", Category: channel.ErrUnavailable, Err: err}
	}
	if res.StatusCode == http.StatusOK {
		return &channel.Content{ReadCloser: res.Body, ContentType: res.Header.Get("Content-Type"), Length: res.ContentLength}, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
	_ = res.Body.Close()
	e := &channel.APIError{Channel: "external", Op: "content", Status: res.StatusCode, Category: channel.ErrInvalidRequest}
	switch {
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusGone:
		e.Category = channel.ErrNotFound
	case res.StatusCode == http.StatusTooManyRequests:
		e.Category = channel.ErrRateLimited
	case res.StatusCode >= 500:
		e.Category = channel.ErrUnavailable
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		e.Category = channel.ErrUnauthorized
	}
	if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && secs > 0 {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	return nil, e
}

// recordCopy sets the message's media copy, unless it is settled already (ready or failed). A message
// the customer took back meanwhile keeps no copy: what was stored under key is deleted and the copy
// recorded as failed.
func (s *Service) recordCopy(ctx context.Context, messageID, key string, c *store.MediaCopy) error {
	unsent := false
	err := s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		unsent = false
		m, err := tx.GetMessage(ctx, messageID)
		if err != nil {
			return err
		}
		if m.MediaCopy != nil && m.MediaCopy.Status != store.MediaPending {
			return nil // settled by an earlier run
		}
		next := *c
		if m.Unsent && next.Status == store.MediaReady {
			unsent = true
			next = store.MediaCopy{Status: store.MediaFailed, Detail: "not kept: the customer took the message back"}
		}
		m.MediaCopy = &next
		_, err = tx.UpdateMessage(ctx, m)
		return err
	})
	if err == nil && unsent && key != "" {
		if derr := s.o.Files.Store.Delete(ctx, key); derr != nil && !errors.Is(derr, blob.ErrNotFound) {
			return derr // runs again: the copy is recorded failed, and the deletion is tried again
		}
	}
	return err
}

// forgetCopy deletes the copy of a message the customer took back after it was copied, then records
// that it is not kept: deleted first, so a crash in between leaves the key to delete again.
func (s *Service) forgetCopy(ctx context.Context, m store.Message) error {
	if err := s.o.Files.Store.Delete(ctx, m.MediaCopy.Key); err != nil && !errors.Is(err, blob.ErrNotFound) {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		cur, err := tx.GetMessage(ctx, m.ID)
		if err != nil || cur.MediaCopy == nil || cur.MediaCopy.Status != store.MediaReady {
			return err
		}
		cur.MediaCopy = &store.MediaCopy{Status: store.MediaFailed, Detail: "not kept: the customer took the message back"}
		_, err = tx.UpdateMessage(ctx, cur)
		return err
	})
}

// mediaFailed records, for a media job that failed for good, why the copy failed.
func (s *Service) mediaFailed(ctx context.Context, j store.Job, cause error) error {
	var p mediaJob
	if err := decode(j, &p); err != nil || s.o.Files.Store == nil {
		return nil // nothing to record it on
	}
	err := s.recordCopy(ctx, p.MessageID, "", &store.MediaCopy{Status: store.MediaFailed, Detail: "not copied: " + mediaReason(cause)})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// mediaRetrying records on a pending copy why it is still pending and when it is tried again.
func (s *Service) mediaRetrying(ctx context.Context, j store.Job, cause error, next time.Time) error {
	var p mediaJob
	if err := decode(j, &p); err != nil || s.o.Files.Store == nil {
		return nil
	}
	detail := fmt.Sprintf("retrying: attempt %d failed (%s); next attempt at %s", j.Attempts, mediaReason(cause),
		next.UTC().Format(time.RFC3339))
	err := s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		m, err := tx.GetMessage(ctx, p.MessageID)
		if err != nil {
			return err
		}
		if m.MediaCopy == nil || m.MediaCopy.Status != store.MediaPending {
			return nil
		}
		m.MediaCopy = &store.MediaCopy{Status: store.MediaPending, Detail: detail}
		_, err = tx.UpdateMessage(ctx, m)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// mediaReason says why a copy failed, in words fit for an agent: never a URL, a token or content.
func mediaReason(err error) string {
	var apiErr *channel.APIError
	switch {
	case errors.Is(err, errMediaFinal):
		return strings.TrimPrefix(err.Error(), errMediaFinal.Error()+": ")
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusOK && apiErr.Message != "":
		// An answer the adapter read as a failure, in its own words (LINE: the clip is still being
		// prepared, or preparing it failed), not the channel's error text.
		return apiErr.Message
	case errors.Is(err, channel.ErrNotFound):
		return "the channel no longer has the content"
	case errors.Is(err, channel.ErrInvalidRequest) && !errors.As(err, &apiErr):
		return "the channel adapter refused the download (the file is larger than it downloads, or its reference is malformed)"
	case errors.Is(err, errors.ErrUnsupported):
		return "the channel cannot download media"
	}
	return reason(err)
}
