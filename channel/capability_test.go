package channel_test

import (
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/internal/mocks/channelmock"
)

func TestCapabilityHelpersReportUnsupported(t *testing.T) {
	t.Parallel()
	a := channelmock.NewMockAdapter(gomock.NewController(t)) // a bare Adapter: no optional capability
	a.EXPECT().Kind().Return("bare").AnyTimes()
	ctx := t.Context()
	_, err1 := channel.FetchProfile(ctx, a, channel.User("U1"))
	_, err2 := channel.FetchAccountInfo(ctx, a)
	_, err3 := channel.CheckSettings(ctx, a, channel.SettingsWant{})
	_, err4 := channel.FetchQuota(ctx, a)
	_, err5 := channel.FetchContent(ctx, a, "m1")
	_, err6 := channel.LimitsOf(a)
	for i, err := range []error{err1, err2, err3, err4, err5, err6} {
		require.ErrorIs(t, err, errors.ErrUnsupported, "helper %d", i+1)
		require.Contains(t, err.Error(), "bare", "the error names the adapter")
	}
}

func TestCapabilityHelpersUseTheCapability(t *testing.T) {
	t.Parallel()
	f := channeltest.NewFake(&channeltest.FakeOptions{
		Account:  channel.AccountInfo{UserID: "Ubot", DisplayName: "Shop"},
		Quota:    channel.Quota{Limited: true, Limit: 200},
		Settings: []channel.SettingCheck{{ID: "webhook", Status: channel.CheckOK}},
	})
	f.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Taro"})
	f.SetContent("m1", "image/jpeg", []byte("jpeg"))
	ctx := t.Context()

	p, err := channel.FetchProfile(ctx, f, channel.Group("G1", "U1"))
	require.NoError(t, err)
	require.Equal(t, "Taro", p.DisplayName)
	_, err = channel.FetchProfile(ctx, f, channel.User("U2"))
	require.ErrorIs(t, err, channel.ErrNotFound)

	acct, err := channel.FetchAccountInfo(ctx, f)
	require.NoError(t, err)
	require.Equal(t, "Ubot", acct.UserID)

	checks, err := channel.CheckSettings(ctx, f, channel.SettingsWant{WebhookURL: "https://crm.example/hook"})
	require.NoError(t, err)
	require.Equal(t, channel.CheckOK, checks[0].Status)

	_, err = f.Send(ctx, channel.User("U1"), []channel.Message{channel.Text("a"), channel.Text("b")}, channel.SendOptions{})
	require.NoError(t, err)
	q, err := channel.FetchQuota(ctx, f)
	require.NoError(t, err)
	require.Equal(t, int64(2), q.Used, "pushed messages count against the quota")
	require.Equal(t, int64(198), q.Remaining())
	require.Equal(t, int64(-1), channel.Quota{}.Remaining(), "no limit")
	require.Equal(t, int64(0), channel.Quota{Limited: true, Limit: 1, Used: 5}.Remaining())

	c, err := channel.FetchContent(ctx, f, "m1")
	require.NoError(t, err)
	defer c.Close()
	body, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Equal(t, "jpeg", string(body))
	require.Equal(t, "image/jpeg", c.ContentType)

	l, err := channel.LimitsOf(f)
	require.NoError(t, err)
	require.Equal(t, 5, l.MaxMessages)
	require.False(t, l.Supports(channel.TypeFile))
}
