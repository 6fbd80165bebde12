package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The record timeline (FEATURES F11).

type timelineItem struct {
	Day     string
	Msg     *messageView
	App     appView
	ConvURL string
}

type recordPageView struct {
	Record recordView
	Items  []timelineItem
	Older  bool
}

// timelineLimit is how many of a record's latest messages its page shows.
const timelineLimit = 200

// record shows a CRM record's messages across every sender and channel linked to it, oldest first.
func (h *Handler) record(w http.ResponseWriter, r *http.Request) error {
	kind, rid := r.PathValue("kind"), r.PathValue("rid")
	var tl struct {
		Record   apiRecord
		Messages []apiMessage
		Next     string
	}
	if _, err := h.get(r, pathf("/api/records/%s/%s/timeline", kind, rid)+fmt.Sprintf("?limit=%d", timelineLimit), &tl); err != nil {
		return err
	}
	var chans struct{ Channels []apiChannel }
	if _, err := h.get(r, "/api/channels", &chans); err != nil {
		return err
	}
	apps := map[string]appView{}
	for _, ch := range chans.Channels {
		name := ch.Account.DisplayName
		if name == "" {
			name = ch.Name
		}
		apps[ch.ID] = appOf(ch.Kind, name)
	}
	c := h.clockOf(r)
	rec := recordOf(&tl.Record)
	if rec.Owner != "" {
		rec.Owner = h.userName(rec.Owner)
	}
	v := recordPageView{Record: *rec, Older: tl.Next != ""}
	slices.Reverse(tl.Messages)
	lastDay := ""
	for _, m := range tl.Messages {
		if d := c.day(m.Time); d != lastDay {
			v.Items = append(v.Items, timelineItem{Day: d})
			lastDay = d
		}
		mv := h.messageOf(c, m)
		if mv.Dir == "in" {
			mv.From = fromTip(rec.Name, apps[m.ChannelID])
		}
		v.Items = append(v.Items, timelineItem{Msg: &mv, App: apps[m.ChannelID], ConvURL: "/inbox?c=" + url.QueryEscape(m.ConversationID)})
	}
	h.render(w, r, http.StatusOK, "record", pageData{Title: rec.Name + " · Timeline", Nav: "inbox", Body: v})
	return nil
}

// Templates (FEATURES F15; checked on save, B5).

type templateRow struct {
	ID, Name, Kind, KindLabel, Body, Updated string
	Version                                  int64
}

type templatesView struct {
	Templates []templateRow
	Kinds     []Kind
	Edit      templateRow // the form: empty ID for a new template
	Findings  []apiFinding
	// Fields are the merge fields the templates may use.
	Fields []apiField
}

// apiField is a merge field as the API lists it.
type apiField struct {
	Name      string `json:"name"`
	EmptyWhen string `json:"emptyWhen"`
}

func (h *Handler) templates(w http.ResponseWriter, r *http.Request) error {
	return h.templatesPage(w, r, http.StatusOK, r.URL.Query().Get("edit"), nil, "", "")
}

func (h *Handler) templatesPage(w http.ResponseWriter, r *http.Request, status int, editID string, edit *templateRow,
	flash, problem string, findings ...apiFinding) error {
	var list struct {
		Templates []apiTemplate
		Fields    []apiField
	}
	if _, err := h.get(r, "/api/templates", &list); err != nil {
		return err
	}
	c := h.clockOf(r)
	v := templatesView{Kinds: h.d.Kinds, Findings: findings, Fields: list.Fields}
	for _, t := range list.Templates {
		row := templateRow{ID: t.ID, Name: t.Name, Kind: t.ChannelKind, Body: t.Body, Version: t.Version, Updated: c.short(t.UpdatedAt),
			KindLabel: "Every channel"}
		if t.ChannelKind != "" {
			row.KindLabel = appOf(t.ChannelKind, "").Label
		}
		v.Templates = append(v.Templates, row)
		if t.ID == editID {
			v.Edit = row
		}
	}
	if edit != nil {
		v.Edit = *edit
	}
	h.render(w, r, status, "templates", pageData{Title: "Templates", Nav: "templates", Flash: flash, Error: problem, Body: v})
	return nil
}

// saveTemplate creates or updates a template from the form; the API checks it, and its findings are
// shown with the form.
func (h *Handler) saveTemplate(w http.ResponseWriter, r *http.Request) error {
	t := templateRow{ID: r.PostFormValue("id"), Name: strings.TrimSpace(r.PostFormValue("name")),
		Kind: r.PostFormValue("kind"), Body: r.PostFormValue("body")}
	t.Version, _ = strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	in := map[string]any{"name": t.Name, "channelKind": t.Kind, "body": t.Body}
	method, path := http.MethodPost, "/api/templates"
	if t.ID != "" {
		method, path = http.MethodPut, pathf("/api/templates/%s", t.ID)
		in["version"] = t.Version
	}
	var out struct {
		Template apiTemplate
		Findings []apiFinding
	}
	_, err := h.call(r, method, path, in, &out)
	if e, ok := err.(*apiError); ok && e.Status >= 400 && e.Status < 500 && e.Status != http.StatusUnauthorized {
		var fs []apiFinding
		_ = json.Unmarshal(e.Details, &fs)
		return h.templatesPage(w, r, e.Status, "", &t, "", e.Message, fs...)
	}
	if err != nil {
		return err
	}
	flash := "Saved “" + out.Template.Name + "”."
	if len(out.Findings) > 0 {
		flash += " It has warnings: see below."
		edit := templateRow{ID: out.Template.ID, Name: out.Template.Name, Kind: out.Template.ChannelKind, Body: out.Template.Body,
			Version: out.Template.Version}
		return h.templatesPage(w, r, http.StatusOK, "", &edit, flash, "", out.Findings...)
	}
	return h.templatesPage(w, r, http.StatusOK, "", nil, flash, "")
}

func (h *Handler) deleteTemplate(w http.ResponseWriter, r *http.Request) error {
	path := pathf("/api/templates/%s", r.PathValue("id")) + "?version=" + url.QueryEscape(r.PostFormValue("version"))
	if _, err := h.call(r, http.MethodDelete, path, nil, nil); err != nil {
		if e, ok := err.(*apiError); ok && e.Status == http.StatusConflict {
			return h.templatesPage(w, r, e.Status, "", nil, "", "Someone changed this template meanwhile: reload and try again.")
		}
		return err
	}
	return h.templatesPage(w, r, http.StatusOK, "", nil, "Template deleted.", "")
}
