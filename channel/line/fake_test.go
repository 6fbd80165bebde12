package line_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
)

// lineAPI is the fake LINE API (linetest) a test's adapters talk to.
type lineAPI struct{ *linetest.Server }

func newLineAPI(t *testing.T, opts *linetest.Options) *lineAPI {
	s := linetest.NewServer(opts)
	t.Cleanup(s.Close)
	return &lineAPI{s}
}

// adapter returns an adapter talking to f, with a long-lived token unless cfg says otherwise.
func (f *lineAPI) adapter(t *testing.T, cfg line.Config, opts *line.Options) *line.Adapter {
	t.Helper()
	if cfg.ChannelSecret == "" {
		cfg.ChannelSecret = secret
	}
	if cfg.AccessToken == "" && cfg.ChannelID == "" {
		cfg.AccessToken = "long-lived-token"
	}
	var o line.Options
	if opts != nil {
		o = *opts
	}
	o.APIEndpoint, o.DataEndpoint = f.URL, f.URL
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	a, err := line.New(cfg, &o)
	require.NoError(t, err)
	return a
}

// last returns the last request f received.
func (f *lineAPI) last(t *testing.T) linetest.Request {
	t.Helper()
	r := f.Requests()
	require.NotEmpty(t, r, "no request reached the fake API")
	return r[len(r)-1]
}

// clock is a settable clock for the adapter and the fake, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }
