package sqlstore

import (
	"context"
	"fmt"

	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
)

// NextCursor implements store.Assignments: one atomic upsert (with Upsert and Returning; else an upsert
// and a read of the locked row, in one transaction).
func (s *Store) NextCursor(ctx context.Context, pool string) (int64, error) {
	if err := check(ctx); err != nil {
		return 0, err
	}
	var v int64
	if has(s.d, Returning, Upsert) {
		err := s.db.QueryRow(ctx, `INSERT INTO cursors (pool, value) VALUES ($1, 1)
			ON CONFLICT (pool) DO UPDATE SET value = cursors.value + 1 RETURNING value`, pool).Scan(&v)
		return v, s.mapErr(err, "cursor "+pool)
	}
	err := s.tx(ctx, func(ctx context.Context, tx *Store) error {
		if err := tx.upsert(ctx, `INSERT INTO cursors (pool, value) VALUES ($1, 1)`, "",
			`UPDATE cursors SET value = value + 1 WHERE pool = $1`, pool); err != nil {
			return err
		}
		return tx.db.QueryRow(ctx, `SELECT value FROM cursors WHERE pool = $1`, pool).Scan(&v)
	})
	return v, s.mapErr(err, "cursor "+pool)
}

const assignmentCols = `id, conversation_id, from_user, to_user, by_user, reason, at`

func scanAssignment(r Row) (store.Assignment, error) {
	var a store.Assignment
	var reason string
	var at int64
	err := r.Scan(&a.ID, &a.ConversationID, &a.From, &a.To, &a.By, &reason, &at)
	a.Reason, a.At = store.AssignReason(reason), timeOf(at)
	return a, err
}

// AssignConversation implements store.Assignments: a conditional UPDATE and the history row, in one
// transaction.
func (s *Store) AssignConversation(ctx context.Context, a store.Assignment) (store.Conversation, error) {
	if err := check(ctx); err != nil {
		return store.Conversation{}, err
	}
	var out store.Conversation
	err := s.tx(ctx, func(ctx context.Context, tx *Store) error {
		now := tx.stamp()
		c, err := writeRow(ctx, tx, scanConversation, `UPDATE conversations SET assignee = $3, updated_at = $4, version = version + 1
			WHERE id = $1 AND assignee = $2`, "", "conversations", convCols, "id = $1", a.ConversationID, a.From, a.To, now)
		if tx.noRows(err) {
			if _, err := tx.GetConversation(ctx, a.ConversationID); err != nil {
				return err
			}
			return fmt.Errorf("conversation %s is no longer assigned as expected: %w", a.ConversationID, store.ErrConflict)
		}
		if err != nil {
			return tx.mapErr(err, "conversation "+a.ConversationID)
		}
		out = c
		insert := `INSERT INTO assignments (` + assignmentCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7)`
		args := []any{id.New(), a.ConversationID, a.From, a.To, a.By, string(a.Reason), now}
		if tx.deferWrite("assignment history", insert, args...) {
			return nil
		}
		_, err = tx.db.Exec(ctx, insert, args...)
		return tx.mapErr(err, "assignment history")
	})
	return out, err
}

// ListAssignments implements store.Assignments.
func (s *Store) ListAssignments(ctx context.Context, conversationID string) ([]store.Assignment, error) {
	if err := check(ctx); err != nil {
		return nil, err
	}
	return queryAll(ctx, s, "assignments", scanAssignment, `SELECT `+assignmentCols+` FROM assignments
		WHERE conversation_id = $1 ORDER BY at, id`, conversationID)
}

// UserLoads implements store.Assignments, one indexed count and one indexed max per user.
func (s *Store) UserLoads(ctx context.Context, users []string) ([]store.UserLoad, error) {
	if err := check(ctx); err != nil {
		return nil, err
	}
	out := make([]store.UserLoad, len(users))
	for i, u := range users {
		var last int64
		err := s.db.QueryRow(ctx, `SELECT
			(SELECT COUNT(*) FROM conversations WHERE assignee = $1 AND unreplied = $2),
			COALESCE((SELECT MAX(at) FROM assignments WHERE to_user = $1), 0)`, u, true).Scan(&out[i].Open, &last)
		if err != nil {
			return nil, s.mapErr(err, "user load")
		}
		out[i].User, out[i].LastAssignedAt = u, timeOf(last)
	}
	return out, nil
}
