package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/conversation"
)

// BenchmarkViews must measure the views an inbox serves: its copy of the standard views is
// conversation.StoreView's, view for view.
func TestScaleViewsAreTheStandardViews(t *testing.T) {
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	var names []conversation.ViewName
	for _, v := range scaleViews() {
		names = append(names, conversation.ViewName(v.name))
		want, err := conversation.StoreView(conversation.ViewName(v.name), "u", now, time.UTC)
		require.NoError(t, err)
		require.Equal(t, want, v.view("u", now), v.name)
	}
	require.Equal(t, conversation.StandardViews(), names)
}

// The population is what its doc comment says, and today's traffic is the same at every size.
func TestPopulationShape(t *testing.T) {
	t.Parallel()
	p := NewPopulation(1_000)
	require.Len(t, p.Conversations, 1_000)
	require.InDelta(t, 10_000, p.MessageCount, 500)
	var assigned, unreplied, linked, today, recent, mine, myRecords int
	midnight := p.Now.Truncate(24 * time.Hour)
	for i, c := range p.Conversations {
		msgs := p.Messages(i)
		last := msgs[len(msgs)-1]
		require.Equal(t, c.LastMessageAt, last.Time)
		require.Equal(t, c.Unreplied, last.Direction == "in", c.ID)
		later := c.LastInboundAt
		if c.LastOutboundAt.After(later) {
			later = c.LastOutboundAt
		}
		require.Equal(t, c.LastMessageAt, later)
		require.False(t, c.LastMessageAt.After(p.Now))
		require.Equal(t, p.Contacts[i].Record, c.Record)
		if c.Assignee != "" {
			assigned++
		}
		if c.Unreplied {
			unreplied++
		}
		if !c.Record.IsZero() {
			linked++
		}
		if !c.LastInboundAt.Before(midnight) {
			today++
		}
		if !c.LastMessageAt.Before(midnight) {
			recent++
		}
		if c.Assignee == p.Viewer {
			mine++
		}
		if c.Record.Owner == p.Viewer {
			myRecords++
		}
	}
	require.InDelta(t, 850, assigned, 60)
	require.InDelta(t, 300, unreplied, 50)
	require.InDelta(t, 400, linked, 50)
	require.InDelta(t, Today, recent, 40)
	require.InDelta(t, Today*0.7, today, 40) // 30 % end with an outbound message, often after an older inbound one
	require.InDelta(t, 42, mine, 20)
	require.InDelta(t, 40, myRecords, 20)
	require.Equal(t, p.Conversations[123], NewPopulation(1_000).Conversations[123], "generated the same every run")

	bigger := NewPopulation(5_000)
	recent = 0
	for _, c := range bigger.Conversations {
		if !c.LastMessageAt.Before(midnight) {
			recent++
		}
	}
	require.InDelta(t, Today, recent, 40, "today's traffic does not grow with the history")
}
