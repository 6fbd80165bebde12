package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/channel/line/linetest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/internal/perf"
	"github.com/msgkit/msgkit/store"
)

const lineToken = "perfsuite-access-token"

// figOutbound: an agent's text reply through msgkit — Service.Reply storing the part and its delivery job
// (the outbox) on SQLite, then delivering it with the reply token to the fake LINE API over loopback HTTP
// — against the SDK's ReplyMessage sending the same text with a fresh reply token to the same fake.
func figOutbound(ctx context.Context, e *env) ([]perf.Line, error) {
	api := linetest.NewServer(&linetest.Options{AccessToken: lineToken})
	defer api.Close()
	a, err := line.New(line.Config{ChannelSecret: secret, AccessToken: lineToken, BotUserID: bot},
		&line.Options{APIEndpoint: api.URL, DataEndpoint: api.URL})
	if err != nil {
		return nil, err
	}
	s, err := openSQLite(ctx, filepath.Join(e.dir, "outbound.db"))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	k, err := newKit(ctx, s, kitOptions{adapter: a})
	if err != nil {
		return nil, err
	}
	client, err := messaging_api.NewMessagingApiAPI(lineToken, messaging_api.WithEndpoint(api.URL))
	if err != nil {
		return nil, err
	}
	n := e.scale(60, 300)
	user := 0
	// conversations ingests n customers' messages (through the webhook path, jobs run) and returns their
	// conversations, each with a fresh reply token.
	conversations := func() ([]string, error) {
		for range n {
			body := api.Webhook(linetest.Event{UserID: fmt.Sprintf("U%032x", user), Text: "hello"})
			user++
			if _, _, err := k.post(ctx, body); err != nil {
				return nil, err
			}
		}
		ids, err := conversationIDs(ctx, s, k.ch.ID)
		if err != nil {
			return nil, err
		}
		return ids[:n], nil // newest first: this round's
	}
	reply := func() (float64, error) {
		ids, err := conversations()
		if err != nil {
			return 0, err
		}
		var total time.Duration
		for _, id := range ids {
			t0 := time.Now()
			sent, err := k.svc.Reply(ctx, id, agents[0], conversation.Reply{Text: "Thank you for your message."})
			total += time.Since(t0)
			if err != nil {
				return 0, err
			}
			if len(sent.Parts) != 1 || sent.Parts[0].Status != store.StatusSent {
				return 0, fmt.Errorf("reply not sent: %+v", sent.Parts)
			}
		}
		return float64(total.Nanoseconds()) / float64(n), nil
	}
	sdk := func() (float64, error) {
		var total time.Duration
		for range n {
			token := api.NewReplyToken(fmt.Sprintf("U%032x", user))
			user++
			t0 := time.Now()
			_, err := client.ReplyMessage(&messaging_api.ReplyMessageRequest{ReplyToken: token,
				Messages: []messaging_api.MessageInterface{messaging_api.TextMessage{Text: "Thank you for your message."}}})
			total += time.Since(t0)
			if err != nil {
				return 0, err
			}
		}
		return float64(total.Nanoseconds()) / float64(n), nil
	}
	if _, err := reply(); err != nil { // warm-up
		return nil, err
	}
	if _, err := sdk(); err != nil {
		return nil, err
	}
	subj, base, err := perf.Rounds(e.rounds, reply, sdk)
	if err != nil {
		return nil, err
	}
	if got := len(api.Deliveries()); got != 2*(e.rounds+1)*n {
		return nil, fmt.Errorf("the fake LINE API took %d deliveries, want %d", got, 2*(e.rounds+1)*n)
	}
	return []perf.Line{{Name: "outbound reply", Subject: fmtNs(perf.Median(subj)), Baseline: fmtNs(perf.Median(base)),
		Ratio: perf.Ratio(subj, base), Target: perf.Le(1.5)}}, nil
}
