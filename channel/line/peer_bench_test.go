package line_test

import (
	"testing"

	"github.com/msgkit/msgkit/internal/perf/peer"
)

// openPeer opens the cost benchmarks' baseline at path, closed when b ends: the hand-written webhook path
// of package internal/perf/peer (the SDK's webhook.ParseRequest, then one SQLite transaction per message
// event on the driver and settings store/sqlite uses), the same peer the performance suite measures
// msgkit against.
func openPeer(b *testing.B, path, secret string, agents []string) *peer.Peer {
	b.Helper()
	p, err := peer.Open(b.Context(), path, secret, agents)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}
