package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

const convCols = `id, channel_id, contact_id, peer_kind, peer_id, assignee, unreplied, last_inbound_at, last_outbound_at,
	last_message_at, reply_token, reply_token_expires_at, created_at, updated_at, version, preview, record_kind, record_id,
	record_owner, record_name`

// convScan receives a conversation row.
type convScan struct {
	c                                      store.Conversation
	kind, recordKind                       string
	in, out, last, rtExp, created, updated int64
}

func (x *convScan) dest() []any {
	c := &x.c
	return []any{&c.ID, &c.ChannelID, &c.ContactID, &x.kind, &c.Peer.ID, &c.Assignee, &c.Unreplied, &x.in, &x.out, &x.last,
		&c.ReplyToken, &x.rtExp, &x.created, &x.updated, &c.Version, &c.Preview, &x.recordKind, &c.Record.ID, &c.Record.Owner,
		&c.Record.Name}
}

func (x *convScan) value() store.Conversation {
	c := x.c
	c.Peer.Kind, c.Record.Kind = channel.PeerKind(x.kind), store.RecordKind(x.recordKind)
	c.LastInboundAt, c.LastOutboundAt, c.LastMessageAt = timeOf(x.in), timeOf(x.out), timeOf(x.last)
	c.ReplyTokenExpiresAt, c.CreatedAt, c.UpdatedAt = timeOf(x.rtExp), timeOf(x.created), timeOf(x.updated)
	return c
}

func scanConversation(r Row) (store.Conversation, error) {
	var x convScan
	err := r.Scan(x.dest()...)
	return x.value(), err
}

// lastMessage is the later of the inbound and outbound times, as the contract derives LastMessageAt (0
// when neither is set: the creation time then stands in).
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
	if c.ID == "" {
		c.ID = id.New()
	}
	now := s.stamp()
	last := lastMessage(c)
	if last == 0 {
		last = now
	}
	args := []any{c.ID, c.ChannelID, c.ContactID, string(c.Peer.Kind), c.Peer.ID, c.Assignee, c.Unreplied, micros(c.LastInboundAt),
		micros(c.LastOutboundAt), last, c.ReplyToken, micros(c.ReplyTokenExpiresAt), now, c.Preview}
	// The record comes from the contact, in the same statement: the store keeps the mirror.
	const insert = `INSERT INTO conversations (` + convCols + `)
		SELECT $1, $2, k.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 1, $14, k.record_kind, k.record_id, k.record_owner,
			k.record_name
		FROM contacts k WHERE k.id = $3`
	return findOrCreate(ctx, s, scanConversation, find, createQueries{table: "conversations", cols: convCols, what: "conversation",
		insert: insert, onConflict: `ON CONFLICT (channel_id, peer_kind, peer_id) DO NOTHING`,
		lookup:       `SELECT ` + convCols + ` FROM conversations WHERE channel_id = $2 AND peer_kind = $4 AND peer_id = $5`,
		insertSelect: insert,
	}, args...)
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
	got, err := writeRow(ctx, s, scanConversation, `UPDATE conversations SET assignee = $3, unreplied = $4,
		last_inbound_at = $5, last_outbound_at = $6, last_message_at = CASE WHEN $12 THEN created_at ELSE $7 END,
		reply_token = $8, reply_token_expires_at = $9, updated_at = $10, preview = $11, version = version + 1
		WHERE id = $1 AND version = $2`, "", "conversations", convCols, "id = $1",
		c.ID, c.Version, c.Assignee, c.Unreplied, micros(c.LastInboundAt), micros(c.LastOutboundAt), lastMessage(c),
		c.ReplyToken, micros(c.ReplyTokenExpiresAt), s.stamp(), c.Preview, lastMessage(c) == 0)
	if s.noRows(err) {
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
	q, args := s.inboundUpdate(id, n)
	got, err := writeRow(ctx, s, scanConversation, q, "", "conversations", convCols, "id = $1", args...)
	return got, s.mapErr(err, "conversation "+id)
}

// NoteInbound implements store.InboundNoter: RecordInbound's update, its answer not read. In a
// transaction whose DB is a Deferrer (store/postgres) it travels with the next statement or the commit;
// elsewhere a missing conversation is still ErrNotFound.
func (s *Store) NoteInbound(ctx context.Context, id string, n store.InboundNote) error {
	if err := check(ctx); err != nil {
		return err
	}
	q, args := s.inboundUpdate(id, n)
	if s.deferWrite("conversation "+id, q, args...) {
		return nil
	}
	switch changed, err := s.db.Exec(ctx, q, args...); {
	case err != nil:
		return s.mapErr(err, "conversation "+id)
	case changed == 0:
		return fmt.Errorf("conversation %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// inboundUpdate is the update that records n on conversation id (RecordInbound).
func (s *Store) inboundUpdate(id string, n store.InboundNote) (string, []any) {
	at, token, exp := micros(n.At), n.ReplyToken, micros(n.ReplyTokenExpiresAt)
	if token == "" {
		exp = 0
	}
	return `UPDATE conversations SET unreplied = $2,
		preview = CASE WHEN last_inbound_at <= $3 AND last_outbound_at <= $3 THEN $7 ELSE preview END,
		last_inbound_at = CASE WHEN last_inbound_at < $3 THEN $3 ELSE last_inbound_at END,
		last_message_at = CASE WHEN last_message_at < $3 THEN $3 ELSE last_message_at END,
		reply_token = CASE WHEN reply_token_expires_at < $5 THEN $4 ELSE reply_token END,
		reply_token_expires_at = CASE WHEN reply_token_expires_at < $5 THEN $5 ELSE reply_token_expires_at END,
		updated_at = $6, version = version + 1
		WHERE id = $1`, []any{id, true, at, token, exp, s.stamp(), n.Preview}
}

// ListConversations implements store.Conversations: one keyset query over the conversation indexes,
// joined to the contacts for the linkage filters and the rows' contacts.
func (s *Store) ListConversations(ctx context.Context, v store.View, p store.Page) ([]store.InboxEntry, store.Cursor, error) {
	if err := check(ctx); err != nil {
		return nil, store.Cursor{}, err
	}
	q, args := viewQuery(s.d, v, p)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, store.Cursor{}, s.mapErr(err, "conversations")
	}
	defer rows.Close()
	var out []store.InboxEntry
	for rows.Next() {
		e, err := scanEntry(rows, v.Viewer)
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

// ViewQuery returns the SQL and arguments ListConversations runs for v and p (exported for the backends'
// query-plan tests).
func ViewQuery(d Dialect, v store.View, p store.Page) (string, []any) { return viewQuery(d, v, p) }

func viewQuery(d Dialect, v store.View, p store.Page) (string, []any) {
	where, args := viewWhere(v)
	cols := prefixed("c.", convCols) + `, ` + prefixed("k.", contactCols)
	from := ` FROM conversations c JOIN contacts k ON k.id = c.contact_id`
	if v.Viewer != "" {
		args = append(args, v.Viewer)
		cols += `, n.user_id IS NOT NULL, COALESCE(n.snoozed_until, 0), COALESCE(n.snoozed_until_inbound, FALSE),
			COALESCE(n.ignored, FALSE), COALESCE(n.through_at, 0), COALESCE(n.updated_at, 0)`
		from += ` LEFT JOIN notifications n ON n.conversation_id = c.id AND n.user_id = ` + param(len(args))
	}
	return keyset(d, `SELECT `+cols+from+` WHERE `+strings.Join(where, " AND "), args, "c.last_message_at", "c.id", p)
}

// viewWhere is the WHERE clause of a view. Every condition is written so that the view's index serves it
// (literal TRUE and ” match the partial indexes' predicates), and "today" also bounds last_message_at:
// always true when the last inbound message is that recent, it lets the index walk stop early.
func viewWhere(v store.View) ([]string, []any) {
	where := []string{"TRUE"}
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
		where = append(where, "c.record_id <> '' AND c.record_owner = "+arg(v.RecordOwner))
	}
	switch v.Linkage {
	case store.Unregistered:
		where = append(where, "c.record_id = ''")
	case store.Linked:
		where = append(where, "c.record_id <> ''")
	}
	if v.Unreplied {
		where = append(where, "c.unreplied = TRUE")
	}
	if !v.InboundSince.IsZero() {
		since := arg(micros(v.InboundSince))
		where = append(where, "c.last_inbound_at >= "+since, "c.last_message_at >= "+since)
	}
	return where, args
}

// CountConversations implements store.Conversations: a count of at most limit rows of the view's index.
func (s *Store) CountConversations(ctx context.Context, v store.View, limit int) (int, error) {
	if err := check(ctx); err != nil {
		return 0, err
	}
	q, args := countQuery(v, limit)
	var n int
	err := s.db.QueryRow(ctx, q, args...).Scan(&n)
	return n, s.mapErr(err, "counting conversations")
}

// CountQuery exposes the query CountConversations runs, for the backends' query-plan tests.
func CountQuery(v store.View, limit int) (string, []any) { return countQuery(v, limit) }

func countQuery(v store.View, limit int) (string, []any) {
	where, args := viewWhere(v)
	q := `SELECT COUNT(*) FROM (SELECT 1 FROM conversations c WHERE ` + strings.Join(where, " AND ")
	if limit > 0 {
		// In the views' order, so that the count walks the view's index like a page does, stopping at
		// the limit or at the "today" cut-off. Unordered, PostgreSQL's generic plan for a prepared
		// count took a sequential scan that read the whole table whenever fewer rows than the limit
		// matched (123 ms instead of 0.5 ms at 100,000 conversations, issue 15).
		args = append(args, limit)
		q += ` ORDER BY c.last_message_at DESC, c.id DESC LIMIT ` + param(len(args))
	}
	return q + `) AS v`, args
}

// scanEntry reads an inbox row, with viewer's notification columns when viewer is set.
func scanEntry(r Row, viewer string) (store.InboxEntry, error) {
	var c convScan
	var k contactScan
	dest := append(c.dest(), k.dest()...)
	var hasState bool
	var snoozed, through, updated int64
	var st store.NotificationState
	if viewer != "" {
		dest = append(dest, &hasState, &snoozed, &st.SnoozedUntilInbound, &st.Ignored, &through, &updated)
	}
	if err := r.Scan(dest...); err != nil {
		return store.InboxEntry{}, err
	}
	contact, err := k.value()
	e := store.InboxEntry{Conversation: c.value(), Contact: contact}
	if hasState {
		st.ConversationID, st.UserID, st.SnoozedUntil, st.Through, st.UpdatedAt = e.Conversation.ID, viewer, timeOf(snoozed),
			timeOf(through), timeOf(updated)
		e.Notification = &st
	}
	return e, err
}

// prefixed qualifies every column of a column list.
func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
