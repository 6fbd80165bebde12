package line_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
)

func TestProfile(t *testing.T) {
	api := newFakeAPI(t)
	a := api.adapter(t, line.Config{}, nil)

	p, err := channel.FetchProfile(t.Context(), a, channel.User("U1"))
	require.NoError(t, err)
	require.Equal(t, channel.Profile{UserID: "U1", DisplayName: "Hanako", PictureURL: "https://profile.line-scdn.net/h", StatusMessage: "hi", Language: "ja"}, p)
	require.Equal(t, "/v2/bot/profile/U1", api.last(t).Path)

	p, err = a.Profile(t.Context(), channel.Group("G1", "U2"))
	require.NoError(t, err)
	require.Equal(t, "U2", p.UserID)
	require.Equal(t, "/v2/bot/group/G1/member/U2", api.last(t).Path, "group members are looked up as members of the group")

	_, err = a.Profile(t.Context(), channel.Room("R1", "U3"))
	require.NoError(t, err)
	require.Equal(t, "/v2/bot/room/R1/member/U3", api.last(t).Path)

	api.failNext(http.StatusNotFound, "Not found", nil)
	_, err = a.Profile(t.Context(), channel.User("U9"))
	require.ErrorIs(t, err, channel.ErrNotFound, "a user who blocked the account has no profile")

	n := len(api.recorded())
	for _, bad := range []channel.Peer{channel.User("../info"), channel.Group("G1", ""), channel.Group("G/1", "U1"), {Kind: "space", ID: "S", UserID: "U1"}} {
		_, err = a.Profile(t.Context(), bad)
		require.ErrorIs(t, err, channel.ErrInvalidRequest, "%v", bad)
	}
	require.Len(t, api.recorded(), n, "malformed IDs never reach LINE")
}

func TestAccountInfoAndQuota(t *testing.T) {
	api := newFakeAPI(t)
	a := api.adapter(t, line.Config{}, nil)
	info, err := channel.FetchAccountInfo(t.Context(), a)
	require.NoError(t, err)
	require.Equal(t, channel.AccountInfo{UserID: "Ubot", BasicID: "@shop", DisplayName: "Shop", PictureURL: "https://profile.line-scdn.net/b", ChatMode: "bot"}, info)

	q, err := channel.FetchQuota(t.Context(), a)
	require.NoError(t, err)
	require.Equal(t, channel.Quota{Limited: true, Limit: 1000, Used: 250}, q)

	api.answerNext(answer{status: 200, body: `{"type":"none"}`})
	q, err = a.Quota(t.Context())
	require.NoError(t, err)
	require.False(t, q.Limited)
	require.Equal(t, int64(-1), q.Remaining())

	api.failNext(http.StatusInternalServerError, "boom", nil)
	_, err = a.Quota(t.Context())
	require.ErrorIs(t, err, channel.ErrUnavailable)
}

func TestCheckSettings(t *testing.T) {
	byID := func(checks []channel.SettingCheck) map[string]channel.SettingCheck {
		m := map[string]channel.SettingCheck{}
		for _, c := range checks {
			m[c.ID] = c
		}
		return m
	}
	t.Run("all good", func(t *testing.T) {
		api := newFakeAPI(t)
		a := api.adapter(t, line.Config{}, nil)
		checks, err := channel.CheckSettings(t.Context(), a, channel.SettingsWant{WebhookURL: "https://crm.example.com/webhooks/line"})
		require.NoError(t, err)
		got := byID(checks)
		for _, id := range []string{line.CheckWebhookURL, line.CheckWebhookActive, line.CheckWebhookTest, line.CheckChatMode} {
			require.Equal(t, channel.CheckOK, got[id].Status, id)
		}
		require.Equal(t, channel.CheckManual, got[line.CheckGreeting].Status)
		require.Equal(t, channel.CheckManual, got[line.CheckAutoReply].Status)
		require.Contains(t, string(api.recorded()[1].Body), `"endpoint":"https://crm.example.com/webhooks/line"`, "the wanted URL is the one tested")
	})
	t.Run("every problem reported", func(t *testing.T) {
		api := newFakeAPI(t)
		a := api.adapter(t, line.Config{}, nil)
		api.answerNext(answer{status: 200, body: `{"endpoint":"https://old.example.com/hook","active":false}`})
		api.answerNext(answer{status: 200, body: `{"success":false,"timestamp":"2026-11-26T09:00:00Z","statusCode":502,"reason":"Bad Gateway","detail":"502"}`})
		api.answerNext(answer{status: 200, body: `{"userId":"Ubot","basicId":"@shop","displayName":"Shop","chatMode":"chat","markAsReadMode":"manual"}`})
		checks, err := a.CheckSettings(t.Context(), channel.SettingsWant{WebhookURL: "https://crm.example.com/webhooks/line"})
		require.NoError(t, err, "problems are findings, not an error: the admin can still finish")
		got := byID(checks)
		require.Equal(t, channel.CheckProblem, got[line.CheckWebhookURL].Status)
		require.Contains(t, got[line.CheckWebhookURL].Detail, "https://old.example.com/hook")
		require.Equal(t, channel.CheckProblem, got[line.CheckWebhookActive].Status)
		require.Contains(t, got[line.CheckWebhookActive].Detail, "Use webhook")
		require.Equal(t, channel.CheckProblem, got[line.CheckWebhookTest].Status)
		require.Contains(t, got[line.CheckWebhookTest].Detail, "502")
		require.Equal(t, channel.CheckProblem, got[line.CheckChatMode].Status)
		require.Contains(t, got[line.CheckChatMode].Detail, "Chat off")
	})
	t.Run("no webhook URL", func(t *testing.T) {
		api := newFakeAPI(t)
		a := api.adapter(t, line.Config{}, nil)
		api.answerNext(answer{status: 200, body: `{"endpoint":"","active":false}`})
		checks, err := a.CheckSettings(t.Context(), channel.SettingsWant{})
		require.NoError(t, err)
		got := byID(checks)
		require.Equal(t, channel.CheckProblem, got[line.CheckWebhookURL].Status)
		require.Equal(t, channel.CheckProblem, got[line.CheckWebhookTest].Status, "nothing to test")
	})
	t.Run("a failing call is reported, the rest still checked", func(t *testing.T) {
		api := newFakeAPI(t)
		a := api.adapter(t, line.Config{}, nil)
		api.failNext(http.StatusInternalServerError, "boom", nil)
		checks, err := a.CheckSettings(t.Context(), channel.SettingsWant{WebhookURL: "https://crm.example.com/webhooks/line"})
		require.NoError(t, err)
		got := byID(checks)
		require.Equal(t, channel.CheckFailed, got[line.CheckWebhookURL].Status)
		require.Equal(t, channel.CheckOK, got[line.CheckChatMode].Status)
	})
	t.Run("refused credentials fail the whole check", func(t *testing.T) {
		api := newFakeAPI(t)
		a := api.adapter(t, line.Config{}, nil)
		api.failNext(http.StatusUnauthorized, "Authentication failed.", nil)
		_, err := a.CheckSettings(t.Context(), channel.SettingsWant{})
		require.ErrorIs(t, err, channel.ErrUnauthorized)
	})
}

func TestFetchContent(t *testing.T) {
	api := newFakeAPI(t)
	a := api.adapter(t, line.Config{}, nil)
	c, err := channel.FetchContent(t.Context(), a, "325708")
	require.NoError(t, err)
	body, err := io.ReadAll(c)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.Equal(t, "JPEG-BYTES", string(body))
	require.Equal(t, "image/jpeg", c.ContentType)
	require.Equal(t, "/v2/bot/message/325708/content", api.last(t).Path)

	small := api.adapter(t, line.Config{}, &line.Options{MaxContentBytes: 4})
	c, err = small.FetchContent(t.Context(), "325708")
	if err == nil { // the length was not declared up front: the stream fails instead
		_, err = io.ReadAll(c)
		c.Close()
	}
	require.ErrorIs(t, err, channel.ErrInvalidRequest, "content over the limit is refused, not truncated")

	api.failNext(http.StatusNotFound, "Not found", nil)
	_, err = a.FetchContent(t.Context(), "325709")
	require.ErrorIs(t, err, channel.ErrNotFound, "LINE keeps content only for a while")
	_, err = a.FetchContent(t.Context(), "../info")
	require.ErrorIs(t, err, channel.ErrInvalidRequest)
}

func TestFetchContentStreamLimit(t *testing.T) {
	api := newFakeAPI(t)
	a := api.adapter(t, line.Config{}, &line.Options{MaxContentBytes: 4})
	api.answerNext(answer{status: 200, body: strings.Repeat("x", 64), header: map[string]string{"Transfer-Encoding": "chunked"}})
	c, err := a.FetchContent(t.Context(), "1")
	require.NoError(t, err, "without a declared length the download starts")
	defer c.Close()
	got, err := io.ReadAll(c)
	require.ErrorIs(t, err, channel.ErrInvalidRequest, "and fails once it passes the limit")
	require.Len(t, got, 4)
}
