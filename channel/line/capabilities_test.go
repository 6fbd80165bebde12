package line_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
)

func TestProfile(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{}, nil)
	hanako := channel.Profile{UserID: "U1", DisplayName: "Hanako", PictureURL: "https://profile.line-scdn.net/h", StatusMessage: "hi", Language: "ja"}
	api.SetProfile(hanako)
	api.SetProfile(channel.Profile{UserID: "U2", DisplayName: "Ken"})

	p, err := channel.FetchProfile(t.Context(), a, channel.User("U1"))
	require.NoError(t, err)
	require.Equal(t, hanako, p)
	require.Equal(t, "/v2/bot/profile/U1", api.last(t).Path)

	p, err = a.Profile(t.Context(), channel.Group("G1", "U2"))
	require.NoError(t, err)
	require.Equal(t, channel.Profile{UserID: "U2", DisplayName: "Ken"}, p)
	require.Equal(t, "/v2/bot/group/G1/member/U2", api.last(t).Path, "group members are looked up as members of the group")

	_, err = a.Profile(t.Context(), channel.Room("R1", "U1"))
	require.NoError(t, err)
	require.Equal(t, "/v2/bot/room/R1/member/U1", api.last(t).Path)

	_, err = a.Profile(t.Context(), channel.User("U9"))
	require.ErrorIs(t, err, channel.ErrNotFound, "a user who blocked the account has no profile")

	n := len(api.Requests())
	for _, bad := range []channel.Peer{channel.User("../info"), channel.Group("G1", ""), channel.Group("G/1", "U1"), {Kind: "space", ID: "S", UserID: "U1"}} {
		_, err = a.Profile(t.Context(), bad)
		require.ErrorIs(t, err, channel.ErrInvalidRequest, "%v", bad)
	}
	require.Len(t, api.Requests(), n, "malformed IDs never reach LINE")
}

func TestAccountInfoAndQuota(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, &linetest.Options{MonthlyLimit: 1000,
		Bot: linetest.BotInfo{UserID: "Ubot", BasicID: "@shop", DisplayName: "Shop", PictureURL: "https://profile.line-scdn.net/b"}})
	a := api.adapter(t, line.Config{}, nil)
	info, err := channel.FetchAccountInfo(t.Context(), a)
	require.NoError(t, err)
	require.Equal(t, channel.AccountInfo{UserID: "Ubot", BasicID: "@shop", DisplayName: "Shop", PictureURL: "https://profile.line-scdn.net/b", ChatMode: "bot"}, info)

	for range 3 {
		_, err := a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("a"), channel.Text("b")}, channel.SendOptions{})
		require.NoError(t, err)
	}
	_, err = a.Send(t.Context(), channel.User("U1"), []channel.Message{channel.Text("a")}, channel.SendOptions{ReplyToken: api.NewReplyToken("U1")})
	require.NoError(t, err)
	q, err := channel.FetchQuota(t.Context(), a)
	require.NoError(t, err)
	require.Equal(t, channel.Quota{Limited: true, Limit: 1000, Used: 3}, q, "a push counts once however many messages it carries; replies are free")

	unlimited := newLineAPI(t, nil).adapter(t, line.Config{}, nil)
	q, err = unlimited.Quota(t.Context())
	require.NoError(t, err)
	require.False(t, q.Limited)
	require.Equal(t, int64(-1), q.Remaining())

	api.Fail(linetest.OpQuotaConsumption, linetest.ServerError())
	_, err = a.Quota(t.Context())
	require.ErrorIs(t, err, channel.ErrUnavailable)
}

func ids(checks []channel.SettingCheck) []string {
	var out []string
	for _, c := range checks {
		out = append(out, c.ID)
	}
	return out
}

func TestCheckSettings(t *testing.T) {
	t.Parallel()
	byID := func(checks []channel.SettingCheck) map[string]channel.SettingCheck {
		m := map[string]channel.SettingCheck{}
		for _, c := range checks {
			m[c.ID] = c
		}
		return m
	}
	const hook = "https://crm.example.com/webhooks/line"
	t.Run("all good", func(t *testing.T) {
		t.Parallel()
		api := newLineAPI(t, &linetest.Options{WebhookURL: hook, WebhookActive: true})
		a := api.adapter(t, line.Config{}, nil)
		checks, err := channel.CheckSettings(t.Context(), a, channel.SettingsWant{WebhookURL: hook})
		require.NoError(t, err)
		got := byID(checks)
		require.Equal(t, []string{line.CheckToken, line.CheckWebhookURL, line.CheckWebhookActive, line.CheckWebhookTest,
			line.CheckChatMode, line.CheckGreeting, line.CheckAutoReply, line.CheckRedelivery}, ids(checks), "one item each, in order")
		for _, id := range []string{line.CheckToken, line.CheckWebhookURL, line.CheckWebhookActive, line.CheckWebhookTest, line.CheckChatMode} {
			require.Equal(t, channel.CheckOK, got[id].Status, id)
		}
		require.Equal(t, "LINE accepts the channel access token.", got[line.CheckToken].Detail)
		require.Equal(t, "LINE sends webhooks to "+hook+", this channel's URL.", got[line.CheckWebhookURL].Detail)
		for _, id := range []string{line.CheckGreeting, line.CheckAutoReply, line.CheckRedelivery} {
			require.Equal(t, channel.CheckManual, got[id].Status, id)
			require.Contains(t, got[id].Detail, "Confirm by hand", id)
		}
		require.Contains(t, got[line.CheckGreeting].Detail, "LINE Official Account Manager", "says where to look")
		require.Contains(t, got[line.CheckGreeting].Detail, "Response settings")
		require.Contains(t, got[line.CheckAutoReply].Detail, "Response settings")
		require.Contains(t, got[line.CheckRedelivery].Detail, "Webhook settings")
		require.Contains(t, string(api.Requests()[1].Body), `"endpoint":"`+hook+`"`, "the wanted URL is the one tested")
	})
	t.Run("every problem reported", func(t *testing.T) {
		t.Parallel()
		api := newLineAPI(t, &linetest.Options{WebhookURL: "https://old.example.com/hook", Bot: linetest.BotInfo{ChatMode: "chat"}})
		a := api.adapter(t, line.Config{}, nil)
		api.Fail(linetest.OpWebhookTest, linetest.Fault{Kind: linetest.Answer, Status: 200,
			Body: `{"success":false,"timestamp":"2026-11-26T09:00:00Z","statusCode":502,"reason":"Bad Gateway","detail":"502"}`})
		checks, err := a.CheckSettings(t.Context(), channel.SettingsWant{WebhookURL: hook})
		require.NoError(t, err, "problems are findings, not an error: the admin can still finish")
		got := byID(checks)
		require.Equal(t, channel.CheckProblem, got[line.CheckWebhookURL].Status)
		require.Contains(t, got[line.CheckWebhookURL].Detail, "LINE sends webhooks to https://old.example.com/hook, but this channel's URL is "+hook,
			"says what it is and what it must be")
		require.Contains(t, got[line.CheckWebhookURL].Detail, "set Webhook URL to exactly "+hook)
		require.Equal(t, channel.CheckProblem, got[line.CheckWebhookActive].Status)
		require.Contains(t, got[line.CheckWebhookActive].Detail, "Use webhook")
		require.Equal(t, channel.CheckProblem, got[line.CheckWebhookTest].Status)
		require.Contains(t, got[line.CheckWebhookTest].Detail, "502")
		require.Equal(t, channel.CheckProblem, got[line.CheckChatMode].Status)
		require.Contains(t, got[line.CheckChatMode].Detail, "Chat off")
	})
	t.Run("no webhook URL", func(t *testing.T) {
		t.Parallel()
		api := newLineAPI(t, nil)
		a := api.adapter(t, line.Config{}, nil)
		checks, err := a.CheckSettings(t.Context(), channel.SettingsWant{})
		require.NoError(t, err)
		got := byID(checks)
		require.Equal(t, channel.CheckProblem, got[line.CheckWebhookURL].Status)
		require.Equal(t, channel.CheckProblem, got[line.CheckWebhookTest].Status, "nothing to test")
	})
	t.Run("a failing call is reported, the rest still checked", func(t *testing.T) {
		t.Parallel()
		api := newLineAPI(t, nil)
		a := api.adapter(t, line.Config{}, nil)
		api.Fail(linetest.OpWebhookEndpoint, linetest.ServerError())
		checks, err := a.CheckSettings(t.Context(), channel.SettingsWant{WebhookURL: hook})
		require.NoError(t, err)
		got := byID(checks)
		require.Equal(t, channel.CheckFailed, got[line.CheckWebhookURL].Status)
		require.Equal(t, channel.CheckOK, got[line.CheckChatMode].Status)
	})
	t.Run("refused credentials: the token item is the problem, nothing else could be checked", func(t *testing.T) {
		t.Parallel()
		for name, tc := range map[string]struct {
			opts   linetest.Options
			cfg    line.Config
			detail string
		}{
			"revoked token":         {linetest.Options{AccessToken: "the-right-token"}, line.Config{}, "LINE refused the channel access token"},
			"ID and secret refused": {linetest.Options{ChannelID: "1650000000", ChannelSecret: "other"}, line.Config{ChannelID: "1650000000"}, "channel ID and secret"},
		} {
			api := newLineAPI(t, &tc.opts)
			a := api.adapter(t, tc.cfg, nil)
			checks, err := a.CheckSettings(t.Context(), channel.SettingsWant{WebhookURL: hook})
			require.ErrorIs(t, err, channel.ErrUnauthorized, name)
			got := byID(checks)
			require.Equal(t, channel.CheckProblem, got[line.CheckToken].Status, name)
			require.Contains(t, got[line.CheckToken].Detail, tc.detail, name)
			for _, id := range []string{line.CheckWebhookURL, line.CheckWebhookActive, line.CheckWebhookTest, line.CheckChatMode} {
				require.Equal(t, channel.CheckFailed, got[id].Status, "%s: %s", name, id)
			}
			require.Equal(t, channel.CheckManual, got[line.CheckGreeting].Status, "%s: what to confirm by hand is still listed", name)
			require.NotContains(t, got[line.CheckToken].Detail, secret, name)
		}
		api := newLineAPI(t, nil)
		a := api.adapter(t, line.Config{}, nil)
		api.Fail(linetest.OpWebhookEndpoint, linetest.ErrorAnswer(401, linetest.MessageUnauthenticated))
		_, err := a.CheckSettings(t.Context(), channel.SettingsWant{})
		require.ErrorIs(t, err, channel.ErrUnauthorized, "a token refused by the first call")
	})
	t.Run("tokens issued from the ID and secret", func(t *testing.T) {
		t.Parallel()
		api := newLineAPI(t, &linetest.Options{ChannelID: "1650000000", ChannelSecret: secret, WebhookURL: hook, WebhookActive: true})
		a := api.adapter(t, line.Config{ChannelID: "1650000000"}, nil)
		checks, err := a.CheckSettings(t.Context(), channel.SettingsWant{WebhookURL: hook})
		require.NoError(t, err)
		require.Equal(t, channel.SettingCheck{ID: line.CheckToken, Title: "Access token", Status: channel.CheckOK,
			Detail: "LINE issues access tokens for the channel ID and secret."}, byID(checks)[line.CheckToken])
	})
	t.Run("URLs that nearly match are compared exactly", func(t *testing.T) {
		t.Parallel()
		for set, hint := range map[string]string{
			hook + "/":                                 "differ only in a trailing slash",
			"https://CRM.example.com/webhooks/line":    "upper and lower case",
			"http://crm.example.com/webhooks/line":     "plain http",
			"https://crm.example.com/webhooks/line?x=": "",
		} {
			api := newLineAPI(t, &linetest.Options{WebhookURL: set, WebhookActive: true})
			a := api.adapter(t, line.Config{}, nil)
			checks, err := a.CheckSettings(t.Context(), channel.SettingsWant{WebhookURL: hook})
			require.NoError(t, err)
			url := byID(checks)[line.CheckWebhookURL]
			require.Equal(t, channel.CheckProblem, url.Status, set)
			require.Contains(t, url.Detail, hint, set)
		}
	})
	t.Run("a failed test delivery says what to do", func(t *testing.T) {
		t.Parallel()
		for status, hint := range map[int]string{401: "channel secret stored here is not this channel's", 404: "check the URL",
			0: "reachable from the internet over HTTPS", 500: "server's logs"} {
			api := newLineAPI(t, &linetest.Options{WebhookURL: hook, WebhookActive: true})
			a := api.adapter(t, line.Config{}, nil)
			api.Fail(linetest.OpWebhookTest, linetest.Fault{Kind: linetest.Answer, Status: 200,
				Body: fmt.Sprintf(`{"success":false,"timestamp":"2026-11-26T09:00:00Z","statusCode":%d,"reason":"R","detail":"D"}`, status)})
			checks, err := a.CheckSettings(t.Context(), channel.SettingsWant{WebhookURL: hook})
			require.NoError(t, err)
			test := byID(checks)[line.CheckWebhookTest]
			require.Equal(t, channel.CheckProblem, test.Status)
			require.Contains(t, test.Detail, fmt.Sprintf("status %d", status))
			require.Contains(t, test.Detail, hint, "status %d", status)
		}
	})
}

func TestFetchContent(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{}, nil)
	api.AddContent("325708", linetest.Content{Type: "image", ContentType: "image/jpeg", Data: []byte("JPEG-BYTES")})
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

	_, err = a.FetchContent(t.Context(), "325709")
	require.ErrorIs(t, err, channel.ErrNotFound, "LINE keeps content only for a while")
	_, err = a.FetchContent(t.Context(), "../info")
	require.ErrorIs(t, err, channel.ErrInvalidRequest)
}

// Videos and audio clips are downloaded only once LINE has prepared them.
func TestFetchContentWaitsForTranscoding(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{}, nil)
	api.AddContent("400", linetest.Content{Type: "video", ContentType: "video/mp4", Data: []byte("MP4"), Transcoding: linetest.TranscodingProcessing})
	api.AddContent("401", linetest.Content{Type: "audio", ContentType: "audio/m4a", Data: []byte("M4A"), Transcoding: linetest.TranscodingFailed})

	_, err := a.FetchContent(t.Context(), "400")
	require.ErrorIs(t, err, channel.ErrUnavailable, "still processing: fetch again later")
	require.True(t, channel.IsRetryable(err))
	require.Equal(t, line.TranscodingRetryAfter, channel.RetryAfter(err))
	require.Equal(t, "/v2/bot/message/400/content/transcoding", api.last(t).Path, "nothing is downloaded early")

	api.Fail(linetest.OpTranscoding, linetest.Fault{Kind: linetest.Answer, Status: 200,
		Header: http.Header{"Retry-After": {"3"}}, Body: `{"status":"processing"}`})
	_, err = a.FetchContent(t.Context(), "400")
	require.Equal(t, 3*time.Second, channel.RetryAfter(err), "LINE's own hint wins")

	api.SetTranscoding("400", linetest.TranscodingSucceeded)
	c, err := a.FetchContent(t.Context(), "400")
	require.NoError(t, err)
	body, err := io.ReadAll(c)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.Equal(t, "MP4", string(body))

	_, err = a.FetchContent(t.Context(), "401")
	require.ErrorIs(t, err, channel.ErrNotFound, "LINE could not prepare it: it will never be available")
	require.False(t, channel.IsRetryable(err))

	api.Fail(linetest.OpTranscoding, linetest.ServerError())
	_, err = a.FetchContent(t.Context(), "400")
	require.ErrorIs(t, err, channel.ErrUnavailable, "a failed check is retryable, not a download")

	n := len(api.Requests())
	api.AddContent("402", linetest.Content{Type: "file", ContentType: "application/pdf", Data: []byte("PDF")})
	c, err = a.FetchContent(t.Context(), "402")
	require.NoError(t, err, "LINE refuses the question for files and images: they are downloaded at once")
	c.Close()
	require.Len(t, api.Requests(), n+2)
}

func TestFetchContentStreamLimit(t *testing.T) {
	t.Parallel()
	api := newLineAPI(t, nil)
	a := api.adapter(t, line.Config{}, &line.Options{MaxContentBytes: 4})
	api.Fail(linetest.OpContent, linetest.Fault{Kind: linetest.Answer, Status: 200, Body: strings.Repeat("x", 64),
		Header: http.Header{"Transfer-Encoding": {"chunked"}}})
	api.AddContent("1", linetest.Content{Type: "image"})
	c, err := a.FetchContent(t.Context(), "1")
	require.NoError(t, err, "without a declared length the download starts")
	defer c.Close()
	got, err := io.ReadAll(c)
	require.ErrorIs(t, err, channel.ErrInvalidRequest, "and fails once it passes the limit")
	require.Len(t, got, 4)
}
