package web

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A page loads media from HTTPS or from its own site only: never a plain-HTTP third party (mixed
// content, a tracker) nor another scheme.
func TestSafeURL(t *testing.T) {
	c := clock{origin: "http://localhost:8080"}
	for u, want := range map[string]bool{
		"https://cdn.example/a.png":                      true,
		"http://localhost:8080/media/inbound/x?sig=1":    true,
		"http://localhost:8080.evil.example/media/x.png": false,
		"http://localhost:80800/x":                       false,
		"http://tracker.example/pixel.png":               false,
		"javascript:alert(1)":                            false,
		"data:image/png;base64,AAAA":                     false,
		"//evil.example/x.png":                           false,
		"":                                               false,
	} {
		require.Equal(t, want, c.safeURL(u) != "", u)
	}
	require.Empty(t, clock{}.safeURL("http://localhost:8080/media/x"), "no origin, no plain HTTP")
}
