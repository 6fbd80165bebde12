package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// The demo's media listener keeps its port across runs; when that port is taken it takes another, and
// the URLs of any earlier run still map to the inbox's own.
func TestDemoMediaPort(t *testing.T) {
	dir := t.TempDir()
	l, err := demoMediaListener(dir)
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	l, err = demoMediaListener(dir)
	require.NoError(t, err)
	require.Equal(t, port, l.Addr().(*net.TCPAddr).Port, "the next run listens on the same port")

	// Taken (this listener still holds it): another port, kept for the next runs.
	other, err := demoMediaListener(dir)
	require.NoError(t, err)
	defer other.Close()
	require.NotEqual(t, port, other.Addr().(*net.TCPAddr).Port)
	b, err := os.ReadFile(filepath.Join(dir, demoMediaPortFile))
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(other.Addr().(*net.TCPAddr).Port)+"\n", string(b))
	require.NoError(t, l.Close())

	const public = "http://127.0.0.1:8080"
	for in, want := range map[string]string{
		"https://127.0.0.1:" + strconv.Itoa(port) + "/media/outbound/x.png?e=1&s=abc": public + "/media/outbound/x.png?e=1&s=abc",
		"https://127.0.0.1:40001/media/inbound/y.jpg?e=1&s=abc":                       public + "/media/inbound/y.jpg?e=1&s=abc",
		"https://127.0.0.1:40001/other/y.jpg":                                         "https://127.0.0.1:40001/other/y.jpg",
		"https://127.0.0.1:/media/y.jpg":                                              "https://127.0.0.1:/media/y.jpg",
		"https://cdn.example.com/media/z.png":                                         "https://cdn.example.com/media/z.png",
	} {
		require.Equal(t, want, demoInboxURL(public, in), in)
	}
}
