package storetest

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
)

// RunRequests checks store.Requests.
func RunRequests(t *testing.T, h Harness) {
	request := func(key, result string, expires time.Time) store.Request {
		return store.Request{Scope: "reply/conv-1", Key: key, Result: json.RawMessage(result), ExpiresAt: expires}
	}

	rule(t, h, "FirstCallIsRememberedAndRepeatsGetIt", func(t *testing.T, fx fixture) {
		in := request("req-1", `{"parts":["m1","m2"]}`, T0.Add(time.Hour))
		got, created, err := fx.s.RememberRequest(t.Context(), in)
		require.NoError(t, err)
		require.True(t, created)
		in.CreatedAt = T0
		require.Equal(t, in, got, "every field must round-trip")
		stored, err := fx.s.GetRequest(t.Context(), in.Scope, in.Key)
		require.NoError(t, err)
		require.Equal(t, got, stored)
		_, err = fx.s.GetRequest(t.Context(), in.Scope, "no-such-key")
		require.ErrorIs(t, err, store.ErrNotFound)
		fx.clock.Advance(time.Minute)
		again, created, err := fx.s.RememberRequest(t.Context(), request("req-1", `{"parts":["other"]}`, T0.Add(2*time.Hour)))
		require.NoError(t, err)
		require.False(t, created, "a repeat with the same key is not a new request")
		require.Equal(t, got, again, "and it gets the first call's result")
		other, created, err := fx.s.RememberRequest(t.Context(), store.Request{Scope: "reply/conv-2", Key: "req-1", Result: json.RawMessage(`1`)})
		require.NoError(t, err)
		require.True(t, created, "keys are unique within a scope only")
		require.JSONEq(t, `1`, string(other.Result))
	})

	rule(t, h, "AnExpiredKeyIsNewAgain", func(t *testing.T, fx fixture) {
		_, _, err := fx.s.RememberRequest(t.Context(), request("req-1", `"first"`, T0.Add(time.Minute)))
		require.NoError(t, err)
		_, _, err = fx.s.RememberRequest(t.Context(), request("forever", `"kept"`, time.Time{}))
		require.NoError(t, err)
		fx.clock.Advance(time.Minute)
		_, err = fx.s.GetRequest(t.Context(), "reply/conv-1", "req-1")
		require.ErrorIs(t, err, store.ErrNotFound, "an expired request is not found")
		got, created, err := fx.s.RememberRequest(t.Context(), request("req-1", `"second"`, T0.Add(time.Hour)))
		require.NoError(t, err)
		require.True(t, created, "after it expires, by the store clock, the key is new")
		require.JSONEq(t, `"second"`, string(got.Result))
		fx.clock.Advance(1000 * time.Hour)
		_, created, err = fx.s.RememberRequest(t.Context(), request("forever", `"new"`, time.Time{}))
		require.NoError(t, err)
		require.False(t, created, "a request without expiry is remembered for ever")
	})

	rule(t, h, "ConcurrentCallsWithOneKeyCreateOnce", func(t *testing.T, fx fixture) {
		hs := handles(t, h, fx.clock, 4)
		var n int
		var mu sync.Mutex
		requireOneCreator(t, "request", func() (string, bool, error) {
			mu.Lock()
			s := hs[n%len(hs)]
			n++
			mu.Unlock()
			r, created, err := s.RememberRequest(t.Context(), request("req-1", `"result"`, T0.Add(time.Hour)))
			return string(r.Result), created, err
		})
	})

	rule(t, h, "DeleteExpiredKeepsLiveAndUnboundedOnes", func(t *testing.T, fx fixture) {
		for _, k := range []string{"a", "b", "c"} {
			_, _, err := fx.s.RememberRequest(t.Context(), request(k, `1`, T0.Add(time.Minute)))
			require.NoError(t, err)
		}
		_, _, err := fx.s.RememberRequest(t.Context(), request("live", `1`, T0.Add(time.Hour)))
		require.NoError(t, err)
		_, _, err = fx.s.RememberRequest(t.Context(), request("forever", `1`, time.Time{}))
		require.NoError(t, err)
		fx.clock.Advance(time.Minute)
		n, err := fx.s.DeleteExpiredRequests(t.Context(), 2)
		require.NoError(t, err)
		require.Equal(t, 2, n, "at most limit are deleted")
		n, err = fx.s.DeleteExpiredRequests(t.Context(), 10)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		for _, k := range []string{"live", "forever"} {
			_, created, err := fx.s.RememberRequest(t.Context(), request(k, `2`, T0.Add(time.Hour)))
			require.NoError(t, err)
			require.False(t, created, "%s is kept", k)
		}
	})
}
