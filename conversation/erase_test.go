package conversation_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/channeltest"
	"github.com/msgkit/msgkit/channel/line"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/storetest"
)

// Erasing a channel deletes every file kept for it — the copy of a customer's photo, the files an
// agent's reply re-hosted, the thumbnail and the poster made for them — once Run has done the erase's
// jobs, and no file of another channel.
func TestEraseDeletesEveryFileOfTheChannel(t *testing.T) {
	t.Parallel()
	files := newEraseFiles(t)
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newEraseRig(t, open, files)
			svc := r.service(t, r.raw)
			require.NoError(t, svc.EraseChannel(t.Context(), r.erased.ID))
			_, err := r.raw.GetChannel(t.Context(), r.erased.ID)
			require.ErrorIs(t, err, store.ErrNotFound, "the channel's rows are gone at once")
			_, err = svc.Flush(t.Context())
			require.NoError(t, err)
			require.Equal(t, r.keptFiles, r.bucket.live(t), "the erased channel's files are gone, the other channel's kept")
			require.Equal(t, map[string]int{"erase/done": 1}, r.jobs(t, "erase"))
			require.Empty(t, *r.errs)
			require.ErrorIs(t, svc.EraseChannel(t.Context(), r.erased.ID), store.ErrNotFound)
		})
	}
}

// A process that dies right after the erase commits, before it deleted any file, leaves the files to
// the next process's Run: what must be deleted was recorded with the erase.
func TestEraseSurvivesACrashAfterItsCommit(t *testing.T) {
	t.Parallel()
	files := newEraseFiles(t)
	for name, open := range faultBackends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newEraseRig(t, open, files)
			dies := storetest.NewFaults(r.raw, func(c storetest.Call) error {
				if c.Method == "Committed" {
					panic(processDied{})
				}
				return nil
			})
			func() {
				defer func() { require.Equal(t, processDied{}, recover(), "the process dies as the erase commits") }()
				_ = r.service(t, dies).EraseChannel(t.Context(), r.erased.ID)
			}()
			_, err := r.raw.GetChannel(t.Context(), r.erased.ID)
			require.ErrorIs(t, err, store.ErrNotFound, "the erase committed")
			require.Subset(t, r.bucket.live(t), r.erasedFiles, "nothing was deleted before the process died")

			_, err = r.service(t, r.raw).Flush(t.Context()) // a new process
			require.NoError(t, err)
			require.Equal(t, r.keptFiles, r.bucket.live(t), "the new process deletes the erased channel's files")
		})
	}
}

// processDied is what a test's store panics with to end a process at a given call.
type processDied struct{}

// An erase ends with every file of the channel deleted, and none of another channel, through a store
// fault or a crash at each store call of the erase and of the jobs after it. A caller whose erase
// failed retries it (a retry that finds the channel gone is done).
func TestEraseSurvivesAFaultAtEveryStoreCall(t *testing.T) {
	t.Parallel()
	files := newEraseFiles(t)
	for name, open := range faultBackends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, calls := runEraseFlow(t, open, files, 0, false)
			require.Equal(t, eraseFlowState{Erased: true, Unfinished: map[string]int{}}, want)
			for _, crash := range []bool{false, true} {
				mode := map[bool]string{false: "error", true: "crash"}[crash]
				t.Run(mode, func(t *testing.T) {
					t.Parallel()
					for n := int64(1); n <= calls; n++ {
						got, _ := runEraseFlow(t, open, files, n, crash)
						if !assert.Equal(t, want, got, "%s at call %d of %d", mode, n, calls) {
							return
						}
					}
				})
			}
		})
	}
}

// eraseFlowState is what an erase leaves.
type eraseFlowState struct {
	Erased     bool           // the channel is gone from the store
	Left       []string       // files of the erased channel still in the blob store
	KeptLost   []string       // files of the other channel no longer in it
	Unfinished map[string]int // kind/status → count, of the jobs not done
}

// runEraseFlow erases a channel and runs the jobs after it, with a store fault at call failAt (0:
// none; with crash, every call after it fails too, until the process is started again), and returns
// what is left and how many store calls the flow made.
func runEraseFlow(t *testing.T, open func(*testing.T, func() time.Time) store.Store, files eraseFiles, failAt int64, crash bool) (eraseFlowState, int64) {
	t.Helper()
	r := newEraseRig(t, open, files)
	ctx := context.WithoutCancel(t.Context())
	plan := &faultPlan{at: failAt, crash: crash}
	faults := storetest.NewFaults(r.raw, plan.fail)
	svc := r.service(t, faults)
	restartIfCrashed := func() {
		if plan.died() {
			svc = r.service(t, r.raw)
		}
	}
	for attempt := 0; ; attempt++ {
		require.Less(t, attempt, 10, "the erase must go through once the fault is over")
		err := svc.EraseChannel(ctx, r.erased.ID)
		restartIfCrashed()
		if err == nil || attempt > 0 && errors.Is(err, store.ErrNotFound) {
			break
		}
	}
	for round := 0; ; round++ {
		require.Less(t, round, 20, "the jobs must all finish once the fault is over")
		_, _ = svc.Flush(ctx)
		restartIfCrashed()
		pending, _, err := r.raw.ListJobs(ctx, store.JobFilter{Status: store.JobPending}, store.Page{})
		require.NoError(t, err)
		if len(pending) == 0 {
			break
		}
		r.clock.Advance(2 * time.Minute) // past any lease and backoff
	}
	_, err := r.raw.GetChannel(ctx, r.erased.ID)
	st := eraseFlowState{Erased: errors.Is(err, store.ErrNotFound), Unfinished: map[string]int{}}
	for kind, n := range r.jobs(t, "") {
		if !strings.HasSuffix(kind, "/done") {
			st.Unfinished[kind] = n
		}
	}
	live := r.bucket.live(t)
	for _, k := range r.erasedFiles {
		if slices.Contains(live, k) {
			st.Left = append(st.Left, k)
		}
	}
	for _, k := range r.keptFiles {
		if !slices.Contains(live, k) {
			st.KeptLost = append(st.KeptLost, k)
		}
	}
	return st, faults.Calls()
}

// A webhook or a reply that commits as a channel is erased, after the erase listed the channel's files,
// leaves no file behind either: the media copy that finds its message gone, and the send that finds its
// channel gone, delete their files.
func TestWorkCommittedAsAChannelIsErasedLeavesNoFile(t *testing.T) {
	t.Parallel()
	files := newEraseFiles(t)
	t.Run("media copy", func(t *testing.T) {
		t.Parallel()
		r := newEraseRig(t, memOpen, files)
		svc := r.service(t, r.raw)
		fake := r.fakes[r.erased.ID]
		// The erase commits while the media job downloads the customer's new photo.
		fake.SetContentHook(func() { require.NoError(t, r.raw.DeleteChannel(t.Context(), r.erased.ID)) })
		require.NoError(t, svc.Ingest(t.Context(), r.erased.ID, []channel.Event{r.photoEvent(r.erased, "late-photo")}))
		_, err := svc.Flush(t.Context())
		require.NoError(t, err)
		r.clock.Advance(time.Minute)
		_, err = svc.Flush(t.Context())
		require.NoError(t, err)
		want := slices.Sorted(slices.Values(append(slices.Clone(r.keptFiles), r.erasedFiles...)))
		require.Equal(t, want, r.bucket.live(t), "the copy made as the erase committed is deleted")
		require.Equal(t, map[string]int{"media/done": 3}, r.jobs(t, "media"), "the late copy ends done, as the two before it")
	})
	t.Run("send", func(t *testing.T) {
		t.Parallel()
		r := newEraseRig(t, memOpen, files)
		svc := r.service(t, r.raw, func(o *conversation.Options) { o.DeferDelivery = true })
		conv := r.conversationOf(t, r.erased)
		before := r.bucket.live(t)
		_, err := svc.Reply(t.Context(), conv, "alice", conversation.Reply{Attachments: []conversation.Attachment{
			{Source: "crm", Ref: "big.jpg"}}})
		require.NoError(t, err)
		require.Len(t, r.bucket.live(t), len(before)+2, "the reply re-hosted the photo and made its thumbnail")
		require.NoError(t, r.raw.DeleteChannel(t.Context(), r.erased.ID)) // committed after the erase's list
		_, err = svc.Flush(t.Context())
		require.NoError(t, err)
		require.Equal(t, before, r.bucket.live(t), "the reply's files are deleted")
		require.Equal(t, map[string]int{"send/done": 3}, r.jobs(t, "send"), "the late send ends done, as the two before it: nothing more is tried")
	})
}

var memOpen = backends()["memstore"]

// eraseFiles are the files customers and agents send in the erase tests, made once per test.
type eraseFiles struct {
	photo, bigPhoto, video, pdf []byte
}

func newEraseFiles(t *testing.T) eraseFiles {
	big := encodedJPEG(t, 600, 450, false)
	require.Greater(t, len(big), maxPreview, "the big photo needs a thumbnail")
	return eraseFiles{photo: encodedJPEG(t, 24, 24, false), bigPhoto: big, video: fixtureFile(t, "clip.mp4"),
		pdf: []byte("%PDF-1.7\n%%EOF\n")}
}

// eraseRig is a store and a blob store shared by the Services a test starts (processes), with two
// channels whose adapters take media by LINE's rules (with smaller previews): on each, a customer sent a
// photo (copied), and an agent answered with a large photo (re-hosted with a thumbnail), a video
// (re-hosted with a poster) and a PDF (re-hosted, sent as a link).
type eraseRig struct {
	raw          store.Store
	clock        *clock
	bucket       *keyBucket
	files        conversation.Files
	adapters     conversation.AdapterMap
	fakes        map[string]*contentFake
	erased, kept store.Channel
	keptFiles    []string // the kept channel's files
	erasedFiles  []string // the erased channel's files
	photo        []byte
	errs         *[]error
}

// smallPreviews is a Fake that takes media by LINE's rules, but previews of at most maxPreview bytes,
// so that a modest photo gets a thumbnail (a large one takes seconds to scale down under -race).
type smallPreviews struct{ *contentFake }

const maxPreview = 8000

func (smallPreviews) MediaRules() channel.MediaRules {
	r := line.MediaRules()
	for i, m := range r.Media {
		if m.Preview != nil {
			p := *m.Preview
			p.MaxBytes = maxPreview
			r.Media[i].Preview = &p
		}
	}
	return r
}

// contentFake is a Fake that runs a hook, once, when content is next fetched.
type contentFake struct {
	*channeltest.Fake
	mu   sync.Mutex
	hook func()
}

func (f *contentFake) SetContentHook(hook func()) { f.mu.Lock(); f.hook = hook; f.mu.Unlock() }

func (f *contentFake) FetchContent(ctx context.Context, ref string) (*channel.Content, error) {
	f.mu.Lock()
	hook := f.hook
	f.hook = nil
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	return f.Fake.FetchContent(ctx, ref)
}

func newEraseRig(t *testing.T, open func(*testing.T, func() time.Time) store.Store, files eraseFiles) *eraseRig {
	t.Helper()
	c := &clock{now: t0}
	raw := open(t, c.Now)
	blobFiles, bucket := newFiles(t, c.Now)
	crm := &crmSource{files: map[string]crmFile{}, errs: map[string]error{}}
	crm.add("big.jpg", "big.jpg", "image/jpeg", files.bigPhoto)
	crm.add("clip.mp4", "clip.mp4", "video/mp4", files.video)
	crm.add("quote.pdf", "quote.pdf", "application/pdf", files.pdf)
	sources := attach.NewRegistry()
	require.NoError(t, sources.Register("crm", crm))
	r := &eraseRig{raw: raw, clock: c, bucket: bucket, files: conversation.Files{Store: blobFiles.Store, Server: blobFiles.Server, Sources: sources},
		adapters: conversation.AdapterMap{}, fakes: map[string]*contentFake{}, photo: files.photo, errs: new([]error)}
	for i, name := range []string{"kept", "erased"} {
		ch, err := raw.CreateChannel(t.Context(), store.Channel{Name: name, Kind: "fake", ExternalID: name, Active: true})
		require.NoError(t, err)
		f := &contentFake{Fake: channeltest.NewFake(nil)}
		f.SetProfile(channel.Profile{UserID: "U1", DisplayName: "Hanako"})
		r.fakes[ch.ID], r.adapters[ch.ID] = f, smallPreviews{f}
		svc := r.service(t, raw)
		require.NoError(t, svc.Ingest(t.Context(), ch.ID, []channel.Event{r.photoEvent(ch, "photo")}))
		_, err = svc.Flush(t.Context())
		require.NoError(t, err)
		_, err = svc.Reply(t.Context(), r.conversationOf(t, ch), "alice", conversation.Reply{Attachments: []conversation.Attachment{
			{Source: "crm", Ref: "big.jpg"}, {Source: "crm", Ref: "clip.mp4"}, {Source: "crm", Ref: "quote.pdf"}}})
		require.NoError(t, err)
		_, err = svc.Flush(t.Context())
		require.NoError(t, err)
		if i == 0 {
			r.kept, r.keptFiles = ch, bucket.live(t)
			continue
		}
		r.erased = ch
		for _, k := range bucket.live(t) {
			if !slices.Contains(r.keptFiles, k) {
				r.erasedFiles = append(r.erasedFiles, k)
			}
		}
	}
	require.Empty(t, *r.errs)
	kinds := map[string]int{}
	for _, k := range r.erasedFiles {
		kind, _, _ := strings.Cut(k, "/")
		if strings.HasSuffix(k, "-preview") {
			kind = "preview"
		}
		kinds[kind]++
	}
	require.Equal(t, map[string]int{"inbound": 1, "outbound": 3, "preview": 2}, kinds,
		"the erased channel keeps a photo's copy, three re-hosted files, a thumbnail and a poster")
	return r
}

// service starts a Service (a process) on s.
func (r *eraseRig) service(t *testing.T, s store.Store, tweak ...func(*conversation.Options)) *conversation.Service {
	t.Helper()
	var mu sync.Mutex
	o := &conversation.Options{
		Now:     r.clock.Now,
		Files:   r.files,
		OnError: func(err error) { mu.Lock(); *r.errs = append(*r.errs, err); mu.Unlock() },
		Jobs:    conversation.JobOptions{Lease: time.Minute, BaseBackoff: time.Second, MaxBackoff: time.Minute},
	}
	for _, f := range tweak {
		f(o)
	}
	svc, err := conversation.New(s, r.adapters, o)
	require.NoError(t, err)
	return svc
}

// photoEvent is a customer's photo on ch, whose content the channel's Fake serves.
func (r *eraseRig) photoEvent(ch store.Channel, id string) channel.Event {
	m := channel.Message{Type: channel.TypeImage, ID: ch.ID + "-" + id, Media: &channel.Media{}}
	r.fakes[ch.ID].SetContent(m.ID, "image/jpeg", r.photo)
	return channel.Event{ID: "ev-" + m.ID, Kind: channel.EventMessage, Type: "message", Time: r.clock.Now(),
		Mode: channel.ModeActive, Source: channel.User("U1"), Message: &m}
}

// conversationOf returns the ID of ch's one conversation.
func (r *eraseRig) conversationOf(t *testing.T, ch store.Channel) string {
	t.Helper()
	list, _, err := r.raw.ListConversations(t.Context(), store.View{ChannelID: ch.ID}, store.Page{})
	require.NoError(t, err)
	require.Len(t, list, 1)
	return list[0].Conversation.ID
}

// jobs counts the jobs of kind by status.
func (r *eraseRig) jobs(t *testing.T, kind string) map[string]int {
	t.Helper()
	list, _, err := r.raw.ListJobs(context.WithoutCancel(t.Context()), store.JobFilter{Kind: kind}, store.Page{Limit: store.MaxLimit})
	require.NoError(t, err)
	out := map[string]int{}
	for _, j := range list {
		out[j.Kind+"/"+string(j.Status)]++
	}
	return out
}

// An erase finds the files of every message of every conversation of the channel, however many pages
// they take to list, and deletes them in jobs of a bounded size.
func TestEraseFindsTheFilesOnEveryPage(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := &clock{now: t0}
	s := memOpen(t, c.Now)
	files, bucket := newFiles(t, c.Now)
	ch, err := s.CreateChannel(ctx, store.Channel{Name: "big", Kind: "fake", ExternalID: "big", Active: true})
	require.NoError(t, err)
	photo := func(convID string, n int) {
		m, _, err := s.AppendMessage(ctx, store.Message{ConversationID: convID, Direction: store.Inbound, Kind: channel.EventMessage,
			ChannelMessageID: fmt.Sprint(convID, "-", n), Content: channel.Message{Type: channel.TypeImage, Media: &channel.Media{}},
			MediaCopy: &store.MediaCopy{Status: store.MediaPending}})
		require.NoError(t, err)
		_, err = files.Store.Put(ctx, strings.NewReader("photo"), 100, &blob.PutOptions{Key: "inbound/" + m.ID})
		require.NoError(t, err)
	}
	conversations := store.MaxLimit + 1
	for i := range conversations {
		k, _, err := s.FindOrCreateContact(ctx, store.Contact{ChannelID: ch.ID, Peer: channel.User(fmt.Sprint("U", i))})
		require.NoError(t, err)
		conv, _, err := s.FindOrCreateConversation(ctx, store.Conversation{ChannelID: ch.ID, ContactID: k.ID, Peer: k.Peer})
		require.NoError(t, err)
		photo(conv.ID, 0)
		for n := 1; i == 0 && n <= store.MaxLimit; n++ {
			photo(conv.ID, n) // one conversation's messages take two pages too
		}
	}
	require.Len(t, bucket.live(t), conversations+store.MaxLimit)

	svc, err := conversation.New(s, conversation.AdapterMap{}, &conversation.Options{Now: c.Now,
		Files: files})
	require.NoError(t, err)
	require.NoError(t, svc.EraseChannel(ctx, ch.ID))
	_, err = svc.Flush(ctx)
	require.NoError(t, err)
	require.Empty(t, bucket.live(t), "every file is deleted")
	jobs, _, err := s.ListJobs(ctx, store.JobFilter{Kind: "erase"}, store.Page{})
	require.NoError(t, err)
	require.Len(t, jobs, 4, "1,001 files are deleted by jobs of at most 256")
}
