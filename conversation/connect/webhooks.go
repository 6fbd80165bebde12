package connect

import (
	"errors"
	"net/http"
	"path"
	"sync"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// Webhooks returns the webhook endpoint of every connected channel: one http.Handler that takes the
// channel ID from the request (the path value "channel" when mounted as "POST /webhooks/{channel}", else
// the last element of the path), and serves the request with a channel.Handler on the channel's current
// adapter, handing verified deliveries to sink (conversation.Service.Receive). A channel it does not
// know is answered 404. It counts each channel's signature failures for Health. opts configures the
// channel.Handlers (their Rejected hook is called too). The sink's context carries the channel as the
// endpoint read it as the request arrived (store.WithChannel), so that the sink need not read it again:
// a request that arrived while the channel was active is processed as such.
func (s *Service) Webhooks(sink channel.Sink, opts *channel.HandlerOptions) http.Handler {
	var o channel.HandlerOptions
	if opts != nil {
		o = *opts
	}
	return &webhooks{s: s, sink: sink, opts: o, handlers: map[string]servedBy{}}
}

type webhooks struct {
	s    *Service
	sink channel.Sink
	opts channel.HandlerOptions

	mu       sync.Mutex
	handlers map[string]servedBy // channel ID → its handler
}

// servedBy is a channel's handler and the adapter it was made for.
type servedBy struct {
	adapter channel.Adapter
	handler http.Handler
}

func (w *webhooks) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	id := r.PathValue("channel")
	if id == "" {
		id = path.Base(r.URL.Path)
	}
	ch, err := w.s.store.GetChannel(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && ch.Credentials == nil:
		http.NotFound(rw, r)
		return
	case err != nil:
		http.Error(rw, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
		return
	}
	h, err := w.handler(r, ch)
	if err != nil {
		http.Error(rw, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
		return
	}
	// The sink gets the channel as read here (conversation.Service.Receive does not read it again).
	h.ServeHTTP(rw, r.WithContext(store.WithChannel(r.Context(), ch)))
}

// handler returns the channel's handler, made anew when its adapter changed.
func (w *webhooks) handler(r *http.Request, ch store.Channel) (http.Handler, error) {
	a, err := w.s.reg.Adapter(r.Context(), ch)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if sb, ok := w.handlers[ch.ID]; ok && sb.adapter == a {
		return sb.handler, nil
	}
	o := w.opts
	failures, rejected := w.s.signatureFailures(ch.ID), w.opts.Rejected
	o.Rejected = func(status int, category error) {
		if errors.Is(category, channel.ErrInvalidSignature) {
			failures.Add(1)
		}
		if rejected != nil {
			rejected(status, category)
		}
	}
	h, err := channel.NewHandler(ch.ID, a, w.sink, &o)
	if err != nil {
		return nil, err
	}
	w.handlers[ch.ID] = servedBy{adapter: a, handler: h}
	return h, nil
}
