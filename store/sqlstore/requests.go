package sqlstore

import (
	"context"
	"encoding/json"

	"github.com/msgkit/msgkit/store"
)

const requestCols = `scope, req_key, result, created_at, expires_at`

func scanRequest(r Row) (store.Request, error) {
	var q store.Request
	var result string
	var created, expires int64
	err := r.Scan(&q.Scope, &q.Key, &result, &created, &expires)
	if result != "" {
		q.Result = json.RawMessage(result)
	}
	q.CreatedAt, q.ExpiresAt = timeOf(created), timeOf(expires)
	return q, err
}

// RememberRequest implements store.Requests: one upsert that replaces only an expired request, then a
// read of the live one when it did nothing. Without Upsert: an UPDATE of an expired request, else an
// INSERT, whose unique violation means that a live one exists.
func (s *Store) RememberRequest(ctx context.Context, r store.Request) (store.Request, bool, error) {
	if err := check(ctx); err != nil {
		return store.Request{}, false, err
	}
	now := s.stamp()
	args := []any{r.Scope, r.Key, string(r.Result), now, micros(r.ExpiresAt)}
	const key = "scope = $1 AND req_key = $2"
	find := func() (store.Request, error) {
		return scanRequest(s.db.QueryRow(ctx, `SELECT `+requestCols+` FROM requests WHERE `+key, r.Scope, r.Key))
	}
	if !s.d.Has(Upsert) {
		got, err := writeRow(ctx, s, scanRequest, `UPDATE requests SET result = $3, created_at = $4, expires_at = $5
			WHERE `+key+` AND expires_at <> 0 AND expires_at <= $4`, "", "requests", requestCols, key, args...)
		if !s.noRows(err) {
			return got, err == nil, s.mapErr(err, "request")
		}
	}
	got, err := writeRow(ctx, s, scanRequest, `INSERT INTO requests (`+requestCols+`) VALUES ($1, $2, $3, $4, $5)`,
		`ON CONFLICT (scope, req_key) DO UPDATE SET result = excluded.result, created_at = excluded.created_at,
			expires_at = excluded.expires_at
		WHERE requests.expires_at <> 0 AND requests.expires_at <= $4`, "requests", requestCols, key, args...)
	return insertOnce(s, got, err, find, "request")
}

// GetRequest implements store.Requests.
func (s *Store) GetRequest(ctx context.Context, scope, key string) (store.Request, error) {
	if err := check(ctx); err != nil {
		return store.Request{}, err
	}
	r, err := scanRequest(s.db.QueryRow(ctx, `SELECT `+requestCols+` FROM requests
		WHERE scope = $1 AND req_key = $2 AND (expires_at = 0 OR expires_at > $3)`, scope, key, s.stamp()))
	return r, s.mapErr(err, "request "+key+" in "+scope)
}

// DeleteExpiredRequests implements store.Requests.
func (s *Store) DeleteExpiredRequests(ctx context.Context, limit int) (int, error) {
	if err := check(ctx); err != nil {
		return 0, err
	}
	n, err := s.db.Exec(ctx, `DELETE FROM requests WHERE (scope, req_key) IN (SELECT scope, req_key FROM (SELECT scope, req_key
		FROM requests WHERE expires_at <> 0 AND expires_at <= $1 LIMIT $2) AS expired)`, s.stamp(), limit)
	return int(n), s.mapErr(err, "expired requests")
}
