package line_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
)

// The whole webhook path, LINE adapter behind channel.Handler, logs nothing personal: not for a body that
// verifies but does not decode, not for a forged one, not when the sink fails.
func TestWebhookPathLogsNothingPersonal(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := newLineAPI(t, nil).adapter(t, line.Config{}, &line.Options{Logger: logger})
	h, err := channel.NewHandler("shop", a, func(context.Context, channel.Delivery) error {
		return errors.New("database is down")
	}, &channel.HandlerOptions{Logger: logger})
	require.NoError(t, err)

	const pii = "Hanako Yamada 090-1234-5678"
	valid := []byte(`{"destination":"Ubot","events":[{"type":"message","mode":"active","timestamp":1,"webhookEventId":"E1",
		"deliveryContext":{"isRedelivery":false},"replyToken":"rt-secret","source":{"type":"user","userId":"U1"},
		"message":{"type":"text","id":"m1","text":"` + pii + `"}}]}`)
	malformed := []byte(`{"events":[{"type":"message","message":{"type":"text","text":"` + pii + `"}`)
	forged := signedRequest("not-the-secret", valid)

	for _, tc := range []struct {
		req  *http.Request
		want int
	}{
		{signedRequest(secret, malformed), http.StatusBadRequest},
		{forged, http.StatusUnauthorized},
		{signedRequest(secret, valid), http.StatusInternalServerError},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, tc.req)
		require.Equal(t, tc.want, w.Code)
		require.NotContains(t, w.Body.String(), "Hanako")
	}
	out := logs.String()
	require.Contains(t, out, "webhook rejected", "failures are logged")
	for _, secretText := range []string{"Hanako", "090-1234", "rt-secret", secret, "long-lived-token"} {
		require.NotContains(t, out, secretText, "logs must not contain personal data, tokens or secrets")
	}
}
