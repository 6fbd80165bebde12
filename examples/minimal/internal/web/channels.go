package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/msgkit/msgkit/channel"
)

type channelRow struct {
	ID, URL, Name, Account, BasicID string
	App                             appView
	Status, StatusClass             string
	Problems                        int
}

type connectForm struct {
	Kind, Name string
	Values     map[string]string // non-secret fields as typed
}

type channelsView struct {
	Channels []channelRow
	Kinds    []Kind
	Form     connectForm
}

func statusOf(ch apiChannel) (string, string) {
	switch {
	case ch.Disconnect != nil:
		return "Disconnected", "off"
	case !ch.Active:
		return "Deactivated", "off"
	}
	return "Active", "ok"
}

// channels lists the connected accounts, with the connect form (admins only reach it).
func (h *Handler) channels(w http.ResponseWriter, r *http.Request) error {
	return h.channelsPage(w, r, http.StatusOK, connectForm{}, "")
}

func (h *Handler) channelsPage(w http.ResponseWriter, r *http.Request, status int, form connectForm, problem string) error {
	var list struct{ Channels []apiChannel }
	if _, err := h.get(r, "/api/channels", &list); err != nil {
		return err
	}
	v := channelsView{Kinds: h.d.Kinds, Form: form}
	if v.Form.Kind == "" && len(h.d.Kinds) > 0 {
		v.Form.Kind = h.d.Kinds[0].Name
	}
	for _, ch := range list.Channels {
		row := channelRow{ID: ch.ID, URL: pathf("/channels/%s", ch.ID), Name: ch.Name, Account: ch.Account.DisplayName,
			BasicID: ch.Account.BasicID, App: appOf(ch.Kind, ch.Account.DisplayName)}
		row.Status, row.StatusClass = statusOf(ch)
		for _, c := range ch.Checks {
			if c.Status == channel.CheckProblem || c.Status == channel.CheckFailed {
				row.Problems++
			}
		}
		v.Channels = append(v.Channels, row)
	}
	h.render(w, r, status, "channels", pageData{Title: "Channels", Nav: "channels", Error: problem, Body: v})
	return nil
}

// connect connects an account from the connect form, then shows it with its checklist and webhook URL.
func (h *Handler) connect(w http.ResponseWriter, r *http.Request) error {
	kindName := r.PostFormValue("kind")
	i := slices.IndexFunc(h.d.Kinds, func(k Kind) bool { return k.Name == kindName })
	form := connectForm{Kind: kindName, Name: strings.TrimSpace(r.PostFormValue("name")), Values: map[string]string{}}
	if i < 0 {
		return h.channelsPage(w, r, http.StatusBadRequest, form, "Choose a messenger app.")
	}
	kind := h.d.Kinds[i]
	creds := map[string]string{}
	for _, f := range kind.Fields {
		val := strings.TrimSpace(r.PostFormValue(fieldName(kind.Name, f.Key)))
		if val != "" {
			creds[f.Key] = val
		}
		if !f.Secret {
			form.Values[f.Key] = val
		}
		if f.Required && val == "" {
			return h.channelsPage(w, r, http.StatusUnprocessableEntity, form, f.Label+" is required.")
		}
	}
	if form.Name == "" {
		return h.channelsPage(w, r, http.StatusUnprocessableEntity, form, "Give the channel a name.")
	}
	var got apiChannel
	_, err := h.call(r, http.MethodPost, "/api/channels", map[string]any{"kind": kind.Name, "name": form.Name,
		"credentials": creds}, &got)
	if e, ok := err.(*apiError); ok && e.Status < 500 && e.Status != http.StatusUnauthorized {
		msg := e.Message
		var d struct{ Field string }
		if json.Unmarshal(e.Details, &d) == nil && d.Field != "" {
			for _, f := range kind.Fields {
				if f.Key == d.Field {
					msg = f.Label + ": " + msg
				}
			}
		}
		return h.channelsPage(w, r, e.Status, form, msg)
	}
	if err != nil {
		return err
	}
	return h.showChannel(w, r, got.ID, channelExtras{WebhookURL: got.WebhookURL, Checks: got.Checks,
		Flash: "Connected. Set the webhook URL below in the channel's console, then go through the checklist."})
}

// fieldName is a credential's form field.
func fieldName(kind, key string) string { return "cred." + kind + "." + key }

type checkView struct {
	Title, Detail, Label, Class string
}

var checkLabels = map[channel.CheckStatus][2]string{
	channel.CheckOK:      {"OK", "ok"},
	channel.CheckProblem: {"Fix this", "problem"},
	channel.CheckManual:  {"Confirm by hand", "manual"},
	channel.CheckFailed:  {"Could not check", "failed"},
}

func checksOf(cs []channel.SettingCheck) []checkView {
	out := make([]checkView, 0, len(cs))
	for _, c := range cs {
		l, ok := checkLabels[c.Status]
		if !ok {
			l = [2]string{string(c.Status), "manual"}
		}
		out = append(out, checkView{Title: c.Title, Detail: c.Detail, Label: l[0], Class: l[1]})
	}
	return out
}

type quotaView struct {
	Limited                bool
	Limit, Used, Remaining int64
	Since, Exceeded, Error string
	Low                    bool
	NotApplicable          string // why the channel has no quota, when it has none
	Sent                   string // what this inbox sent, in words
	KindName               string // the channel's name for itself ("LINE")
}

// sentInWords is this inbox's count of a month's sends: "3 pushes (billable) and 1 reply (free)".
func sentInWords(billable, free int) string {
	return plural(billable, "push", "pushes") + " (billable) and " + plural(free, "reply", "replies") + " (free)"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

type entryView struct {
	URL, Button, QRPNG, QRSVG string
}

type assignmentView struct {
	Strategy, Pool, PoolIDs string
	MaxOpen                 int
	Roles                   []string
}

type channelView struct {
	ID, Name, Kind        string
	App                   appView
	Account               channel.AccountInfo
	Picture               string
	Active, Disconnected  bool
	Status, StatusClass   string
	Checks                []checkView
	CheckedAt             string
	Changes               []string
	WebhookURL            string
	Quota                 *quotaView
	Entry                 *entryView
	EntryError            string
	Assignment            assignmentView
	InboxURL              string
	SignatureFailures     int64
	ShowSignatureFailures bool
}

type channelExtras struct {
	WebhookURL string
	Checks     []channel.SettingCheck
	Changes    []string
	Flash      string
	Error      string
	SigFails   *int64
}

func (h *Handler) channelPage(w http.ResponseWriter, r *http.Request) error {
	return h.showChannel(w, r, r.PathValue("id"), channelExtras{Flash: flashes[r.URL.Query().Get("done")]})
}

var flashes = map[string]string{
	"deactivated": "Deactivated: webhooks are acknowledged and ignored, and nothing can be sent. History is kept.",
	"reactivated": "Reactivated: messages are received and replies can be sent again.",
	"assignment": "Assignment rule saved. New conversations follow it; a conversation it assigned automatically moves " +
		"when its customer next writes, if its agent is no longer in the pool. Conversations assigned by hand stay.",
}

// showChannel shows one channel: its account, status, checklist, quota, entry points and assignment.
func (h *Handler) showChannel(w http.ResponseWriter, r *http.Request, id string, x channelExtras) error {
	var ch apiChannel
	if _, err := h.get(r, pathf("/api/channels/%s", id), &ch); err != nil {
		return err
	}
	c := h.clockOf(r)
	v := channelView{ID: ch.ID, Name: ch.Name, Kind: ch.Kind, App: appOf(ch.Kind, ch.Account.DisplayName), Account: ch.Account,
		Active: ch.Active, Disconnected: ch.Disconnect != nil, WebhookURL: x.WebhookURL, Changes: x.Changes,
		InboxURL: "/inbox?channel=" + ch.ID}
	if strings.HasPrefix(ch.Account.PictureURL, "https://") {
		v.Picture = ch.Account.PictureURL
	}
	v.Status, v.StatusClass = statusOf(ch)
	checks := ch.Checks
	if x.Checks != nil {
		checks = x.Checks
	}
	v.Checks = checksOf(checks)
	if ch.CheckedAt != nil {
		v.CheckedAt = c.full(*ch.CheckedAt)
	}
	if x.SigFails != nil {
		v.SignatureFailures, v.ShowSignatureFailures = *x.SigFails, true
	}
	v.Assignment = assignmentView{Strategy: ch.Assignment.Strategy, Pool: ch.Assignment.Pool,
		PoolIDs: strings.Join(ch.Assignment.PoolIDs, ", "), MaxOpen: ch.Assignment.MaxOpen}
	roles := map[string]bool{}
	for _, u := range h.d.Auth.Users().List() {
		for _, role := range u.Roles {
			roles[role] = true
		}
	}
	for role := range roles {
		v.Assignment.Roles = append(v.Assignment.Roles, role)
	}
	slices.Sort(v.Assignment.Roles)
	var q apiQuota
	if _, err := h.get(r, pathf("/api/channels/%s/quota", id), &q); err == nil {
		qv := &quotaView{Limited: q.Limited, Limit: q.Limit, Used: q.Used, Remaining: q.Remaining, Since: c.full(q.Since),
			Error: q.ChannelError, Sent: sentInWords(q.SentBillable, q.SentFree), KindName: v.App.Label}
		if q.Quota == "not applicable" {
			qv.NotApplicable = q.Note
		}
		if q.ExceededAt != nil {
			qv.Exceeded = c.full(*q.ExceededAt)
		}
		qv.Low = q.Limited && q.Limit > 0 && q.Remaining*10 < q.Limit
		v.Quota = qv
	} else if e, ok := err.(*apiError); ok && e.Status != http.StatusNotFound {
		v.Quota = &quotaView{Error: e.Message}
	}
	var ep apiEntryPoints
	if _, err := h.get(r, pathf("/api/channels/%s/entry-points", id), &ep); err == nil {
		v.Entry = &entryView{URL: ep.URL, Button: ep.ButtonHTML}
		if ep.QRPng != "" {
			v.Entry.QRPNG = pathf("/channels/%s/qr.png", id)
		}
		if ep.QRSvg != "" {
			v.Entry.QRSVG = pathf("/channels/%s/qr.svg", id)
		}
	} else if e, ok := err.(*apiError); ok {
		v.EntryError = e.Message
	}
	title := ch.Name
	if title == "" {
		title = "Channel"
	}
	h.render(w, r, http.StatusOK, "channel", pageData{Title: title + " · Channels", Nav: "channels", Flash: x.Flash, Error: x.Error, Body: v})
	return nil
}

// channelAction runs an admin's form on a channel: check, deactivate, reactivate, assignment.
func (h *Handler) channelAction(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	base := pathf("/api/channels/%s", id)
	switch r.PathValue("action") {
	case "check":
		var out struct {
			Checks            []channel.SettingCheck
			Changes           []struct{ Title, From, To string }
			SignatureFailures int64
		}
		if _, err := h.call(r, http.MethodPost, base+"/check", nil, &out); err != nil {
			return err
		}
		x := channelExtras{Checks: out.Checks, Flash: "Checked again.", SigFails: &out.SignatureFailures}
		for _, c := range out.Changes {
			if c.From == "" {
				continue
			}
			x.Changes = append(x.Changes, fmt.Sprintf("%s: %s → %s", c.Title, c.From, c.To))
		}
		if len(x.Changes) == 0 {
			x.Flash = "Checked again: nothing changed since the last check."
		}
		return h.showChannel(w, r, id, x)
	case "deactivate", "reactivate":
		action := r.PathValue("action")
		if _, err := h.call(r, http.MethodPost, base+"/"+action, nil, nil); err != nil {
			return err
		}
		http.Redirect(w, r, pathf("/channels/%s", id)+"?done="+action+"d", http.StatusSeeOther)
		return nil
	case "assignment":
		rule := map[string]any{"strategy": r.PostFormValue("strategy")}
		if rule["strategy"] != "" {
			rule["pool"] = r.PostFormValue("pool")
			var ids []string
			for _, s := range strings.Split(r.PostFormValue("poolIds"), ",") {
				if s = strings.TrimSpace(s); s != "" {
					ids = append(ids, s)
				}
			}
			rule["poolIds"] = ids
			if n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("maxOpen"))); err == nil && n > 0 {
				rule["maxOpen"] = n
			}
		}
		_, err := h.call(r, http.MethodPut, base+"/assignment", rule, nil)
		if e, ok := err.(*apiError); ok && (e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity) {
			return h.showChannel(w, r, id, channelExtras{Error: e.Message})
		}
		if err != nil {
			return err
		}
		http.Redirect(w, r, pathf("/channels/%s", id)+"?done=assignment", http.StatusSeeOther)
		return nil
	}
	return errNotFound
}

// qrPNG serves the account's add-friend QR code as a PNG (to show and to print).
func (h *Handler) qrPNG(w http.ResponseWriter, r *http.Request) error {
	var ep apiEntryPoints
	if _, err := h.get(r, pathf("/api/channels/%s/entry-points", r.PathValue("id")), &ep); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(ep.QRPng)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		return errNotFound
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=300")
	if r.URL.Query().Has("download") {
		w.Header().Set("Content-Disposition", `attachment; filename="add-friend-qr.png"`)
	}
	_, err = w.Write(png)
	return err
}

// qrSVG serves the QR code as SVG, under a policy that lets it run nothing.
func (h *Handler) qrSVG(w http.ResponseWriter, r *http.Request) error {
	var ep apiEntryPoints
	if _, err := h.get(r, pathf("/api/channels/%s/entry-points", r.PathValue("id")), &ep); err != nil {
		return err
	}
	if ep.QRSvg == "" {
		return errNotFound
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", `attachment; filename="add-friend-qr.svg"`)
	_, err := w.Write([]byte(ep.QRSvg))
	return err
}
