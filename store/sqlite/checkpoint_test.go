package sqlite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlite"
)

// The background checkpointer keeps the write-ahead log bounded under a writer that never pauses: once
// the log holds 4,000 pages, a round ends holding the write lock, so the log is wholly copied and the
// next transaction starts it again. Here ~36,000 pages are written, and the log must stay under 6,000
// pages: measured, it reaches 4,234; without the locked pass it grew to 37,035 (SQLite's own checkpoint
// at 10,000 pages copies it, but a writer that never pauses keeps it from starting again).
func TestBackgroundCheckpointKeepsTheLogSmall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "msgkit.db")
	s, err := sqlite.Open(t.Context(), path, &sqlite.Options{CheckpointDelay: 2 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, store.Channel{Name: "LINE", Kind: "line", Active: true})
	require.NoError(t, err)
	peer := channel.User("U1")
	contact, _, err := s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: peer})
	require.NoError(t, err)
	conv, _, err := s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: contact.ID, Peer: peer})
	require.NoError(t, err)

	const pageSize, messages = 4096, 4500
	text := strings.Repeat("あ", 2*pageSize/3) // ~2 pages of UTF-8 each
	largest := int64(0)
	for i := range messages {
		_, _, err := s.AppendMessage(ctx, store.Message{ConversationID: conv.ID, Direction: store.Inbound, Kind: channel.EventMessage,
			ChannelMessageID: fmt.Sprint(i), Status: store.StatusReceived, Time: time.Now(),
			Content: channel.Message{Type: channel.TypeText, Text: text}})
		require.NoError(t, err)
		if fi, err := os.Stat(path + "-wal"); err == nil {
			largest = max(largest, fi.Size())
		}
	}
	require.Less(t, largest, int64(6000*pageSize), "the log grew to %d pages", largest/pageSize)
}

// Close may be called again, as before the checkpointer (a deferred Close after an explicit one).
func TestCloseTwice(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "msgkit.db"), nil)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NotPanics(t, func() { _ = s.Close() })
}
