package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
)

type rowJSON struct {
	ID      string
	Channel struct{ ID, Kind, Name string }
	Contact struct {
		ID, Name string
		Pending  bool
	}
	Record    *struct{ Kind, ID, Name, Owner string }
	Assignee  string
	Unreplied bool
	Preview   string
	Reply     struct {
		Allowed bool
		Until   *time.Time
	}
}

// An agent reads the views, opens a conversation and replies as themselves; the reply is safe to retry
// with an Idempotency-Key; outside the reply window the API answers 409.
func TestInboxFlow(t *testing.T) {
	w := newWorld(t)
	conv := w.customer(t, "U1", "Is the blue one in stock?")
	w.call(t, "aiko", http.MethodPost, "/api/conversations/"+conv+"/assign", `{"to": "ben"}`, http.StatusOK, nil)

	var views struct {
		Views []struct {
			Name  string
			Count int
		}
	}
	w.call(t, "ben", http.MethodGet, "/api/views", "", http.StatusOK, &views)
	counts := map[string]int{}
	for _, v := range views.Views {
		counts[v.Name] = v.Count
	}
	require.Len(t, views.Views, 10, "the ten standard views")
	require.Equal(t, 1, counts["mine_unreplied"])
	require.Equal(t, 1, counts["unregistered"])

	var list struct {
		Conversations []rowJSON
		Next          string
	}
	w.call(t, "ben", http.MethodGet, "/api/conversations?view=mine_unreplied", "", http.StatusOK, &list)
	require.Len(t, list.Conversations, 1)
	r := list.Conversations[0]
	require.Equal(t, conv, r.ID)
	require.Equal(t, "fake", r.Channel.Kind)
	require.Equal(t, "Is the blue one in stock?", r.Preview)
	require.Nil(t, r.Record, "unregistered: the [+] of the inbox")
	require.True(t, r.Reply.Allowed)
	raw := w.call(t, "ben", http.MethodGet, "/api/conversations?view=everything", "", http.StatusBadRequest, nil)
	require.Equal(t, "unknown_view", errorCode(t, raw))
	raw = w.call(t, "ben", http.MethodGet, "/api/conversations?cursor=garbage", "", http.StatusBadRequest, nil)
	require.Equal(t, "bad_request", errorCode(t, raw))

	// The reply is ben's, whatever the body says; a repeat with the same key sends nothing new.
	var first, again struct {
		Parts []struct{ ID, Author, Status string }
	}
	w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/reply", `{"text": "Yes, it is."}`, http.StatusOK, &first,
		"Idempotency-Key", "req-1")
	require.Len(t, first.Parts, 1)
	require.Equal(t, "ben", first.Parts[0].Author)
	w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/reply", `{"text": "Yes, it is."}`, http.StatusOK, &again,
		"Idempotency-Key", "req-1")
	require.Equal(t, first.Parts[0].ID, again.Parts[0].ID, "the same key answers the first request's parts")
	fake := fakeOf(t, w)
	require.Len(t, fake.Sends(), 1, "and sends nothing new")
	raw = w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/reply", `{"text": ""}`, http.StatusUnprocessableEntity, nil)
	require.Equal(t, "empty_reply", errorCode(t, raw))
	raw = w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/reply", `{"text": "x"}`, http.StatusBadRequest, nil,
		"Idempotency-Key", strings.Repeat("k", 201))
	require.Equal(t, "bad_request", errorCode(t, raw))

	var thread struct {
		Messages []struct {
			Direction, Author string
			Content           struct{ Text string }
		}
	}
	w.call(t, "chika", http.MethodGet, "/api/conversations/"+conv+"/messages", "", http.StatusOK, &thread)
	require.Len(t, thread.Messages, 2)
	require.Equal(t, "Is the blue one in stock?", thread.Messages[0].Content.Text, "oldest first")
	require.Equal(t, "ben", thread.Messages[1].Author)

	w.clock.Advance(8 * 24 * time.Hour)
	w.signIn(t)
	raw = w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/reply", `{"text": "Still there?"}`, http.StatusConflict, nil)
	require.Equal(t, "outside_reply_window", errorCode(t, raw))
}

// fakeOf returns the Fake adapter serving the world's channel.
func fakeOf(t *testing.T, w *world) *channeltest.Fake {
	t.Helper()
	a, err := w.conn.Adapter(map[string]string{channeltest.CredAccount: "1650", channeltest.CredSecret: "s3cr3t", channeltest.CredToken: "t0ken"})
	require.NoError(t, err)
	return a.(*channeltest.Fake)
}

// Linking from the [+]: suggestions, link, the row shows the record, the timeline lists the messages;
// creating a lead from the profile makes the signed-in user its owner.
func TestLinkFlow(t *testing.T) {
	w := newWorld(t)
	fake := fakeOf(t, w)
	fake.SetProfile(profile("U1", "Hanako Yamada"))
	fake.SetProfile(profile("U2", "Taro"))
	conv := w.customer(t, "U1", "hello")
	other := w.customer(t, "U2", "hi")
	w.crm.Add(linking.Record{Kind: store.RecordLead, ID: "L-1", DisplayName: "Hanako Yamada", Owner: "chika"})
	w.crm.Add(linking.Record{Kind: store.RecordLead, ID: "L-2", DisplayName: "Yamada Hanako", Owner: "ben"})

	var sugg struct {
		Records []struct{ Kind, ID, Name, Match string }
	}
	w.call(t, "ben", http.MethodGet, "/api/conversations/"+conv+"/suggestions", "", http.StatusOK, &sugg)
	require.Len(t, sugg.Records, 2)
	require.Equal(t, "L-1", sugg.Records[0].ID, "the exact name first")

	var row rowJSON
	w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/link", `{"kind": "lead", "recordId": "L-1"}`, http.StatusOK, &row)
	require.NotNil(t, row.Record)
	require.Equal(t, "Hanako Yamada", row.Record.Name)
	require.Equal(t, "chika", row.Record.Owner)
	raw := w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/link", `{"kind": "lead", "recordId": "L-2"}`, http.StatusConflict, nil)
	require.Equal(t, "already_linked", errorCode(t, raw))
	raw = w.call(t, "ben", http.MethodPost, "/api/conversations/"+other+"/link", `{"kind": "lead", "recordId": "L-404"}`, http.StatusNotFound, nil)
	require.Equal(t, "not_found", errorCode(t, raw))

	var timeline struct {
		Record   struct{ Name string }
		Messages []struct{ ConversationID string }
	}
	w.call(t, "chika", http.MethodGet, "/api/records/lead/L-1/timeline", "", http.StatusOK, &timeline)
	require.Equal(t, "Hanako Yamada", timeline.Record.Name)
	require.Len(t, timeline.Messages, 1)

	w.call(t, "ben", http.MethodPost, "/api/conversations/"+other+"/link", `{"kind": "contact", "create": true}`, http.StatusOK, &row)
	require.Equal(t, "ben", row.Record.Owner, "a record created from the profile is the agent's")
	require.Equal(t, "Taro", row.Record.Name)

	var history struct{ Changes []struct{ Reason, By string } }
	w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/unlink", "", http.StatusOK, &row)
	require.Nil(t, row.Record)
	w.call(t, "ben", http.MethodGet, "/api/conversations/"+conv+"/links", "", http.StatusOK, &history)
	require.Len(t, history.Changes, 2)
	require.Equal(t, "ben", history.Changes[1].By, "the history names the signed-in agent")
}

// Templates are checked on save: errors refuse it with the findings, warnings come back with it; the
// preview renders against the conversation.
func TestTemplateFlow(t *testing.T) {
	w := newWorld(t)
	fakeOf(t, w).SetProfile(profile("U1", "Hanako"))
	conv := w.customer(t, "U1", "hello")
	raw := w.call(t, "aiko", http.MethodPost, "/api/templates", `{"name": "bad", "body": "Hi {{contact.shoe_size}}"}`,
		http.StatusUnprocessableEntity, nil)
	require.Equal(t, "template_invalid", errorCode(t, raw))
	var e struct {
		Error struct {
			Details []struct{ Severity, Field string }
		}
	}
	require.NoError(t, json.Unmarshal(raw, &e))
	require.NotEmpty(t, e.Error.Details)
	require.Equal(t, "error", e.Error.Details[0].Severity)

	var saved struct {
		Template struct {
			ID      string
			Version int64
		}
		Findings []struct{ Severity string }
	}
	w.call(t, "aiko", http.MethodPost, "/api/templates", `{"name": "hello", "body": "Hello {{contact.display_name}}!"}`, http.StatusOK, &saved)
	require.Equal(t, int64(1), saved.Template.Version)
	var preview struct{ Text string }
	w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/preview", `{"templateId": "`+saved.Template.ID+`"}`, http.StatusOK, &preview)
	require.Equal(t, "Hello Hanako!", preview.Text)

	raw = w.call(t, "aiko", http.MethodPut, "/api/templates/"+saved.Template.ID, `{"name": "hello", "body": "Hi!", "version": 7}`,
		http.StatusConflict, nil)
	require.Equal(t, "conflict", errorCode(t, raw), "a stale version is refused")
	w.call(t, "aiko", http.MethodPut, "/api/templates/"+saved.Template.ID, `{"name": "hello", "body": "Hi!", "version": 1}`, http.StatusOK, nil)

	var sent struct {
		Parts []struct{ Content struct{ Text string } }
	}
	w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/reply", `{"templateId": "`+saved.Template.ID+`"}`, http.StatusOK, &sent)
	require.Equal(t, "Hi!", sent.Parts[0].Content.Text)
	w.call(t, "aiko", http.MethodDelete, "/api/templates/"+saved.Template.ID+"?version=2", "", http.StatusNoContent, nil)
}

// Channel administration: connect refuses an account connected already, deactivation pauses replies,
// agents may read channels but not change them.
func TestChannelFlow(t *testing.T) {
	w := newWorld(t)
	conv := w.customer(t, "U1", "hello")
	raw := w.call(t, "aiko", http.MethodPost, "/api/channels", `{"kind": "fake", "name": "again", "credentials": {"account": "1650", "secret": "s", "token": "t"}}`,
		http.StatusConflict, nil)
	require.Equal(t, "already_connected", errorCode(t, raw))
	raw = w.call(t, "aiko", http.MethodPost, "/api/channels", `{"kind": "telegram", "name": "x", "credentials": {}}`, http.StatusBadRequest, nil)
	require.Equal(t, "unknown_kind", errorCode(t, raw))
	var connected struct {
		ID, WebhookURL string
		Checks         []struct{ Status string }
	}
	w.call(t, "aiko", http.MethodPost, "/api/channels", `{"kind": "fake", "name": "Osaka", "credentials": {"account": "1651", "secret": "s", "token": "t"}}`,
		http.StatusOK, &connected)
	require.Equal(t, "https://inbox.test/webhooks/"+connected.ID, connected.WebhookURL)
	require.NotEmpty(t, connected.Checks)
	body := w.call(t, "ben", http.MethodGet, "/api/channels/"+connected.ID, "", http.StatusOK, nil)
	require.NotContains(t, string(body), `"t"`, "credentials are never shown")
	require.NotContains(t, string(body), "credentials")

	w.call(t, "aiko", http.MethodPost, "/api/channels/"+w.ch.ID+"/deactivate", "", http.StatusOK, nil)
	raw = w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/reply", `{"text": "hi"}`, http.StatusConflict, nil)
	require.Equal(t, "channel_inactive", errorCode(t, raw))
	w.call(t, "aiko", http.MethodPost, "/api/channels/"+w.ch.ID+"/reactivate", "", http.StatusOK, nil)
	w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/reply", `{"text": "hi"}`, http.StatusOK, nil)

	var quota struct{ SentFree, SentBillable int }
	w.call(t, "aiko", http.MethodGet, "/api/channels/"+w.ch.ID+"/quota", "", http.StatusOK, &quota)
	require.Equal(t, 1, quota.SentFree+quota.SentBillable)
	var entry struct{ URL, QRPng string }
	w.call(t, "ben", http.MethodGet, "/api/channels/"+w.ch.ID+"/entry-points", "", http.StatusOK, &entry)
	require.NotEmpty(t, entry.URL)
}

func profile(user, name string) channel.Profile {
	return channel.Profile{UserID: user, DisplayName: name}
}

// The responsible agent is told of new messages: listed, counted, marked read; a snooze until the
// customer writes silences until the next message; settings mute events.
func TestNotificationFlow(t *testing.T) {
	w := newWorld(t)
	conv := w.customer(t, "U1", "hello")
	w.call(t, "aiko", http.MethodPost, "/api/conversations/"+conv+"/assign", `{"to": "ben"}`, http.StatusOK, nil)
	_, err := w.svc.Flush(t.Context())
	require.NoError(t, err)

	type list struct {
		Notifications []struct{ ID, Event, ConversationID, MessageID, Preview, Cursor string }
		Unread        int
	}
	var got list
	w.call(t, "ben", http.MethodGet, "/api/notifications", "", http.StatusOK, &got)
	require.Equal(t, 1, got.Unread)
	require.Equal(t, "assigned", got.Notifications[0].Event, "aiko assigned it to ben")
	w.call(t, "ben", http.MethodPost, "/api/notifications/"+got.Notifications[0].ID+"/read", "", http.StatusNoContent, nil)
	raw := w.call(t, "chika", http.MethodPost, "/api/notifications/"+got.Notifications[0].ID+"/read", "", http.StatusNotFound, nil)
	require.Equal(t, "not_found", errorCode(t, raw), "another user's notification is unknown")

	w.clock.Advance(time.Minute)
	w.customer(t, "U1", "are you there?")
	w.call(t, "ben", http.MethodGet, "/api/notifications?unread=1", "", http.StatusOK, &got)
	require.Len(t, got.Notifications, 1)
	require.Equal(t, "message", got.Notifications[0].Event)
	require.NotEmpty(t, got.Notifications[0].MessageID)
	first := got.Notifications[0].ID
	w.clock.Advance(time.Minute)
	w.customer(t, "U1", "hello again")
	w.call(t, "ben", http.MethodGet, "/api/notifications?unread=1", "", http.StatusOK, &got)
	require.Len(t, got.Notifications, 2)
	require.Equal(t, "hello again", got.Notifications[0].Preview)
	require.Equal(t, first, got.Notifications[1].ID)
	require.Equal(t, "are you there?", got.Notifications[1].Preview, "a notification shows its own message, not the latest")
	var marked struct{ Marked int }
	w.call(t, "ben", http.MethodPost, "/api/notifications/read", `{"through": "`+got.Notifications[0].Cursor+`"}`, http.StatusOK, &marked)
	require.Equal(t, 2, marked.Marked)

	var st struct{ UntilCustomerWrites bool }
	w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/snooze", `{"untilCustomerWrites": true}`, http.StatusOK, &st)
	require.True(t, st.UntilCustomerWrites)
	raw = w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/snooze", `{}`, http.StatusUnprocessableEntity, nil)
	require.Equal(t, "invalid_snooze", errorCode(t, raw))
	var row rowJSON
	w.call(t, "ben", http.MethodGet, "/api/conversations/"+conv, "", http.StatusOK, &row)

	w.call(t, "ben", http.MethodPut, "/api/notifications/settings", `{"mutedEvents": ["assigned"], "mutedChannels": []}`, http.StatusOK, nil)
	raw = w.call(t, "ben", http.MethodPut, "/api/notifications/settings", `{"mutedEvents": ["birthdays"], "mutedChannels": []}`,
		http.StatusUnprocessableEntity, nil)
	require.Equal(t, "unknown_event", errorCode(t, raw))
	w.call(t, "aiko", http.MethodPost, "/api/conversations/"+conv+"/assign", `{"to": "chika"}`, http.StatusOK, nil)
	w.call(t, "aiko", http.MethodPost, "/api/conversations/"+conv+"/assign", `{"to": "ben"}`, http.StatusOK, nil)
	_, err = w.svc.Flush(t.Context())
	require.NoError(t, err)
	w.call(t, "ben", http.MethodGet, "/api/notifications?unread=1", "", http.StatusOK, &got)
	require.Empty(t, got.Notifications, "ben muted assignments")
}
