package channel_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
)

func TestMessageValidate(t *testing.T) {
	t.Parallel()
	const img, prev = "https://cdn.example.com/a.jpg", "https://cdn.example.com/a-small.jpg"
	cases := []struct {
		name string
		m    channel.Message
		ok   bool
	}{
		{"text", channel.Text("hi"), true},
		{"empty text", channel.Text(""), false},
		{"image", channel.Image(img, prev), true},
		{"image over http", channel.Image("http://cdn.example.com/a.jpg", prev), false},
		{"image without preview", channel.Image(img, ""), false},
		{"image without media", channel.Message{Type: channel.TypeImage}, false},
		{"relative url", channel.Image("/a.jpg", prev), false},
		{"video", channel.Video("https://cdn.example.com/v.mp4", prev), true},
		{"audio", channel.Audio("https://cdn.example.com/a.m4a", 3*time.Second), true},
		{"audio without duration", channel.Audio("https://cdn.example.com/a.m4a", 0), false},
		{"sticker", channel.StickerMessage("446", "1988"), true},
		{"sticker without id", channel.StickerMessage("446", ""), false},
		{"location", channel.LocationMessage("Tower", "Tokyo", 35.6, 139.7), true},
		{"location off the map", channel.LocationMessage("", "", 91, 0), false},
		{"link", channel.LinkMessage("https://files.example.com/q.pdf", "Quote"), true},
		{"link over ftp", channel.LinkMessage("ftp://files.example.com/q.pdf", ""), false},
		{"raw", channel.Raw(json.RawMessage(`{"type":"flex"}`)), true},
		{"raw not json", channel.Raw(json.RawMessage(`{"type":`)), false},
		{"file", channel.Message{Type: channel.TypeFile, Media: &channel.Media{URL: img}}, false},
		{"unknown type", channel.Message{Type: "hologram"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.m.Validate()
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, channel.ErrInvalidRequest)
		})
	}
}

func TestValidateNeverEchoesContent(t *testing.T) {
	t.Parallel()
	err := channel.Image("http://secret-host.example/private-photo.jpg", "x").Validate()
	require.Error(t, err)
	require.NotContains(t, err.Error(), "private-photo")
}

func TestMessageJSONRoundTrip(t *testing.T) {
	t.Parallel()
	in := channel.Message{Type: channel.TypeImage, ID: "m1",
		Media: &channel.Media{URL: "https://x.example/a.jpg", Duration: time.Second, Set: &channel.ImageSet{ID: "s", Index: 1, Total: 3}}}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	var out channel.Message
	require.NoError(t, json.Unmarshal(b, &out))
	require.Equal(t, in, out)
	require.JSONEq(t, `{"type":"image","id":"m1","media":{"url":"https://x.example/a.jpg","duration":1000000000,"set":{"id":"s","index":1,"total":3}}}`, string(b))
}

// Content is fetched by the channel's ID of the content when it names one, else by the message's ID.
func TestContentRef(t *testing.T) {
	t.Parallel()
	require.Equal(t, "325708", channel.ContentRef(channel.Message{Type: channel.TypeImage, ID: "325708",
		Media: &channel.Media{ContentType: "image/jpeg"}}), "LINE: the message ID")
	require.Equal(t, "1003383421387256", channel.ContentRef(channel.Message{Type: channel.TypeImage, ID: "wamid.HBg=",
		Media: &channel.Media{ID: "1003383421387256"}}), "WhatsApp: the media ID")
	require.Equal(t, "m1", channel.ContentRef(channel.Message{Type: channel.TypeText, ID: "m1"}), "no media: the message ID")

	b, err := json.Marshal(channel.Event{ID: "e1", Kind: channel.EventMessage, Profile: &channel.Profile{UserID: "1650", DisplayName: "Sheena"},
		Message: &channel.Message{Type: channel.TypeImage, ID: "wamid.HBg=", Media: &channel.Media{ID: "1003"}}})
	require.NoError(t, err)
	require.JSONEq(t, `{"id":"e1","kind":"message","time":"0001-01-01T00:00:00Z","source":{"kind":"","id":""},
		"profile":{"userId":"1650","displayName":"Sheena"},"message":{"type":"image","id":"wamid.HBg=","media":{"id":"1003"}}}`, string(b))
}

func TestTextUnitCount(t *testing.T) {
	t.Parallel()
	cases := []struct {
		s                   string
		utf16, runes, bytes int
	}{
		{"", 0, 0, 0},
		{"hello", 5, 5, 5},
		{"こんにちは", 5, 5, 15},
		{"😀", 2, 1, 4},
		{"a😀b", 4, 3, 6},
		{"👨‍👩‍👧", 8, 5, 18}, // a ZWJ family: 3 astral emoji + 2 joiners
	}
	for _, tc := range cases {
		require.Equal(t, tc.utf16, channel.UnitUTF16.Count(tc.s), "UTF-16 length of %q", tc.s)
		require.Equal(t, tc.runes, channel.UnitRune.Count(tc.s), "rune length of %q", tc.s)
		require.Equal(t, tc.bytes, channel.UnitByte.Count(tc.s), "byte length of %q", tc.s)
	}
	require.Equal(t, 1, channel.TextUnit("other").Count("😀"), "an unknown unit counts code points")
}

func TestPeer(t *testing.T) {
	t.Parallel()
	require.Equal(t, channel.Peer{Kind: channel.PeerUser, ID: "U1", UserID: "U1"}, channel.User("U1"))
	g := channel.Group("G1", "U2")
	require.Equal(t, channel.Peer{Kind: channel.PeerGroup, ID: "G1"}, g.Chat())
	require.Equal(t, channel.Peer{Kind: channel.PeerUser, ID: "U1"}, channel.User("U1").Chat())
	require.Equal(t, "room:R1", channel.Room("R1", "").String())
	require.True(t, channel.Peer{}.IsZero())
	require.False(t, g.IsZero())
}
