package line

import (
	"context"
	"errors"
	"fmt"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/msgkit/msgkit/channel"
)

// Setting check IDs reported by CheckSettings.
const (
	CheckWebhookURL    = "webhook.url"    // the webhook URL is set, to want.WebhookURL when given
	CheckWebhookActive = "webhook.active" // "Use webhook" is on
	CheckWebhookTest   = "webhook.test"   // LINE's test delivery to the endpoint succeeded
	CheckChatMode      = "chat.mode"      // LINE's own chat is off, so messages reach the webhook
	CheckGreeting      = "greeting"       // the greeting message: the API cannot see it
	CheckAutoReply     = "auto_reply"     // auto-reply messages: the API cannot see them
)

// CheckSettings reports, item by item, whether the account is set up for msgkit (FEATURES F3): the
// webhook URL and its "Use webhook" switch, a test delivery from LINE to the endpoint, and LINE's chat
// being off. Greeting and auto-reply messages cannot be read through the API and are reported as
// channel.CheckManual. It fails as a whole only when the credentials are refused.
func (a *Adapter) CheckSettings(ctx context.Context, want channel.SettingsWant) ([]channel.SettingCheck, error) {
	api, err := a.client(ctx)
	if err != nil {
		return nil, err
	}
	var checks []channel.SettingCheck
	res, endpoint, err := api.GetWebhookEndpointWithHttpInfo()
	if err != nil {
		err = a.apiError(ctx, "webhook endpoint", res, err)
		if errors.Is(err, channel.ErrUnauthorized) {
			return nil, err
		}
		checks = append(checks, failed(CheckWebhookURL, "Webhook URL", err))
	} else {
		checks = append(checks, webhookChecks(endpoint, want)...)
	}

	url := want.WebhookURL
	if url == "" && endpoint != nil {
		url = endpoint.Endpoint
	}
	if url == "" {
		checks = append(checks, channel.SettingCheck{ID: CheckWebhookTest, Title: "Webhook delivery test", Status: channel.CheckProblem,
			Detail: "There is no webhook URL to test. Set it first."})
	} else {
		res, test, err := api.TestWebhookEndpointWithHttpInfo(&messaging_api.TestWebhookEndpointRequest{Endpoint: url})
		switch {
		case err != nil:
			checks = append(checks, failed(CheckWebhookTest, "Webhook delivery test", a.apiError(ctx, "webhook test", res, err)))
		case test.Success:
			checks = append(checks, channel.SettingCheck{ID: CheckWebhookTest, Title: "Webhook delivery test", Status: channel.CheckOK,
				Detail: "LINE delivered a test webhook to the endpoint."})
		default:
			checks = append(checks, channel.SettingCheck{ID: CheckWebhookTest, Title: "Webhook delivery test", Status: channel.CheckProblem,
				Detail: fmt.Sprintf("LINE's test delivery to the endpoint failed (status %d, %s). Make sure the server is reachable from the internet over HTTPS.",
					test.StatusCode, test.Reason)})
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
			Detail: "LINE's own chat is on. In LINE Official Account Manager, open Settings → Response settings and turn Chat off, so messages reach this CRM."})
	}

	return append(checks,
		channel.SettingCheck{ID: CheckGreeting, Title: "Greeting message", Status: channel.CheckManual,
			Detail: "The API cannot see it. In LINE Official Account Manager → Response settings, turn the greeting message off unless you want LINE to greet new friends itself."},
		channel.SettingCheck{ID: CheckAutoReply, Title: "Auto-reply messages", Status: channel.CheckManual,
			Detail: "The API cannot see them. In LINE Official Account Manager → Response settings, turn auto-reply off so customers do not get LINE's canned answers beside your agents' replies."},
	), nil
}

func webhookChecks(e *messaging_api.GetWebhookEndpointResponse, want channel.SettingsWant) []channel.SettingCheck {
	url := channel.SettingCheck{ID: CheckWebhookURL, Title: "Webhook URL"}
	switch {
	case e.Endpoint == "":
		url.Status, url.Detail = channel.CheckProblem, "No webhook URL is set. In the LINE Developers console, Messaging API tab, set the webhook URL"+wantSuffix(want)+"."
	case want.WebhookURL != "" && e.Endpoint != want.WebhookURL:
		url.Status, url.Detail = channel.CheckProblem, "The webhook URL is "+e.Endpoint+", not "+want.WebhookURL+". Change it in the LINE Developers console, Messaging API tab."
	default:
		url.Status, url.Detail = channel.CheckOK, "The webhook URL is "+e.Endpoint+"."
	}
	active := channel.SettingCheck{ID: CheckWebhookActive, Title: "Use webhook", Status: channel.CheckOK, Detail: "Webhooks are switched on."}
	if !e.Active {
		active.Status, active.Detail = channel.CheckProblem, "Webhooks are switched off. Turn on \"Use webhook\" in the LINE Developers console, Messaging API tab."
	}
	return []channel.SettingCheck{url, active}
}

func wantSuffix(want channel.SettingsWant) string {
	if want.WebhookURL == "" {
		return ""
	}
	return " to " + want.WebhookURL
}

func failed(id, title string, err error) channel.SettingCheck {
	return channel.SettingCheck{ID: id, Title: title, Status: channel.CheckFailed,
		Detail: "Could not check: " + err.Error() + "."}
}
