package channel_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/mocks/channelmock"
)

// rules are LINE-like rules, stated here so the test does not depend on an adapter.
var rules = channel.MediaRules{Media: []channel.MediaRule{
	{Type: channel.TypeImage, ContentTypes: []string{"image/jpeg", "image/png"}, MaxBytes: 10_000_000,
		Preview: &channel.PreviewRule{ContentTypes: []string{"image/jpeg", "image/png"}, MaxBytes: 1_000_000}},
	{Type: channel.TypeVideo, ContentTypes: []string{"video/mp4"}, MaxBytes: 200_000_000},
	{Type: channel.TypeAudio, ContentTypes: []string{"audio/mp4", "audio/mpeg"}, MaxBytes: 200_000_000, MaxDuration: time.Hour, NeedsDuration: true},
}, MaxURLLength: 2000}

func TestMediaRulesFit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		contentType string
		size        int64
		d           time.Duration
		want        channel.MessageType // "" when it does not fit
		reason      string
	}{
		{"jpeg", "image/jpeg", 2_000_000, 0, channel.TypeImage, ""},
		{"png with parameters and capitals", "Image/PNG; charset=binary", 10, 0, channel.TypeImage, ""},
		{"size unknown is left to the caller", "image/jpeg", -1, 0, channel.TypeImage, ""},
		{"at the limit", "image/jpeg", 10_000_000, 0, channel.TypeImage, ""},
		{"over the limit", "image/jpeg", 10_000_001, 0, "", "it is 10 MB, and the channel takes image messages of at most 10 MB"},
		{"gif", "image/gif", 1000, 0, "", "the channel cannot send image/gif files as media"},
		{"mp4", "video/mp4", 50_000_000, 0, channel.TypeVideo, ""},
		{"mov", "video/quicktime", 1000, 0, "", "cannot send video/quicktime files"},
		{"audio with its length", "audio/mpeg", 1000, 3 * time.Second, channel.TypeAudio, ""},
		{"audio without its length", "audio/mpeg", 1000, 0, "", "its length could not be read"},
		{"audio too long", "audio/mp4", 1000, 2 * time.Hour, "", "it lasts 2h0m0s"},
		{"garbage type", ";;;", 1, 0, "", "cannot send"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rule, err := rules.Fit(tc.contentType, tc.size, tc.d)
			if tc.want != "" {
				require.NoError(t, err)
				require.Equal(t, tc.want, rule.Type)
				return
			}
			var me *channel.MediaError
			require.ErrorAs(t, err, &me)
			require.Contains(t, me.Reason, tc.reason)
		})
	}
}

func TestMediaRulesHelpers(t *testing.T) {
	t.Parallel()
	require.Equal(t, int64(200_000_000), rules.MaxBytes())
	require.Zero(t, channel.MediaRules{Media: []channel.MediaRule{{Type: channel.TypeImage}}}.MaxBytes(), "a rule without a limit makes the most unlimited")
	for n, want := range map[int64]string{0: "0 bytes", 999: "999 bytes", 1000: "1 KB", 1_500_000: "1.5 MB", 10_000_000: "10 MB", 3_210_000_000: "3.2 GB"} {
		require.Equal(t, want, channel.Bytes(n))
	}
	a := channelmock.NewMockAdapter(gomock.NewController(t))
	a.EXPECT().Kind().Return("bare").AnyTimes()
	_, err := channel.MediaRulesOf(a)
	require.ErrorIs(t, err, errors.ErrUnsupported)
}

// An adapter states which files go out as media; the conversation service asks before it stores a reply.
func ExampleMediaRules_Fit() {
	for _, f := range []struct {
		contentType string
		size        int64
	}{{"image/jpeg", 2_400_000}, {"image/jpeg", 48_000_000}, {"image/heic", 900_000}} {
		rule, err := rules.Fit(f.contentType, f.size, 0)
		if err != nil {
			fmt.Println("as a link:", err.(*channel.MediaError).Reason)
			continue
		}
		fmt.Println("as", rule.Type, "with a preview of at most", channel.Bytes(rule.Preview.MaxBytes))
	}
	// Output:
	// as image with a preview of at most 1 MB
	// as a link: it is 48 MB, and the channel takes image messages of at most 10 MB
	// as a link: the channel cannot send image/heic files as media
}
