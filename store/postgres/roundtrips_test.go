package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/postgres"
)

// statements counts the statements a pool sends.
type statements struct{ n atomic.Int64 }

func (s *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	s.n.Add(1)
	return ctx
}

func (*statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Find-or-create is one round trip on PostgreSQL, for a new contact or conversation as for an existing one:
// the look-up and the insert are one statement (sqlstore.WritableCTE). An inbound message from a new
// sender took two more round trips before.
func TestFindOrCreateIsOneStatement(t *testing.T) {
	schema := newSchema(t)
	open(t, schema, nil) // creates the schema
	cfg, err := pgxpool.ParseConfig(dsn(t))
	require.NoError(t, err)
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	count := &statements{}
	cfg.ConnConfig.Tracer = count
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s, err := postgres.New(t.Context(), pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, store.Channel{Name: "LINE", Kind: "line", Active: true})
	require.NoError(t, err)

	peer := channel.User("U1")
	calls := func(f func()) int64 {
		before := count.n.Load()
		f()
		return count.n.Load() - before
	}
	var contact store.Contact
	for _, want := range []bool{true, false} {
		var created bool
		n := calls(func() {
			contact, created, err = s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: peer})
			require.NoError(t, err)
		})
		require.Equal(t, want, created)
		require.EqualValues(t, 1, n, "statements for a contact (created %v)", want)
	}
	for _, want := range []bool{true, false} {
		var conv store.Conversation
		var created bool
		n := calls(func() {
			conv, created, err = s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: contact.ID, Peer: peer})
			require.NoError(t, err)
		})
		require.Equal(t, want, created)
		require.Equal(t, contact.ID, conv.ContactID)
		require.EqualValues(t, 1, n, "statements for a conversation (created %v)", want)
	}
}
