package whatsapp_test

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const (
	appSecret   = "testappsecret"
	accessToken = "EAAtesttoken"
	verifyToken = "verify-me"
)

// fake is a watest server and the adapter pointed at it.
type fake struct {
	*watest.Server
	t *testing.T
}

func newFake(t *testing.T, opts *watest.Options) *fake {
	t.Helper()
	if opts == nil {
		opts = &watest.Options{}
	}
	if opts.AccessToken == "" {
		opts.AccessToken = accessToken
	}
	s := watest.NewServer(opts)
	t.Cleanup(s.Close)
	return &fake{Server: s, t: t}
}

// adapter returns an adapter for the fake's phone number; cfg fields left empty take the test values.
func (f *fake) adapter(cfg whatsapp.Config, opts *whatsapp.Options) *whatsapp.Adapter {
	f.t.Helper()
	if cfg.PhoneNumberID == "" {
		cfg.PhoneNumberID = watest.DefaultPhoneNumberID
	}
	if cfg.AccessToken == "" {
		cfg.AccessToken = accessToken
	}
	if cfg.AppSecret == "" {
		cfg.AppSecret = appSecret
	}
	if cfg.VerifyToken == "" {
		cfg.VerifyToken = verifyToken
	}
	if opts == nil {
		opts = &whatsapp.Options{}
	}
	if opts.Endpoint == "" {
		opts.Endpoint = f.URL
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	a, err := whatsapp.New(cfg, opts)
	require.NoError(f.t, err)
	return a
}

func signedRequest(secret string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/whatsapp", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(whatsapp.SignatureHeader, watest.Sign(secret, body))
	return r
}

func readWebhook(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "webhooks", name))
	require.NoError(t, err)
	return b
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -update")
	require.Equal(t, string(want), string(got), "output differs from %s (run with -update and review the diff)", path)
}

// whatsappConfig is a Config whose empty fields fake.adapter fills.
func whatsappConfig() whatsapp.Config { return whatsapp.Config{} }
