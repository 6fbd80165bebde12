package line_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// What one webhook costs on PostgreSQL in round trips (a statement, or a pipelined batch of them, sent
// and answered), with round robin and a Notifier: the webhook's answer, and the jobs it causes, run by
// Flush. BenchmarkCostRoundTrips prints where they go, and BENCHMARKS.md explains them; a change that
// adds one fails here. For a new sender the webhook's transaction writes the profile job with its
// commit (the job of a contact created in the transaction needs no coalescing key, so no answer), and
// the jobs' shared transaction completes them with its commit (store.CompleteHeldJob); for a returning
// one, the message is noted on the conversation with the commit (store.NoteInbound).
func TestRoundTripsOfOneWebhook(t *testing.T) {
	const returning = 4
	for _, tc := range []struct {
		name          string
		newSender     bool
		webhook, jobs int
	}{
		{"new sender", true, 5, 12},
		{"returning sender", false, 5, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newSQLCounter()
			k := newKit(t, postgresStore(t, c), true)
			bodies := newCostBodies(t)
			for _, u := range costUsers(0, returning) { // the senders who wrote before; statements prepared
				body, sig := bodies.body(u)
				k.post(t, body, sig)
			}
			c.start()
			for i := range 3 {
				user := costUser(i % returning)
				if tc.newSender {
					user = costUser(returning + i)
				}
				body, sig := bodies.body(user)
				before := c.sent()
				serve(t, k.h, body, sig)
				answered := c.sent()
				_, err := k.svc.Flush(t.Context())
				require.NoError(t, err)
				require.Empty(t, k.errs)
				require.Equal(t, tc.webhook, answered-before, "round trips before the webhook's answer")
				require.Equal(t, tc.jobs, c.sent()-answered, "round trips of the jobs")
			}
			k.settled(t)
		})
	}
}
