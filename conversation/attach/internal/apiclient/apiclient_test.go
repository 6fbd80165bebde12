package apiclient_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/conversation/attach/internal/apiclient"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	err := &url.Error{Op: "Get", URL: "https://uc123.dl.dropboxusercontent.com/cd/0/get/SECRET-LINK/file?dl=1", Err: errors.New("connection reset")}
	got := apiclient.Redact(err)
	require.NotContains(t, got.Error(), "SECRET")
	require.Contains(t, got.Error(), "uc123.dl.dropboxusercontent.com")
	require.Contains(t, got.Error(), "connection reset")
	plain := errors.New("x")
	require.Equal(t, plain, apiclient.Redact(plain))
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"30":                            30 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Wed, 25 Nov 2026 09:01:00 GMT": time.Minute,
		"Wed, 25 Nov 2026 08:59:00 GMT": 0,
	} {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		require.Equal(t, want, apiclient.RetryAfter(h, now), v)
	}
}
