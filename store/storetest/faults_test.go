package storetest_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/memstore"
	"github.com/msgkit/msgkit/store/storetest"
)

// Faults keeps the optional capabilities that save a backend statements or round trips
// (store.HeldJobCompleter, store.InboundNoter, store.ContactsGetter), each a call of its own that a test
// can fail, so that fault-injection tests run the calls production makes rather than their fallbacks.
func TestFaultsKeepTheOptionalCalls(t *testing.T) {
	injected := errors.New("injected")
	var seen []string
	f := storetest.NewFaults(memstore.New(nil), func(c storetest.Call) error {
		seen = append(seen, c.Method)
		return injected
	})
	require.ErrorIs(t, store.CompleteHeldJob(t.Context(), f, "job-1", "lease-1"), injected)
	require.ErrorIs(t, store.NoteInbound(t.Context(), f, "conversation-1", store.InboundNote{}), injected)
	_, err := store.GetContacts(t.Context(), f, []string{"contact-1"})
	require.ErrorIs(t, err, injected)
	require.Equal(t, []string{"CompleteHeldJob", "NoteInbound", "GetContacts"}, seen)
}
