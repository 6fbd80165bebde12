package conversation_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/storetest"
)

// B9: inbound media are copied through a store fault, or a crash, at every store call of the flow:
// the webhook's transaction, the media jobs' claims, reads and the record of each copy. A crash between
// the download (the copy is in the blob store) and its record (the message says ready) is one of
// them: the job runs again in a new process, writes the same key again, and records it. The final state
// must be the fault-free run's: every copy ready with the right checksum under its message's key, no
// object in the blob store that no message names (no orphan), no job pending or failed.
func TestMediaCopySurvivesAFaultAtEveryStoreCall(t *testing.T) {
	t.Parallel()
	for name, open := range faultBackends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, calls := runMediaFlow(t, open, 0, false)
			require.Len(t, want.Copies, 3)
			for id, c := range want.Copies {
				require.Contains(t, c, "ready", id)
			}
			for _, crash := range []bool{false, true} {
				mode := map[bool]string{false: "error", true: "crash"}[crash]
				t.Run(mode, func(t *testing.T) {
					t.Parallel()
					for n := int64(1); n <= calls; n++ {
						got, _ := runMediaFlow(t, open, n, crash)
						if !assert.Equal(t, want, got, "%s at call %d of %d", mode, n, calls) {
							return
						}
					}
				})
			}
		})
	}
}

// mediaFlowState is what the media flow leaves, independent of IDs.
type mediaFlowState struct {
	Copies  map[string]string // channel message ID → status, type, size, checksum, whether the key is the message's
	Orphans []string          // objects in the blob store that no message's copy names
	Jobs    map[string]int    // kind/status → count
}

func runMediaFlow(t *testing.T, open func(*testing.T, func() time.Time) store.Store, failAt int64, crash bool) (mediaFlowState, int64) {
	t.Helper()
	clock := &clock{now: t0}
	raw := open(t, clock.Now)
	ctx := context.WithoutCancel(t.Context())
	ch, err := raw.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1", Active: true})
	require.NoError(t, err)
	fake := channeltest.NewFake(nil)
	files := map[string][]byte{
		"img-1":  encodedJPEG(t, 24, 24, false),
		"aud-1":  fixtureFile(t, "clip.m4a"),
		"file-1": []byte("%PDF-1.7\n%%EOF\n"),
	}
	fake.SetContent("img-1", "image/jpeg", files["img-1"])
	fake.SetContent("aud-1", "audio/x-m4a", files["aud-1"])
	fake.SetContent("file-1", "application/pdf", files["file-1"])
	// The blob store is the host's durable storage: it outlives a crashed process, as the database does.
	blobFiles, bucket := newFiles(t, clock.Now)

	var first *storetest.Faults
	plan := &faultPlan{at: failAt, crash: crash}
	start := func(fail func(storetest.Call) error) *conversation.Service {
		faults := storetest.NewFaults(raw, fail)
		if first == nil {
			first = faults
		}
		svc, err := conversation.New(faults, conversation.AdapterMap{ch.ID: fake}, &conversation.Options{
			Now:     clock.Now,
			Files:   blobFiles,
			OnError: func(error) {},
			Jobs:    conversation.JobOptions{Lease: time.Minute, MaxBackoff: time.Minute},
		})
		require.NoError(t, err)
		return svc
	}
	svc := start(plan.fail)
	restartIfCrashed := func() {
		if plan.died() {
			svc = start(nil)
		}
	}
	media := func(id string, typ channel.MessageType) channel.Event {
		m := channel.Message{Type: typ, ID: id, Media: &channel.Media{}}
		if typ == channel.TypeFile {
			m.Media.FileName = "invoice.pdf"
		}
		return channel.Event{ID: "ev-" + id, Kind: channel.EventMessage, Time: t0, Mode: channel.ModeActive,
			Source: channel.User("U1"), Message: &m}
	}
	events := []channel.Event{media("img-1", channel.TypeImage), media("aud-1", channel.TypeAudio), media("file-1", channel.TypeFile)}
	for attempt := 0; ; attempt++ {
		require.Less(t, attempt, 10, "the webhook must be accepted once the fault is over")
		err := svc.Ingest(ctx, ch.ID, events)
		restartIfCrashed()
		if err == nil {
			break
		}
	}
	for round := 0; ; round++ {
		require.Less(t, round, 20, "the jobs must all finish once the fault is over")
		_, _ = svc.Flush(ctx)
		restartIfCrashed()
		pending, _, err := raw.ListJobs(ctx, store.JobFilter{Status: store.JobPending}, store.Page{})
		require.NoError(t, err)
		if len(pending) == 0 {
			break
		}
		clock.Advance(2 * time.Minute) // past any lease and backoff
	}

	calls := int64(0)
	if first != nil {
		calls = first.Calls()
	}
	st := mediaFlowState{Copies: map[string]string{}, Jobs: map[string]int{}}
	named := map[string]bool{}
	for id, data := range files {
		m, err := raw.FindMessage(ctx, ch.ID, id)
		require.NoError(t, err)
		c := m.MediaCopy
		require.NotNil(t, c, id)
		sum := sha256.Sum256(data)
		st.Copies[id] = fmt.Sprintf("%s %s %d checksum-ok=%t own-key=%t %s", c.Status, c.ContentType, c.Size,
			c.SHA256 == hex.EncodeToString(sum[:]), c.Key == "inbound/"+m.ID, c.Detail)
		named[c.Key] = true
	}
	for _, k := range bucket.live(t) {
		if !named[k] {
			st.Orphans = append(st.Orphans, k)
		}
	}
	jobs, _, err := raw.ListJobs(ctx, store.JobFilter{}, store.Page{Limit: store.MaxLimit})
	require.NoError(t, err)
	for _, j := range jobs {
		st.Jobs[j.Kind+"/"+string(j.Status)]++
	}
	return st, calls
}
