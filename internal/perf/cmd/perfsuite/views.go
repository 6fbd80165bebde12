package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/perf"
	"github.com/msgkit/msgkit/store"
)

// viewCase is one inbox read of the views figure.
type viewCase struct {
	name string
	read func(ctx context.Context, s store.Store, d *viewData) error
}

// viewData is a seeded database: its channel and a conversation to page through.
type viewData struct {
	ch       store.Channel
	timeline string // a conversation whose messages are paged
	since    time.Time
}

// secondPage reads the second 50-row page of v (the first page's cursor, then the page).
func secondPage(ctx context.Context, s store.Store, v store.View) error {
	first, next, err := s.ListConversations(ctx, v, store.Page{Limit: 50})
	if err != nil {
		return err
	}
	if len(first) < 50 || next == (store.Cursor{}) {
		return fmt.Errorf("view %+v: only %d conversations", v, len(first))
	}
	_, _, err = s.ListConversations(ctx, v, store.Page{Limit: 50, After: next})
	return err
}

var viewCases = []viewCase{
	{"all", func(ctx context.Context, s store.Store, d *viewData) error {
		return secondPage(ctx, s, store.View{ChannelID: d.ch.ID})
	}},
	{"mine (assignee)", func(ctx context.Context, s store.Store, d *viewData) error {
		return secondPage(ctx, s, store.View{Assignee: agents[1]})
	}},
	{"unassigned", func(ctx context.Context, s store.Store, d *viewData) error {
		return secondPage(ctx, s, store.View{Unassigned: true})
	}},
	{"unreplied", func(ctx context.Context, s store.Store, d *viewData) error {
		return secondPage(ctx, s, store.View{Unreplied: true})
	}},
	{"mine, unreplied", func(ctx context.Context, s store.Store, d *viewData) error {
		return secondPage(ctx, s, store.View{Assignee: agents[1], Unreplied: true})
	}},
	{"unregistered", func(ctx context.Context, s store.Store, d *viewData) error {
		return secondPage(ctx, s, store.View{Linkage: store.Unregistered})
	}},
	{"today", func(ctx context.Context, s store.Store, d *viewData) error {
		return secondPage(ctx, s, store.View{InboundSince: d.since})
	}},
	{"timeline page", func(ctx context.Context, s store.Store, d *viewData) error {
		_, next, err := s.ListMessages(ctx, d.timeline, store.Page{Limit: 5, Order: store.NewestFirst})
		if err != nil {
			return err
		}
		_, _, err = s.ListMessages(ctx, d.timeline, store.Page{Limit: 5, Order: store.NewestFirst, After: next})
		return err
	}},
}

// seedViews fills s with convs conversations of msgs messages each, through the store's own API in
// transactions of 200 conversations: every fourth unassigned, the rest round robin over agents, every
// other one unreplied, the last fifth written "today".
func seedViews(ctx context.Context, s store.Store, convs, msgs int) (*viewData, error) {
	ch, err := s.CreateChannel(ctx, store.Channel{Kind: "line", ExternalID: fmt.Sprint(time.Now().UnixNano()), Active: true})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	d := &viewData{ch: ch, since: now.Add(-time.Duration(convs/5) * time.Minute)}
	start := now.Add(-time.Duration(convs) * time.Minute)
	const batch = 200
	for first := 0; first < convs; first += batch {
		err := s.RunInTx(ctx, func(ctx context.Context, tx store.Store) error {
			for i := first; i < min(first+batch, convs); i++ {
				peer := channel.Peer{Kind: channel.PeerUser, ID: fmt.Sprintf("U%032x", i), UserID: fmt.Sprintf("U%032x", i)}
				c, _, err := tx.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: peer, Followed: true})
				if err != nil {
					return err
				}
				conv := store.Conversation{ChannelID: ch.ID, ContactID: c.ID, Peer: peer}
				if i%4 != 0 {
					conv.Assignee = agents[i%len(agents)]
				}
				conv, _, err = tx.FindOrCreateConversation(ctx, conv)
				if err != nil {
					return err
				}
				at := start.Add(time.Duration(i) * time.Minute)
				for m := range msgs {
					dir := store.Inbound
					if m%2 == 1 && (m < msgs-1 || i%2 == 1) {
						dir = store.Outbound
					}
					if _, _, err := tx.AppendMessage(ctx, store.Message{ConversationID: conv.ID, Direction: dir, Kind: channel.EventMessage,
						ChannelMessageID: fmt.Sprintf("%d-%d", i, m), Content: channel.Message{Type: channel.TypeText, Text: "Hello, world"},
						Status: store.StatusReceived, Time: at.Add(time.Duration(m-msgs) * time.Second)}); err != nil {
						return err
					}
				}
				if i%2 == 0 {
					if _, err := tx.RecordInbound(ctx, conv.ID, store.InboundNote{At: at, Preview: "Hello, world"}); err != nil {
						return err
					}
				}
				if i == convs/2 {
					d.timeline = conv.ID
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// figViews: each standard inbox view's second 50-row page, and a timeline page, on SQLite at 100k
// conversations / 1M messages against the same at 1k / 10k; p99 of each, interleaved in rounds.
func figViews(ctx context.Context, e *env) ([]perf.Line, error) {
	if e.short {
		var lines []perf.Line
		for _, c := range viewCases {
			lines = append(lines, perf.Line{Name: "views at scale: " + c.name, Target: perf.Le(2),
				NotMeasured: "full mode only (seeding 1M messages takes minutes)"})
		}
		return lines, nil
	}
	open := func(name string, convs, msgs int) (store.Store, *viewData, func(), error) {
		s, err := openSQLite(ctx, filepath.Join(e.dir, name))
		if err != nil {
			return nil, nil, nil, err
		}
		t0 := time.Now()
		d, err := seedViews(ctx, s, convs, msgs)
		if err != nil {
			s.Close()
			return nil, nil, nil, err
		}
		fmt.Fprintf(e.log, "  views: seeded %d conversations, %d messages in %s\n", convs, convs*msgs, time.Since(t0).Round(time.Second))
		return s, d, func() { s.Close() }, nil
	}
	big, bigData, closeBig, err := open("views-big.db", 100_000, 10)
	if err != nil {
		return nil, err
	}
	defer closeBig()
	small, smallData, closeSmall, err := open("views-small.db", 1_000, 10)
	if err != nil {
		return nil, err
	}
	defer closeSmall()
	const reads = 40
	var lines []perf.Line
	for _, c := range viewCases {
		var bigLat, smallLat []time.Duration
		side := func(s store.Store, d *viewData, lat *[]time.Duration) func() (float64, error) {
			return func() (float64, error) {
				for range reads {
					t0 := time.Now()
					if err := c.read(ctx, s, d); err != nil {
						return 0, err
					}
					*lat = append(*lat, time.Since(t0))
				}
				return float64(perf.Quantile((*lat)[len(*lat)-reads:], 0.99)), nil
			}
		}
		if _, err := side(big, bigData, new([]time.Duration))(); err != nil { // warm the caches
			return nil, err
		}
		if _, err := side(small, smallData, new([]time.Duration))(); err != nil {
			return nil, err
		}
		if _, _, err := perf.Rounds(e.rounds, side(big, bigData, &bigLat), side(small, smallData, &smallLat)); err != nil {
			return nil, err
		}
		bp, sp := perf.Quantile(bigLat, 0.99), perf.Quantile(smallLat, 0.99)
		lines = append(lines, perf.Line{Name: "views at scale: " + c.name, Subject: fmtDur(bp) + " p99", Baseline: fmtDur(sp) + " p99",
			Ratio: float64(bp) / float64(sp), Target: perf.Le(2)})
	}
	return lines, nil
}
