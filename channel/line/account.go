package line

import (
	"context"

	"github.com/msgkit/msgkit/channel"
)

// AccountInfo returns the bot info of the account: its own user ID, basic ID (@…), display name,
// picture and chat mode ("bot" when LINE's own chat is off).
func (a *Adapter) AccountInfo(ctx context.Context) (channel.AccountInfo, error) {
	api, err := a.client(ctx)
	if err != nil {
		return channel.AccountInfo{}, err
	}
	res, body, err := api.GetBotInfoWithHttpInfo()
	if err != nil {
		return channel.AccountInfo{}, a.apiError(ctx, "bot info", res, err)
	}
	return channel.AccountInfo{UserID: body.UserId, BasicID: body.BasicId, DisplayName: body.DisplayName,
		PictureURL: body.PictureUrl, ChatMode: string(body.ChatMode)}, nil
}

// Quota returns the monthly message quota and this month's usage. Pushes count against it; replies do not.
func (a *Adapter) Quota(ctx context.Context) (channel.Quota, error) {
	api, err := a.client(ctx)
	if err != nil {
		return channel.Quota{}, err
	}
	res, quota, err := api.GetMessageQuotaWithHttpInfo()
	if err != nil {
		return channel.Quota{}, a.apiError(ctx, "quota", res, err)
	}
	res, usage, err := api.GetMessageQuotaConsumptionWithHttpInfo()
	if err != nil {
		return channel.Quota{}, a.apiError(ctx, "quota consumption", res, err)
	}
	return channel.Quota{Limited: quota.Type == "limited", Limit: quota.Value, Used: usage.TotalUsage}, nil
}
