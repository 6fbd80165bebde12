package channel_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/deepcheck"
)

// Clone copies every slice, map and pointer, however deep — including fields added after this test.
func TestCloneSharesNothing(t *testing.T) {
	var m channel.Message
	deepcheck.Fill(&m)
	c := m.Clone()
	require.Equal(t, m, c)
	require.Empty(t, deepcheck.Shared(m, c), "Message.Clone shares memory")

	var e channel.Event
	deepcheck.Fill(&e)
	d := e.Clone()
	require.Equal(t, e, d)
	require.Empty(t, deepcheck.Shared(e, d), "Event.Clone shares memory")

	require.Equal(t, channel.Message{}, channel.Message{}.Clone(), "nil stays nil")
	require.Equal(t, channel.Event{}, channel.Event{}.Clone())
}
