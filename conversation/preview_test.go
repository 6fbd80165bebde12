package conversation_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation"
)

func TestPreviewOf(t *testing.T) {
	long := strings.Repeat("あ", conversation.PreviewLength+5)
	sticker := channel.Message{Type: channel.TypeSticker, Sticker: &channel.Sticker{PackageID: "1", StickerID: "2"}}
	captioned := channel.Message{Type: channel.TypeImage, Text: "the\nreceipt"}
	cases := []struct {
		in   channel.Message
		want string
	}{
		{channel.Text("  hello\n\tthere  "), "hello there"},
		{channel.Text(long), strings.Repeat("あ", conversation.PreviewLength-1) + "…"},
		{channel.Text(strings.Repeat("x", conversation.PreviewLength)), strings.Repeat("x", conversation.PreviewLength)},
		{sticker, "[sticker]"},
		{channel.Message{Type: channel.TypeImage}, "[image]"},
		{captioned, "[image] the receipt"},
		{channel.Message{Type: channel.TypeFile}, "[file]"},
		{channel.Message{Type: channel.TypeLocation}, "[location]"},
		{channel.Message{Type: channel.TypeLink, Link: &channel.Link{URL: "https://x.test", Title: "Catalogue"}}, "[link] Catalogue"},
		{channel.Message{Type: channel.TypeTemplate, Template: &channel.Template{Name: "order_ready"}}, "[template] order_ready"},
		{channel.Message{Type: channel.TypeRaw, Raw: []byte(`{}`)}, "[message]"},
		{channel.Message{}, "[message]"},
		{channel.Message{Type: channel.TypeText, Text: "👍 ok $ and $$", Emojis: []channel.Emoji{{Index: 6, Length: 1}, {Index: 12, Length: 1}}},
			"👍 ok [emoji] and [emoji]$"}, // indexes in UTF-16 units: 👍 is two
		{channel.Message{Type: channel.TypeText, Text: "Hi (love)", Emojis: []channel.Emoji{{Index: 3, Length: 6}}}, "Hi (love)"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, conversation.PreviewOf(tc.in), "%+v", tc.in)
	}
}

// The inbox row shows the latest message, whichever side wrote it; a late redelivery of an older
// customer message does not replace it.
func TestConversationPreviewFollowsTheLatestMessage(t *testing.T) {
	fx := newFixture(t, nil)
	fx.ingest(t, fx.text("U1", "Is my order ready?"))
	require.Equal(t, "Is my order ready?", fx.conversationWith(t, "U1").Preview)

	fx.clock.Advance(time.Minute)
	conv := fx.conversationWith(t, "U1")
	_, err := fx.svc.Reply(t.Context(), conv.ID, "alice", conversation.Reply{Messages: []channel.Message{channel.Text("Yes!"),
		{Type: channel.TypeSticker, Sticker: &channel.Sticker{PackageID: "446", StickerID: "1988"}}}})
	require.NoError(t, err)
	fx.flush(t)
	require.Equal(t, "[sticker]", fx.conversationWith(t, "U1").Preview, "the reply's last part")

	late := fx.text("U1", "an older message, delivered late")
	late.Time = t0.Add(30 * time.Second)
	fx.ingest(t, late)
	require.Equal(t, "[sticker]", fx.conversationWith(t, "U1").Preview)
}

func ExamplePreviewOf() {
	fmt.Println(conversation.PreviewOf(channel.Text("Hello,\nis the blue one in stock?")))
	fmt.Println(conversation.PreviewOf(channel.Message{Type: channel.TypeSticker, Sticker: &channel.Sticker{PackageID: "446", StickerID: "1988"}}))
	// Output:
	// Hello, is the blue one in stock?
	// [sticker]
}
