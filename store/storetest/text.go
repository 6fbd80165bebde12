package storetest

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// Awkward text a channel (or an agent) can send. Every backend must store it and give it back.
const (
	textNUL       = "nul:\x00:end"
	textInvalid   = "invalid UTF-8:\xff\xfe\xc3:end"
	textEmoji     = "emoji:😀👍🏽👨‍👩‍👧:end" // 4-byte runes, a skin-tone modifier, a ZWJ sequence
	textRTL       = "rtl:שלום مرحبا \u202eevil\u202c:end"
	textCombining = "combining:e\u0301 Z\u0351\u0352\u0489:end"
	textEscape    = "escape:\x01\x010\x01x41\\u0000:end" // looks like an escape sequence of its own
)

var awkwardTexts = map[string]string{"NUL": textNUL, "InvalidUTF8": textInvalid, "Emoji": textEmoji, "RightToLeft": textRTL,
	"Combining": textCombining, "EscapeLookalike": textEscape, "All": textNUL + textInvalid + textEmoji + textRTL + textCombining + textEscape}

// RunText checks that text is stored as given, whatever it holds: NUL characters, invalid UTF-8, 4-byte
// emoji, right-to-left and combining characters. Identifiers and plain fields (IDs, names, authors,
// reasons) come back byte for byte; text inside structured content (message content, events, profiles)
// comes back byte for byte when it is valid UTF-8, and otherwise with each invalid byte replaced by
// U+FFFD, as JSON encodes it.
func RunText(t *testing.T, h Harness) {
	for name, text := range awkwardTexts {
		rule(t, h, "AwkwardTextIsStoredAndReturned/"+name, func(t *testing.T, fx fixture) {
			requireText(t, fx, text)
		})
	}
}

func requireText(t *testing.T, fx fixture, text string) {
	ctx := t.Context()
	ch, err := fx.s.CreateChannel(ctx, store.Channel{Name: text, Kind: "line", ExternalID: text, Active: true})
	require.NoError(t, err, "a channel named with awkward text")
	got, err := fx.s.GetChannel(ctx, ch.ID)
	require.NoError(t, err)
	require.Equal(t, text, got.Name, "channel name")
	require.Equal(t, text, got.ExternalID, "channel external ID")

	peer := channel.User(text)
	k, created, err := fx.s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: peer})
	require.NoError(t, err, "a contact whose peer ID is awkward text")
	require.True(t, created)
	again, created, err := fx.s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: peer})
	require.NoError(t, err)
	require.False(t, created, "the same awkward peer ID finds the same contact")
	require.Equal(t, k.ID, again.ID)
	require.Equal(t, text, again.Peer.ID, "peer ID")
	k.Profile = channel.Profile{UserID: text, DisplayName: text, StatusMessage: text}
	k.ProfileError = text
	k, err = fx.s.UpdateContact(ctx, k)
	require.NoError(t, err, "a profile of awkward text")
	gotContact, err := fx.s.GetContact(ctx, k.ID)
	require.NoError(t, err)
	requireContentText(t, text, gotContact.Profile.DisplayName, "profile display name")
	require.Equal(t, text, gotContact.ProfileError, "profile error")

	conv, _, err := fx.s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: peer})
	require.NoError(t, err)
	conv.Assignee, conv.ReplyToken = text, text
	conv, err = fx.s.UpdateConversation(ctx, conv)
	require.NoError(t, err)
	gotConv, err := fx.s.GetConversation(ctx, conv.ID)
	require.NoError(t, err)
	require.Equal(t, text, gotConv.Assignee, "assignee")
	require.Equal(t, text, gotConv.ReplyToken, "reply token")
	mine, _, err := fx.s.ListConversations(ctx, store.View{Assignee: text}, store.Page{})
	require.NoError(t, err)
	require.Len(t, mine, 1, "a view filters on awkward text")

	ev := &channel.Event{ID: text, Kind: channel.EventPostback, Type: text, Time: T0, Source: peer,
		Postback: &channel.Postback{Data: text, Params: map[string]string{text: text}}}
	m, _, err := fx.s.AppendMessage(ctx, store.Message{ConversationID: conv.ID, Direction: store.Inbound, Kind: channel.EventMessage,
		ChannelMessageID: text, Author: text, Content: channel.Text(text), Event: ev, StatusDetail: text, Time: T0})
	require.NoError(t, err, "a message of awkward text")
	found, err := fx.s.FindMessage(ctx, ch.ID, text)
	require.NoError(t, err, "a message is found by an awkward channel message ID")
	require.Equal(t, m.ID, found.ID)
	require.Equal(t, text, found.ChannelMessageID, "channel message ID")
	require.Equal(t, text, found.Author, "author")
	require.Equal(t, text, found.StatusDetail, "status detail")
	requireContentText(t, text, found.Content.Text, "message text")
	require.NotNil(t, found.Event)
	requireContentText(t, text, found.Event.Postback.Data, "event payload")

	ce, _, err := fx.s.AppendChannelEvent(ctx, store.ChannelEvent{ChannelID: ch.ID, Event: *ev})
	require.NoError(t, err, "a channel event of awkward text")
	_, created, err = fx.s.AppendChannelEvent(ctx, store.ChannelEvent{ChannelID: ch.ID, Event: *ev})
	require.NoError(t, err)
	require.False(t, created, "an awkward event ID deduplicates")
	list, _, err := fx.s.ListChannelEvents(ctx, ch.ID, store.Page{})
	require.NoError(t, err)
	require.Equal(t, []string{ce.ID}, cursorIDs(list))
	require.Equal(t, text, list[0].Event.ID, "channel event ID")

	tpl, err := fx.s.CreateTemplate(ctx, store.Template{Name: text, Body: text})
	require.NoError(t, err, "a template of awkward text")
	gotTpl, err := fx.s.GetTemplate(ctx, tpl.ID)
	require.NoError(t, err)
	require.Equal(t, text, gotTpl.Name, "template name")
	require.Equal(t, text, gotTpl.Body, "template body")

	j, _, err := fx.s.EnqueueJob(ctx, store.Job{Kind: text, Key: text, LastError: text})
	require.NoError(t, err, "a job of awkward text")
	gotJob, err := fx.s.GetJob(ctx, j.ID)
	require.NoError(t, err)
	require.Equal(t, text, gotJob.Kind, "job kind")
	require.Equal(t, text, gotJob.Key, "job key")
	require.Equal(t, text, gotJob.LastError, "job error")
}

// requireContentText checks text kept inside structured content: exact, or with invalid UTF-8 replaced as
// JSON does.
func requireContentText(t *testing.T, want, got, what string) {
	t.Helper()
	if got != want {
		require.Equal(t, jsonValid(want), got, "%s must come back as stored (invalid UTF-8 may become U+FFFD)", what)
	}
}

// jsonValid replaces each byte of s that is not valid UTF-8 with U+FFFD, as encoding/json does.
func jsonValid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
