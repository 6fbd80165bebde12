package web

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
)

func TestWithEmojis(t *testing.T) {
	e := func(i, n int) channel.Emoji {
		return channel.Emoji{Index: i, Length: n, ProductID: "p", EmojiID: "001"}
	}
	for _, tc := range []struct {
		text   string
		emojis []channel.Emoji
		want   string
	}{
		{"Thank you $ $", []channel.Emoji{e(10, 1), e(12, 1)}, "Thank you [emoji] [emoji]"},
		{"Hello, world! (love)", []channel.Emoji{e(14, 6)}, "Hello, world! (love)"},
		{"😊 costs $5 $", []channel.Emoji{e(12, 1)}, "😊 costs $5 [emoji]"}, // 😊 is two UTF-16 units
		{"no emojis $", nil, "no emojis $"},
		{"out of range $", []channel.Emoji{e(40, 1)}, "out of range $"},
	} {
		require.Equal(t, tc.want, withEmojis(tc.text, tc.emojis), tc.text)
	}
}

func TestSentInWords(t *testing.T) {
	require.Equal(t, "1 push (billable) and 0 replies (free)", sentInWords(1, 0))
	require.Equal(t, "2 pushes (billable) and 1 reply (free)", sentInWords(2, 1))
}
