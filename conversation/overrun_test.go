package conversation_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation"
)

// A job whose work ran past its lease (host code that ignores ctx: here the Notifier) is run a second
// time, at the same time, by another instance, whose claim makes this instance's completion refused
// (store.ErrConflict). Unlike a lease that lapsed while the outcome waited its turn
// (TestAnOutcomeRecordedAfterTheLeaseLapsedIsNotReported), that is reported to OnError: it is the only
// sign that the job ran twice at once.
func TestAJobThatRanPastItsLeaseIsReported(t *testing.T) {
	fx := newFixture(t, nil)
	told := map[string]int{}
	other, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake},
		withNotifier(fx.opts, notifierFunc(func(_ context.Context, n conversation.Notification) error {
			told[n.MessageID]++
			return nil
		})))
	require.NoError(t, err)
	overrun := false
	var ranByOther int
	var otherErr error
	svc, err := conversation.New(fx.s, conversation.AdapterMap{fx.ch.ID: fx.fake},
		withNotifier(fx.opts, notifierFunc(func(_ context.Context, n conversation.Notification) error {
			if overrun {
				overrun = false
				// The Notifier takes longer than the job's lease (it ignores ctx): meanwhile another
				// instance claims the job and runs it.
				fx.clock.Advance(16 * time.Second)
				ranByOther, otherErr = other.Flush(t.Context())
			}
			told[n.MessageID]++
			return nil
		})))
	require.NoError(t, err)
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "returning"})
	require.NoError(t, svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))
	_, err = svc.Flush(t.Context())
	require.NoError(t, err)
	*fx.errs = nil

	require.NoError(t, svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "again")}))
	overrun = true
	_, err = svc.Flush(t.Context())
	require.NoError(t, err)
	require.NoError(t, otherErr)
	require.Equal(t, 1, ranByOther, "the other instance ran the job while this one was still in it")
	twice := 0
	for _, n := range told {
		if n == 2 {
			twice++
		}
	}
	require.Equal(t, 1, twice, "the message was notified twice, the second time while the first was running")
	require.NotEmpty(t, *fx.errs, "a job that ran past its lease (and so twice at once) is reported to OnError")
}
