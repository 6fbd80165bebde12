package channel_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
)

func TestAPIErrorUnwrapsToCategoryReasonAndCause(t *testing.T) {
	t.Parallel()
	cause := &net.OpError{Op: "dial", Err: errors.New("connection refused")}
	err := fmt.Errorf("sending: %w", &channel.APIError{Channel: "line", Op: "reply", Status: 400,
		Category: channel.ErrInvalidRequest, Reason: channel.ErrReplyTokenInvalid, Err: cause})
	require.ErrorIs(t, err, channel.ErrInvalidRequest)
	require.ErrorIs(t, err, channel.ErrReplyTokenInvalid)
	var opErr *net.OpError
	require.ErrorAs(t, err, &opErr, "the cause stays reachable")
	var apiErr *channel.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 400, apiErr.Status)
	require.NotErrorIs(t, err, channel.ErrRateLimited)
}

func TestAPIErrorText(t *testing.T) {
	t.Parallel()
	err := &channel.APIError{Channel: "line", Op: "push", Status: 429, RequestID: "req-1", RetryAfter: 2 * time.Second,
		Message: "Too many requests", Details: []channel.ErrorDetail{{Property: "messages[0].text", Message: "too long"}, {Message: "x"}},
		Category: channel.ErrRateLimited}
	require.Equal(t, "line push: status 429: rate limited: Too many requests (messages[0].text: too long) (x) [retry after 2s] [request req-1]", err.Error())
	require.Equal(t, "line", (&channel.APIError{Channel: "line"}).Error())
}

func TestIsRetryable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("plain"), false},
		{channel.ErrRateLimited, true},
		{channel.ErrUnavailable, true},
		{fmt.Errorf("wrapped: %w", channel.ErrUnavailable), true},
		{channel.ErrQuotaExceeded, false},
		{&channel.APIError{Category: channel.ErrQuotaExceeded, Reason: channel.ErrRateLimited}, false},
		{channel.ErrUnauthorized, false},
		{channel.ErrInvalidRequest, false},
		{channel.ErrNotFound, false},
		{channel.ErrInvalidSignature, false},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, channel.IsRetryable(tc.err), "IsRetryable(%v)", tc.err)
	}
}

func TestRetryAfterAndCategory(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("x: %w", &channel.APIError{RetryAfter: 3 * time.Second, Category: channel.ErrRateLimited})
	require.Equal(t, 3*time.Second, channel.RetryAfter(err))
	require.Zero(t, channel.RetryAfter(errors.New("plain")))
	require.Equal(t, channel.ErrRateLimited, channel.Category(err))
	require.Nil(t, channel.Category(errors.New("plain")))
	require.Equal(t, channel.ErrQuotaExceeded, channel.Category(&channel.APIError{Category: channel.ErrQuotaExceeded}))
}

func TestMayHaveSent(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	read := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	for _, tc := range []struct {
		name string
		err  error
		may  bool
	}{
		{"no error", nil, false},
		{"the channel answered", &channel.APIError{Status: 500, Category: channel.ErrUnavailable}, false},
		{"the channel refused", &channel.APIError{Status: 400, Category: channel.ErrInvalidRequest}, false},
		{"never connected", &channel.APIError{Category: channel.ErrUnavailable, Err: dial}, false},
		{"no such host", &channel.APIError{Category: channel.ErrUnavailable, Err: &net.DNSError{Err: "no such host"}}, false},
		{"refused before sending", fmt.Errorf("line: %w", channel.ErrInvalidRequest), false},
		{"connection reset after sending", &channel.APIError{Category: channel.ErrUnavailable, Err: read}, true},
		{"timed out waiting for the answer", &channel.APIError{Category: channel.ErrUnavailable, Err: context.DeadlineExceeded}, true},
		{"an error that does not say", errors.New("something broke"), true},
	} {
		require.Equal(t, tc.may, channel.MayHaveSent(tc.err), tc.name)
	}
}
