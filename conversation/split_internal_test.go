package conversation

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
)

func TestSplitText(t *testing.T) {
	t.Parallel()
	family := "👨‍👩‍👧" // 8 UTF-16 units, one grapheme
	cases := []struct {
		name  string
		s     string
		limit int
		want  []string
	}{
		{"fits", "hello", 5, []string{"hello"}},
		{"plain cut", "abcdefgh", 3, []string{"abc", "def", "gh"}},
		{"surrogate pair kept whole", "ab😀c", 3, []string{"ab", "😀c"}},
		{"ZWJ sequence kept whole", "ab" + family + "cd", 9, []string{"ab", family + "c", "d"}},
		{"combining mark stays with its letter", "abcé" + "\u0301x", 4, []string{"abc", "é\u0301x"}},
		{"skin tone stays with its emoji", "a👍🏽b", 4, []string{"a", "👍🏽", "b"}},
		{"prefers a space near the end", "hello world again", 13, []string{"hello world ", "again"}},
		{"prefers a line break", "first line\nsecond", 12, []string{"first line\n", "second"}},
		{"a grapheme longer than the limit is cut", family, 4, []string{"👨\u200d", "👩\u200d", "👧"}},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, splitText(tc.s, tc.limit, channel.UnitUTF16), tc.name)
	}
	require.Equal(t, []string{strings.Repeat("😀", 2500), "x"}, splitText(strings.Repeat("😀", 2500)+"x", 5000, channel.UnitUTF16))
}

func FuzzSplitText(f *testing.F) {
	f.Add("hello world", 4)
	f.Add("👨‍👩‍👧 family 😀 e\u0301", 3)
	f.Add(strings.Repeat("あ", 20), 7)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if s == "" || limit < 1 || limit > 64 || !utf8.ValidString(s) {
			return
		}
		pieces := splitText(s, limit, channel.UnitUTF16)
		require.Equal(t, s, strings.Join(pieces, ""), "splitting loses and adds nothing")
		for _, p := range pieces {
			require.NotEmpty(t, p)
			require.True(t, utf8.ValidString(p), "never inside a character")
			require.LessOrEqual(t, channel.UnitUTF16.Count(p), max(limit, 2), "pieces fit the limit")
		}
	})
}
