package conversation_test

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation"
)

// A job that fails and runs again later is logged as it fails, with its kind, attempt and reason, and
// nothing of the message or the customer: a cause that does not pass (here a rule naming a strategy the
// Assigner lacks) shows long before the job is given up.
func TestAFailedJobIsLoggedBeforeItRunsAgain(t *testing.T) {
	var logs bytes.Buffer
	fx := newFixture(t, func(o *conversation.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	ch, err := fx.s.GetChannel(t.Context(), fx.ch.ID)
	require.NoError(t, err)
	ch.Assignment.Strategy = "balanced" // the fixture's Assigner has round robin only
	_, err = fx.s.UpdateChannel(t.Context(), ch)
	require.NoError(t, err)
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako Yamada"})
	require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "my card number is 4111")}))
	fx.flush(t)

	out := logs.String()
	require.Regexp(t, `msg="conversation: a job failed; it runs again" kind=inbound job_id=\S+ attempt=1 reason=other`, out)
	require.Empty(t, *fx.errs, "not given up: nothing for OnError yet")
	for _, personal := range []string{"4111", "Hanako", "U1"} {
		require.NotContains(t, out, personal)
	}
}
