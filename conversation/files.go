package conversation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/store"
)

// Files is where a Service keeps file content and where agents' attachments come from (FEATURES F16,
// B9). The zero value keeps nothing: attachments go by URL only, and inbound media are not copied.
type Files struct {
	// Store keeps file content: attachments re-hosted for the channel (under "outbound/"), the preview
	// images made for them, and copies of inbound media (under "inbound/"). With it set, every inbound
	// image, video, audio clip and file is copied by a durable job (see Service.MediaURL), and erasing
	// a channel deletes its files (see Service.EraseChannel).
	Store *blob.Store
	// Server signs the URLs the channel fetches re-hosted attachments from, and the inbox's URLs to
	// inbound copies. Required with Store. Its base URL must be HTTPS and reachable by the channel.
	Server *blob.Server
	// Sources resolve attachments named by source (Attachment.Source and Ref): cloud drives, the CRM's
	// own files, agents' uploads. Requires Store.
	Sources *attach.Registry
	// MaxAttachmentBytes is the largest attachment sent as a link (default 100 MB). A file that fits
	// the channel's media rules may be larger, up to the rule's limit.
	MaxAttachmentBytes int64
	// MaxInboundBytes is the largest inbound media copied (default 300 MB, what LINE keeps).
	MaxInboundBytes int64
	// ChannelURLTTL is how long the signed URLs sent to a channel work (default 30 days): channels
	// fetch media when they send them and may fetch them again when a customer opens them later.
	ChannelURLTTL time.Duration
	// InboxURLTTL is MediaURL's default lifetime (default 15 minutes).
	InboxURLTTL time.Duration
	// HTTPClient fetches inbound media a channel says live elsewhere (LINE's contentProvider
	// "external"). Default: a client with a 1-minute timeout.
	HTTPClient *http.Client
	// MaxPreviewPixels bounds the images decoded to make previews (default 64 million pixels); an
	// image with more goes as a link rather than risk the memory.
	MaxPreviewPixels int
}

// Blob key prefixes.
const (
	outboundPrefix = "outbound/"
	inboundPrefix  = "inbound/"
)

// withDefaults checks f and fills in its defaults.
func (f Files) withDefaults() (Files, error) {
	if f.Store != nil && f.Server == nil {
		return f, errors.New("conversation: Options.Files.Store needs a Server to sign the URLs it is served under")
	}
	if f.Sources != nil && f.Store == nil {
		return f, errors.New("conversation: Options.Files.Sources needs a Store to re-host attachments in")
	}
	if f.MaxAttachmentBytes < 0 || f.MaxInboundBytes < 0 || f.MaxPreviewPixels < 0 {
		return f, errors.New("conversation: Options.Files limits must not be negative")
	}
	f.MaxAttachmentBytes = orDefault(f.MaxAttachmentBytes, 100_000_000)
	f.MaxInboundBytes = orDefault(f.MaxInboundBytes, 300<<20)
	f.ChannelURLTTL = orDefault(f.ChannelURLTTL, 30*24*time.Hour)
	f.InboxURLTTL = orDefault(f.InboxURLTTL, 15*time.Minute)
	f.MaxPreviewPixels = orDefault(f.MaxPreviewPixels, 64_000_000)
	if f.HTTPClient == nil {
		f.HTTPClient = &http.Client{Timeout: time.Minute}
	}
	return f, nil
}

// Errors of MediaURL.
var (
	// ErrNoMedia: the message has no media copy (it is not an inbound media message, the service keeps
	// no copies, or the customer took the message back).
	ErrNoMedia = errors.New("conversation: the message has no media copy")
	// ErrMediaNotReady: the copy is still pending, or failed; the error says which and why.
	ErrMediaNotReady = errors.New("conversation: the media copy is not ready")
)

// MediaURL returns a signed URL to msgkit's copy of an inbound message's media, valid for ttl (0 means
// Options.Files.InboxURLTTL): what the inbox shows, never the channel's URL or its token. Errors:
// ErrNoMedia, ErrMediaNotReady (wrapped with the copy's status and reason), store.ErrNotFound for an
// unknown message, errors.ErrUnsupported without Options.Files.Store.
func (s *Service) MediaURL(ctx context.Context, messageID string, ttl time.Duration) (string, error) {
	if s.o.Files.Store == nil {
		return "", fmt.Errorf("conversation: MediaURL: no blob store is configured: %w", errors.ErrUnsupported)
	}
	m, err := s.store.GetMessage(ctx, messageID)
	if err != nil {
		return "", err
	}
	c := m.MediaCopy
	switch {
	case c == nil || m.Unsent:
		return "", ErrNoMedia
	case c.Status != store.MediaReady:
		if c.Detail != "" {
			return "", fmt.Errorf("%w: %s: %s", ErrMediaNotReady, c.Status, c.Detail)
		}
		return "", fmt.Errorf("%w: %s", ErrMediaNotReady, c.Status)
	}
	return s.o.Files.Server.SignedURL(c.Key, orDefault(ttl, s.o.Files.InboxURLTTL)), nil
}

// ErrAttachment is what every *AttachmentError wraps.
var ErrAttachment = errors.New("conversation: an attachment cannot be sent")

// AttachmentError is why Reply refused a reply for one of its attachments: the source could not
// resolve it (not found, no permission, the source down), it is larger than anything the channel
// takes, or it could not be kept. Nothing of the reply was stored or sent. It unwraps to ErrAttachment
// and to its cause, whose category (attach.ErrNotFound, attach.ErrForbidden, attach.ErrTooLarge,
// attach.ErrUnavailable, attach.ErrUnknownSource) says what to tell the agent; Temporary says
// whether the same reply may go through later (a host answers 503 then, 422 otherwise).
//
// Its text names the attachment's position and source and the category, never the reference, the
// file's name or a URL.
type AttachmentError struct {
	Index  int    // the attachment's position in Reply.Attachments, from 0
	Source string // the source it names; "" for an attachment by URL
	Reason string // in words fit for an agent
	Err    error  // the cause
	temp   bool
}

// Error says which attachment failed and why, naming no file.
func (e *AttachmentError) Error() string {
	s := "conversation: attachment " + strconv.Itoa(e.Index+1)
	if e.Source != "" {
		s += " (" + e.Source + ")"
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrAttachment and the cause.
func (e *AttachmentError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrAttachment}
	}
	return []error{ErrAttachment, e.Err}
}

// Temporary reports whether the same reply may go through later: the source or the blob store was
// unavailable.
func (e *AttachmentError) Temporary() bool { return e.temp }

// attachmentError makes the AttachmentError for attachment i from the source's or the blob store's
// error err.
func attachmentError(i int, source string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	e := &AttachmentError{Index: i, Source: source, Err: err}
	switch {
	case errors.Is(err, attach.ErrUnknownSource):
		e.Reason = "no attachment source is registered under that name"
	case errors.Is(err, attach.ErrNotFound):
		e.Reason = "the file was not found"
	case errors.Is(err, attach.ErrForbidden):
		e.Reason = "the source refused access to the file"
	case errors.Is(err, attach.ErrTooLarge), errors.Is(err, blob.ErrTooLarge):
		e.Reason = "the file is larger than this channel takes"
	case errors.Is(err, attach.ErrUnavailable):
		e.Reason, e.temp = "the source is unavailable; try again later", true
	default:
		e.Reason, e.temp = "the file could not be kept for sending; try again later", true
	}
	return e
}

// channelOf returns the adapter of the channel a stored message belongs to.
func (s *Service) channelOf(ctx context.Context, channelID string) (channel.Adapter, error) {
	ch, err := s.store.GetChannel(ctx, channelID)
	if err != nil {
		return nil, err
	}
	return s.adapters.Adapter(ctx, ch)
}
