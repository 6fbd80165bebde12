package conversation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/store"
)

// jobErase deletes files of an erased channel from the blob store.
const jobErase = "erase"

// eraseJob names blob keys that may hold files of an erased channel.
type eraseJob struct {
	Keys []string `json:"keys"`
}

// eraseJobKeys is how many keys one erase job deletes: a job must end within its lease.
const eraseJobKeys = 256

// EraseChannel deletes the channel id and everything kept of it: its rows in the store (see
// store.Channels.DeleteChannel) and, with Options.Files.Store, its files in the blob store — copies of
// its inbound media, attachments re-hosted for its replies and the preview images made for them. It
// returns store.ErrNotFound for a missing channel. connect.Service.Disconnect erases through it when
// connect.Options.Eraser is the Service.
//
// The rows go first, and the files after: the transaction that deletes the rows also lists the
// channel's files and records jobs that delete them, which Run (in any instance; Flush in a test) does
// at least once. So an erase is all or nothing for every reader of the store, and a crash after its
// commit cannot leave the files behind: the jobs are in the store, and deleting a file that is gone
// already is no failure. Deleting the files first would show a half-erased channel after a crash, and
// let new media arrive while they went. An erase that failed may still have committed (its commit's
// answer was lost): run again, it returns store.ErrNotFound.
//
// Work recorded for the channel by a webhook or a reply that commits as the erase runs deletes what it
// would leave too: a media copy whose message is gone deletes the message's copy, and a send whose
// channel is gone deletes the files re-hosted for its parts.
func (s *Service) EraseChannel(ctx context.Context, id string) error {
	if s.o.Files.Store == nil {
		return s.store.DeleteChannel(ctx, id)
	}
	err := s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		keys, err := channelFiles(ctx, tx, id)
		if err != nil {
			return err
		}
		for chunk := range slices.Chunk(keys, eraseJobKeys) {
			if _, err := enqueue(ctx, tx, jobErase, "", eraseJob{Keys: chunk}); err != nil {
				return err
			}
		}
		return tx.DeleteChannel(ctx, id)
	})
	if err != nil {
		return err
	}
	s.nudge()
	return nil
}

// channelFiles lists the blob keys that may hold files of the channel id: those of every message of
// every conversation of it.
func channelFiles(ctx context.Context, tx store.Store, id string) ([]string, error) {
	if _, err := tx.GetChannel(ctx, id); err != nil {
		return nil, err
	}
	var keys []string
	page := store.Page{Limit: store.MaxLimit, Order: store.OldestFirst}
	for {
		convs, next, err := tx.ListConversations(ctx, store.View{ChannelID: id}, page)
		if err != nil {
			return nil, err
		}
		for _, e := range convs {
			if keys, err = conversationFiles(ctx, tx, e.Conversation.ID, keys); err != nil {
				return nil, err
			}
		}
		if page.After = next; next.IsZero() {
			return keys, nil
		}
	}
}

// conversationFiles appends to keys those that may hold files of the messages of conversation id.
func conversationFiles(ctx context.Context, tx store.Store, id string, keys []string) ([]string, error) {
	page := store.Page{Limit: store.MaxLimit, Order: store.OldestFirst}
	for {
		msgs, next, err := tx.ListMessages(ctx, id, page)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			keys = append(keys, filesOf(m)...)
		}
		if page.After = next; next.IsZero() {
			return keys, nil
		}
	}
}

// filesOf returns the blob keys that may hold files kept for m: the copy of an inbound message's media
// (pending ones included: a job may be writing it), and what a reply re-hosted for an outbound part —
// any part but a text that does not link to its own file.
func filesOf(m store.Message) []string {
	switch {
	case m.Direction == store.Inbound && m.MediaCopy != nil:
		keys := []string{inboundKey(m)}
		if k := m.MediaCopy.Key; k != "" && k != keys[0] {
			keys = append(keys, k)
		}
		return keys
	case m.Direction == store.Outbound && (m.Content.Type != channel.TypeText || strings.Contains(m.Content.Text, hostedKey(m.ID))):
		return []string{hostedKey(m.ID), previewKey(m.ID)}
	}
	return nil
}

// runErase deletes the files an erase job names.
func (s *Service) runErase(ctx context.Context, j store.Job) error {
	var p eraseJob
	if err := decode(j, &p); err != nil {
		return err
	}
	return s.deleteFiles(ctx, p.Keys...)
}

// deleteFiles deletes the blob objects under keys; one that is gone already counts as deleted.
func (s *Service) deleteFiles(ctx context.Context, keys ...string) error {
	if s.o.Files.Store == nil {
		return errors.New("conversation: files of an erased channel cannot be deleted without Options.Files.Store")
	}
	for _, k := range keys {
		if err := s.o.Files.Store.Delete(ctx, k); err != nil && !errors.Is(err, blob.ErrNotFound) {
			return fmt.Errorf("conversation: deleting a file of an erased channel: %w", err)
		}
	}
	return nil
}
