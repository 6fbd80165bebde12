package sqlstore

import (
	"context"
	"strings"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

const convCols = `id, channel_id, contact_id, peer_kind, peer_id, assignee, unreplied, last_inbound_at, last_outbound_at,
	last_message_at, reply_token, reply_token_expires_at, created_at, updated_at, version`

// convScan receives a conversation row.
type convScan struct {
	c                                      store.Conversation
	kind                                   string
	in, out, last, rtExp, created, updated int64
}

func (x *convScan) dest() []any {
	c := &x.c
	return []any{&c.ID, &c.ChannelID, &c.ContactID, &x.kind, &c.Peer.ID, &c.Assignee, &c.Unreplied, &x.in, &x.out, &x.last,
		&c.ReplyToken, &x.rtExp, &x.created, &x.updated, &c.Version}
}

func (x *convScan) value() store.Conversation {
	c := x.c
	c.Peer.Kind = channel.PeerKind(x.kind)
	c.LastInboundAt, c.LastOutboundAt, c.LastMessageAt = timeOf(x.in), timeOf(x.out), timeOf(x.last)
	c.ReplyTokenExpiresAt, c.CreatedAt, c.UpdatedAt = timeOf(x.rtExp), timeOf(x.created), timeOf(x.updated)
	return c
}

func scanConversation(r Row) (store.Conversation, error) {
	var x convScan
	err := r.Scan(x.dest()...)
	return x.value(), err
}

// lastMessage is the later of the inbound and outbound times, as the contract derives LastMessageAt.
func lastMessage(c store.Conversation) int64 {
	return max(micros(c.LastInboundAt), micros(c.LastOutboundAt))
}

// FindOrCreateConversation implements store.Conversations, as FindOrCreateContact does.
func (s *Store) FindOrCreateConversation(ctx context.Context, c store.Conversation) (store.Conversation, bool, error) {
	if err := check(ctx); err != nil {
		return store.Conversation{}, false, err
	}
	if c.Peer.Kind == "" || c.Peer.ID == "" {
		return store.Conversation{}, false, errNoPeer
	}
	find := func() (store.Conversation, error) {
		return scanConversation(s.db.QueryRow(ctx, `SELECT `+convCols+` FROM conversations
			WHERE channel_id = $1 AND peer_kind = $2 AND peer_id = $3`, c.ChannelID, string(c.Peer.Kind), c.Peer.ID))
	}
	if got, err := find(); !s.d.IsNoRows(err) {
		return got, false, s.mapErr(err, "conversation")
	}
	if c.ID == "" {
		c.ID = id.New()
	}
	now := s.stamp()
	got, err := scanConversation(s.db.QueryRow(ctx, `INSERT INTO conversations (`+convCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 1)
		ON CONFLICT (channel_id, peer_kind, peer_id) DO NOTHING RETURNING `+convCols,
		c.ID, c.ChannelID, c.ContactID, string(c.Peer.Kind), c.Peer.ID, c.Assignee, c.Unreplied, micros(c.LastInboundAt),
		micros(c.LastOutboundAt), lastMessage(c), c.ReplyToken, micros(c.ReplyTokenExpiresAt), now))
	if err == nil {
		return got, true, nil
	}
	if !s.d.IsNoRows(err) {
		return store.Conversation{}, false, s.mapErr(err, "conversation")
	}
	got, err = find()
	return got, false, s.mapErr(err, "conversation")
}

// GetConversation implements store.Conversations.
func (s *Store) GetConversation(ctx context.Context, id string) (store.Conversation, error) {
	if err := check(ctx); err != nil {
		return store.Conversation{}, err
	}
	c, err := scanConversation(s.db.QueryRow(ctx, `SELECT `+convCols+` FROM conversations WHERE id = $1`, id))
	return c, s.mapErr(err, "conversation "+id)
}

// UpdateConversation implements store.Conversations.
func (s *Store) UpdateConversation(ctx context.Context, c store.Conversation) (store.Conversation, error) {
	if err := check(ctx); err != nil {
		return store.Conversation{}, err
	}
	got, err := scanConversation(s.db.QueryRow(ctx, `UPDATE conversations SET assignee = $3, unreplied = $4,
		last_inbound_at = $5, last_outbound_at = $6, last_message_at = $7, reply_token = $8, reply_token_expires_at = $9,
		updated_at = $10, version = version + 1
		WHERE id = $1 AND version = $2 RETURNING `+convCols,
		c.ID, c.Version, c.Assignee, c.Unreplied, micros(c.LastInboundAt), micros(c.LastOutboundAt), lastMessage(c),
		c.ReplyToken, micros(c.ReplyTokenExpiresAt), s.stamp()))
	if s.d.IsNoRows(err) {
		return store.Conversation{}, s.versionConflict(ctx, "conversations", "conversation", c.ID, c.Version)
	}
	return got, s.mapErr(err, "conversation "+c.ID)
}

// RecordInbound implements store.Conversations: one UPDATE that merges the message into the row as it
// is, so concurrent messages queue on the row lock instead of conflicting.
func (s *Store) RecordInbound(ctx context.Context, id string, n store.InboundNote) (store.Conversation, error) {
	if err := check(ctx); err != nil {
		return store.Conversation{}, err
	}
	at, token, exp := micros(n.At), n.ReplyToken, micros(n.ReplyTokenExpiresAt)
	if token == "" {
		exp = 0
	}
	got, err := scanConversation(s.db.QueryRow(ctx, `UPDATE conversations SET unreplied = $2,
		last_inbound_at = CASE WHEN last_inbound_at < $3 THEN $3 ELSE last_inbound_at END,
		last_message_at = CASE WHEN last_message_at < $3 THEN $3 ELSE last_message_at END,
		reply_token = CASE WHEN reply_token_expires_at < $5 THEN $4 ELSE reply_token END,
		reply_token_expires_at = CASE WHEN reply_token_expires_at < $5 THEN $5 ELSE reply_token_expires_at END,
		updated_at = $6, version = version + 1
		WHERE id = $1 RETURNING `+convCols, id, true, at, token, exp, s.stamp()))
	return got, s.mapErr(err, "conversation "+id)
}

// ListConversations implements store.Conversations: one keyset query over the conversation indexes,
// joined to the contacts for the linkage filters and the rows' contacts.
func (s *Store) ListConversations(ctx context.Context, v store.View, p store.Page) ([]store.InboxEntry, store.Cursor, error) {
	if err := check(ctx); err != nil {
		return nil, store.Cursor{}, err
	}
	q, args := viewQuery(v, p)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, store.Cursor{}, s.mapErr(err, "conversations")
	}
	defer rows.Close()
	var out []store.InboxEntry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, store.Cursor{}, s.mapErr(err, "conversations")
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, store.Cursor{}, s.mapErr(err, "conversations")
	}
	return cut(out, p, store.InboxEntry.Cursor)
}

// ViewQuery returns the SQL and arguments ListConversations runs for v and p (exported within msgkit for
// the backends' query-plan tests).
func ViewQuery(v store.View, p store.Page) (string, []any) { return viewQuery(v, p) }

func viewQuery(v store.View, p store.Page) (string, []any) {
	var where []string
	var args []any
	arg := func(x any) string {
		args = append(args, x)
		return param(len(args))
	}
	if v.ChannelID != "" {
		where = append(where, "c.channel_id = "+arg(v.ChannelID))
	}
	if v.Assignee != "" {
		where = append(where, "c.assignee = "+arg(v.Assignee))
	}
	if v.Unassigned {
		where = append(where, "c.assignee = ''")
	}
	if v.RecordOwner != "" {
		where = append(where, "k.record_id <> '' AND k.record_owner = "+arg(v.RecordOwner))
	}
	switch v.Linkage {
	case store.Unregistered:
		where = append(where, "k.record_id = ''")
	case store.Linked:
		where = append(where, "k.record_id <> ''")
	}
	if v.Unreplied {
		where = append(where, "c.unreplied = "+arg(true))
	}
	if !v.InboundSince.IsZero() {
		where = append(where, "c.last_inbound_at >= "+arg(micros(v.InboundSince)))
	}
	q := `SELECT ` + prefixed("c.", convCols) + `, ` + prefixed("k.", contactCols) +
		` FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE ` + strings.Join(append([]string{"TRUE"}, where...), " AND ")
	return keyset(q, args, "c.last_message_at", "c.id", p)
}

func scanEntry(r Row) (store.InboxEntry, error) {
	var c convScan
	var k contactScan
	if err := r.Scan(append(c.dest(), k.dest()...)...); err != nil {
		return store.InboxEntry{}, err
	}
	contact, err := k.value()
	return store.InboxEntry{Conversation: c.value(), Contact: contact}, err
}

// prefixed qualifies every column of a column list.
func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// cut trims a page fetched with one extra row and returns the next cursor when that row existed.
func cut[T any](items []T, p store.Page, cursor func(T) store.Cursor) ([]T, store.Cursor, error) {
	n := p.Size()
	if len(items) <= n {
		return items, store.Cursor{}, nil
	}
	items = items[:n:n]
	return items, cursor(items[n-1]), nil
}
