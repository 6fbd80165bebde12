package whatsapp_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
)

// Each Graph API error code maps onto its category, whatever HTTP status carries it.
func TestErrorMapping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status, code, subcode int
		want, reason          error
	}{
		{http.StatusBadRequest, 4, 0, channel.ErrRateLimited, nil},
		{http.StatusBadRequest, 80007, 0, channel.ErrRateLimited, nil},
		{http.StatusBadRequest, 130429, 0, channel.ErrRateLimited, nil},
		{http.StatusBadRequest, 131048, 0, channel.ErrRateLimited, nil},
		{http.StatusBadRequest, 131056, 0, channel.ErrRateLimited, nil},
		{http.StatusTooManyRequests, 0, 0, channel.ErrRateLimited, nil},
		{http.StatusBadRequest, 131047, 0, channel.ErrInvalidRequest, whatsapp.ErrWindowClosed},
		{http.StatusUnauthorized, 190, 0, channel.ErrUnauthorized, nil},
		{http.StatusBadRequest, 190, 463, channel.ErrUnauthorized, nil},
		{http.StatusForbidden, 10, 0, channel.ErrUnauthorized, nil},
		{http.StatusForbidden, 200, 0, channel.ErrUnauthorized, nil},
		{http.StatusBadRequest, 3, 0, channel.ErrUnauthorized, nil},
		{http.StatusUnauthorized, 0, 0, channel.ErrUnauthorized, nil},
		{http.StatusBadRequest, 131026, 0, channel.ErrNotFound, nil},
		{http.StatusBadRequest, 100, 33, channel.ErrNotFound, nil},
		{http.StatusNotFound, 0, 0, channel.ErrNotFound, nil},
		{http.StatusBadRequest, 131030, 0, channel.ErrInvalidRequest, nil},
		{http.StatusInternalServerError, 131000, 0, channel.ErrUnavailable, nil},
		{http.StatusServiceUnavailable, 131016, 0, channel.ErrUnavailable, nil},
		{http.StatusBadRequest, 131016, 0, channel.ErrUnavailable, nil},
		{http.StatusBadRequest, 2, 0, channel.ErrUnavailable, nil},
		{http.StatusBadGateway, 0, 0, channel.ErrUnavailable, nil},
		{http.StatusBadRequest, 100, 0, channel.ErrInvalidRequest, nil},
		{http.StatusBadRequest, 131009, 0, channel.ErrInvalidRequest, nil},
		{http.StatusBadRequest, 132001, 0, channel.ErrInvalidRequest, nil},
	} {
		name := strconv.Itoa(tc.status) + "/" + strconv.Itoa(tc.code)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, a := openFake(t)
			fault := watest.GraphError(tc.status, tc.code, tc.subcode, "(#"+strconv.Itoa(tc.code)+") Something", "Details of it")
			fault.Header.Set("Retry-After", "7")
			f.Fail(watest.OpSend, fault)
			_, err := a.Send(t.Context(), channel.User(customer), []channel.Message{channel.Text("Call me at 090-1234-5678")}, channel.SendOptions{})
			require.ErrorIs(t, err, tc.want)
			require.Equal(t, tc.want, channel.Category(err))
			if tc.reason != nil {
				require.ErrorIs(t, err, tc.reason)
			}
			var apiErr *channel.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, whatsapp.Kind, apiErr.Channel)
			require.Equal(t, "send", apiErr.Op)
			require.Equal(t, tc.status, apiErr.Status)
			require.Equal(t, "AbCdEfGhIjKlMnOpQrStUvW", apiErr.RequestID, "the fbtrace_id names the request for Meta's support")
			require.Equal(t, 7*time.Second, apiErr.RetryAfter)
			require.Equal(t, "(#"+strconv.Itoa(tc.code)+") Something", apiErr.Message)
			require.False(t, channel.MayHaveSent(err), "an answer from WhatsApp says nothing was sent")
			require.NotContains(t, err.Error(), "090-1234-5678", "no message content in errors")
			require.NotContains(t, err.Error(), accessToken, "no token in errors")
		})
	}
}

// A 2xx answer that does not arrive whole is like a lost answer: the message may have been sent.
func TestMalformedSuccessMayHaveSent(t *testing.T) {
	t.Parallel()
	f, a := openFake(t)
	f.Fail(watest.OpSend, watest.Fault{Kind: watest.Answer, Status: http.StatusOK, Body: `{"messaging_product":"whats`})
	_, err := a.Send(t.Context(), channel.User(customer), []channel.Message{channel.Text("hello")}, channel.SendOptions{})
	require.ErrorIs(t, err, channel.ErrUnavailable)
	require.True(t, channel.MayHaveSent(err))

	f.Fail(watest.OpSend, watest.Fault{Kind: watest.Answer, Status: http.StatusOK, Body: `{"messages":[]}`})
	_, err = a.Send(t.Context(), channel.User(customer), []channel.Message{channel.Text("hello")}, channel.SendOptions{})
	require.ErrorIs(t, err, channel.ErrUnavailable)
	require.True(t, channel.MayHaveSent(err))
}
