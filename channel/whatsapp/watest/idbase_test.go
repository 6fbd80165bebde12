package watest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel/whatsapp/watest"
)

// ids returns the IDs an API makes up for an inbound text, an inbound image (message and media) and a
// message sent.
func ids(t *testing.T, base int64) []string {
	t.Helper()
	s := newServer(t, &watest.Options{AccessToken: "t", IDBase: base})
	var hook struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []struct {
						ID    string
						Image struct{ ID string }
					}
				}
			}
		}
	}
	body := s.Webhook(watest.Inbound{From: "15551234567", Text: "hi"},
		watest.Inbound{From: "15551234567", Media: &watest.Media{Type: "image", MimeType: "image/png", Data: []byte("png")}})
	require.NoError(t, json.Unmarshal(body, &hook))
	msgs := hook.Entry[0].Changes[0].Value.Messages
	require.Len(t, msgs, 2)
	res := call(t, s, http.MethodPost, "/v21.0/"+watest.DefaultPhoneNumberID+"/messages", "t",
		`{"messaging_product": "whatsapp", "to": "15551234567", "type": "text", "text": {"body": "yes"}}`)
	require.Equal(t, http.StatusOK, res.status, res.body)
	var sent struct{ Messages []struct{ ID string } }
	require.NoError(t, json.Unmarshal([]byte(res.body), &sent))
	require.Len(t, sent.Messages, 1)
	return []string{msgs[0].ID, msgs[1].ID, msgs[1].Image.ID, sent.Messages[0].ID}
}

// An API restarted with a base above the numbers its predecessor used makes up none of its IDs again.
func TestIDBaseKeepsIDsUniqueAcrossRestarts(t *testing.T) {
	first, again := ids(t, 0), ids(t, 0)
	require.Equal(t, first, again, "without a base, a new API repeats the IDs")
	restarted := ids(t, 1_764_000_000_000_000)
	for _, id := range restarted {
		require.NotContains(t, first, id)
	}
}
