package conversation_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/assign"
	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// A message's routing follows the channel's assignment rule as it is when the routing runs: once an
// administrator moved the channel to another pool, routing does not pick from the old one.
func TestRoutingAfterARuleChangeUsesTheNewRule(t *testing.T) {
	fx := newFixture(t, nil)
	fx.fake.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako"})
	fx.flush(t) // the Service records its own jobs for itself from now on
	require.NoError(t, fx.svc.Ingest(t.Context(), fx.ch.ID, []channel.Event{fx.text("U1", "hi")}))

	ch, err := fx.s.GetChannel(t.Context(), fx.ch.ID)
	require.NoError(t, err)
	ch.Assignment = store.AssignmentRule{Strategy: assign.StrategyRoundRobin, Pool: store.PoolUsers, PoolIDs: []string{"carol"}}
	_, err = fx.s.UpdateChannel(t.Context(), ch)
	require.NoError(t, err)

	fx.flush(t)
	require.Equal(t, "carol", fx.conversationWith(t, "U1").Assignee,
		"routing that ran after the rule changed picked from the old pool")
}
