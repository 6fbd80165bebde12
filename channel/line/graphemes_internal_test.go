package line

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGraphemes(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]int{
		"":          0,
		"Yes":       3,
		"はい、お願いします": 9,
		"👍":         1,
		"👍🏽":        1, // skin tone modifier
		"👨‍👩‍👧":     1, // ZWJ family
		"🇯🇵🇺🇸":      2, // two flags
		"🇯":         1, // a lone regional indicator
		"❤️":        1, // variation selector
		"é":         1, // e + combining acute
		"🏴󠁧󠁢󠁳󠁣󠁴󠁿":   1, // tag sequence (Scotland)
		"a\r\nb":    3,
		"S 👍🏽 M":    5,
	} {
		require.Equal(t, want, graphemes(s), "%q", s)
	}
}
