package linetest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel/line/linetest"
)

// ids returns the message and webhook event IDs an API makes up for one webhook and one push.
func ids(t *testing.T, base int64) []string {
	t.Helper()
	s := newServer(t, &linetest.Options{IDBase: base})
	var hook struct {
		Events []struct {
			WebhookEventID string
			Message        struct{ ID string }
		}
	}
	require.NoError(t, json.Unmarshal(s.Webhook(linetest.Event{UserID: "U1", Text: "hi"}), &hook))
	require.Len(t, hook.Events, 1)
	res := call(t, http.DefaultClient, s, http.MethodPost, "/v2/bot/message/push", `{"to": "U1", "messages": [{"type": "text", "text": "yes"}]}`)
	require.Equal(t, http.StatusOK, res.status, res.body)
	var push struct{ SentMessages []struct{ ID string } }
	require.NoError(t, json.Unmarshal([]byte(res.body), &push))
	require.Len(t, push.SentMessages, 1)
	return []string{hook.Events[0].WebhookEventID, hook.Events[0].Message.ID, push.SentMessages[0].ID}
}

// An API restarted with a base above the numbers its predecessor used makes up none of its IDs again.
func TestIDBaseKeepsIDsUniqueAcrossRestarts(t *testing.T) {
	first, again := ids(t, 0), ids(t, 0)
	require.Equal(t, first, again, "without a base, a new API repeats the IDs")
	restarted := ids(t, 1_764_000_000_000_000)
	for _, id := range restarted {
		require.NotContains(t, first, id)
	}
	require.Equal(t, "500000000000000001", first[1], "the default numbering is unchanged")
}
