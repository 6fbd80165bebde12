package line

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/msgkit/msgkit/channel"
)

// Setting check IDs reported by CheckSettings, one item each, in this order. The IDs are stable: hosts
// may key their own notes on them.
const (
	CheckToken         = "token"          // LINE accepts the access token (or issues one for the ID and secret)
	CheckWebhookURL    = "webhook.url"    // the webhook URL is set, to exactly want.WebhookURL when given
	CheckWebhookActive = "webhook.active" // "Use webhook" is on
	CheckWebhookTest   = "webhook.test"   // LINE's test delivery to the endpoint succeeded
	CheckChatMode      = "chat.mode"      // LINE's own chat is off, so messages reach the webhook
	CheckGreeting      = "greeting"       // the greeting message: the API cannot see it
	CheckAutoReply     = "auto_reply"     // auto-reply messages: the API cannot see them
	// CheckRedelivery: webhook redelivery is on, so webhooks the host could not take come again. The API
	// cannot see it.
	CheckRedelivery = "webhook.redelivery"
)

// Where the admin changes what the checks report.
const (
	whereWebhook  = "the LINE Developers console (developers.line.biz/console) → your provider → this channel → Messaging API tab → Webhook settings"
	whereResponse = "LINE Official Account Manager (manager.line.biz) → this account → Settings → Response settings"
	whereToken    = "the LINE Developers console (developers.line.biz/console) → your provider → this channel → Messaging API tab → Channel access token"
	whereBasic    = "the LINE Developers console (developers.line.biz/console) → your provider → this channel → Basic settings"
)

// CheckSettings reports, item by item and in words an administrator can act on, whether the account is
// set up for msgkit (FEATURES F3).
//
// Checked through LINE's API: the access token (CheckToken: LINE accepts it, or issues one for the
// channel ID and secret); the webhook URL, compared exactly with want.WebhookURL when given, naming both
// when they differ (CheckWebhookURL); the "Use webhook" switch (CheckWebhookActive); a test delivery from
// LINE to want.WebhookURL, or to the URL set when none is given (CheckWebhookTest); LINE's own chat
// being off (CheckChatMode, from the bot info's chat mode). Not visible through the API, and so reported
// as channel.CheckManual with where to confirm them: the greeting message (CheckGreeting) and
// auto-reply messages (CheckAutoReply) being off, and webhook redelivery being on (CheckRedelivery).
//
// A call that fails is reported as channel.CheckFailed on its item, and the other items are still
// checked. When LINE refuses the credentials nothing else can be checked: CheckSettings returns the
// checklist (the token item a problem, the API items not checked, the manual items) together with an
// error wrapping channel.ErrUnauthorized. Any other failure to get a token returns only the error.
func (a *Adapter) CheckSettings(ctx context.Context, want channel.SettingsWant) ([]channel.SettingCheck, error) {
	api, err := a.client(ctx)
	if err != nil {
		if errors.Is(err, channel.ErrUnauthorized) {
			return a.refused(), err
		}
		return nil, err
	}
	res, endpoint, err := api.GetWebhookEndpointWithHttpInfo()
	if err != nil {
		err = a.apiError(ctx, "webhook endpoint", res, err)
		if errors.Is(err, channel.ErrUnauthorized) {
			return a.refused(), err
		}
	}
	checks := []channel.SettingCheck{a.tokenOK()}
	if err != nil {
		checks = append(checks, failed(CheckWebhookURL, "Webhook URL", err), failed(CheckWebhookActive, "Use webhook", err))
	} else {
		checks = append(checks, webhookChecks(endpoint, want)...)
	}

	url := want.WebhookURL
	if url == "" && endpoint != nil {
		url = endpoint.Endpoint
	}
	if url == "" {
		checks = append(checks, channel.SettingCheck{ID: CheckWebhookTest, Title: "Webhook delivery test", Status: channel.CheckProblem,
			Detail: "There is no webhook URL to test. Set the webhook URL first, in " + whereWebhook + "."})
	} else {
		res, test, err := api.TestWebhookEndpointWithHttpInfo(&messaging_api.TestWebhookEndpointRequest{Endpoint: url})
		switch {
		case err != nil:
			checks = append(checks, failed(CheckWebhookTest, "Webhook delivery test", a.apiError(ctx, "webhook test", res, err)))
		case test.Success:
			checks = append(checks, channel.SettingCheck{ID: CheckWebhookTest, Title: "Webhook delivery test", Status: channel.CheckOK,
				Detail: "LINE delivered a test webhook to " + url + " and it was accepted."})
		default:
			checks = append(checks, channel.SettingCheck{ID: CheckWebhookTest, Title: "Webhook delivery test", Status: channel.CheckProblem,
				Detail: testFailure(url, test)})
		}
	}

	res, bot, err := api.GetBotInfoWithHttpInfo()
	switch {
	case err != nil:
		checks = append(checks, failed(CheckChatMode, "LINE chat", a.apiError(ctx, "bot info", res, err)))
	case bot.ChatMode == "bot":
		checks = append(checks, channel.SettingCheck{ID: CheckChatMode, Title: "LINE chat", Status: channel.CheckOK,
			Detail: "LINE's own chat is off: messages go to the webhook."})
	default:
		checks = append(checks, channel.SettingCheck{ID: CheckChatMode, Title: "LINE chat", Status: channel.CheckProblem,
			Detail: "LINE's own chat is on, so LINE's chat screen competes with this CRM for the conversations. In " +
				whereResponse + ", turn Chat off."})
	}
	return append(checks, manualChecks()...), nil
}

// tokenOK is the token item when LINE accepted the token.
func (a *Adapter) tokenOK() channel.SettingCheck {
	c := channel.SettingCheck{ID: CheckToken, Title: "Access token", Status: channel.CheckOK,
		Detail: "LINE accepts the channel access token."}
	if a.cfg.AccessToken == "" {
		c.Detail = "LINE issues access tokens for the channel ID and secret."
	}
	return c
}

// refused is the checklist when LINE refused the credentials: the token item a problem, the API items
// not checked, the manual items.
func (a *Adapter) refused() []channel.SettingCheck {
	token := channel.SettingCheck{ID: CheckToken, Title: "Access token", Status: channel.CheckProblem,
		Detail: "LINE refused the channel access token: it was revoked, has expired, or was mistyped. " +
			"Issue a new long-lived token in " + whereToken + ", and store it here."}
	if a.cfg.AccessToken == "" {
		token.Detail = "LINE refused to issue an access token for the channel ID and secret: copy both again from " +
			whereBasic + ", and store them here."
	}
	notChecked := "Not checked: LINE refused the credentials (see " + token.Title + ")."
	checks := []channel.SettingCheck{token}
	for _, c := range []struct{ id, title string }{{CheckWebhookURL, "Webhook URL"}, {CheckWebhookActive, "Use webhook"},
		{CheckWebhookTest, "Webhook delivery test"}, {CheckChatMode, "LINE chat"}} {
		checks = append(checks, channel.SettingCheck{ID: c.id, Title: c.title, Status: channel.CheckFailed, Detail: notChecked})
	}
	return append(checks, manualChecks()...)
}

// manualChecks are the settings LINE's API does not expose.
func manualChecks() []channel.SettingCheck {
	return []channel.SettingCheck{
		{ID: CheckGreeting, Title: "Greeting message", Status: channel.CheckManual,
			Detail: "Confirm by hand: LINE's API does not show it. In " + whereResponse + ", turn Greeting message off, " +
				"unless you want LINE to greet new friends itself."},
		{ID: CheckAutoReply, Title: "Auto-reply messages", Status: channel.CheckManual,
			Detail: "Confirm by hand: LINE's API does not show them. In " + whereResponse + ", turn Auto-response " +
				"(auto-reply messages) off, so customers do not get LINE's canned answers beside your agents' replies."},
		{ID: CheckRedelivery, Title: "Webhook redelivery", Status: channel.CheckManual,
			Detail: "Confirm by hand: LINE's API does not show it. In " + whereWebhook + ", turn on \"Use webhook " +
				"redelivery\", so that messages LINE could not deliver while this CRM was unreachable come again " +
				"(they are not stored twice)."},
	}
}

func webhookChecks(e *messaging_api.GetWebhookEndpointResponse, want channel.SettingsWant) []channel.SettingCheck {
	url := channel.SettingCheck{ID: CheckWebhookURL, Title: "Webhook URL"}
	switch {
	case e.Endpoint == "" && want.WebhookURL != "":
		url.Status, url.Detail = channel.CheckProblem, "No webhook URL is set: LINE sends this channel's messages nowhere. In "+
			whereWebhook+", set Webhook URL to exactly "+want.WebhookURL+" and click Update."
	case e.Endpoint == "":
		url.Status, url.Detail = channel.CheckProblem, "No webhook URL is set: LINE sends this channel's messages nowhere. Set it in "+whereWebhook+"."
	case want.WebhookURL != "" && e.Endpoint != want.WebhookURL:
		url.Status, url.Detail = channel.CheckProblem, "LINE sends webhooks to "+e.Endpoint+", but this channel's URL is "+
			want.WebhookURL+nearMiss(e.Endpoint, want.WebhookURL)+". In "+whereWebhook+", set Webhook URL to exactly "+
			want.WebhookURL+" and click Update."
	case want.WebhookURL != "":
		url.Status, url.Detail = channel.CheckOK, "LINE sends webhooks to "+e.Endpoint+", this channel's URL."
	default:
		url.Status, url.Detail = channel.CheckOK, "LINE sends webhooks to "+e.Endpoint+" (not compared: no expected URL was given)."
	}
	active := channel.SettingCheck{ID: CheckWebhookActive, Title: "Use webhook", Status: channel.CheckOK, Detail: "Webhooks are switched on."}
	if !e.Active {
		active.Status, active.Detail = channel.CheckProblem, "Webhooks are switched off, so LINE sends nothing to the webhook URL. "+
			"In "+whereWebhook+", turn on \"Use webhook\"."
	}
	return []channel.SettingCheck{url, active}
}

// nearMiss explains a difference between two URLs that is easy to overlook.
func nearMiss(got, want string) string {
	switch {
	case strings.TrimSuffix(got, "/") == strings.TrimSuffix(want, "/"):
		return " (they differ only in a trailing slash, and LINE calls exactly the URL that is set)"
	case strings.EqualFold(got, want):
		return " (they differ only in upper and lower case)"
	case strings.TrimPrefix(got, "http://") == strings.TrimPrefix(want, "https://"):
		return " (LINE is set to plain http; it must be https)"
	}
	return ""
}

// testFailure says why LINE's test delivery failed and what to do, from the status the endpoint answered.
func testFailure(url string, t *messaging_api.TestWebhookEndpointResponse) string {
	what := fmt.Sprintf("LINE's test delivery to %s failed (status %d, %s).", url, t.StatusCode, t.Reason)
	switch s := t.StatusCode; {
	case s <= 0:
		return what + " LINE got no answer: the server must be reachable from the internet over HTTPS, with a valid certificate."
	case s == 401 || s == 403:
		return what + " The server refused the webhook's signature: the channel secret stored here is not this channel's, " +
			"or it was reissued. Copy it again from " + whereBasic + "."
	case s == 404:
		return what + " Nothing answers at that path: check the URL."
	case s >= 500:
		return what + " The server failed while handling it: see the server's logs."
	}
	return what + " Make sure the URL is this channel's webhook URL."
}

func failed(id, title string, err error) channel.SettingCheck {
	return channel.SettingCheck{ID: id, Title: title, Status: channel.CheckFailed,
		Detail: "Could not check: " + err.Error() + "."}
}
