package peer_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/internal/perf/loadgen"
	"github.com/msgkit/msgkit/internal/perf/peer"
)

const secret = "peer-secret"

func post(t *testing.T, p http.Handler, body []byte, sig string) int {
	t.Helper()
	w, r := httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set(loadgen.SignatureHeader, sig)
	p.ServeHTTP(w, r)
	return w.Code
}

func TestThePeerStoresEachEventOnceAndAssignsRoundRobin(t *testing.T) {
	t.Parallel()
	p, err := peer.Open(t.Context(), filepath.Join(t.TempDir(), "peer.db"), secret, []string{"a", "b", "c"})
	require.NoError(t, err)
	defer p.Close()
	b := loadgen.NewBodies("U0123456789abcdef0123456789abcdef")
	batch := b.Next(loadgen.User(1), loadgen.User(2), loadgen.User(1))
	require.Equal(t, http.StatusOK, post(t, p, batch, loadgen.Sign(secret, batch)))
	require.Equal(t, http.StatusOK, post(t, p, batch, loadgen.Sign(secret, batch)), "a redelivery is answered 200")
	one := b.Next(loadgen.User(3))
	require.Equal(t, http.StatusOK, post(t, p, one, loadgen.Sign(secret, one)))
	require.Equal(t, http.StatusUnauthorized, post(t, p, one, loadgen.Sign("another secret", one)))
	for table, want := range map[string]int{"webhook_events": 4, "messages": 4, "contacts": 3, "conversations": 3} {
		n, err := p.Count(t.Context(), table)
		require.NoError(t, err)
		require.Equal(t, want, n, table)
	}
}
