package connect

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// Deactivate pauses a channel (FEATURES F4): its webhooks are acknowledged and not processed, nothing is
// sent (queued sends are held, see conversation.Options.FailWhileInactive), and its history stays
// readable. A webhook that arrived before Deactivate returned (Webhooks had read the channel active) may
// still be processed; one that arrives after it is not.
func (s *Service) Deactivate(ctx context.Context, id string) (store.Channel, error) {
	return s.setActive(ctx, id, false)
}

// Reactivate resumes a deactivated channel: held sends go out, webhooks are processed again.
func (s *Service) Reactivate(ctx context.Context, id string) (store.Channel, error) {
	return s.setActive(ctx, id, true)
}

func (s *Service) setActive(ctx context.Context, id string, active bool) (store.Channel, error) {
	ch, err := s.update(ctx, id, func(c *store.Channel) error {
		if active && !c.DisconnectedAt.IsZero() {
			return fmt.Errorf("%w: %s; connect it again", ErrDisconnected, c.Name)
		}
		c.Active = active
		return nil
	})
	return mask(ch), err
}

// Disconnect removes a channel's credentials, so nothing can reach the account any more. With erase, it
// deletes the channel and everything kept of it, through Options.Eraser: its contacts, conversations,
// messages, event log and archive at once, and, with the conversation.Service as the Eraser, its files
// in the blob store (inbound media copies, re-hosted attachments and their previews) by that Service's
// Run, durably, right after (see conversation.Service.EraseChannel). Without an Eraser only the store's
// rows are deleted. Otherwise the history stays readable and the account can be connected again.
func (s *Service) Disconnect(ctx context.Context, id string, erase bool) error {
	defer s.reg.forget(id)
	if erase && s.o.Eraser != nil {
		return s.o.Eraser.EraseChannel(ctx, id)
	}
	if erase {
		return s.store.DeleteChannel(ctx, id)
	}
	_, err := s.update(ctx, id, func(c *store.Channel) error {
		c.Active, c.Credentials, c.DisconnectedAt = false, nil, s.o.Now()
		c.ExternalID = "" // the account may be connected again, as a new channel
		return nil
	})
	if err == nil {
		s.log.LogAttrs(ctx, slog.LevelInfo, "connect: channel disconnected", slog.String("channel_id", id))
	}
	return err
}

// SetCredentials replaces some of a channel's credentials (a new access token, say) after the channel
// has accepted the result: the stored ones with changes applied are verified as Connect verifies them,
// and a *channel.CredentialError names one it refuses. The account must stay the same.
func (s *Service) SetCredentials(ctx context.Context, id string, changes channel.Credentials) (store.Channel, error) {
	ch, err := s.store.GetChannel(ctx, id)
	if err != nil {
		return store.Channel{}, err
	}
	if ch.Credentials == nil {
		return store.Channel{}, fmt.Errorf("%w: %s", ErrDisconnected, ch.Name)
	}
	c, err := s.reg.connector(ch.Kind)
	if err != nil {
		return store.Channel{}, err
	}
	creds, err := s.reg.open(ctx, ch.ID, ch.Credentials)
	if err != nil {
		return store.Channel{}, err
	}
	maps.Copy(creds, changes)
	conn, err := c.Verify(ctx, creds)
	if err != nil {
		return store.Channel{}, err
	}
	if conn.ExternalID != ch.ExternalID {
		return store.Channel{}, &channel.CredentialError{Field: "credentials", Category: channel.ErrInvalidRequest,
			Reason: "these credentials belong to another account than the channel's; connect it as a new channel"}
	}
	sealed, err := s.reg.seal(ctx, ch.ID, conn.Credentials)
	if err != nil {
		return store.Channel{}, err
	}
	ch, err = s.update(ctx, id, func(c *store.Channel) error {
		c.Credentials, c.Account = sealed, conn.Account
		return nil
	})
	return mask(ch), err
}

// Credential keys a secret rotation writes beside the rotated one: the previous value, and until when
// (RFC 3339) it still verifies. A Connector that supports rotation reads them (LINE: the channel secret).
const (
	PreviousSuffix      = "_previous"
	PreviousUntilSuffix = "_previous_until"
)

// RotateSecret replaces the secret credential field (LINE: "channel_secret") by value, keeping the old one
// valid for overlap more (both verify webhooks meanwhile), so webhooks in flight while the channel switches
// are not refused. The new secret is verified as Connect verifies credentials.
func (s *Service) RotateSecret(ctx context.Context, id, field, value string, overlap time.Duration) (store.Channel, error) {
	ch, err := s.store.GetChannel(ctx, id)
	if err != nil {
		return store.Channel{}, err
	}
	if ch.Credentials == nil {
		return store.Channel{}, fmt.Errorf("%w: %s", ErrDisconnected, ch.Name)
	}
	creds, err := s.reg.open(ctx, ch.ID, ch.Credentials)
	if err != nil {
		return store.Channel{}, err
	}
	old, ok := creds[field]
	if !ok {
		return store.Channel{}, &channel.CredentialError{Field: field, Category: channel.ErrInvalidRequest,
			Reason: "the channel has no such credential to rotate"}
	}
	return s.SetCredentials(ctx, id, channel.Credentials{field: value, field + PreviousSuffix: old,
		field + PreviousUntilSuffix: s.o.Now().Add(overlap).UTC().Format(time.RFC3339)})
}
