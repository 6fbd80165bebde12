package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// ViewName names one of the inbox's standard views (FEATURES F7, F10, F18–F20).
type ViewName string

// The standard views. "Mine" are the conversations assigned to the viewing user; "my records" those whose
// sender is linked to a CRM record the user owns; "unregistered" those whose sender is linked to no
// record. "Unreplied" keeps the conversations awaiting a reply; "today" those whose customer wrote since
// midnight in the user's time zone.
const (
	ViewAll                   ViewName = "all"
	ViewUnregistered          ViewName = "unregistered"
	ViewUnregisteredUnreplied ViewName = "unregistered_unreplied"
	ViewUnregisteredToday     ViewName = "unregistered_today"
	ViewMine                  ViewName = "mine"
	ViewMineUnreplied         ViewName = "mine_unreplied"
	ViewMineToday             ViewName = "mine_today"
	ViewMyRecords             ViewName = "my_records"
	ViewMyRecordsUnreplied    ViewName = "my_records_unreplied"
	ViewMyRecordsToday        ViewName = "my_records_today"
)

// StandardViews returns the standard views in the order an inbox lists them.
func StandardViews() []ViewName {
	return []ViewName{ViewAll, ViewUnregistered, ViewUnregisteredUnreplied, ViewUnregisteredToday, ViewMine,
		ViewMineUnreplied, ViewMineToday, ViewMyRecords, ViewMyRecordsUnreplied, ViewMyRecordsToday}
}

// ErrUnknownView is returned for a view name that is not a standard view.
var ErrUnknownView = errors.New("conversation: unknown view")

// ErrNoViewer is returned when a view that belongs to a user ("mine", "my records") is asked for without
// one.
var ErrNoViewer = errors.New("conversation: the view needs the viewing user")

// PendingName is the name an inbox row shows for a contact whose profile has not been fetched yet, or
// could not be.
const PendingName = "New customer"

// GroupName is the name an inbox row shows for a group chat (or a LINE multi-person chat) that has none.
const GroupName = "Group chat"

// DefaultCountLimit is where view counts stop when ViewCounts is given no limit: a badge shows "99+"
// rather than counting every row.
const DefaultCountLimit = 100

// ViewQuery asks for one page of a standard view.
type ViewQuery struct {
	View ViewName
	// User is the viewing user: "mine" and "my records" are theirs, and each row carries their
	// notification state.
	User string
	// Location is the user's time zone: "today" starts at midnight there. nil means UTC.
	Location *time.Location
	// ChannelID, when set, keeps one channel's conversations.
	ChannelID string
	Page      store.Page
}

// InboxRow is one row of an inbox view: everything a unified inbox shows about a conversation, read
// without another query.
type InboxRow struct {
	ConversationID string
	Channel        ChannelLabel
	Contact        ContactLabel
	// Record is the CRM record the sender is linked to; zero when unregistered.
	Record    store.RecordRef
	Assignee  string // the user responsible; empty while unassigned
	Unreplied bool
	// Preview is the latest message's preview (PreviewOf); empty while there is none.
	Preview       string
	LastMessageAt time.Time
	// Reply says whether and until when the business may answer, from the channel's policy.
	Reply ReplyWindow
	// Notification is the viewing user's notification state for the conversation; nil when none.
	Notification *store.NotificationState
	// Cursor is the row's position: pass the last row's as Page.After for the next page.
	Cursor store.Cursor
}

// ChannelLabel names the channel a conversation is on.
type ChannelLabel struct {
	ID   string
	Kind string // e.g. "line", "whatsapp"
	// Name is the account's name as customers see it (what the channel reported when connected), or the
	// administrator's name for the channel when it reported none.
	Name string
}

// ContactLabel shows who the customer is.
type ContactLabel struct {
	ID string
	// Name is the profile's display name, or PendingName while there is none (GroupName for a group
	// chat without a name).
	Name       string
	PictureURL string
	// Pending is set while Name is the placeholder: the profile is not fetched yet, or could not be.
	Pending bool
}

// ReplyWindow is the channel policy's answer for a conversation at the time the view was read.
type ReplyWindow struct {
	// Allowed is whether a reply may be sent now.
	Allowed bool
	// Until is when replying stops being possible; zero for no limit (or when not Allowed).
	Until time.Time
	// TemplatesOnly is set when only the channel's approved templates may be sent (WhatsApp outside its
	// 24-hour window).
	TemplatesOnly bool
}

// StoreView returns the store.View that the standard view name selects for user at now, "today" starting
// at midnight in loc (UTC when nil). It is what View lists, for hosts that query the store themselves.
func StoreView(name ViewName, user string, now time.Time, loc *time.Location) (store.View, error) {
	var v store.View
	var today, personal bool
	switch name {
	case ViewAll:
	case ViewUnregistered, ViewUnregisteredUnreplied, ViewUnregisteredToday:
		v.Linkage = store.Unregistered
		v.Unreplied, today = name == ViewUnregisteredUnreplied, name == ViewUnregisteredToday
	case ViewMine, ViewMineUnreplied, ViewMineToday:
		v.Assignee, personal = user, true
		v.Unreplied, today = name == ViewMineUnreplied, name == ViewMineToday
	case ViewMyRecords, ViewMyRecordsUnreplied, ViewMyRecordsToday:
		v.RecordOwner, personal = user, true
		v.Unreplied, today = name == ViewMyRecordsUnreplied, name == ViewMyRecordsToday
	default:
		return v, fmt.Errorf("%w %q", ErrUnknownView, name)
	}
	if personal && user == "" {
		return v, fmt.Errorf("%w: %q", ErrNoViewer, name)
	}
	if today {
		v.InboundSince = StartOfDay(now, loc)
	}
	return v, nil
}

// StartOfDay returns the first instant of t's day in loc (UTC when nil): midnight, or, on a day whose
// midnight a daylight-saving change skips, the instant the day begins.
func StartOfDay(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	y, m, d := t.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if _, _, sd := start.Date(); sd != d { // midnight does not exist: it fell back into the day before
		_, start = start.ZoneBounds()
		start = start.In(loc)
	}
	return start
}

// View returns one page of the standard view q names, newest first unless q.Page says otherwise, and
// the cursor of the next page (zero when there is none). Each row reads from one conversation row and
// its contact: a page costs what it returns however many conversations there are.
func (s *Service) View(ctx context.Context, q ViewQuery) ([]InboxRow, store.Cursor, error) {
	now := s.o.Now()
	v, err := StoreView(q.View, q.User, now, q.Location)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	v.ChannelID, v.Viewer = q.ChannelID, q.User
	entries, next, err := s.store.ListConversations(ctx, v, q.Page)
	if err != nil {
		return nil, store.Cursor{}, fmt.Errorf("conversation: listing view %s: %w", q.View, err)
	}
	channels := map[string]*viewChannel{}
	rows := make([]InboxRow, len(entries))
	for i, e := range entries {
		ch, ok := channels[e.Conversation.ChannelID]
		if !ok {
			if ch, err = s.viewChannel(ctx, e.Conversation.ChannelID); err != nil {
				return nil, store.Cursor{}, err
			}
			channels[e.Conversation.ChannelID] = ch
		}
		rows[i] = ch.row(e, now)
	}
	return rows, next, nil
}

// ViewCounts counts each standard view for user (the badges beside the view list), on one channel when
// channelID is set, "today" starting at midnight in loc. Counts stop at limit (DefaultCountLimit when
// ≤ 0): a count equal to limit means "limit or more".
func (s *Service) ViewCounts(ctx context.Context, user string, loc *time.Location, channelID string, limit int) (map[ViewName]int, error) {
	if limit <= 0 {
		limit = DefaultCountLimit
	}
	now := s.o.Now()
	out := make(map[ViewName]int, 10)
	for _, name := range StandardViews() {
		v, err := StoreView(name, user, now, loc)
		if errors.Is(err, ErrNoViewer) {
			continue // without a user, only the views that belong to nobody
		}
		if err != nil {
			return nil, err
		}
		v.ChannelID = channelID
		n, err := s.store.CountConversations(ctx, v, limit)
		if err != nil {
			return nil, fmt.Errorf("conversation: counting view %s: %w", name, err)
		}
		out[name] = n
	}
	return out, nil
}

// viewChannel is what the rows of one channel share: its label and reply policy.
type viewChannel struct {
	label  ChannelLabel
	policy Policy // nil when the channel cannot send (disconnected, no adapter)
}

func (s *Service) viewChannel(ctx context.Context, id string) (*viewChannel, error) {
	ch, err := s.store.GetChannel(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("conversation: reading channel %s: %w", id, err)
	}
	vc := &viewChannel{label: ChannelLabel{ID: ch.ID, Kind: ch.Kind, Name: ch.Account.DisplayName}}
	if vc.label.Name == "" {
		vc.label.Name = ch.Name
	}
	if ch.Active && ch.DisconnectedAt.IsZero() {
		// A channel whose adapter cannot be built right now lists its conversations as not answerable.
		if a, err := s.adapters.Adapter(ctx, ch); err == nil {
			vc.policy = s.policy(ch, a)
		}
	}
	return vc, nil
}

func (vc *viewChannel) row(e store.InboxEntry, now time.Time) InboxRow {
	c, k := e.Conversation, e.Contact
	r := InboxRow{ConversationID: c.ID, Channel: vc.label, Record: c.Record, Assignee: c.Assignee, Unreplied: c.Unreplied,
		Preview: c.Preview, LastMessageAt: c.LastMessageAt, Notification: e.Notification, Cursor: e.Cursor(),
		Contact: ContactLabel{ID: k.ID, Name: k.Profile.DisplayName, PictureURL: k.Profile.PictureURL}}
	switch {
	case r.Contact.Name != "":
	case k.Peer.Kind == channel.PeerGroup || k.Peer.Kind == channel.PeerRoom:
		r.Contact.Name = GroupName // a chat of several people has no profile to wait for
	default:
		r.Contact.Name, r.Contact.Pending = PendingName, true
	}
	if vc.policy != nil {
		d := vc.policy.Decide(c, now)
		r.Reply = ReplyWindow{Allowed: d.Allowed, TemplatesOnly: d.TemplatesOnly}
		if d.Allowed && !d.TemplatesOnly {
			r.Reply.Until = d.WindowEnds
		}
	}
	return r
}

// Row returns the inbox row of one conversation as viewer sees it (their notification state): what the
// conversation pane's header shows. An unknown ID is store.ErrNotFound.
func (s *Service) Row(ctx context.Context, conversationID, viewer string) (InboxRow, error) {
	c, err := s.store.GetConversation(ctx, conversationID)
	if err != nil {
		return InboxRow{}, err
	}
	k, err := s.store.GetContact(ctx, c.ContactID)
	if err != nil {
		return InboxRow{}, err
	}
	e := store.InboxEntry{Conversation: c, Contact: k}
	if viewer != "" {
		st, err := s.store.GetNotificationState(ctx, c.ID, viewer)
		switch {
		case err == nil:
			e.Notification = &st
		case !errors.Is(err, store.ErrNotFound):
			return InboxRow{}, err
		}
	}
	ch, err := s.viewChannel(ctx, c.ChannelID)
	if err != nil {
		return InboxRow{}, err
	}
	return ch.row(e, s.o.Now()), nil
}
