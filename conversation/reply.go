package conversation

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	// QuickReplies are offered under the reply's last message, for the customer to tap an answer.
	QuickReplies []channel.QuickReply
	// Sender shows every part under another name and icon than the account's (the agent's, say).
	Sender *channel.Sender
	// IdempotencyKey, when set (the host's request ID), makes the call safe to repeat: a Reply with the
	// same key in the same conversation, within Options.IdempotencyTTL, returns what the first returned
	// (the parts as they are now) and sends nothing new — across processes and restarts.
	IdempotencyKey string
}

// Attachment is a file an agent attaches to a reply: named by source (Source and Ref), or given by URL.
//
// A file named by source is opened through Options.Files.Sources, re-hosted in the blob store (typed by
// sniffing its bytes, never by its name) and checked against the channel's media rules before
// anything is stored: a file that fits goes as the channel's image, video or audio message, under a
// signed URL the channel can fetch for Options.Files.ChannelURLTTL, with the preview image the channel
// needs (the image itself when small enough, a scaled-down copy, or a poster for a video) and the
// clip's length where the channel needs it (read from the file); anything else goes as a link to the
// signed URL, its part degraded and saying why. A file that cannot be resolved (not found, no
// permission, the source down, an unknown source) or that is larger than anything the channel takes
// (its media limit, or Options.Files.MaxAttachmentBytes as a link) fails the Reply with an
// *AttachmentError before anything is stored.
//
// A file given by URL (HTTPS) is not fetched: what the host states of it (ContentType, Size,
// Duration, PreviewURL) is checked against the rules instead, and it goes as media when that fits,
// as a link otherwise. A URL the channel cannot fetch makes a rejected part.
type Attachment struct {
	// Source is the name of an attachment source registered in Options.Files.Sources ("gdrive", "crm",
	// "uploads", …) and Ref the source's reference to the file (a file ID, an upload's ID). Either both
	// are set, or URL is.
	Source string
	Ref    string
	// URL is the file's HTTPS URL when it is not named by source; PreviewURL its preview image (an image
	// previews itself when small enough or of unknown size).
	URL        string
	PreviewURL string
	// Name is the file's name as the customer sees it on a link; by source, the source's name for it
	// when empty.
	Name string
	// ContentType, Size and Duration are what the host states of a file given by URL; by source, the
	// bytes say (Duration, when set, is taken instead of reading the clip's length).
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
	id      string // the message ID it is stored under, when composing chose it (a re-hosted file's key names it)
}

// replyResult is what a Reply with an idempotency key remembers: its parts.
type replyResult struct {
	MessageIDs []string `json:"messageIds"`
}

// Reply sends an agent's reply in the conversation (FEATURES F14–F17). The channel's Policy decides
// whether a reply is allowed now (ErrOutsideReplyWindow otherwise) and whether the reply token is used.
// The content is split to the channel's limits, and refused with ErrReplyTooLarge, before anything is
// stored, if it would make more than Options.MaxReplyParts messages. Attachments are resolved,
// re-hosted and checked against the channel's media rules before anything is stored too (see
// Attachment): one that cannot be sent at all refuses the reply with an *AttachmentError. Every part is stored with its
// author, status and outcome, with the job that delivers them, in the same transaction as the
// conversation's update (no longer unreplied, reply token spent); a message or an assignment stored
// meanwhile never makes it fail. Then the parts are delivered at once unless Options.DeferDelivery; a
// failed delivery is retried by Run and reported on the parts (retrying, held, failed, or uncertain when
// it may have reached the customer without the channel saying so). Nothing is silently dropped: a part
// the channel cannot take is stored as rejected, with the reason, and one it can take only in part is
// degraded, saying how. With r.IdempotencyKey set, a repeated call returns the first one's parts.
func (s *Service) Reply(ctx context.Context, conversationID, author string, r Reply) (Sent, error) {
	scope := "reply/" + conversationID
	if r.IdempotencyKey != "" {
		if done, err := s.store.GetRequest(ctx, scope, r.IdempotencyKey); err == nil {
			return s.replayed(ctx, conversationID, done)
		} else if !errors.Is(err, store.ErrNotFound) {
			return Sent{}, err
		}
	}
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
	adapter, err := s.adapters.Adapter(ctx, ch)
	if err != nil {
		return Sent{}, err
	}
	policy := s.policy(ch, adapter)
	if err := allowed(policy.Decide(conv, s.o.Now()), r); err != nil {
		return Sent{}, err
	}
	t := targetOf(adapter)
	files := &hosted{}
	parts, err := s.compose(ctx, r, t, FieldContext{Conversation: conv, Contact: contact, Agent: author}, files)
	if err != nil {
		s.discard(ctx, files)
		return Sent{}, err
	}
	if most := cmp.Or(s.o.MaxReplyParts, t.limits.MaxMessages, 1); len(parts) > most {
		s.discard(ctx, files)
		return Sent{}, fmt.Errorf("%w: it would be %d messages, and at most %d go in one reply; shorten it or send it in several",
			ErrReplyTooLarge, len(parts), most)
	}
	ids := make([]string, len(parts)) // chosen now, so an idempotency key can name them before they exist
	for i := range ids {
		ids[i] = cmp.Or(parts[i].id, id.New())
	}
	var job store.Job
	var repeat *store.Request
	var refused error // the transaction's own failure: it certainly did not commit
	// The conversation may have changed since it was read (a new message, an assignment): decide again
	// on what the transaction reads, and run it again if a concurrent write wins meanwhile.
	err = s.inTx(ctx, func(ctx context.Context, tx store.Store) (err error) {
		defer func() { refused = err }()
		repeat = nil
		if r.IdempotencyKey != "" {
			result, err := json.Marshal(replyResult{MessageIDs: ids})
			if err != nil {
				return err
			}
			req, created, err := tx.RememberRequest(ctx, store.Request{Scope: scope, Key: r.IdempotencyKey, Result: result,
				ExpiresAt: s.o.Now().Add(s.o.IdempotencyTTL)})
			if err != nil {
				return err
			}
			if !created { // a concurrent call with the same key got there first
				repeat = &req
				return nil
			}
		}
		fresh, err := tx.GetConversation(ctx, conversationID)
		if err != nil {
			return err
		}
		decision := policy.Decide(fresh, s.o.Now())
		if err := allowed(decision, r); err != nil {
			return err
		}
		job, conv, err = s.recordReply(ctx, tx, fresh, author, ids, parts, decision.UseReplyToken)
		return err
	})
	if err != nil {
		if refused != nil {
			s.discard(ctx, files) // rolled back; after a failed commit the parts may exist, and keep their files
		}
		return Sent{}, err
	}
	if repeat != nil {
		s.discard(ctx, files) // the first call's parts are the reply, with their own files
		return s.replayed(ctx, conversationID, *repeat)
	}
	if job.ID != "" && !s.o.DeferDelivery {
		s.deliverNow(ctx, job.ID)
	}
	s.nudge()
	sent := Sent{Conversation: conv}
	sent.Parts, err = s.loadMessages(ctx, ids)
	return sent, err
}

// allowed reports whether the policy's decision lets r go out: outside a window that takes templates
// only, every part must be a template.
func allowed(d Decision, r Reply) error {
	if !d.Allowed {
		return d.Err
	}
	if !d.TemplatesOnly {
		return nil
	}
	onlyTemplates := r.Text == "" && r.TemplateID == "" && len(r.Attachments) == 0 && len(r.Messages) > 0
	for _, m := range r.Messages {
		onlyTemplates = onlyTemplates && m.Type == channel.TypeTemplate
	}
	if !onlyTemplates {
		return d.Err
	}
	return nil
}

// replayed answers a repeated Reply from what the first call remembered: its parts as they are now.
func (s *Service) replayed(ctx context.Context, conversationID string, req store.Request) (Sent, error) {
	var res replyResult
	if err := json.Unmarshal(req.Result, &res); err != nil {
		return Sent{}, fmt.Errorf("conversation: the remembered reply %s: %w", req.Key, err)
	}
	conv, err := s.store.GetConversation(ctx, conversationID)
	if err != nil {
		return Sent{}, err
	}
	parts, err := s.loadMessages(ctx, res.MessageIDs)
	return Sent{Conversation: conv, Parts: parts}, err
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

// compose turns a Reply into parts that fit the channel. The blob keys of files it re-hosts are added
// to h, also when it fails.
func (s *Service) compose(ctx context.Context, r Reply, t target, fc FieldContext, h *hosted) ([]part, error) {
	l := t.limits
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
	for i, a := range r.Attachments {
		pid := id.New()
		p, err := s.attachmentPart(ctx, i, a, t, pid, h)
		if err != nil {
			return nil, err
		}
		p.id = pid
		parts = append(parts, p)
	}
	for _, m := range r.Messages {
		parts = append(parts, messagePart(m, l))
	}
	if len(parts) == 0 {
		return nil, ErrEmptyReply
	}
	last := -1
	for i := range parts {
		if r.Sender != nil {
			parts[i].msg.Sender = r.Sender
		}
		if parts[i].outcome != store.OutcomeRejected {
			last = i
		}
	}
	if last >= 0 && len(r.QuickReplies) > 0 {
		parts[last].msg.QuickReplies = r.QuickReplies
	}
	for i := range parts {
		fitExtras(&parts[i], l)
	}
	return parts, nil // every part rejected: stored as such, so the agent sees why
}

// fitExtras fits what a part carries besides its content (mentions, quick replies, a sender) to the
// channel: what it cannot send is left out and the part degraded, saying so; too many quick replies
// reject it, since leaving some out would change the question.
func fitExtras(p *part, l channel.Limits) {
	if p.outcome == store.OutcomeRejected {
		return
	}
	m := &p.msg
	degrade := func(how string) {
		p.outcome, p.detail = store.OutcomeDegraded, join(p.detail, how)
	}
	if len(m.Mentions) > 0 && !l.Mentions {
		m.Mentions = nil
		degrade("sent without its mentions: the channel cannot send them")
	}
	switch n := len(m.QuickReplies); {
	case n > 0 && !l.QuickReplies:
		m.QuickReplies = nil
		degrade("sent without its quick replies: the channel cannot show them")
	case l.MaxQuickReplies > 0 && n > l.MaxQuickReplies:
		p.outcome = store.OutcomeRejected
		p.detail = join(p.detail, fmt.Sprintf("not sent: it offers %d quick replies, and the channel shows at most %d", n, l.MaxQuickReplies))
	}
	if m.Sender != nil && !l.Sender {
		m.Sender = nil
		degrade("sent under the account's name: the channel cannot show another sender")
	}
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
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

// inlineGrace is how long a reply's send job waits before Run may take it, when Reply delivers it
// itself: long enough for Reply's own claim, which follows the commit at once.
const inlineGrace = 2 * time.Second

// deliverNow runs a reply's own send job at once, unless a worker has already claimed it. Whatever
// happens is recorded on the job and its parts, as Run records it. It goes on when the caller's context
// ends (a client that hung up): the reply was accepted, and a send cut short would be uncertain.
func (s *Service) deliverNow(ctx context.Context, jobID string) {
	ctx = context.WithoutCancel(ctx)
	j, err := s.store.ClaimJob(ctx, jobID, s.o.Jobs.Lease)
	if err != nil {
		if !errors.Is(err, store.ErrConflict) {
			s.o.OnError(fmt.Errorf("conversation: claiming a reply's delivery: %w", err))
		}
		return
	}
	s.runJob(ctx, j)
}

// recordReply stores the parts under ids and one send job that delivers them in order, and updates the
// conversation, in tx. It returns the job (zero when nothing is sendable) and the updated conversation.
func (s *Service) recordReply(ctx context.Context, tx store.Store, conv store.Conversation, author string, ids []string,
	parts []part, useToken bool) (store.Job, store.Conversation, error) {
	now := s.o.Now()
	var sendable []string
	for i, p := range parts {
		m := store.Message{ID: ids[i], ConversationID: conv.ID, Direction: store.Outbound, Kind: channel.EventMessage,
			Author: author, Content: p.msg, Status: store.StatusQueued, Outcome: p.outcome, StatusDetail: p.detail,
			Time: now.Add(time.Duration(i) * time.Microsecond)} // a microsecond apart: the thread keeps their order whatever their IDs
		if p.outcome == store.OutcomeRejected {
			m.Status = store.StatusFailed
		}
		if _, _, err := tx.AppendMessage(ctx, m); err != nil {
			return store.Job{}, conv, err
		}
		if p.outcome != store.OutcomeRejected {
			sendable = append(sendable, ids[i])
		}
	}
	var job store.Job
	if len(sendable) > 0 {
		p := sendJob{ChannelID: conv.ChannelID, ConversationID: conv.ID, To: conv.Peer, MessageIDs: sendable, RetryKey: id.New()}
		if useToken {
			p.ReplyToken, p.ReplyTokenExpiresAt = conv.ReplyToken, conv.ReplyTokenExpiresAt
		}
		var due time.Time // now: Run delivers it
		if !s.o.DeferDelivery {
			// Reply delivers it at once (deliverNow claims it, due or not, right after this commit). Until
			// then it is briefly not due, so that no Run woken by this commit (store.JobWaker) takes it from
			// under the Reply; should the claim fail or the process stop, Run delivers it soon after.
			due = now.Add(min(s.o.Jobs.Lease, inlineGrace))
		}
		var err error
		if job, err = enqueueAt(ctx, tx, jobSend, "", p, due); err != nil {
			return job, conv, err
		}
	}
	conv.Unreplied, conv.LastOutboundAt = false, now
	if len(parts) > 0 {
		conv.Preview = PreviewOf(parts[len(parts)-1].msg)
	}
	if useToken {
		conv.ReplyToken, conv.ReplyTokenExpiresAt = "", time.Time{} // single use: spent by this reply
	}
	conv, err := tx.UpdateConversation(ctx, conv)
	if err != nil {
		return job, conv, err
	}
	// The replier is dealing with it: an "ignore, reply later" on the conversation ends.
	if st, err := tx.GetNotificationState(ctx, conv.ID, author); err == nil && st.Ignored {
		st.Ignored = false
		if _, err := tx.PutNotificationState(ctx, st); err != nil {
			return job, conv, err
		}
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return job, conv, err
	}
	return job, conv, nil
}
