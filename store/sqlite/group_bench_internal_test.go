package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// BenchmarkGroupCommit measures concurrent inbound messages (8 at once, each the write transaction of a
// new sender's message: contact and conversation created, message appended, conversation updated, a
// job recorded) with commits shared and, as the baseline in the same run, one commit per transaction.
// Rounds alternate between the two stores; shared/alone is the time ratio, commits/tx the shared
// store's commits per transaction.
//
//	go test ./store/sqlite -run '^$' -bench BenchmarkGroupCommit -benchtime 200x -count 3
func BenchmarkGroupCommit(b *testing.B) {
	const writers = 8
	open := func(limit int) (*Store, store.Channel) {
		s, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		s.group.limit = limit
		ch, err := s.CreateChannel(b.Context(), store.Channel{Name: "LINE", Kind: "line", Active: true})
		if err != nil {
			b.Fatal(err)
		}
		return s, ch
	}
	shared, sharedCh := open(0)
	alone, aloneCh := open(1)
	ingest := func(s *Store, ch store.Channel, sender string) error {
		return s.RunInTx(b.Context(), func(ctx context.Context, tx store.Store) error {
			peer := channel.User(sender)
			c, _, err := tx.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: peer, Followed: true})
			if err != nil {
				return err
			}
			conv, _, err := tx.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: c.ID, Peer: peer})
			if err != nil {
				return err
			}
			now := time.Now()
			m, _, err := tx.AppendMessage(ctx, store.Message{ConversationID: conv.ID, Direction: store.Inbound, Kind: channel.EventMessage,
				ChannelMessageID: sender, Status: store.StatusReceived, Time: now, Content: channel.Message{Type: channel.TypeText, Text: "Is the shop open today?"}})
			if err != nil {
				return err
			}
			if _, err := tx.RecordInbound(ctx, conv.ID, store.InboundNote{At: now, Preview: "Is the shop open today?"}); err != nil {
				return err
			}
			_, _, err = tx.EnqueueJob(ctx, store.Job{Kind: "inbound", Payload: []byte(fmt.Sprintf(`{"messageId":%q}`, m.ID))})
			return err
		})
	}
	var wShared, wAlone int64
	round := func(s *Store, ch store.Channel, n int) time.Duration {
		w0 := written(b)
		defer func() {
			if s == shared {
				wShared += written(b) - w0
			} else {
				wAlone += written(b) - w0
			}
		}()
		start := time.Now()
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				if err := ingest(s, ch, fmt.Sprintf("U%d-%d", n, w)); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	var tShared, tAlone time.Duration
	b.ResetTimer()
	for n := range b.N {
		if n%2 == 0 {
			tShared += round(shared, sharedCh, n)
			tAlone += round(alone, aloneCh, n)
		} else {
			tAlone += round(alone, aloneCh, n)
			tShared += round(shared, sharedCh, n)
		}
	}
	txs := float64(b.N * writers)
	b.ReportMetric(float64(tShared.Nanoseconds())/txs, "shared-ns/tx")
	b.ReportMetric(float64(tAlone.Nanoseconds())/txs, "alone-ns/tx")
	b.ReportMetric(float64(tShared)/float64(tAlone), "shared/alone")
	b.ReportMetric(float64(shared.group.shared.Load())/txs, "shared-commits/tx")
	b.ReportMetric(float64(wShared)/txs, "shared-B/tx")
	b.ReportMetric(float64(wAlone)/txs, "alone-B/tx")
}

// written is how many bytes the process has written (wchar in /proc/self/io: the log's frames and the
// checkpoints), or 0 where that is not available.
func written(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}
