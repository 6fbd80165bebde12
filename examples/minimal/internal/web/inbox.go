package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
)

// listLimit is the rows a list shows at first (more on demand); threadLimit the latest messages a pane
// shows.
const (
	listLimit   = 50
	threadLimit = 100
)

// viewGroups are the inbox's standard views in the order the side bar shows them.
var viewGroups = []struct {
	Title string
	Views [][2]string // name, label
}{
	{"", [][2]string{{"all", "All conversations"}}},
	{"Unregistered senders", [][2]string{{"unregistered", "All"}, {"unregistered_unreplied", "Unreplied"}, {"unregistered_today", "Today"}}},
	{"Assigned to me", [][2]string{{"mine", "All"}, {"mine_unreplied", "Unreplied"}, {"mine_today", "Today"}}},
	{"My records", [][2]string{{"my_records", "All"}, {"my_records_unreplied", "Unreplied"}, {"my_records_today", "Today"}}},
}

func knownView(v string) bool {
	for _, g := range viewGroups {
		for _, n := range g.Views {
			if n[0] == v {
				return true
			}
		}
	}
	return false
}

// inboxQuery is what an inbox URL selects: a view, a channel, an open conversation.
type inboxQuery struct {
	View, Channel, Open string
}

func queryOf(r *http.Request) inboxQuery {
	q := r.URL.Query()
	out := inboxQuery{View: q.Get("view"), Channel: q.Get("channel"), Open: q.Get("c")}
	if !knownView(out.View) {
		out.View = "all"
	}
	return out
}

// url is the inbox page's URL for q.
func (q inboxQuery) url() string {
	v := url.Values{}
	if q.View != "all" {
		v.Set("view", q.View)
	}
	if q.Channel != "" {
		v.Set("channel", q.Channel)
	}
	if q.Open != "" {
		v.Set("c", q.Open)
	}
	if len(v) == 0 {
		return "/inbox"
	}
	return "/inbox?" + v.Encode()
}

// version is a short digest of API answers: a page's script and its event stream compare them.
func version(parts ...[]byte) string {
	s := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(s, "%d:", len(p))
		s.Write(p)
	}
	return hex.EncodeToString(s.Sum(nil)[:8])
}

// The view models the templates read.

type navGroup struct {
	Title string
	Items []navItem
}

type navItem struct {
	Name, Label, URL, Badge string
	Active, Hot             bool
}

type appView struct {
	Kind, Label, Class, Account, Tip string
}

func appOf(kind, account string) appView {
	a := appView{Kind: kind, Account: account}
	switch kind {
	case "line":
		a.Label, a.Class = "LINE", "app-line"
	case "whatsapp":
		a.Label, a.Class = "WhatsApp", "app-whatsapp"
	default:
		a.Label, a.Class = kind, "app-other"
		if a.Label == "" {
			a.Label = "?"
		}
	}
	a.Tip = "Came in on " + a.Label
	if account != "" {
		a.Tip += " · account " + account
	}
	return a
}

// fromTip says who sent a message and through which app and account: what hovering a sender shows.
func fromTip(name string, a appView) string {
	return "From " + name + " " + strings.TrimPrefix(a.Tip, "Came in ")
}

type recordView struct {
	Kind, KindLabel, ID, Name, Owner, URL, Match string
}

func recordOf(r *apiRecord) *recordView {
	if r == nil {
		return nil
	}
	out := &recordView{Kind: r.Kind, ID: r.ID, Name: r.Name, Owner: r.Owner, Match: r.Match, KindLabel: kindLabel(r.Kind),
		URL: pathf("/records/%s/%s", r.Kind, r.ID)}
	if out.Name == "" {
		out.Name = out.KindLabel + " " + r.ID
	}
	return out
}

func kindLabel(k string) string {
	switch k {
	case "lead":
		return "Lead"
	case "contact":
		return "Contact"
	}
	return k
}

type rowView struct {
	ID, URL       string
	Selected      bool
	App           appView
	Name          string
	Pending       bool
	Picture       string
	ContactID     string
	Record        *recordView
	Preview       string
	Time, TimeAt  string
	Unreplied     bool
	Assignee      string
	Snoozed       string
	Ignored       bool
	Closed        bool // no reply possible now
	TemplatesOnly bool
}

type listView struct {
	Rows    []rowView
	More    string // the next page's fragment URL
	Version string
	Empty   string
}

type inboxView struct {
	Query    inboxQuery
	Groups   []navGroup
	Channels []channelOption
	List     listView
	Pane     *paneView
	Title    string // the view's name
}

type channelOption struct {
	ID, Label string
	Selected  bool
}

// clock formats times for the signed-in user, in their time zone.
type clock struct {
	now    time.Time
	loc    *time.Location
	origin string // the site's scheme and host, as the client addressed it
}

func (h *Handler) clockOf(r *http.Request) clock {
	id, _ := auth.From(r.Context())
	loc := id.User.Location()
	return clock{now: h.d.Now().In(loc), loc: loc, origin: origin(r)}
}

// short is a list's time: 09:41 today, Mon this week, Nov 27 this year, 2025-11-27 before.
func (c clock) short(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(c.loc)
	y, m, d := c.now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, c.loc)
	switch {
	case !t.Before(today):
		return t.Format("15:04")
	case t.After(today.AddDate(0, 0, -6)):
		return t.Format("Mon")
	case t.Year() == y:
		return t.Format("Jan 2")
	}
	return t.Format("2006-01-02")
}

// full is a time in words, for tooltips.
func (c clock) full(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.loc).Format("Mon, Jan 2 2006, 15:04 MST")
}

// day is a thread's day separator: Today, Yesterday, Monday, Nov 24, Nov 24, 2025.
func (c clock) day(t time.Time) string {
	t = t.In(c.loc)
	y, m, d := c.now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, c.loc)
	switch {
	case !t.Before(today):
		return "Today"
	case !t.Before(today.AddDate(0, 0, -1)):
		return "Yesterday"
	case t.Year() == y:
		return t.Format("Monday, Jan 2")
	}
	return t.Format("Jan 2, 2006")
}

// left is how long until t, roughly: "6 days", "5 hours", "12 minutes".
func (c clock) left(t time.Time) string {
	d := t.Sub(c.now)
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return "a minute"
}

func (h *Handler) rowOf(c clock, row apiRow, q inboxQuery) rowView {
	open := q
	open.Open = row.ID
	v := rowView{ID: row.ID, URL: open.url(), Selected: row.ID == q.Open, App: appOf(row.Channel.Kind, row.Channel.Name),
		Name: row.Contact.Name, Pending: row.Contact.Pending, ContactID: row.Contact.ID, Record: recordOf(row.Record),
		Preview: row.Preview, Time: c.short(row.LastMessageAt), TimeAt: c.full(row.LastMessageAt), Unreplied: row.Unreplied,
		Closed: !row.Reply.Allowed, TemplatesOnly: row.Reply.TemplatesOnly}
	if strings.HasPrefix(row.Contact.PictureURL, "https://") {
		v.Picture = row.Contact.PictureURL
	}
	if row.Assignee != "" {
		v.Assignee = h.userName(row.Assignee)
	}
	if n := row.Notification; n != nil {
		v.Ignored = n.Ignored
		switch {
		case n.UntilCustomerWrites:
			v.Snoozed = "they write"
		case n.SnoozedUntil != nil && n.SnoozedUntil.After(c.now):
			v.Snoozed = c.short(*n.SnoozedUntil)
		}
	}
	return v
}

func (h *Handler) userName(id string) string {
	if u, ok := h.d.Auth.Users().Get(id); ok && u.Name != "" {
		return u.Name
	}
	return id
}

// loadNav reads the views' counts.
func (h *Handler) loadNav(r *http.Request, q inboxQuery) ([]navGroup, []byte, error) {
	var views struct{ Views []apiView }
	path := "/api/views"
	if q.Channel != "" {
		path += "?channel=" + url.QueryEscape(q.Channel)
	}
	raw, err := h.get(r, path, &views)
	if err != nil {
		return nil, nil, err
	}
	counts := map[string]apiView{}
	for _, v := range views.Views {
		counts[v.Name] = v
	}
	var out []navGroup
	for _, g := range viewGroups {
		ng := navGroup{Title: g.Title}
		for _, n := range g.Views {
			at := q
			at.View, at.Open = n[0], ""
			item := navItem{Name: n[0], Label: n[1], URL: at.url(), Active: n[0] == q.View, Hot: strings.HasSuffix(n[0], "_unreplied")}
			if v := counts[n[0]]; v.Count > 0 {
				item.Badge = fmt.Sprint(v.Count)
				if v.More || v.Count > 99 {
					item.Badge = "99+"
				}
			}
			ng.Items = append(ng.Items, item)
		}
		out = append(out, ng)
	}
	return out, raw, nil
}

// loadList reads a page of the view's rows; version digests the first page and the counts.
func (h *Handler) loadList(r *http.Request, q inboxQuery, cursor string) (listView, []byte, error) {
	v := url.Values{"view": {q.View}, "limit": {fmt.Sprint(listLimit)}}
	if q.Channel != "" {
		v.Set("channel", q.Channel)
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	var list struct {
		Conversations []apiRow
		Next          string
	}
	raw, err := h.get(r, "/api/conversations?"+v.Encode(), &list)
	if err != nil {
		return listView{}, nil, err
	}
	c := h.clockOf(r)
	out := listView{}
	for _, row := range list.Conversations {
		out.Rows = append(out.Rows, h.rowOf(c, row, q))
	}
	if list.Next != "" {
		more := url.Values{"view": {q.View}, "cursor": {list.Next}}
		if q.Channel != "" {
			more.Set("channel", q.Channel)
		}
		if q.Open != "" {
			more.Set("c", q.Open)
		}
		out.More = "/inbox/list?" + more.Encode()
	}
	if len(out.Rows) == 0 && cursor == "" {
		out.Empty = "No conversations here yet."
	}
	return out, raw, nil
}

// listState reads what the list shows and its version.
func (h *Handler) listState(r *http.Request, q inboxQuery) ([]navGroup, listView, error) {
	nav, navRaw, err := h.loadNav(r, q)
	if err != nil {
		return nil, listView{}, err
	}
	list, listRaw, err := h.loadList(r, q, "")
	if err != nil {
		return nil, listView{}, err
	}
	list.Version = version(navRaw, listRaw)
	return nav, list, nil
}

func (h *Handler) channelOptions(r *http.Request, selected string) ([]channelOption, error) {
	var out struct{ Channels []apiChannel }
	if _, err := h.get(r, "/api/channels", &out); err != nil {
		return nil, err
	}
	opts := []channelOption{{ID: "", Label: "All channels", Selected: selected == ""}}
	for _, ch := range out.Channels {
		name := ch.Account.DisplayName
		if name == "" {
			name = ch.Name
		}
		opts = append(opts, channelOption{ID: ch.ID, Label: appOf(ch.Kind, "").Label + " · " + name, Selected: ch.ID == selected})
	}
	return opts, nil
}

// inbox is the inbox page: the views, a view's conversations, and the open conversation.
func (h *Handler) inbox(w http.ResponseWriter, r *http.Request) error {
	q := queryOf(r)
	nav, list, err := h.listState(r, q)
	if err != nil {
		return err
	}
	chans, err := h.channelOptions(r, q.Channel)
	if err != nil {
		return err
	}
	v := inboxView{Query: q, Groups: nav, Channels: chans, List: list, Title: viewTitle(q.View)}
	title := "Inbox"
	if q.Open != "" {
		p, err := h.loadPane(r, q.Open)
		if err != nil {
			return err
		}
		v.Pane = &p
		title = p.Row.Name + " · Inbox"
	}
	h.render(w, r, http.StatusOK, "inbox", pageData{Title: title, Nav: "inbox", Body: v})
	return nil
}

// viewTitle names a view as the list's heading does.
func viewTitle(name string) string {
	for _, g := range viewGroups {
		for _, n := range g.Views {
			if n[0] == name {
				if g.Title == "" {
					return n[1]
				}
				return g.Title + " · " + n[1]
			}
		}
	}
	return name
}

// viewsFragment is the side bar's view list.
func (h *Handler) viewsFragment(w http.ResponseWriter, r *http.Request) error {
	q := queryOf(r)
	nav, _, err := h.loadNav(r, q)
	if err != nil {
		return err
	}
	return h.renderFragment(w, r, "views", nav)
}

// listFragment is a view's conversation list, or (with ?cursor=) its next rows.
func (h *Handler) listFragment(w http.ResponseWriter, r *http.Request) error {
	q := queryOf(r)
	if cursor := r.URL.Query().Get("cursor"); cursor != "" {
		list, _, err := h.loadList(r, q, cursor)
		if err != nil {
			return err
		}
		return h.renderFragment(w, r, "rows", list)
	}
	_, list, err := h.listState(r, q)
	if err != nil {
		return err
	}
	return h.renderFragment(w, r, "list", list)
}

// The conversation pane.

type paneView struct {
	ID        string
	Row       rowView
	Items     []threadItem
	Older     bool
	Window    windowView
	Templates []templateOption
	Attach    attachView
	Assignees []userOption
	Version   string
}

type windowView struct {
	Allowed, TemplatesOnly bool
	Note                   string
	Class                  string // ok, warn, closed
}

type templateOption struct {
	ID, Name, Body string
}

type userOption struct {
	ID, Name string
	Selected bool
}

type threadItem struct {
	Day string
	Msg *messageView
}

type messageView struct {
	ID, Dir           string // in, out
	Event             string // a non-message event, in words
	Type              string
	Text              string
	Sticker           string // what the sticker says or shows, when known
	Media             *mediaView
	Location          *locationView
	LinkURL, LinkText string
	Template          string
	Unsupported       bool
	Unsent            bool
	Time, TimeAt      string
	Author            string
	From              string // who sent an inbound message, on which app and account (its tooltip)
	Status            string
	StatusLabel       string
	Detail            string
	Outcome           string
	Billable          bool
}

type mediaView struct {
	Kind     string // image, video, audio, file
	Label    string
	URL      string // HTTPS or this site's (msgkit's copy, through a signed URL); empty when there is none yet
	Name     string
	Size     string
	Duration string
	Note     string // why there is no URL: the copy is being made, or failed
}

// mediaOf is the media of message m: for an inbound one, msgkit's copy through its signed URL (never
// the channel's own URL, which needs the channel's token); for a reply, the URL it was sent with.
func (c clock) mediaOf(m apiMessage) *mediaView {
	ct := m.Content
	md := &mediaView{Kind: string(ct.Type), Label: map[channel.MessageType]string{channel.TypeImage: "Photo",
		channel.TypeVideo: "Video", channel.TypeAudio: "Voice message", channel.TypeFile: "File"}[ct.Type]}
	if mm := ct.Media; mm != nil {
		if m.Direction == "out" {
			md.URL = c.safeURL(mm.URL)
		}
		md.Name = mm.FileName
		if mm.Size > 0 {
			md.Size = byteSize(mm.Size)
		}
		if mm.Duration > 0 {
			md.Duration = mm.Duration.Round(time.Second).String()
		}
	}
	if cp := m.Media; cp != nil && m.Direction != "out" {
		switch cp.Status {
		case "ready":
			md.URL = c.safeURL(cp.URL)
			if md.Size == "" && cp.Size > 0 {
				md.Size = byteSize(cp.Size)
			}
		case "failed":
			md.Note = "Could not be fetched from the channel."
			if cp.Detail != "" {
				md.Note = "Could not be fetched from the channel (" + cp.Detail + ")."
			}
		default:
			md.Note = "Fetching the file from the channel…"
		}
	}
	return md
}

// safeURL returns u when a page may link or load it: HTTPS, or this site's own (the signed media
// URLs of a server that is not behind HTTPS, such as the demo's); "" otherwise.
func (c clock) safeURL(u string) string {
	if strings.HasPrefix(u, "https://") || (c.origin != "" && strings.HasPrefix(u, c.origin+"/")) {
		return u
	}
	return ""
}

type locationView struct {
	Title, Address, Coords, MapURL string
}

// loadPane reads a conversation's row and latest messages.
func (h *Handler) loadPane(r *http.Request, id string) (paneView, error) {
	var row apiRow
	rowRaw, err := h.get(r, pathf("/api/conversations/%s", id), &row)
	if err != nil {
		return paneView{}, err
	}
	var thread struct {
		Messages []apiMessage
		Next     string
	}
	msgRaw, err := h.get(r, pathf("/api/conversations/%s/messages", id)+fmt.Sprintf("?order=newest&limit=%d", threadLimit), &thread)
	if err != nil {
		return paneView{}, err
	}
	var tpls struct{ Templates []apiTemplate }
	if _, err := h.get(r, "/api/templates?kind="+url.QueryEscape(row.Channel.Kind), &tpls); err != nil {
		return paneView{}, err
	}
	attach, err := h.loadSources(r)
	if err != nil {
		return paneView{}, err
	}
	c := h.clockOf(r)
	q := queryOf(r)
	q.Open = id
	p := paneView{Attach: attach, ID: id, Row: h.rowOf(c, row, q), Older: thread.Next != "", Version: version(rowRaw, msgRaw)}
	slices.Reverse(thread.Messages)
	lastDay := ""
	for _, m := range thread.Messages {
		if d := c.day(m.Time); d != lastDay {
			p.Items = append(p.Items, threadItem{Day: d})
			lastDay = d
		}
		mv := h.messageOf(c, m)
		if mv.Dir == "in" {
			mv.From = fromTip(p.Row.Name, p.Row.App)
			if row.Peer.Kind != "" && row.Peer.Kind != "user" && m.Author != "" {
				// A group's message: say which member wrote it (their channel user ID: the channel tells
				// no member's name with the message).
				mv.Author = "Member " + m.Author
				mv.From = fromTip(mv.Author+" in "+p.Row.Name, p.Row.App)
			}
		}
		p.Items = append(p.Items, threadItem{Msg: &mv})
	}
	var ch apiChannel
	if _, err := h.get(r, pathf("/api/channels/%s", row.Channel.ID), &ch); err != nil {
		return paneView{}, err
	}
	p.Window = windowOf(c, row, ch.Active && ch.Disconnect == nil)
	for _, t := range tpls.Templates {
		p.Templates = append(p.Templates, templateOption{ID: t.ID, Name: t.Name, Body: t.Body})
	}
	p.Assignees = []userOption{{ID: "", Name: "Nobody", Selected: row.Assignee == ""}}
	for _, u := range h.d.Auth.Users().List() {
		p.Assignees = append(p.Assignees, userOption{ID: u.ID, Name: u.Name, Selected: u.ID == row.Assignee})
	}
	return p, nil
}

// windowOf says whether and until when the user may reply in row's conversation; active is whether its
// channel is active (not deactivated or disconnected by an admin).
func windowOf(c clock, row apiRow, active bool) windowView {
	w := windowView{Allowed: row.Reply.Allowed, TemplatesOnly: row.Reply.TemplatesOnly}
	switch {
	case !active:
		w.Allowed, w.Class = false, "closed"
		w.Note = "This channel is deactivated: nothing can be sent or received on it until an admin reactivates it."
	case !w.Allowed:
		w.Class = "closed"
		w.Note = "Window closed: the reply window has ended, or the customer blocked the account. " +
			"You can answer once the customer writes again."
	case w.TemplatesOnly:
		w.Class = "warn"
		w.Note = "Window closed: only templates can be sent until the customer writes again."
	case row.Reply.Until != nil:
		w.Class = "ok"
		if row.Reply.Until.Sub(c.now) < 24*time.Hour {
			w.Class = "warn"
		}
		w.Note = "Reply allowed until " + c.full(*row.Reply.Until) + " (" + c.left(*row.Reply.Until) + " left)."
	default:
		w.Class = "ok"
	}
	return w
}

var eventText = map[string]string{
	"follow":            "Added the account as a friend",
	"unfollow":          "Blocked the account: nothing can be sent until they unblock it",
	"join":              "The account joined the group",
	"leave":             "The account left the group",
	"memberJoined":      "Members joined the group",
	"memberLeft":        "Members left the group",
	"postback":          "Tapped a button",
	"unsend":            "Unsent a message",
	"videoPlayComplete": "Watched a video to the end",
	"beacon":            "Came near a beacon",
	"accountLink":       "Linked an account",
	"reaction":          "Reacted to a message",
	"unknown":           "Did something this inbox does not know (kept as received)",
}

var statusLabel = map[string]string{
	"queued":    "Queued",
	"sending":   "Sending",
	"sent":      "Sent",
	"delivered": "Delivered",
	"read":      "Read",
	"failed":    "Failed",
	"uncertain": "Uncertain",
}

func (h *Handler) messageOf(c clock, m apiMessage) messageView {
	v := messageView{ID: m.ID, Dir: "in", Time: m.Time.In(c.loc).Format("15:04"), TimeAt: c.full(m.Time), Unsent: m.Unsent}
	if m.Direction == "out" {
		v.Dir = "out"
		v.Status, v.StatusLabel, v.Detail, v.Outcome, v.Billable = m.Status, statusLabel[m.Status], m.Detail, m.Outcome, m.Billable
		if v.StatusLabel == "" {
			v.StatusLabel = m.Status
		}
		switch {
		case m.Author == "":
			v.Author = "Automatic"
		default:
			v.Author = h.userName(m.Author)
		}
	}
	if m.Kind != "message" {
		v.Event = eventText[m.Kind]
		if v.Event == "" {
			v.Event = eventText["unknown"]
		}
		return v
	}
	if m.Unsent || m.Content == nil {
		v.Unsent = true
		return v
	}
	ct := m.Content
	v.Type = string(ct.Type)
	switch ct.Type {
	case channel.TypeText:
		v.Text = withEmojis(ct.Text, ct.Emojis)
	case channel.TypeSticker:
		v.Sticker = "Sticker"
		if s := ct.Sticker; s != nil {
			switch {
			case s.Text != "":
				v.Sticker = "Sticker: " + s.Text
			case len(s.Keywords) > 0:
				v.Sticker = "Sticker: " + strings.Join(s.Keywords[:min(3, len(s.Keywords))], ", ")
			}
		}
	case channel.TypeImage, channel.TypeVideo, channel.TypeAudio, channel.TypeFile:
		v.Media = c.mediaOf(m)
		v.Text = ct.Text
	case channel.TypeLocation:
		if l := ct.Location; l != nil {
			v.Location = &locationView{Title: l.Title, Address: l.Address, Coords: fmt.Sprintf("%.5f, %.5f", l.Latitude, l.Longitude),
				MapURL: fmt.Sprintf("https://www.openstreetmap.org/?mlat=%.6f&mlon=%.6f#map=17/%.6f/%.6f", l.Latitude, l.Longitude, l.Latitude, l.Longitude)}
		}
	case channel.TypeLink:
		if l := ct.Link; l != nil {
			v.LinkURL, v.LinkText = l.URL, cmpOr(l.Title, l.URL)
		}
	case channel.TypeTemplate:
		if t := ct.Template; t != nil {
			v.Template = t.Name
		}
	default:
		v.Unsupported = true
	}
	return v
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// paneFragment is the conversation pane.
func (h *Handler) paneFragment(w http.ResponseWriter, r *http.Request) error {
	p, err := h.loadPane(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.renderFragment(w, r, "pane", p)
}

type linkView struct {
	ID, Contact, Q string
	Records        []recordView
	Searched       bool
}

// linkFragment is the link dialog's content: suggestions for the sender, or what ?q= finds.
func (h *Handler) linkFragment(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	var row apiRow
	if _, err := h.get(r, pathf("/api/conversations/%s", id), &row); err != nil {
		return err
	}
	var found struct{ Records []apiRecord }
	path := pathf("/api/conversations/%s/suggestions", id)
	if q != "" {
		path += "?q=" + url.QueryEscape(q)
	}
	if _, err := h.get(r, path, &found); err != nil {
		return err
	}
	v := linkView{ID: id, Contact: row.Contact.Name, Q: q, Searched: q != ""}
	for i := range found.Records {
		rv := recordOf(&found.Records[i])
		if o := rv.Owner; o != "" {
			rv.Owner = h.userName(o)
		}
		v.Records = append(v.Records, *rv)
	}
	return h.renderFragment(w, r, "link", v)
}
