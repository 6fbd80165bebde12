package conversation_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// A profile job whose channel was erased before it ran ends: it is given up like any other, though the
// contact its failure would be recorded on is gone. (It used to be left to its lease, claimed and given
// up again for ever: giveUp's store.ErrNotFound was taken for a failure to record.)
func TestAProfileJobOfAnErasedChannelEnds(t *testing.T) {
	fx := newFixture(t, nil)
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako"})
	require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))
	require.NoError(t, fx.s.DeleteChannel(t.Context(), fx.ch.ID))
	for range 200 {
		fx.flush(t)
		fx.clock.Advance(10 * time.Minute)
	}
	pending, _, err := fx.s.ListJobs(t.Context(), store.JobFilter{Status: store.JobPending}, store.Page{})
	require.NoError(t, err)
	for _, j := range pending {
		t.Errorf("a %s job is still pending after %d attempts over 33 hours: %s", j.Kind, j.Attempts, j.LastError)
	}
}
