package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// populationVersion changes whenever NewPopulation generates different rows, so that populations
// cached on disk under Population.Key are rebuilt.
const populationVersion = 2

// Population is a generated inbox for the scale benchmarks (BenchmarkViews), the same for every backend
// and every run: Size conversations over 4 channels (2 LINE, 2 WhatsApp), one contact each, 2 to 18
// messages each (10 on average), alternating inbound and outbound a few minutes to hours apart.
//
//   - 85 % of conversations are assigned, evenly over 20 agents (agent-0 … agent-19); 30 % are unreplied.
//   - 40 % of contacts are linked to a CRM record: Size/5 records (leads and accounts), about two contacts
//     each, owned by the first 10 agents. Record Timeline is linked to exactly 3 contacts of 10 messages
//     each at every size, so its timeline page reads the same rows.
//   - Today's traffic does not grow with the history: at every size, about Today conversations had their
//     last message today (between midnight and Now); the others' is spread evenly over the 8 weeks
//     before.
//   - 10 % of profiles are still pending.
type Population struct {
	Size int
	// Now is the time the views are read at: "today" starts at midnight UTC of Now's day.
	Now time.Time
	// Viewer is the agent whose views are read ("mine", "my records"); Channel the channel filter.
	Viewer, Channel string
	// Timeline is the record whose timeline is read.
	Timeline store.RecordRef

	Channels      []store.Channel
	Contacts      []store.Contact // Contacts[i] is Conversations[i]'s
	Conversations []store.Conversation
	// MessageCount counts the messages of all conversations (Messages(i) gives conversation i's).
	MessageCount int
}

// Agents is the number of agents a Population spreads its conversations over.
const Agents = 20

// Today is about how many of a Population's conversations had a message today, at every size.
const Today = 200

// NewPopulation generates the population of size conversations.
func NewPopulation(size int) *Population {
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	p := &Population{Size: size, Now: now, Viewer: "agent-3",
		Timeline: store.RecordRef{Kind: store.RecordKind("lead"), ID: "R0", Owner: "agent-0", Name: "Record 0"}}
	for i, kind := range []string{"line", "line", "whatsapp", "whatsapp"} {
		p.Channels = append(p.Channels, store.Channel{ID: fmt.Sprint("bench-ch-", i), Kind: kind, Name: fmt.Sprint("Account ", i),
			ExternalID: fmt.Sprint("bench-", i)})
	}
	p.Channel = p.Channels[0].ID
	records := max(size/5, 2)
	rng := rand.New(rand.NewPCG(uint64(size), populationVersion))
	p.Contacts, p.Conversations = make([]store.Contact, size), make([]store.Conversation, size)
	for i := range size {
		ch := p.Channels[rng.IntN(len(p.Channels))]
		peer := channel.User(fmt.Sprintf("U%07d", i))
		k := store.Contact{ID: fmt.Sprintf("k%07d", i), ChannelID: ch.ID, Peer: peer.Chat(), Followed: true, Version: 1,
			Profile: channel.Profile{UserID: peer.ID, DisplayName: fmt.Sprint("Customer ", i)}, ProfileStatus: store.ProfileFetched}
		if rng.IntN(10) == 0 {
			k.Profile, k.ProfileStatus = channel.Profile{}, store.ProfilePending
		}
		switch {
		case i < 3:
			k.Record = p.Timeline
		case rng.IntN(5) < 2:
			k.Record = record(1 + rng.IntN(records-1))
		}
		c := store.Conversation{ID: fmt.Sprintf("c%07d", i), ChannelID: ch.ID, ContactID: k.ID, Peer: k.Peer, Record: k.Record,
			Unreplied: rng.IntN(10) < 3, Version: 1}
		if rng.IntN(100) < 85 {
			c.Assignee = fmt.Sprint("agent-", rng.IntN(Agents))
		}
		midnight := now.Truncate(24 * time.Hour)
		if rng.IntN(size) < Today {
			c.LastMessageAt = now.Add(-time.Duration(rng.Int64N(int64(now.Sub(midnight)))))
		} else {
			c.LastMessageAt = midnight.Add(-time.Second - time.Duration(rng.Int64N(int64(8*7*24*time.Hour))))
		}
		c.LastMessageAt = c.LastMessageAt.Truncate(time.Microsecond)
		p.Contacts[i], p.Conversations[i] = k, c
		msgs := p.Messages(i)
		for _, m := range msgs {
			if m.Direction == store.Inbound {
				c.LastInboundAt = m.Time
			} else {
				c.LastOutboundAt = m.Time
			}
		}
		last := msgs[len(msgs)-1]
		c.Preview, c.CreatedAt, c.UpdatedAt = last.Content.Text, msgs[0].Time, last.Time
		k.CreatedAt, k.UpdatedAt = c.CreatedAt, c.CreatedAt
		p.Contacts[i], p.Conversations[i] = k, c
		p.MessageCount += len(msgs)
	}
	return p
}

// record returns the j-th record of a population: every third one an account, the others leads, owned
// by the first 10 agents in turn.
func record(j int) store.RecordRef {
	kind := store.RecordKind("lead")
	if j%3 == 0 {
		kind = "account"
	}
	return store.RecordRef{Kind: kind, ID: fmt.Sprint("R", j), Owner: fmt.Sprint("agent-", j%10), Name: fmt.Sprint("Record ", j)}
}

// Key names the population for a cache on disk: it changes with the size and with the generator.
func (p *Population) Key() string { return fmt.Sprintf("views-v%d-%d", populationVersion, p.Size) }

// Messages returns conversation i's messages, oldest first, the last one at its LastMessageAt (inbound
// when it is unreplied). They are generated on each call, not kept: a million would not fit lightly.
func (p *Population) Messages(i int) []store.Message {
	c := p.Conversations[i]
	rng := rand.New(rand.NewPCG(uint64(p.Size)<<32|uint64(i), 0x6d7367))
	n := 2 + rng.IntN(17)
	if i < 3 {
		n = 10
	}
	msgs := make([]store.Message, n)
	at := c.LastMessageAt
	for j := n - 1; j >= 0; j-- {
		in := rng.IntN(2) == 0
		if j == n-1 {
			in = c.Unreplied
		}
		m := store.Message{ID: fmt.Sprintf("m%07d-%02d", i, j), ConversationID: c.ID, ChannelID: c.ChannelID,
			Direction: store.Outbound, Kind: channel.EventMessage, ChannelMessageID: fmt.Sprintf("lm%07d-%02d", i, j),
			Author: c.Assignee, Content: channel.Text(fmt.Sprintf("Message %d of conversation %d", j, i)),
			Status: store.StatusDelivered, Time: at, CreatedAt: at, UpdatedAt: at, Version: 1}
		if in {
			m.Direction, m.Author, m.Status = store.Inbound, c.Peer.ID, store.StatusReceived
		}
		msgs[j] = m
		at = at.Add(-time.Minute - time.Duration(rng.Int64N(int64(6*time.Hour)))).Truncate(time.Microsecond)
	}
	return msgs
}

// CreateChannels creates the population's channels in s, keeping their IDs.
func (p *Population) CreateChannels(ctx context.Context, s store.Store) error {
	for _, ch := range p.Channels {
		if _, err := s.CreateChannel(ctx, ch); err != nil {
			return err
		}
	}
	return nil
}

// Rows receives a population's rows in an order foreign keys accept (store/sqlstore.Bulk is one).
type Rows interface {
	Contact(store.Contact) error
	Conversation(store.Conversation) error
	Message(store.Message) error
	Flush() error
}

// Feed gives r every contact, conversation and message (the channels must exist already), then flushes
// it.
func (p *Population) Feed(r Rows) error {
	for _, k := range p.Contacts {
		if err := r.Contact(k); err != nil {
			return err
		}
	}
	for _, c := range p.Conversations {
		if err := r.Conversation(c); err != nil {
			return err
		}
	}
	for i := range p.Conversations {
		for _, m := range p.Messages(i) {
			if err := r.Message(m); err != nil {
				return err
			}
		}
	}
	return r.Flush()
}

// Load stores the population in s through the store's own calls: slow at a million messages on a SQL
// backend, but the reference a bulk load is checked against.
func (p *Population) Load(ctx context.Context, s store.Store) error {
	if err := p.CreateChannels(ctx, s); err != nil {
		return err
	}
	for i, k := range p.Contacts {
		if _, _, err := s.FindOrCreateContact(ctx, k); err != nil {
			return err
		}
		if _, _, err := s.FindOrCreateConversation(ctx, p.Conversations[i]); err != nil {
			return err
		}
		for _, m := range p.Messages(i) {
			if _, _, err := s.AppendMessage(ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}
