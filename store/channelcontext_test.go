package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
)

// A context carries the channel for that channel's ID only.
func TestChannelFromGivesOnlyTheChannelCarried(t *testing.T) {
	ctx := store.WithChannel(context.Background(), store.Channel{ID: "ch-1", Name: "Tokyo shop"})
	got, ok := store.ChannelFrom(ctx, "ch-1")
	require.True(t, ok)
	require.Equal(t, "Tokyo shop", got.Name)
	_, ok = store.ChannelFrom(ctx, "ch-2")
	require.False(t, ok, "another channel is read, not taken")
	_, ok = store.ChannelFrom(context.Background(), "ch-1")
	require.False(t, ok, "a context without one")
	_, ok = store.ChannelFrom(store.WithChannel(context.Background(), store.Channel{}), "")
	require.False(t, ok, "no ID, no channel")
}
