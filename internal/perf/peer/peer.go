// Package peer is the performance suite's baseline for the SQLite webhook path: what a team would write by
// hand instead of msgkit to take LINE webhooks into a CRM. The SDK's webhook.ParseRequest, then
// database/sql on the driver and settings store/sqlite uses (modernc, WAL, synchronous=NORMAL, busy
// timeout, foreign keys, BEGIN IMMEDIATE), with statements prepared once, and one transaction per message
// event: a dedup row on the webhook event ID (stop if it existed), the contact found or created by user
// ID, a round-robin turn from a cursor (only for a new conversation, only when agents is set), the
// conversation upserted (last inbound time, unreplied, reply token, assignee) and the message inserted. It
// answers 200 once every event is committed. Its schema has the primary and unique keys it needs and
// nothing else.
//
// The suite's command runs it in-process or as an HTTP server; channel/line's cost benchmarks use it too.
package peer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"
	_ "modernc.org/sqlite" // the driver store/sqlite uses, registered as "sqlite"
)

// Peer is the hand-written webhook path, an http.Handler. It is safe for concurrent use: transactions
// queue on its one connection, as SQLite's single writer would make them anyway.
type Peer struct {
	secret string
	db     *sql.DB
	agents []string // the round-robin pool; nil assigns nobody
	stmt   map[string]*sql.Stmt
}

const peerSchema = `
CREATE TABLE webhook_events (event_id TEXT PRIMARY KEY, received_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE contacts (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
CREATE TABLE rr_cursors (pool TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE conversations (
	id INTEGER PRIMARY KEY,
	contact_id INTEGER NOT NULL UNIQUE REFERENCES contacts (id),
	assignee TEXT NOT NULL,
	unreplied INTEGER NOT NULL,
	last_inbound_at INTEGER NOT NULL,
	reply_token TEXT NOT NULL
);
CREATE TABLE messages (
	id INTEGER PRIMARY KEY,
	conversation_id INTEGER NOT NULL REFERENCES conversations (id),
	line_message_id TEXT NOT NULL,
	type TEXT NOT NULL,
	text TEXT NOT NULL,
	sent_at INTEGER NOT NULL
);
INSERT INTO rr_cursors (pool, position) VALUES ('agents', 0);`

var peerStatements = map[string]string{
	"dedup":         `INSERT INTO webhook_events (event_id, received_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING`,
	"findContact":   `SELECT id FROM contacts WHERE user_id = ?1`,
	"createContact": `INSERT INTO contacts (user_id, created_at) VALUES (?1, ?2) RETURNING id`,
	"nextTurn":      `UPDATE rr_cursors SET position = position + 1 WHERE pool = 'agents' RETURNING position`,
	"upsertConversation": `INSERT INTO conversations (contact_id, assignee, unreplied, last_inbound_at, reply_token)
		VALUES (?1, ?2, 1, ?3, ?4)
		ON CONFLICT (contact_id) DO UPDATE SET unreplied = 1, reply_token = excluded.reply_token,
			last_inbound_at = max(last_inbound_at, excluded.last_inbound_at)
		RETURNING id`,
	"insertMessage": `INSERT INTO messages (conversation_id, line_message_id, type, text, sent_at) VALUES (?1, ?2, ?3, ?4, ?5)`,
}

// Open creates the peer's database at path (a new file) for a LINE channel with secret, assigning new
// conversations round robin over agents (nil assigns nobody).
func Open(ctx context.Context, path, secret string, agents []string) (*Peer, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one writer: what SQLite allows anyway
	if _, err := db.ExecContext(ctx, peerSchema); err != nil {
		db.Close()
		return nil, err
	}
	p := &Peer{secret: secret, db: db, agents: agents, stmt: map[string]*sql.Stmt{}}
	for name, query := range peerStatements {
		if p.stmt[name], err = db.PrepareContext(ctx, query); err != nil {
			db.Close()
			return nil, err
		}
	}
	return p, nil
}

// Close closes the database.
func (p *Peer) Close() error { return p.db.Close() }

// ServeHTTP verifies and parses a webhook with the SDK and stores its message events, one transaction
// each; it answers 200 once all are committed, 401 for a bad signature, 400 for a body the SDK refuses.
func (p *Peer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20) // ParseRequest reads without a limit
	cb, err := webhook.ParseRequest(p.secret, r)
	if errors.Is(err, webhook.ErrInvalidSignature) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	} else if err != nil {
		w.WriteHeader(http.StatusBadRequest) // never log err: it holds the body
		return
	}
	for _, ev := range cb.Events {
		e, ok := ev.(webhook.MessageEvent)
		if !ok {
			continue
		}
		if src, ok := e.Source.(webhook.UserSource); ok {
			if err := p.store(r.Context(), e, src.UserId); err != nil {
				http.Error(w, "storing failed", http.StatusInternalServerError)
				return
			}
		}
	}
	w.WriteHeader(http.StatusOK)
}

// store stores one message event in its own transaction.
func (p *Peer) store(ctx context.Context, e webhook.MessageEvent, user string) error {
	var id, typ, text string
	if e.Message != nil {
		typ = e.Message.GetType()
	}
	if m, ok := e.Message.(webhook.TextMessageContent); ok {
		id, text = m.Id, m.Text
	}
	at, now := e.Timestamp, time.Now().UnixMilli()
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st := func(name string) *sql.Stmt { return tx.StmtContext(ctx, p.stmt[name]) }
	res, err := st("dedup").ExecContext(ctx, e.WebhookEventId, now)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // a redelivery: stored before
	}
	var contactID int64
	newContact := false
	if err := st("findContact").QueryRowContext(ctx, user).Scan(&contactID); errors.Is(err, sql.ErrNoRows) {
		newContact = true
		err = st("createContact").QueryRowContext(ctx, user, now).Scan(&contactID)
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	assignee := ""
	if newContact && len(p.agents) > 0 { // one conversation per contact: a new contact's is new
		var turn int64
		if err := st("nextTurn").QueryRowContext(ctx).Scan(&turn); err != nil {
			return err
		}
		assignee = p.agents[(turn-1)%int64(len(p.agents))]
	}
	var convID int64
	if err := st("upsertConversation").QueryRowContext(ctx, contactID, assignee, at, e.ReplyToken).Scan(&convID); err != nil {
		return err
	}
	if _, err := st("insertMessage").ExecContext(ctx, convID, id, typ, text, at); err != nil {
		return err
	}
	return tx.Commit()
}

// Count returns the number of rows in one of the peer's tables (webhook_events, contacts, conversations,
// messages), for sanity checks.
func (p *Peer) Count(ctx context.Context, table string) (int, error) {
	var n int
	err := p.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM %s`, table)).Scan(&n)
	return n, err
}
