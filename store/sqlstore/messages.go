package sqlstore

import (
	"context"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

const messageCols = `id, conversation_id, channel_id, direction, kind, channel_message_id, author, content, event, status,
	status_detail, unsent, billable, time, created_at, updated_at, version, outcome,
	media_status, media_key, media_type, media_size, media_sha256, media_detail`

func scanMessage(r Row) (store.Message, error) {
	var m store.Message
	var direction, kind, content, event, status, outcome string
	var at, created, updated int64
	var mc store.MediaCopy
	var mediaStatus string
	if err := r.Scan(&m.ID, &m.ConversationID, &m.ChannelID, &direction, &kind, &m.ChannelMessageID, &m.Author, &content,
		&event, &status, &m.StatusDetail, &m.Unsent, &m.Billable, &at, &created, &updated, &m.Version, &outcome,
		&mediaStatus, &mc.Key, &mc.ContentType, &mc.Size, &mc.SHA256, &mc.Detail); err != nil {
		return m, err
	}
	m.Direction, m.Kind, m.Status = store.Direction(direction), channel.EventKind(kind), store.MessageStatus(status)
	m.Outcome = store.Outcome(outcome)
	if mediaStatus != "" {
		mc.Status = store.MediaStatus(mediaStatus)
		m.MediaCopy = &mc
	}
	m.Time, m.CreatedAt, m.UpdatedAt = timeOf(at), timeOf(created), timeOf(updated)
	if err := fromJSON(content, &m.Content); err != nil {
		return m, err
	}
	return m, fromJSON(event, &m.Event)
}

// mediaArgs returns the media_* column values of a media copy: an empty status for none.
func mediaArgs(c *store.MediaCopy) []any {
	if c == nil {
		return []any{"", "", "", int64(0), "", ""}
	}
	return []any{string(c.Status), c.Key, c.ContentType, c.Size, c.SHA256, c.Detail}
}

// AppendMessage implements store.Messages. The channel comes from the conversation in the same
// statement; a duplicate channel message ID inserts nothing and the existing row is read instead.
func (s *Store) AppendMessage(ctx context.Context, m store.Message) (store.Message, bool, error) {
	if err := check(ctx); err != nil {
		return store.Message{}, false, err
	}
	if m.ID == "" {
		m.ID = id.New()
	}
	now := s.stamp()
	at := micros(m.Time)
	if at == 0 {
		at = now
	}
	got, err := writeRow(ctx, s, scanMessage, `INSERT INTO messages (`+messageCols+`)
		SELECT $1, c.id, c.channel_id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, 1, $15,
			$16, $17, $18, $19, $20, $21
		FROM conversations c WHERE c.id = $2`, `ON CONFLICT DO NOTHING`, "messages", messageCols, "id = $1",
		append([]any{m.ID, m.ConversationID, string(m.Direction), string(m.Kind), m.ChannelMessageID, m.Author, jsonText(m.Content),
			jsonText(m.Event), string(m.Status), m.StatusDetail, m.Unsent, m.Billable, at, now, string(m.Outcome)},
			mediaArgs(m.MediaCopy)...)...)
	if err == nil {
		return got, true, nil
	}
	if !s.noRows(err) && !s.unique(err) {
		return store.Message{}, false, s.mapErr(err, "message")
	}
	// Nothing inserted: the conversation is missing, or the message exists.
	var channelID string
	if err := s.db.QueryRow(ctx, `SELECT channel_id FROM conversations WHERE id = $1`, m.ConversationID).Scan(&channelID); err != nil {
		return store.Message{}, false, s.mapErr(err, "message's conversation "+m.ConversationID)
	}
	if m.ChannelMessageID != "" {
		existing, err := s.FindMessage(ctx, channelID, m.ChannelMessageID)
		if err == nil {
			return existing, false, nil
		}
	}
	return store.Message{}, false, s.mapErr(errAlreadyExists, "message "+m.ID)
}

// GetMessage implements store.Messages.
func (s *Store) GetMessage(ctx context.Context, id string) (store.Message, error) {
	if err := check(ctx); err != nil {
		return store.Message{}, err
	}
	m, err := scanMessage(s.db.QueryRow(ctx, `SELECT `+messageCols+` FROM messages WHERE id = $1`, id))
	return m, s.mapErr(err, "message "+id)
}

// FindMessage implements store.Messages.
func (s *Store) FindMessage(ctx context.Context, channelID, channelMessageID string) (store.Message, error) {
	if err := check(ctx); err != nil {
		return store.Message{}, err
	}
	if channelMessageID == "" {
		return store.Message{}, s.mapErr(errNoRows, "message without a channel ID")
	}
	m, err := scanMessage(s.db.QueryRow(ctx, `SELECT `+messageCols+` FROM messages
		WHERE channel_id = $1 AND channel_message_id = $2`, channelID, channelMessageID))
	return m, s.mapErr(err, "message "+channelMessageID+" in channel "+channelID)
}

// UpdateMessage implements store.Messages.
func (s *Store) UpdateMessage(ctx context.Context, m store.Message) (store.Message, error) {
	if err := check(ctx); err != nil {
		return store.Message{}, err
	}
	got, err := writeRow(ctx, s, scanMessage, `UPDATE messages SET kind = $3, channel_message_id = $4, author = $5,
		content = $6, event = $7, status = $8, status_detail = $9, unsent = $10, billable = $11, updated_at = $12,
		outcome = $13, media_status = $14, media_key = $15, media_type = $16, media_size = $17, media_sha256 = $18,
		media_detail = $19, version = version + 1
		WHERE id = $1 AND version = $2`, "", "messages", messageCols, "id = $1",
		append([]any{m.ID, m.Version, string(m.Kind), m.ChannelMessageID, m.Author, jsonText(m.Content), jsonText(m.Event),
			string(m.Status), m.StatusDetail, m.Unsent, m.Billable, s.stamp(), string(m.Outcome)},
			mediaArgs(m.MediaCopy)...)...)
	if s.noRows(err) {
		return store.Message{}, s.versionConflict(ctx, "messages", "message", m.ID, m.Version)
	}
	return got, s.mapErr(err, "message "+m.ID)
}

// CountSent implements store.Messages: one range scan of the channel's outbound messages.
func (s *Store) CountSent(ctx context.Context, channelID string, since time.Time) (store.SendCounts, error) {
	if err := check(ctx); err != nil {
		return store.SendCounts{}, err
	}
	var n store.SendCounts
	err := s.db.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN billable THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN billable THEN 0 ELSE 1 END), 0) FROM messages
		WHERE channel_id = $1 AND direction = 'out' AND status IN ('sent', 'delivered', 'read') AND time >= $2`, channelID, micros(since)).Scan(&n.Billable, &n.Free)
	return n, s.mapErr(err, "sent messages of channel "+channelID)
}

// ListMessages implements store.Messages.
func (s *Store) ListMessages(ctx context.Context, conversationID string, p store.Page) ([]store.Message, store.Cursor, error) {
	if err := check(ctx); err != nil {
		return nil, store.Cursor{}, err
	}
	q, args := keyset(s.d, `SELECT `+messageCols+` FROM messages WHERE conversation_id = $1`, []any{conversationID}, "time", "id", p)
	list, err := queryAll(ctx, s, "messages", scanMessage, q, args...)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	return cut(list, p, store.Message.Cursor)
}
