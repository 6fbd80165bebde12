package sqlstore

import (
	"strings"

	"github.com/msgkit/msgkit/store"
)

// Bulk writes contacts, conversations and messages as multi-row INSERTs, exactly as the store keeps
// them (IDs, times, versions and the conversations' record mirror taken from the values given): the
// scale benchmarks load a million rows with it in seconds instead of a million store calls. It checks
// nothing the store would; rows must arrive in an order the foreign keys accept (contacts before their
// conversations, conversations before their messages). Backends use it to load storetest's scale
// populations (storetest.Population).
type Bulk struct {
	// Exec runs one statement (in the backend's parameter style: $1… as written here).
	Exec func(query string, args []any) error
	// MaxArgs is the most arguments one statement may carry (the driver's or server's limit).
	MaxArgs int

	table, cols string
	width, rows int
	args        []any
}

// Contact queues a contact row.
func (b *Bulk) Contact(c store.Contact) error {
	return b.add("contacts", contactCols, c.ID, c.ChannelID, string(c.Peer.Kind), c.Peer.ID, jsonText(c.Profile),
		string(c.ProfileStatus), c.ProfileError, c.Followed, string(c.Record.Kind), c.Record.ID, c.Record.Owner,
		micros(c.CreatedAt), micros(c.UpdatedAt), c.Version, micros(c.FollowChangedAt), c.Record.Name)
}

// Conversation queues a conversation row; its LastMessageAt is stored as given.
func (b *Bulk) Conversation(c store.Conversation) error {
	return b.add("conversations", convCols, c.ID, c.ChannelID, c.ContactID, string(c.Peer.Kind), c.Peer.ID, c.Assignee,
		c.Unreplied, micros(c.LastInboundAt), micros(c.LastOutboundAt), micros(c.LastMessageAt), c.ReplyToken,
		micros(c.ReplyTokenExpiresAt), micros(c.CreatedAt), micros(c.UpdatedAt), c.Version, c.Preview,
		string(c.Record.Kind), c.Record.ID, c.Record.Owner, c.Record.Name)
}

// Message queues a message row.
func (b *Bulk) Message(m store.Message) error {
	return b.add("messages", messageCols, append([]any{m.ID, m.ConversationID, m.ChannelID, string(m.Direction),
		string(m.Kind), m.ChannelMessageID, m.Author, jsonText(m.Content), jsonText(m.Event), string(m.Status),
		m.StatusDetail, m.Unsent, m.Billable, micros(m.Time), micros(m.CreatedAt), micros(m.UpdatedAt), m.Version,
		string(m.Outcome)}, mediaArgs(m.MediaCopy)...)...)
}

// Flush writes the queued rows.
func (b *Bulk) Flush() error {
	if b.rows == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString("INSERT INTO " + b.table + " (" + b.cols + ") VALUES ")
	for r := range b.rows {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for c := range b.width {
			if c > 0 {
				q.WriteString(", ")
			}
			q.WriteString(param(r*b.width + c + 1))
		}
		q.WriteByte(')')
	}
	err := b.Exec(q.String(), b.args)
	b.rows, b.args = 0, nil
	return err
}

// add queues one row of table, first writing the rows queued for another table or a full statement.
func (b *Bulk) add(table, cols string, row ...any) error {
	if b.table != table || (b.rows+1)*len(row) > b.MaxArgs {
		if err := b.Flush(); err != nil {
			return err
		}
		b.table, b.cols, b.width = table, cols, len(row)
	}
	b.args = append(b.args, row...)
	b.rows++
	return nil
}
