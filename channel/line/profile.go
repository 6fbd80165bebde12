package line

import (
	"context"
	"fmt"

	"github.com/msgkit/msgkit/channel"
)

// Profile returns a user's profile: for a user peer through the profile API (the user must be a friend
// of the account), for a group or room peer as a member of that chat. A user who blocked the account,
// left the chat or never existed returns an error wrapping channel.ErrNotFound.
func (a *Adapter) Profile(ctx context.Context, p channel.Peer) (channel.Profile, error) {
	user := p.UserID
	if user == "" && p.Kind == channel.PeerUser {
		user = p.ID
	}
	if !validID(user) || (p.Kind != channel.PeerUser && !validID(p.ID)) {
		return channel.Profile{}, fmt.Errorf("line profile: malformed user or chat ID: %w", channel.ErrInvalidRequest)
	}
	api, err := a.client(ctx)
	if err != nil {
		return channel.Profile{}, err
	}
	switch p.Kind {
	case channel.PeerUser:
		res, body, err := api.GetProfileWithHttpInfo(user)
		if err != nil {
			return channel.Profile{}, a.apiError(ctx, "profile", res, err)
		}
		return channel.Profile{UserID: body.UserId, DisplayName: body.DisplayName, PictureURL: body.PictureUrl,
			StatusMessage: body.StatusMessage, Language: body.Language}, nil
	case channel.PeerGroup:
		res, body, err := api.GetGroupMemberProfileWithHttpInfo(p.ID, user)
		if err != nil {
			return channel.Profile{}, a.apiError(ctx, "group member profile", res, err)
		}
		return channel.Profile{UserID: body.UserId, DisplayName: body.DisplayName, PictureURL: body.PictureUrl}, nil
	case channel.PeerRoom:
		res, body, err := api.GetRoomMemberProfileWithHttpInfo(p.ID, user)
		if err != nil {
			return channel.Profile{}, a.apiError(ctx, "room member profile", res, err)
		}
		return channel.Profile{UserID: body.UserId, DisplayName: body.DisplayName, PictureURL: body.PictureUrl}, nil
	}
	return channel.Profile{}, fmt.Errorf("line profile: peer kind %q: %w", p.Kind, channel.ErrInvalidRequest)
}

// validID reports whether s can be an ID LINE issued (user, group, room and message IDs are
// alphanumeric). The SDK puts IDs into URL paths unescaped, so anything else is refused.
func validID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
