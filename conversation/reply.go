package conversation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/id"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/template"
)

// Reply is what an agent sends: text, a saved template, attachments and channel messages, in that order.
// Any of them may be empty, not all.
type Reply struct {
	Text string
	// TemplateID names a saved template (store.Templates), rendered against the linked record and the
	// agent with template.MissingFallback.
	TemplateID  string
	Attachments []Attachment
	// Messages are sent as they are (a sticker, a location, a channel-native raw message).
	Messages []channel.Message
}

// Attachment is a file resolved to a URL the channel can fetch (HTTPS). Images, videos and audio go out
// as media where the channel can send them; anything else is sent as a link.
type Attachment struct {
	URL         string
	PreviewURL  string // image or video preview; an image previews itself when empty
	Name        string
	ContentType string // e.g. "image/jpeg", "application/pdf"
	Size        int64
	Duration    time.Duration // audio and video
}

// Sent is the result of Reply: the conversation after the reply, and one stored message per part, with
// its status and outcome (as is, degraded, rejected) after the first delivery attempt.
type Sent struct {
	Conversation store.Conversation
	Parts        []store.Message
}

// part is one outgoing piece before it is stored.
type part struct {
	msg     channel.Message
	outcome store.Outcome
	detail  string
}

// Reply sends an agent's reply in the conversation (FEATURES F14–F17). The channel's Policy decides
// whether a reply is allowed now (ErrOutsideReplyWindow otherwise) and whether the reply token is used.
// The content is split to the channel's limits; every part is stored with its author, status and
// outcome, with the job that delivers them, in the same transaction as the conversation's update (no
// longer unreplied, reply token spent); a message or an assignment stored meanwhile never makes it fail.
// Then the parts are delivered at once unless Options.DeferDelivery; a failed delivery is retried by Run
// and reported on the parts. Nothing is silently dropped: a part the channel cannot take is stored as
// rejected, with the reason.
func (s *Service) Reply(ctx context.Context, conversationID, author string, r Reply) (Sent, error) {
	conv, err := s.store.GetConversation(ctx, conversationID)
	if err != nil {
		return Sent{}, err
	}
	ch, err := s.store.GetChannel(ctx, conv.ChannelID)
	if err != nil {
		return Sent{}, err
	}
	if !ch.Active {
		return Sent{}, fmt.Errorf("%w: %s", ErrChannelInactive, ch.Name)
	}
	contact, err := s.store.GetContact(ctx, conv.ContactID)
	if err != nil {
		return Sent{}, err
	}
	if !contact.Followed {
		return Sent{}, ErrUnfollowed
	}
	decision := s.policy(ch.Kind).Decide(conv, s.o.Now())
	if !decision.Allowed {
		return Sent{}, decision.Err
	}
	adapter, err := s.adapters.Adapter(ctx, ch)
	if err != nil {
		return Sent{}, err
	}
	limits := limitsOf(adapter)
	parts, err := s.compose(ctx, r, limits, FieldContext{Conversation: conv, Contact: contact, Agent: author})
	if err != nil {
		return Sent{}, err
	}
	var ids []string
	var job store.Job
	// The conversation may have changed since it was read (a new message, an assignment): decide again
	// on what the transaction reads, and run it again if a concurrent write wins meanwhile.
	err = s.inTx(ctx, func(ctx context.Context, tx store.Store) error {
		fresh, err := tx.GetConversation(ctx, conversationID)
		if err != nil {
			return err
		}
		decision := s.policy(ch.Kind).Decide(fresh, s.o.Now())
		if !decision.Allowed {
			return decision.Err
		}
		ids, job, conv, err = s.recordReply(ctx, tx, fresh, author, parts, decision.UseReplyToken)
		return err
	})
	if err != nil {
		return Sent{}, err
	}
	if job.ID != "" && !s.o.DeferDelivery {
		s.deliverNow(ctx, job.ID)
	}
	s.nudge()
	sent := Sent{Conversation: conv}
	for _, mid := range ids {
		m, err := s.store.GetMessage(ctx, mid)
		if err != nil {
			return sent, err
		}
		sent.Parts = append(sent.Parts, m)
	}
	return sent, nil
}

// limitsOf returns the adapter's limits, or conservative ones for an adapter that reports none.
func limitsOf(a channel.Adapter) channel.Limits {
	l, err := channel.LimitsOf(a)
	if err != nil {
		return channel.Limits{MaxMessages: 1, MaxTextLength: 1000, TextUnit: channel.UnitRune,
			Types: []channel.MessageType{channel.TypeText, channel.TypeLink}}
	}
	return l
}

// compose turns a Reply into parts that fit the channel.
func (s *Service) compose(ctx context.Context, r Reply, l channel.Limits, fc FieldContext) ([]part, error) {
	var parts []part
	addText := func(text string) {
		if strings.TrimSpace(text) == "" {
			return
		}
		for _, piece := range splitText(text, l.MaxTextLength, l.TextUnit) {
			parts = append(parts, part{msg: channel.Text(piece), outcome: store.OutcomeAsIs})
		}
	}
	addText(r.Text)
	if r.TemplateID != "" {
		text, err := s.render(ctx, r.TemplateID, fc)
		if err != nil {
			return nil, err
		}
		addText(text)
	}
	for _, a := range r.Attachments {
		parts = append(parts, attachmentPart(a, l))
	}
	for _, m := range r.Messages {
		parts = append(parts, messagePart(m, l))
	}
	for _, p := range parts {
		if p.outcome != store.OutcomeRejected {
			return parts, nil
		}
	}
	if len(parts) == 0 {
		return nil, ErrEmptyReply
	}
	return parts, nil // every part rejected: stored as such, so the agent sees why
}

// render fills a saved template for this reply.
func (s *Service) render(ctx context.Context, templateID string, fc FieldContext) (string, error) {
	t, err := s.store.GetTemplate(ctx, templateID)
	if err != nil {
		return "", fmt.Errorf("conversation: template %s: %w", templateID, err)
	}
	tpl, err := template.Parse(t.Body)
	if err != nil {
		return "", fmt.Errorf("conversation: template %q: %w", t.Name, err)
	}
	src, err := s.o.Fields.Source(ctx, fc)
	if err != nil {
		return "", fmt.Errorf("conversation: template fields: %w", err)
	}
	text, err := tpl.Render(src, template.MissingFallback)
	if err != nil {
		return "", fmt.Errorf("conversation: template %q: %w", t.Name, err)
	}
	return text, nil
}

// attachmentPart sends an attachment as media where the channel can, as a link otherwise.
func attachmentPart(a Attachment, l channel.Limits) part {
	u, err := url.Parse(a.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return part{msg: channel.LinkMessage(a.URL, a.Name), outcome: store.OutcomeRejected,
			detail: "the attachment's address is not an HTTPS URL the channel can fetch"}
	}
	kind, _, _ := mime.ParseMediaType(a.ContentType)
	kind, _, _ = strings.Cut(kind, "/")
	preview := a.PreviewURL
	var m channel.Message
	switch {
	case kind == "image":
		m = channel.Image(a.URL, cmp.Or(preview, a.URL))
	case kind == "video" && preview != "":
		m = channel.Video(a.URL, preview)
	case kind == "audio" && a.Duration > 0:
		m = channel.Audio(a.URL, a.Duration)
	}
	if m.Type != "" && l.Supports(m.Type) && m.Validate() == nil {
		return part{msg: m, outcome: store.OutcomeAsIs}
	}
	return linkPart(a.URL, a.Name, l)
}

// linkPart sends a file as a link: degraded, since the customer gets a URL rather than the file.
func linkPart(rawURL, name string, l channel.Limits) part {
	link := channel.LinkMessage(rawURL, name)
	if !l.Supports(channel.TypeLink) {
		text := rawURL
		if name != "" {
			text = name + "\n" + rawURL
		}
		link = channel.Text(text)
	}
	return part{msg: link, outcome: store.OutcomeDegraded, detail: "sent as a link: the channel cannot send this file itself"}
}

// messagePart sends a channel message as it is, a file as a link, and rejects what the channel cannot take.
func messagePart(m channel.Message, l channel.Limits) part {
	if m.Type == channel.TypeFile && m.Media != nil {
		return linkPart(m.Media.URL, m.Media.FileName, l)
	}
	if err := m.Validate(); err != nil {
		return part{msg: m, outcome: store.OutcomeRejected, detail: "not a valid message: " + strings.TrimPrefix(err.Error(), "channel: ")}
	}
	if !l.Supports(m.Type) {
		return part{msg: m, outcome: store.OutcomeRejected, detail: fmt.Sprintf("this channel cannot send %s messages", m.Type)}
	}
	return part{msg: m, outcome: store.OutcomeAsIs}
}

// deliverNow runs a reply's own send job at once, unless a worker has already claimed it. Whatever
// happens is recorded on the job and its parts, as Run records it.
func (s *Service) deliverNow(ctx context.Context, jobID string) {
	j, err := s.store.ClaimJob(ctx, jobID, s.o.Jobs.Lease)
	if err != nil {
		if !errors.Is(err, store.ErrConflict) {
			s.o.OnError(fmt.Errorf("conversation: claiming a reply's delivery: %w", err))
		}
		return
	}
	s.runJob(ctx, j)
}

// recordReply stores the parts and one send job that delivers them in order, and updates the conversation,
// in tx. It returns the parts' message IDs in order, the job (zero when nothing is sendable) and the
// updated conversation.
func (s *Service) recordReply(ctx context.Context, tx store.Store, conv store.Conversation, author string, parts []part,
	useToken bool) ([]string, store.Job, store.Conversation, error) {
	now := s.o.Now()
	var ids, sendable []string
	for _, p := range parts {
		m := store.Message{ConversationID: conv.ID, Direction: store.Outbound, Kind: channel.EventMessage, Author: author,
			Content: p.msg, Status: store.StatusQueued, Outcome: p.outcome, StatusDetail: p.detail, Time: now}
		if p.outcome == store.OutcomeRejected {
			m.Status = store.StatusFailed
		}
		stored, _, err := tx.AppendMessage(ctx, m)
		if err != nil {
			return nil, store.Job{}, conv, err
		}
		ids = append(ids, stored.ID)
		if p.outcome != store.OutcomeRejected {
			sendable = append(sendable, stored.ID)
		}
	}
	var job store.Job
	if len(sendable) > 0 {
		p := sendJob{ChannelID: conv.ChannelID, ConversationID: conv.ID, To: conv.Peer, MessageIDs: sendable, RetryKey: id.New()}
		if useToken {
			p.ReplyToken = conv.ReplyToken
		}
		var err error
		if job, err = enqueue(ctx, tx, jobSend, "", p); err != nil {
			return nil, job, conv, err
		}
	}
	conv.Unreplied, conv.LastOutboundAt = false, now
	if useToken {
		conv.ReplyToken, conv.ReplyTokenExpiresAt = "", time.Time{} // single use: spent by this reply
	}
	conv, err := tx.UpdateConversation(ctx, conv)
	if err != nil {
		return nil, job, conv, err
	}
	// The replier is dealing with it: an "ignore, reply later" on the conversation ends.
	if st, err := tx.GetNotificationState(ctx, conv.ID, author); err == nil && st.Ignored {
		st.Ignored = false
		if _, err := tx.PutNotificationState(ctx, st); err != nil {
			return nil, job, conv, err
		}
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, job, conv, err
	}
	return ids, job, conv, nil
}
