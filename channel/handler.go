package channel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
)

// DefaultMaxBodyBytes is the webhook body limit a Handler applies when HandlerOptions.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 1 << 20

// Sink receives one verified webhook request for a connected channel. It returns nil only once the
// events are durably handled; an error makes the Handler answer 500, so the channel redelivers. The
// Delivery belongs to the sink.
type Sink func(ctx context.Context, d Delivery) error

// Delivery is what one verified webhook request brought.
type Delivery struct {
	ChannelID string
	Events    []Event
	// Body is the request body exactly as received and verified, for an archive that can replay it
	// (BodyParser parses it again). Personal data: never log it.
	Body []byte
}

// HandlerOptions configures a Handler. The zero value is valid.
type HandlerOptions struct {
	// MaxBodyBytes limits the request body; a larger body is answered 413. 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives one record per request that fails (status, channel ID, event count, error category).
	// It never receives bodies, error texts from the adapter, or anything else personal. nil discards.
	Logger *slog.Logger
	// Rejected, when set, is told of every request answered other than 200, with the status and the
	// error's category (ErrInvalidSignature for a forged or wrongly signed one): a spike of signature
	// failures means a wrong or rotated secret. It must not block.
	Rejected func(status int, category error)
}

// Handler is the webhook endpoint of one connected channel: it limits the body, has the adapter verify
// and parse it, and hands the events to a Sink, answering
//
//	200 when the sink returned nil (or the request held no events: a channel's connectivity check)
//	401 when the signature is missing or wrong; the sink is not called
//	400 when the body verified but could not be parsed
//	405 for methods other than POST (and GET, for adapters that are Handshakers)
//	413 when the body exceeds the limit
//	500 when the sink failed, so the channel delivers again
//
// A GET request is a channel's verification of the webhook URL when the adapter is a Handshaker: it is
// answered 200 with the adapter's answer, 403 when the adapter refuses it, 400 when it is malformed.
//
// Handler is safe for concurrent use.
type Handler struct {
	channelID string
	adapter   Adapter
	sink      Sink
	maxBody   int64
	log       *slog.Logger
	rejected  func(int, error)
}

// NewHandler returns the webhook Handler for the connected channel channelID served by a.
func NewHandler(channelID string, a Adapter, sink Sink, opts *HandlerOptions) (*Handler, error) {
	if channelID == "" || a == nil || sink == nil {
		return nil, errors.New("channel: NewHandler needs a channel ID, an adapter and a sink")
	}
	var o HandlerOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("channel: MaxBodyBytes %d is negative", o.MaxBodyBytes)
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{channelID: channelID, adapter: a, sink: sink, maxBody: o.MaxBodyBytes, log: o.Logger, rejected: o.Rejected}, nil
}

// ServeHTTP handles one webhook delivery.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		if hs, ok := h.adapter.(Handshaker); ok {
			h.handshake(w, r, hs)
			return
		}
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", h.allowed())
		h.fail(r, w, http.StatusMethodNotAllowed, 0, nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	var events []Event
	if err == nil {
		r.Body = io.NopCloser(bytes.NewReader(body)) // the adapter reads the body as it would from the wire
		events, err = h.adapter.ParseWebhook(r)
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		h.fail(r, w, http.StatusRequestEntityTooLarge, 0, err)
	case errors.Is(err, ErrInvalidSignature):
		h.fail(r, w, http.StatusUnauthorized, 0, err)
	case err != nil:
		h.fail(r, w, http.StatusBadRequest, 0, err)
	case len(events) == 0: // the channel's connectivity check
		w.WriteHeader(http.StatusOK)
	default:
		if err := h.sink(r.Context(), Delivery{ChannelID: h.channelID, Events: events, Body: body}); err != nil {
			h.fail(r, w, http.StatusInternalServerError, len(events), err)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// handshake answers a channel's GET verification of the webhook URL.
func (h *Handler) handshake(w http.ResponseWriter, r *http.Request, hs Handshaker) {
	body, err := hs.Handshake(r)
	switch {
	case errors.Is(err, ErrInvalidSignature):
		h.fail(r, w, http.StatusForbidden, 0, err)
	case err != nil:
		h.fail(r, w, http.StatusBadRequest, 0, err)
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(body)
	}
}

// allowed lists the methods the handler answers.
func (h *Handler) allowed() string {
	if _, ok := h.adapter.(Handshaker); ok {
		return "GET, POST"
	}
	return http.MethodPost
}

// fail answers status and logs the failure without any text that could carry personal data: the error is
// reduced to its category.
func (h *Handler) fail(r *http.Request, w http.ResponseWriter, status, events int, err error) {
	http.Error(w, http.StatusText(status), status)
	if h.rejected != nil {
		h.rejected(status, Category(err))
	}
	level := slog.LevelWarn
	if status == http.StatusInternalServerError {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("channel_id", h.channelID),
		slog.String("kind", h.adapter.Kind()),
		slog.Int("status", status),
	}
	if events > 0 {
		attrs = append(attrs, slog.Int("events", events))
	}
	if c := Category(err); c != nil {
		attrs = append(attrs, slog.String("error_category", c.Error()))
	} else if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		attrs = append(attrs, slog.String("error_category", "context ended"))
	}
	h.log.LogAttrs(r.Context(), level, "webhook rejected", attrs...)
}
