package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/examples/minimal/internal/web"
	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
)

// Every page needs a signed-in user: pages send the browser to sign in (and back afterwards), the
// script's fragments and the event stream answer 401, the API answers JSON.
func TestSignInRequired(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	conv := w.customer(t, w.line, "U1", "Hanako", channel.Text("hello"))
	anon := w.client()
	for _, path := range []string{"/", "/inbox", "/inbox?c=" + conv, "/channels", "/channels/" + w.line.ID, "/templates",
		"/records/lead/L-1", "/channels/" + w.line.ID + "/qr.png", "/no/such/page"} {
		res := anon.get(t, path)
		require.Equal(t, http.StatusSeeOther, res.status, path)
		require.Equal(t, "/signin?next="+url.QueryEscape(path), res.header.Get("Location"), path)
	}
	for _, path := range []string{"/inbox/views", "/inbox/list", "/inbox/c/" + conv, "/inbox/c/" + conv + "/link", "/events",
		"/events?scope=notifications", "/notifications", "/inbox/files/crm"} {
		res := anon.get(t, path)
		require.Equal(t, http.StatusUnauthorized, res.status, path)
		require.NotContains(t, res.body, "Hanako", path)
	}
	res := anon.get(t, "/api/views")
	require.Equal(t, http.StatusUnauthorized, res.status)
	require.Contains(t, res.body, `"code":"unauthorized"`)
	for _, path := range []string{"/signout", "/channels/" + w.line.ID + "/deactivate", "/templates", "/notifications"} {
		res := anon.post(t, path, url.Values{}, "")
		require.NotEqual(t, http.StatusOK, res.status, path)
		require.NotEqual(t, http.StatusSeeOther, res.status, path)
	}
	ch, err := w.s.GetChannel(t.Context(), w.line.ID)
	require.NoError(t, err)
	require.True(t, ch.Active)

	// Signing in goes back to where the user was going, on this site only.
	a := w.client()
	res = a.signIn(t, "ben", "ben-password", "/inbox?c="+conv)
	require.Equal(t, http.StatusSeeOther, res.status)
	require.Equal(t, "/inbox?c="+conv, res.header.Get("Location"))
	require.Contains(t, a.get(t, "/inbox?c="+conv).body, "Hanako")
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		res = w.client().signIn(t, "ben", "ben-password", next)
		require.Equal(t, "/inbox", res.header.Get("Location"), next)
	}
	// A signed-in user's sign-in page goes on to the inbox.
	res = a.get(t, "/signin")
	require.Equal(t, http.StatusSeeOther, res.status)
}

// The sign-in form is protected against cross-site posts, says when the credentials are wrong, and
// says when to try again once attempts are limited; signing out needs the session's CSRF token.
func TestSignInForm(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	page := w.client().get(t, "/signin")
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.header.Get("Content-Security-Policy"), "script-src 'self'")
	require.Contains(t, page.body, `autocomplete="current-password"`)

	a := w.client()
	res := a.signIn(t, "ben", "wrong", "")
	require.Equal(t, http.StatusUnauthorized, res.status)
	require.Contains(t, res.body, "The user name or the password is wrong.")
	require.Contains(t, res.body, `value="ben"`, "the user name is kept")

	// No token (a form on another site cannot read it), another token, another origin: refused, and the
	// credentials are not even checked.
	token := signInToken.FindStringSubmatch(w.client().get(t, "/signin").body)[1]
	for name, tc := range map[string]struct {
		form   url.Values
		origin string
	}{
		"no token":      {url.Values{"user": {"ben"}, "password": {"ben-password"}}, ""},
		"foreign token": {url.Values{"csrf": {token}, "user": {"ben"}, "password": {"ben-password"}}, ""},
		"cross-site":    {url.Values{"user": {"ben"}, "password": {"ben-password"}}, "https://evil.example"},
		"no origin":     {url.Values{"user": {"ben"}, "password": {"ben-password"}}, "-"},
	} {
		b := w.client()
		m := signInToken.FindStringSubmatch(b.get(t, "/signin").body)
		if name != "no token" && name != "foreign token" {
			tc.form.Set("csrf", m[1])
		}
		res := b.post(t, "/signin", tc.form, tc.origin)
		require.Equal(t, http.StatusForbidden, res.status, name)
		require.Contains(t, res.body, "expired or came from another site", name)
		for _, c := range res.header.Values("Set-Cookie") {
			require.NotContains(t, c, "msgkit_session=", name)
		}
	}

	// Attempts are limited per user: the sixth in the window is refused with the time to wait.
	for range 4 {
		require.Equal(t, http.StatusUnauthorized, a.signIn(t, "ben", "wrong", "").status)
	}
	res = a.signIn(t, "ben", "ben-password", "")
	require.Equal(t, http.StatusTooManyRequests, res.status)
	require.Contains(t, res.body, "Too many sign-in attempts. Try again in 10 minutes.")
	require.Equal(t, "600", res.header.Get("Retry-After"))
	w.clock.Advance(11 * time.Minute)
	res = a.signIn(t, "ben", "ben-password", "")
	require.Equal(t, http.StatusSeeOther, res.status)

	// Signing out is a form with the session's token.
	c := w.signedIn(t, "chika")
	res = c.post(t, "/signout", url.Values{}, "")
	require.Equal(t, http.StatusForbidden, res.status)
	require.Equal(t, http.StatusOK, c.get(t, "/inbox").status, "still signed in")
	saved := c.c.Jar.Cookies(mustURL(t, w.srv.URL))
	require.NotEmpty(t, saved)
	res = c.post(t, "/signout", url.Values{"csrf": {c.csrf}}, "")
	require.Equal(t, http.StatusSeeOther, res.status)
	require.Equal(t, http.StatusSeeOther, c.get(t, "/inbox").status, "signed out")
	// A copy of the cookie saved before signing out no longer works: the session ended on the server.
	thief := w.client()
	thief.c.Jar.SetCookies(mustURL(t, w.srv.URL), saved)
	res = thief.get(t, "/inbox")
	require.Equal(t, http.StatusSeeOther, res.status, "a saved session cookie is refused after sign-out")
	require.Contains(t, res.header.Get("Location"), "/signin")
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// The channel and template forms need the session's CSRF token and this site's origin; channel
// changes need an admin.
func TestFormsNeedCSRF(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	aiko, ben := w.signedIn(t, "aiko"), w.signedIn(t, "ben")
	deactivate := "/channels/" + w.line.ID + "/deactivate"
	active := func() bool {
		ch, err := w.s.GetChannel(t.Context(), w.line.ID)
		require.NoError(t, err)
		return ch.Active
	}
	res := aiko.post(t, deactivate, url.Values{}, "")
	require.Equal(t, http.StatusForbidden, res.status)
	require.Contains(t, res.body, "This form expired or came from another site.")
	res = aiko.post(t, deactivate, url.Values{"csrf": {ben.csrf}}, "")
	require.Equal(t, http.StatusForbidden, res.status, "another session's token")
	res = aiko.post(t, deactivate, url.Values{"csrf": {aiko.csrf}}, "https://evil.example")
	require.Equal(t, http.StatusForbidden, res.status, "another site")
	res = ben.post(t, deactivate, url.Values{"csrf": {ben.csrf}}, "")
	require.Equal(t, http.StatusForbidden, res.status)
	require.Contains(t, res.body, "Only administrators can do this.")
	require.True(t, active())

	res = aiko.post(t, deactivate, url.Values{"csrf": {aiko.csrf}}, "")
	require.Equal(t, http.StatusSeeOther, res.status, res.body)
	require.False(t, active())
	page := aiko.get(t, res.header.Get("Location"))
	require.Contains(t, page.body, "Deactivated: webhooks are acknowledged and ignored")
	require.Contains(t, page.body, `action="/channels/`+w.line.ID+`/reactivate"`)
	res = aiko.post(t, "/channels/"+w.line.ID+"/reactivate", url.Values{"csrf": {aiko.csrf}}, "")
	require.Equal(t, http.StatusSeeOther, res.status)
	require.True(t, active())

	res = ben.post(t, "/templates", url.Values{"name": {"x"}, "body": {"y"}}, "")
	require.Equal(t, http.StatusForbidden, res.status)
	list, err := w.s.ListTemplates(t.Context(), "")
	require.NoError(t, err)
	require.Empty(t, list)
	// The script's API calls need the token too (the API checks it).
	req, err := http.NewRequest(http.MethodPost, w.srv.URL+"/api/templates", strings.NewReader(`{"name": "x", "body": "y"}`))
	require.NoError(t, err)
	req.Header.Set("Origin", w.srv.URL)
	require.Equal(t, http.StatusForbidden, ben.do(t, req).status)
}

// What customers and CRM users typed is shown as text everywhere: names, messages, records, templates,
// searches.
func TestHostileTextIsEscaped(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	conv := w.customer(t, w.line, "U1", hostileImg, channel.Text(hostileScript))
	w.customer(t, w.wa, "W1", hostileScript, channel.Text(hostileImg))
	loc := channel.LocationMessage(hostileScript, hostileImg, 35.68, 139.76)
	w.customer(t, w.line, "U1", "", loc)
	w.crm.Add(linking.Record{Kind: store.RecordLead, ID: "L-1", DisplayName: hostileScript + " Hanako", Owner: "ben"})
	w.crmFiles.add("F-1", hostileScript+".pdf", "application/pdf", []byte("%PDF-1.7\n"))
	_, err := w.s.AssignConversation(t.Context(), store.Assignment{ConversationID: conv, To: "ben", By: "aiko", Reason: store.AssignManual})
	require.NoError(t, err)
	w.clock.Advance(time.Minute)
	w.customer(t, w.line, "U1", "", channel.Text(hostileImg+hostileScript))
	ben := w.signedIn(t, "ben")
	_, err = w.s.CreateTemplate(t.Context(), store.Template{Name: hostileImg, Body: "Hello " + hostileScript})
	require.NoError(t, err)

	pages := map[string]answer{
		"inbox":     ben.get(t, "/inbox?c="+conv),
		"list":      ben.get(t, "/inbox/list"),
		"pane":      ben.get(t, "/inbox/c/"+conv),
		"link":      ben.get(t, "/inbox/c/"+conv+"/link?q="+url.QueryEscape(hostileScript)),
		"templates": ben.get(t, "/templates"),
		"notes":     ben.get(t, "/notifications"),
		"files":     ben.get(t, "/inbox/files/crm?q="+url.QueryEscape(hostileScript)),
	}
	require.Contains(t, pages["link"].body, "&lt;script&gt;alert(1)&lt;/script&gt; Hanako", "the search finds the record")
	// Link it, and the timeline and the row show the record's name, escaped.
	req, err := http.NewRequest(http.MethodPost, w.srv.URL+"/api/conversations/"+conv+"/link", strings.NewReader(`{"kind": "lead", "recordId": "L-1"}`))
	require.NoError(t, err)
	req.Header.Set("Origin", w.srv.URL)
	req.Header.Set("X-CSRF-Token", ben.csrf)
	require.Equal(t, http.StatusOK, ben.do(t, req).status)
	pages["timeline"] = ben.get(t, "/records/lead/L-1")
	pages["linked row"] = ben.get(t, "/inbox/list")

	for name, p := range pages {
		require.Equal(t, http.StatusOK, p.status, name)
		require.NotContains(t, p.body, "<script>alert", name)
		require.NotContains(t, p.body, "<img src=x", name)
		require.NotContains(t, p.body, "onerror=alert(1)>", name)
	}
	for _, name := range []string{"inbox", "pane"} {
		require.Contains(t, pages[name].body, "&lt;script&gt;alert(1)&lt;/script&gt;", name)
		require.Contains(t, pages[name].body, "&lt;img src=x onerror=alert(1)&gt;", name)
	}
	require.Contains(t, pages["list"].body, "&lt;img src=x onerror=alert(1)&gt;", "a name")
	require.Contains(t, pages["templates"].body, "Hello &lt;script&gt;")
	require.Contains(t, pages["notes"].body, `<span class="who">&lt;img src=x onerror=alert(1)&gt;</span>`)
	require.Contains(t, pages["notes"].body, `<span class="note-preview">&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(1)&lt;/script&gt;</span>`)
	require.Contains(t, pages["files"].body, `data-name="&lt;script&gt;alert(1)&lt;/script&gt;.pdf"`)
	require.Contains(t, pages["timeline"].body, "<h1>&lt;script&gt;alert(1)&lt;/script&gt; Hanako</h1>")
	require.Contains(t, pages["linked row"].body, "&lt;script&gt;alert(1)&lt;/script&gt; Hanako")
}

// The inbox shows the views with their counts, and each row's app and account, linked state, preview,
// time, unreplied marker and assignee.
func TestInboxRows(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	hanako := w.customer(t, w.line, "U1", "Hanako Yamada", channel.Text("Is the blue one in stock? 🎉"))
	w.customer(t, w.wa, "W1", "Taro Suzuki", channel.Text("Hola"))
	w.crm.Add(linking.Record{Kind: store.RecordContact, ID: "C-7", DisplayName: "Taro Suzuki (ACME)", Owner: "ben"})
	taro := conversationOf(t, w, w.wa, "W1")
	_, err := w.s.AssignConversation(t.Context(), store.Assignment{ConversationID: hanako, To: "ben", By: "aiko", Reason: store.AssignManual})
	require.NoError(t, err)
	link(t, w, taro, store.RecordContact, "C-7")

	ben := w.signedIn(t, "ben")
	page := ben.get(t, "/inbox")
	require.Equal(t, http.StatusOK, page.status)
	body := page.body
	require.Contains(t, body, `title="Came in on LINE · account Shop 1650"`, "which app and account, on hover")
	require.Contains(t, body, `<span class="app-kind">WhatsApp</span><span class="app-account">Shop 81900</span>`)
	require.Contains(t, body, `title="Unregistered sender: link to a lead or contact">+</span>`)
	require.Contains(t, body, `title="Linked to Contact “Taro Suzuki (ACME)”"`)
	require.Contains(t, body, "Is the blue one in stock? 🎉")
	require.Contains(t, body, `title="Assigned to Ben Carter"`)
	require.Contains(t, body, `<span class="unreplied-dot"`)
	require.Contains(t, body, `<time class="when" title="Fri, Nov 27 2026, 09:00 UTC">09:00</time>`)
	require.Contains(t, body, `data-view="mine_unreplied"><span>Unreplied</span><span class="badge hot">1</span>`)
	require.Contains(t, body, `data-view="all" aria-current="page"><span>All conversations</span><span class="badge">2</span>`)
	require.Contains(t, body, `<option value="`+w.wa.ID+`">WhatsApp · Shop 81900</option>`)

	// One channel's view.
	list := ben.get(t, "/inbox/list?channel="+w.wa.ID).body
	require.Contains(t, list, "Taro Suzuki")
	require.NotContains(t, list, "Hanako")

	// Past 99 the badge says 99+.
	for i := range 101 {
		w.customer(t, w.line, fmt.Sprint("U-many-", i), "", channel.Text("hi"))
	}
	views := ben.get(t, "/inbox/views").body
	require.Contains(t, views, `data-view="unregistered_unreplied"><span>Unreplied</span><span class="badge hot">99&#43;</span>`)
	list = ben.get(t, "/inbox/list").body
	require.Contains(t, list, `class="more" href="/inbox/list?cursor=`, "a next page")
	require.Contains(t, list, "New customer", "a sender whose profile is not known yet")
}

// The thread shows every kind of content, events, unsent messages, and the statuses of replies; the
// reply box says when the window closes.
func TestThread(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	w.event(t, w.line, channel.Event{Kind: channel.EventFollow, Source: channel.User("U1")})
	conv := w.customer(t, w.line, "U1", "Hanako", channel.Text("Hello 👋\nsecond line"))
	st := channel.StickerMessage("11537", "52002734")
	st.Sticker.Keywords = []string{"thanks", "bow"}
	w.customer(t, w.line, "U1", "", st)
	w.customer(t, w.line, "U1", "", channel.Message{Type: channel.TypeImage, Media: &channel.Media{}})
	w.customer(t, w.line, "U1", "", channel.Message{Type: channel.TypeFile, Media: &channel.Media{FileName: "invoice.pdf", Size: 123456}})
	w.customer(t, w.line, "U1", "", channel.LocationMessage("Shibuya store", "1-2-3 Shibuya", 35.658, 139.7016))
	w.customer(t, w.line, "U1", "", channel.Message{ID: "gone-1", Type: channel.TypeText, Text: "oops, not for you"})
	w.event(t, w.line, channel.Event{Kind: channel.EventUnsend, Source: channel.User("U1"), UnsentMessageID: "gone-1"})

	ben := w.signedIn(t, "ben")
	reply := func(text string) {
		req, err := http.NewRequest(http.MethodPost, w.srv.URL+"/api/conversations/"+conv+"/reply", strings.NewReader(`{"text": "`+text+`"}`))
		require.NoError(t, err)
		req.Header.Set("Origin", w.srv.URL)
		req.Header.Set("X-CSRF-Token", ben.csrf)
		res := ben.do(t, req)
		require.Equal(t, http.StatusOK, res.status, res.body)
	}
	reply("Thanks!")
	fake := w.fakes[w.line.ID]
	fake.Fail("send", channel.ErrUnauthorized)
	reply("Second try")

	pane := ben.get(t, "/inbox/c/"+conv).body
	for _, want := range []string{
		`<span>Added the account as a friend</span>`,
		"<p class=\"text\">Hello 👋\nsecond line</p>",
		`<span>Sticker: thanks, bow</span>`,
		`<strong>Photo</strong>`,
		`<strong>invoice.pdf</strong><small>121 KB</small>`,
		`<strong>Shibuya store</strong><br>1-2-3 Shibuya`,
		`href="https://www.openstreetmap.org/?mlat=35.658000&amp;mlon=139.701600`,
		`<span class="unsent-text">This message was unsent.</span>`,
		`<span class="author">Ben Carter</span>`,
		`<span class="status st-sent"`,
		`<span class="status st-failed"`,
		"Reply allowed until Fri, Dec 4 2026, 09:00 UTC (7 days left).",
		`title="From New customer on LINE · account Shop 1650"`,
		`<small class="media-note">Could not be fetched from the channel (`,
		`<option value="">No template</option>`,
		`<div class="day"><span>Today</span></div>`,
	} {
		require.Contains(t, pane, want)
	}
	require.NotContains(t, pane, "oops, not for you", "an unsent message's text is not shown")

	// In a group, each message says which member wrote it; LINE emoji placeholders ("$") are not shown as
	// prices.
	gm := channel.Message{ID: "g-1", Type: channel.TypeText, Text: "Five jackets please $",
		Emojis: []channel.Emoji{{Index: 20, Length: 1, ProductID: "5ac1bfd5040ab15980c9b435", EmojiID: "001"}}}
	group := w.event(t, w.line, channel.Event{Kind: channel.EventMessage, Source: channel.Group("C77", "U77"), ReplyToken: "rt-g1", Message: &gm})
	pane = ben.get(t, "/inbox/c/"+group).body
	require.Contains(t, pane, `<span class="author">Member U77</span>`)
	require.Contains(t, pane, `title="From Member U77 in `)
	require.Contains(t, pane, "<p class=\"text\">Five jackets please [emoji]</p>")

	// On WhatsApp, past its 24 hours, only templates go.
	wa := w.customer(t, w.wa, "W1", "Taro", channel.Text("Hola"))
	w.clock.Advance(25 * time.Hour)
	ben = w.signedIn(t, "ben")
	pane = ben.get(t, "/inbox/c/"+wa).body
	require.Contains(t, pane, `<p class="window warn" id="reply-window" data-allowed="true" data-templates-only="true">Window closed: only templates can be sent until the customer writes again.</p>`)
	require.Contains(t, pane, `placeholder="Reply to Taro…" disabled>`)
	require.Contains(t, pane, `<button class="btn primary" type="submit" id="send">`)

	// Past the window the reply box is closed.
	w.clock.Advance(7 * 24 * time.Hour)
	ben = w.signedIn(t, "ben")
	pane = ben.get(t, "/inbox/c/"+conv).body
	require.Contains(t, pane, `<p class="window closed" id="reply-window" data-allowed="false"`)
	require.Contains(t, pane, `<button class="btn primary" type="submit" id="send" disabled>`)
	require.Contains(t, ben.get(t, "/inbox/list").body, `<span class="tag closed" title="The reply window has ended">Closed</span>`)

	// A deactivated channel's conversation says so, not that the customer should write again.
	aiko := w.signedIn(t, "aiko")
	res := aiko.post(t, "/channels/"+w.wa.ID+"/deactivate", url.Values{"csrf": {aiko.csrf}}, "")
	require.Equal(t, http.StatusSeeOther, res.status, res.body)
	pane = ben.get(t, "/inbox/c/"+wa).body
	require.Contains(t, pane, "This channel is deactivated: nothing can be sent or received on it until an admin reactivates it.")
	require.NotContains(t, pane, "once the customer writes again")
}

// The link dialog suggests records, searches, and offers to create one.
func TestLinkDialog(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	conv := w.customer(t, w.line, "U1", "Hanako Yamada", channel.Text("hi"))
	w.crm.Add(linking.Record{Kind: store.RecordLead, ID: "L-1", DisplayName: "Hanako Yamada", Owner: "chika"})
	w.crm.Add(linking.Record{Kind: store.RecordContact, ID: "C-9", DisplayName: "Kenji Ito", Owner: "ben"})
	ben := w.signedIn(t, "ben")
	d := ben.get(t, "/inbox/c/"+conv+"/link").body
	require.Contains(t, d, "Link “Hanako Yamada” to a CRM record")
	require.Contains(t, d, "<h3>Suggestions</h3>")
	require.Contains(t, d, `<strong>Hanako Yamada</strong><span class="muted"> · owner Chika Mori</span>`)
	require.Contains(t, d, `data-action="link-record" data-id="`+conv+`" data-kind="lead" data-record="L-1"`)
	require.NotContains(t, d, "Kenji")
	d = ben.get(t, "/inbox/c/"+conv+"/link?q=kenji").body
	require.Contains(t, d, "<h3>Results</h3>")
	require.Contains(t, d, "<strong>Kenji Ito</strong>")
	require.Contains(t, d, `data-action="create-record" data-kind="lead"`)
	d = ben.get(t, "/inbox/c/"+conv+"/link?q=nobody").body
	require.Contains(t, d, "No lead or contact matches “nobody”.")
	require.Equal(t, http.StatusNotFound, ben.get(t, "/inbox/c/nope/link").status)
	require.Equal(t, http.StatusNotFound, ben.get(t, "/inbox?c=nope").status)
	require.Equal(t, http.StatusNotFound, ben.get(t, "/records/lead/L-404").status)
}

// The channel pages: the checklist, entry points, quota and administration, for admins only (channels are
// an admin's business: agents get a 403 page and no nav link); connecting from the form shows the
// webhook URL and the checklist.
func TestChannelPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	aiko, ben := w.signedIn(t, "aiko"), w.signedIn(t, "ben")

	list := aiko.get(t, "/channels").body
	require.Contains(t, list, "Tokyo shop")
	require.Contains(t, list, "Osaka support")
	require.Contains(t, list, `<form method="post" action="/channels" class="form" id="connect-form">`)
	require.Contains(t, aiko.get(t, "/inbox").body, `<a href="/channels"`)
	inbox := ben.get(t, "/inbox").body
	require.NotContains(t, inbox, `<a href="/channels"`, "no nav link for agents")
	for _, path := range []string{"/channels", "/channels/" + w.line.ID, "/channels/" + w.line.ID + "/qr.png", "/channels/" + w.line.ID + "/qr.svg"} {
		res := ben.get(t, path)
		require.Equal(t, http.StatusForbidden, res.status, path)
		require.Contains(t, res.body, "Only administrators can do this.", path)
		require.NotContains(t, res.body, "Tokyo shop", path)
	}

	page := aiko.get(t, "/channels/"+w.line.ID).body
	for _, want := range []string{
		`<li class="check ok">`, "Webhooks reach the CRM.",
		`value="https://chat.example.com/add/@1650" readonly`,
		`&lt;a href=&#34;https://chat.example.com/add/@1650&#34;&gt;Chat with us&lt;/a&gt;</textarea>`,
		"No monthly limit applies to this account.",
		"0 pushes (billable) and 0 replies (free). A push is a message sent on its own and counts against the quota",
		`action="/channels/` + w.line.ID + `/deactivate"`,
		`action="/channels/` + w.line.ID + `/assignment"`,
		`action="/channels/` + w.line.ID + `/check"`,
		// What assign.Route does: an automatic assignee no longer in the pool loses the conversation when
		// the customer next writes; not only new conversations follow a changed rule.
		"to one assigned automatically when its customer next writes",
	} {
		require.Contains(t, page, want)
	}
	require.NotContains(t, page, "Changes apply from the next one.")

	res := aiko.post(t, "/channels/"+w.line.ID+"/check", url.Values{"csrf": {aiko.csrf}}, "")
	require.Equal(t, http.StatusOK, res.status)
	require.Contains(t, res.body, "Checked again")

	res = aiko.post(t, "/channels/"+w.line.ID+"/assignment", url.Values{"csrf": {aiko.csrf}, "strategy": {"round_robin"},
		"pool": {"role"}, "poolIds": {"sales"}}, "")
	require.Equal(t, http.StatusSeeOther, res.status, res.body)
	require.Contains(t, aiko.get(t, res.header.Get("Location")).body, "moves when its customer next writes")
	ch, err := w.s.GetChannel(t.Context(), w.line.ID)
	require.NoError(t, err)
	require.Equal(t, store.AssignmentRule{Strategy: "round_robin", Pool: store.PoolRole, PoolIDs: []string{"sales"}}, ch.Assignment)

	// Connecting: a missing field, then a refusal, then success with the webhook URL and checklist.
	form := url.Values{"csrf": {aiko.csrf}, "kind": {"line"}, "name": {"Kyoto shop"}, "cred.line.account": {"1777"}}
	res = aiko.post(t, "/channels", form, "")
	require.Equal(t, http.StatusUnprocessableEntity, res.status)
	require.Contains(t, res.body, "Channel secret is required.")
	require.Contains(t, res.body, `value="1777"`, "what was typed is kept, but secrets")
	form.Set("cred.line.secret", "shh")
	form.Set("cred.line.token", "revoked")
	res = aiko.post(t, "/channels", form, "")
	require.Equal(t, http.StatusUnprocessableEntity, res.status)
	require.Contains(t, res.body, "Access token: ")
	require.NotContains(t, res.body, "shh")
	form.Set("cred.line.token", "fine")
	res = aiko.post(t, "/channels", form, "")
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.Contains(t, res.body, "Connected. Set the webhook URL below")
	require.Contains(t, res.body, `<input id="webhook-url" value="https://inbox.test/webhooks/`)
	require.Contains(t, res.body, "Webhooks reach the CRM.")
	require.NotContains(t, res.body, "shh")
	res = ben.post(t, "/channels", form, "")
	require.Equal(t, http.StatusForbidden, res.status)

	// The add-friend QR code, to show and to print.
	require.Contains(t, page, `<img src="/channels/`+w.line.ID+`/qr.png" alt="QR code of the add-friend link"`)
	res = aiko.get(t, "/channels/"+w.line.ID+"/qr.png")
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, "image/png", res.header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(res.body, "\x89PNG"))
	res = aiko.get(t, "/channels/"+w.line.ID+"/qr.svg")
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, "image/svg+xml", res.header.Get("Content-Type"))
	require.Contains(t, res.header.Get("Content-Security-Policy"), "sandbox")
	require.Equal(t, http.StatusNotFound, aiko.get(t, "/channels/nope/qr.png").status)
}

// Templates are saved through the API's checks: errors keep the form with the findings.
func TestTemplatesPage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	aiko := w.signedIn(t, "aiko")
	// Every merge field the template engine fills is listed, with when it is empty.
	page := aiko.get(t, "/templates").body
	for _, f := range []string{"contact.display_name", "contact.language", "agent.id", "record.kind", "record.id", "record.name",
		"record.owner", "record.order"} {
		require.Contains(t, page, "<code>{{"+f+"}}</code>", f)
	}
	require.Contains(t, page, "empty while the sender is not linked to a CRM record")
	res := aiko.post(t, "/templates", url.Values{"csrf": {aiko.csrf}, "name": {"bad"}, "body": {"Hi {{contact.shoe_size}}"}}, "")
	require.Equal(t, http.StatusUnprocessableEntity, res.status)
	require.Contains(t, res.body, `<li class="finding error">`)
	require.Contains(t, res.body, "Hi {{contact.shoe_size}}</textarea>", "the form keeps the text")
	res = aiko.post(t, "/templates", url.Values{"csrf": {aiko.csrf}, "name": {"Thanks"}, "kind": {"line"},
		"body": {"Thank you, {{contact.display_name}}!"}}, "")
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.Contains(t, res.body, "Saved “Thanks”.")
	require.Contains(t, res.body, `<span class="tag">LINE</span>`)
	list, err := w.s.ListTemplates(t.Context(), "")
	require.NoError(t, err)
	require.Len(t, list, 1)
	res = aiko.post(t, "/templates/"+list[0].ID+"/delete", url.Values{"csrf": {aiko.csrf}, "version": {"1"}}, "")
	require.Equal(t, http.StatusOK, res.status)
	require.Contains(t, res.body, "Template deleted.")
}

// The event stream says when the list or the open conversation changed, ends with the session, and is
// bounded: a stream per slot, freed when the client goes away, all ended by Close.
func TestEventStream(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{poll: 20 * time.Millisecond, maxStreams: 1})
	conv := w.customer(t, w.line, "U1", "Hanako", channel.Text("hello"))
	ben := w.signedIn(t, "ben")

	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.srv.URL+"/events?c="+conv, nil)
	require.NoError(t, err)
	res, err := ben.c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	events := bufio.NewReader(res.Body)
	first := nextEvent(t, events)
	require.Equal(t, "change", first.name, "the page had no versions: a change at once")

	// A second stream while the only slot is taken: refused.
	busy := ben.get(t, "/events")
	require.Equal(t, http.StatusServiceUnavailable, busy.status)

	w.customer(t, w.line, "U1", "", channel.Text("are you there?"))
	second := nextEvent(t, events)
	require.Equal(t, "change", second.name)
	require.NotEqual(t, first.data, second.data)
	require.Contains(t, second.data, `"thread":`)

	// The client goes away: its slot is freed.
	cancel()
	require.Eventually(t, func() bool {
		r := w.client()
		r.c.Jar = ben.c.Jar
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.srv.URL+"/events", nil)
		res, err := r.c.Do(req)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond)

	// Close ends the open streams (a server shutting down).
	req, err = http.NewRequestWithContext(t.Context(), http.MethodGet, w.srv.URL+"/events", nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		res, err = ben.c.Do(req)
		return err == nil && res.StatusCode == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond)
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	require.Equal(t, "change", nextEvent(t, rd).name)
	w.web.Close()
	_, err = rd.ReadString(0)
	require.Error(t, err, "the stream ends")
	require.Equal(t, http.StatusServiceUnavailable, ben.get(t, "/events").status, "and new ones are refused")
}

// The stream says "signedout" when the session ends.
func TestEventStreamEndsWithTheSession(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{poll: 20 * time.Millisecond})
	ben := w.signedIn(t, "ben")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, w.srv.URL+"/events", nil)
	require.NoError(t, err)
	res, err := ben.c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	require.Equal(t, "change", nextEvent(t, rd).name)
	w.clock.Advance(13 * time.Hour) // past the session's 12 hours
	require.Equal(t, "signedout", nextEvent(t, rd).name)
}

type sse struct{ name, data string }

// nextEvent reads the stream's next event, skipping comments and the retry hint.
func nextEvent(t *testing.T, r *bufio.Reader) sse {
	t.Helper()
	var ev sse
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && ev.name != "":
			return ev
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data = strings.TrimPrefix(line, "data: ")
		}
	}
}

func conversationOf(t *testing.T, w *world, ch store.Channel, user string) string {
	t.Helper()
	list, _, err := w.s.ListConversations(t.Context(), store.View{ChannelID: ch.ID}, store.Page{Limit: store.MaxLimit})
	require.NoError(t, err)
	for _, c := range list {
		if c.Conversation.Peer.ID == user {
			return c.Conversation.ID
		}
	}
	t.Fatalf("no conversation with %s", user)
	return ""
}

func link(t *testing.T, w *world, conv string, kind store.RecordKind, id string) {
	t.Helper()
	linker, err := linking.New(w.s, w.crm)
	require.NoError(t, err)
	c, err := w.s.GetConversation(t.Context(), conv)
	require.NoError(t, err)
	_, err = linker.Link(t.Context(), c.ContactID, kind, id, "ben")
	require.NoError(t, err)
}

// An inbound image is shown, and a file offered for download, through the signed URLs of msgkit's own
// copies; their names are text.
func TestInboundMedia(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	fake := w.fakes[w.line.ID]
	fake.SetContent("img-1", "image/png", smallPNG(t))
	fake.SetContent("file-1", "application/pdf", []byte("%PDF-1.7\n%%EOF\n"))
	conv := w.customer(t, w.line, "U1", "Hanako", channel.Message{ID: "img-1", Type: channel.TypeImage, Media: &channel.Media{}})
	w.customer(t, w.line, "U1", "", channel.Message{ID: "file-1", Type: channel.TypeFile, Media: &channel.Media{FileName: hostileImg + ".pdf", Size: 15}})
	ben := w.signedIn(t, "ben")
	pane := ben.get(t, "/inbox/c/"+conv).body

	img := regexp.MustCompile(`<a class="media-image" href="([^"]+)"[^>]*><img src="([^"]+)" alt="Photo"`).FindStringSubmatch(pane)
	require.NotNil(t, img, "the photo is shown")
	src := html.UnescapeString(img[2])
	require.True(t, strings.HasPrefix(src, w.srv.URL+"/media/inbound/"), src)
	require.Contains(t, src, "sig=")
	res := w.client().get(t, strings.TrimPrefix(src, w.srv.URL))
	require.Equal(t, http.StatusOK, res.status, "the signed URL needs no session")
	require.Equal(t, "image/png", res.header.Get("Content-Type"))

	file := regexp.MustCompile(`<a class="download" href="([^"]+)"[^>]*download="([^"]*)">Download</a>`).FindStringSubmatch(pane)
	require.NotNil(t, file, "the file is offered for download")
	require.Equal(t, "&lt;img src=x onerror=alert(1)&gt;.pdf", file[2])
	require.Contains(t, pane, "<strong>&lt;img src=x onerror=alert(1)&gt;.pdf</strong>")
	res = w.client().get(t, strings.TrimPrefix(html.UnescapeString(file[1]), w.srv.URL))
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, "%PDF-1.7\n%%EOF\n", res.body)

	// A copy that could not be made says so, and shows no link.
	w.customer(t, w.line, "U1", "", channel.Message{ID: "img-gone", Type: channel.TypeImage, Media: &channel.Media{}})
	pane = ben.get(t, "/inbox/c/"+conv).body
	require.Contains(t, pane, `<small class="media-note">Could not be fetched from the channel (`)
	require.Equal(t, 3, strings.Count(pane, "/media/inbound/"), "the photo's link and image, the file's link: none for the lost one")
}

func smallPNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{R: uint8(120 + x), G: uint8(160 + y), B: 220, A: 255})
		}
	}
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// The reply box offers an upload and the CRM's and the drive's files; a source's picker lists and
// searches its files, as text; the chosen files go out with the reply, and a file the channel cannot
// take is refused with a reason the agent can read.
func TestAttachments(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	w.crmFiles.add("Q-118", "quote-118.pdf", "application/pdf", []byte("%PDF-1.7\n%%EOF\n"))
	w.crmFiles.add("X-1", hostileScript+".pdf", "application/pdf", []byte("%PDF-1.7\n%%EOF\n"))
	w.crmFiles.add("BIG", "catalogue-2026.pdf", "application/pdf", bytes.Repeat([]byte("%"), 5<<20))
	w.drive.add("D-7", "shop-map.png", "image/png", smallPNG(t))
	conv := w.customer(t, w.line, "U1", "Hanako", channel.Text("Can you send the quote?"))
	ben := w.signedIn(t, "ben")

	pane := ben.get(t, "/inbox/c/"+conv).body
	require.Contains(t, pane, `<label class="source" for="upload-input">`)
	require.Contains(t, pane, `data-action="source" data-source="crm" aria-controls="picker">`)
	require.Contains(t, pane, `Cloud drive</button>`)

	crm := ben.get(t, "/inbox/files/crm")
	require.Equal(t, http.StatusOK, crm.status)
	require.Contains(t, crm.body, `data-action="pick" data-source="crm" data-ref="Q-118" data-name="quote-118.pdf" data-size="15 bytes"`)
	require.Contains(t, crm.body, `<span class="file-name">&lt;script&gt;alert(1)&lt;/script&gt;.pdf</span>`)
	require.NotContains(t, crm.body, "<script>alert")
	found := ben.get(t, "/inbox/files/drive?q=MAP").body
	require.Contains(t, found, `data-ref="D-7" data-name="shop-map.png"`)
	require.Contains(t, ben.get(t, "/inbox/files/drive?q="+url.QueryEscape(hostileImg)).body,
		"No file in Cloud drive matches “&lt;img src=x onerror=alert(1)&gt;”.")
	require.Equal(t, http.StatusNotFound, ben.get(t, "/inbox/files/nope").status)
	require.Equal(t, http.StatusUnauthorized, w.client().get(t, "/inbox/files/crm").status)

	// An upload needs the session's CSRF token, like every change.
	require.Equal(t, http.StatusForbidden, ben.upload(t, "photo.png", smallPNG(t), false).status)
	up := ben.upload(t, "photo.png", smallPNG(t), true)
	require.Equal(t, http.StatusOK, up.status, up.body)
	var file struct{ Source, Ref string }
	require.NoError(t, json.Unmarshal([]byte(up.body), &file))
	require.Equal(t, "uploads", file.Source)

	// The reply carries the upload, a CRM file and a drive file.
	res := ben.api(t, http.MethodPost, "/api/conversations/"+conv+"/reply", fmt.Sprintf(`{"text": "Here you are", "attachments": [
		{"source": %q, "ref": %q, "name": "photo.png"}, {"source": "crm", "ref": "Q-118"}, {"source": "drive", "ref": "D-7"}]}`, file.Source, file.Ref))
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.Len(t, w.fakes[w.line.ID].Delivered(), 4)
	pane = ben.get(t, "/inbox/c/"+conv).body
	require.Contains(t, pane, `<p class="text">Here you are</p>`)
	require.Contains(t, pane, ">quote-118.pdf</a>")

	// Too large for the channel even as a link: 422 with why, and nothing is sent.
	res = ben.api(t, http.MethodPost, "/api/conversations/"+conv+"/reply", `{"text": "The catalogue", "attachments": [{"source": "crm", "ref": "BIG"}]}`)
	require.Equal(t, http.StatusUnprocessableEntity, res.status, res.body)
	require.Contains(t, res.body, "the file is larger than this channel takes")
	require.Len(t, w.fakes[w.line.ID].Delivered(), 4)
}

// notes posts the notification panel's form as its script does and returns the answer (the panel).
func (a *agent) notes(t *testing.T, form url.Values) answer {
	t.Helper()
	form.Set("csrf", a.csrf)
	return a.post(t, "/notifications", form, "")
}

// The bell's panel: the user's notifications with the unread count; mark read, snooze (an hour,
// tomorrow 9:00 in the user's zone, a chosen time, until the customer writes), reply later; a snoozed
// conversation leaves the list and its end comes back as a notification. Signed-in users only, forms
// with the session's CSRF token, every name and message escaped.
func TestNotifications(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	conv := w.customer(t, w.line, "U1", "Hanako", channel.Text("hello"))
	hostile := w.customer(t, w.wa, "W1", hostileImg, channel.Text("first"))
	for _, c := range []string{conv, hostile} {
		_, err := w.s.AssignConversation(t.Context(), store.Assignment{ConversationID: c, To: "ben", By: "aiko", Reason: store.AssignManual})
		require.NoError(t, err)
	}
	w.clock.Advance(time.Minute)
	w.customer(t, w.line, "U1", "", channel.Text("Is the blue kettle in stock?"))
	w.customer(t, w.wa, "W1", "", channel.Text(hostileScript))
	ben := w.signedIn(t, "ben")

	// Signed-in users only; changes need the session's token and this site's origin.
	require.Equal(t, http.StatusUnauthorized, w.client().get(t, "/notifications").status)
	anon := w.client().post(t, "/notifications", url.Values{"do": {"read-all"}}, "")
	require.Equal(t, http.StatusUnauthorized, anon.status)
	panel := ben.get(t, "/notifications")
	require.Equal(t, http.StatusOK, panel.status)
	body := panel.body
	require.Contains(t, body, `data-unread="2" data-badge="2"`)
	require.Contains(t, body, `<span class="who">Hanako</span>`)
	require.Contains(t, body, `<span class="note-preview">Is the blue kettle in stock?</span>`)
	require.Contains(t, body, "New message · ")
	require.Contains(t, body, `<span class="who">&lt;img src=x onerror=alert(1)&gt;</span>`)
	require.Contains(t, body, `<span class="note-preview">&lt;script&gt;alert(1)&lt;/script&gt;</span>`)
	require.NotContains(t, body, "<script>alert")
	require.NotContains(t, body, "<img src=x")
	require.Contains(t, body, `title="Sat, Nov 28 2026, 09:00 UTC">Until tomorrow 9:00</button>`)
	note := regexp.MustCompile(`<li class="notification unread" data-id="([^"]+)" data-conversation="` + conv + `">`).FindStringSubmatch(body)
	require.NotNil(t, note)
	for name, c := range map[string]struct {
		form   url.Values
		origin string
	}{
		"no token":      {url.Values{"do": {"read"}, "id": {note[1]}}, ""},
		"another token": {url.Values{"do": {"read"}, "id": {note[1]}, "csrf": {w.signedIn(t, "chika").csrf}}, ""},
		"cross-site":    {url.Values{"do": {"read"}, "id": {note[1]}, "csrf": {ben.csrf}}, "https://evil.example"},
	} {
		res := ben.post(t, "/notifications", c.form, c.origin)
		require.Equal(t, http.StatusForbidden, res.status, name)
	}
	require.Contains(t, ben.get(t, "/notifications").body, `data-unread="2"`, "nothing was marked")

	// Mark one read.
	res := ben.notes(t, url.Values{"do": {"read"}, "id": {note[1]}})
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.Contains(t, res.body, `data-unread="1" data-badge="1"`)
	require.Contains(t, res.body, `<li class="notification" data-id="`+note[1]+`"`)

	// Snooze for an hour: it leaves the list for "Snoozed", and its notifications are read.
	res = ben.notes(t, url.Values{"do": {"snooze-1h"}, "conversation": {hostile}})
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.Contains(t, res.body, `data-unread="0" data-badge=""`)
	require.NotContains(t, res.body, `<li class="notification unread" data-id=`)
	require.NotRegexp(t, `data-id="[^"]+" data-conversation="`+hostile+`"`, res.body, "not in the list")
	require.Regexp(t, `(?s)<h3>Snoozed</h3>.*data-conversation="`+hostile+`".*Until Fri, Nov 27 2026, 10:01 UTC.*value="unsnooze"`, res.body)
	require.Contains(t, ben.get(t, "/inbox/list").body, "Snoozed till 10:01")
	// Messages meanwhile signal nothing; at its end the conversation is back, with a notification.
	w.customer(t, w.wa, "W1", "", channel.Text("hello?"))
	require.Contains(t, ben.get(t, "/notifications").body, `data-unread="0"`)
	w.clock.Advance(61 * time.Minute)
	_, err := w.svc.Flush(t.Context())
	require.NoError(t, err)
	body = ben.get(t, "/notifications").body
	require.Contains(t, body, `data-unread="1" data-badge="1"`)
	require.Regexp(t, `(?s)<li class="notification unread" data-id="[^"]+" data-conversation="`+hostile+`">.*Snooze ended · `, body)
	require.NotContains(t, body, "<h3>Snoozed</h3>")

	// Until they reply: back with their next message.
	res = ben.notes(t, url.Values{"do": {"snooze-reply"}, "conversation": {conv}})
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.Regexp(t, `(?s)<h3>Snoozed</h3>.*Until they write again`, res.body)
	require.Contains(t, ben.get(t, "/inbox/list").body, "Snoozed till they write")
	w.clock.Advance(time.Minute)
	w.customer(t, w.line, "U1", "", channel.Text("Any news?"))
	body = ben.get(t, "/notifications").body
	require.NotContains(t, body, "Until they write again")
	require.Contains(t, body, `<span class="note-preview">Any news?</span>`)
	require.Contains(t, body, `<span class="note-preview">Is the blue kettle in stock?</span>`,
		"each notification shows its own message, not the conversation's latest")

	// Reply later, then notify again.
	res = ben.notes(t, url.Values{"do": {"ignore"}, "conversation": {conv}})
	require.Regexp(t, `(?s)<h3>Snoozed</h3>.*Reply later: until they write again.*value="unignore"`, res.body)
	res = ben.notes(t, url.Values{"do": {"unignore"}, "conversation": {conv}})
	require.NotContains(t, res.body, "<h3>Snoozed</h3>")

	// A chosen time is read in the user's zone; tomorrow 9:00 is the user's 9:00.
	res = ben.notes(t, url.Values{"do": {"snooze-custom"}, "conversation": {conv}, "at": {"2026-11-27T20:30"}})
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.Equal(t, time.Date(2026, 11, 27, 20, 30, 0, 0, time.UTC), snoozedUntil(t, w, conv, "ben"))
	res = ben.notes(t, url.Values{"do": {"unsnooze"}, "conversation": {conv}})
	require.Equal(t, http.StatusOK, res.status)
	require.True(t, snoozedUntil(t, w, conv, "ben").IsZero())
	for _, at := range []string{"2026-11-27T08:00", "tomorrow", ""} {
		res = ben.notes(t, url.Values{"do": {"snooze-custom"}, "conversation": {conv}, "at": {at}})
		require.Equal(t, http.StatusUnprocessableEntity, res.status, at)
		require.Contains(t, res.body, "Choose a date and time in the future to snooze until.")
	}
	aiko := w.signedIn(t, "aiko") // Asia/Tokyo: 18:00 + 61 min there
	res = aiko.notes(t, url.Values{"do": {"snooze-tomorrow"}, "conversation": {conv}})
	require.Equal(t, http.StatusOK, res.status, res.body)
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 11, 28, 9, 0, 0, 0, tokyo).UTC(), snoozedUntil(t, w, conv, "aiko").UTC())
	require.True(t, snoozedUntil(t, w, conv, "ben").IsZero(), "a snooze is the user's own")
	require.Equal(t, http.StatusNotFound, ben.notes(t, url.Values{"do": {"snooze-1h"}, "conversation": {"nope"}}).status)
	require.Equal(t, http.StatusBadRequest, ben.notes(t, url.Values{"do": {"explode"}, "conversation": {conv}}).status)

	// Mark all read.
	body = ben.get(t, "/notifications").body
	through := regexp.MustCompile(`name="through" value="([^"]+)"`).FindStringSubmatch(body)
	require.NotNil(t, through)
	res = ben.notes(t, url.Values{"do": {"read-all"}, "through": {through[1]}})
	require.Contains(t, res.body, `data-unread="0" data-badge=""`)
	require.Contains(t, res.body, "All read")
}

func snoozedUntil(t *testing.T, w *world, conv, user string) time.Time {
	t.Helper()
	st, err := w.s.GetNotificationState(t.Context(), conv, user)
	require.NoError(t, err)
	return st.SnoozedUntil
}

// The bell is live on every page: a notifications-only stream says when they changed.
func TestNotificationStream(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{poll: 20 * time.Millisecond})
	conv := w.customer(t, w.line, "U1", "Hanako", channel.Text("hello"))
	_, err := w.s.AssignConversation(t.Context(), store.Assignment{ConversationID: conv, To: "ben", By: "aiko", Reason: store.AssignManual})
	require.NoError(t, err)
	ben := w.signedIn(t, "ben")
	version := regexp.MustCompile(`data-version="([^"]+)"`).FindStringSubmatch(ben.get(t, "/notifications").body)[1]

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, w.srv.URL+"/events?scope=notifications&nv="+version, nil)
	require.NoError(t, err)
	res, err := ben.c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	w.customer(t, w.line, "U1", "", channel.Text("are you there?"))
	ev := nextEvent(t, rd)
	require.Equal(t, "change", ev.name)
	require.NotContains(t, ev.data, version)
	require.NotContains(t, ev.data, `"list"`, "the notifications only")
	next := regexp.MustCompile(`data-version="([^"]+)"`).FindStringSubmatch(ben.get(t, "/notifications").body)[1]
	require.Equal(t, `{"notes":"`+next+`"}`, ev.data, "the panel's version is the stream's")
}

// In the demo, an admin has a customer write from the page /demo; agents cannot, and without the demo
// there is no such page.
func TestDemoCustomerPage(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []web.DemoMessage
	w := newWorld(t, worldOptions{demoCustomer: func(_ context.Context, m web.DemoMessage) error {
		mu.Lock()
		defer mu.Unlock()
		if m.Type == "dance" {
			return errors.New(`"type" "dance" is not one the demo sends`)
		}
		got = append(got, m)
		return nil
	}})
	aiko, ben := w.signedIn(t, "aiko"), w.signedIn(t, "ben")
	require.Contains(t, aiko.get(t, "/inbox").body, `<a href="/demo"`)
	require.NotContains(t, ben.get(t, "/inbox").body, `<a href="/demo"`)
	require.Equal(t, http.StatusForbidden, ben.get(t, "/demo").status)
	page := aiko.get(t, "/demo")
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.body, `<option value="location">Location (LINE)</option>`)

	form := url.Values{"csrf": {aiko.csrf}, "channel": {"line"}, "user": {"U9"}, "name": {"Hiro"}, "type": {"emoji"}, "text": {"Hi $"}}
	require.Equal(t, http.StatusForbidden, ben.post(t, "/demo", url.Values{"csrf": {ben.csrf}, "user": {"U9"}}, "").status)
	require.Equal(t, http.StatusForbidden, aiko.post(t, "/demo", url.Values{"user": {"U9"}}, "").status, "the form needs the CSRF token")
	res := aiko.post(t, "/demo", form, "")
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.Contains(t, res.body, "Sent through the channel&#39;s webhook")
	form.Set("type", "dance")
	res = aiko.post(t, "/demo", form, "")
	require.Equal(t, http.StatusUnprocessableEntity, res.status)
	require.Contains(t, res.body, "Not sent: ")
	mu.Lock()
	require.Equal(t, []web.DemoMessage{{Channel: "line", User: "U9", Name: "Hiro", Type: "emoji", Text: "Hi $"}}, got)
	mu.Unlock()

	plain := newWorld(t, worldOptions{})
	admin := plain.signedIn(t, "aiko")
	require.Equal(t, http.StatusNotFound, admin.get(t, "/demo").status)
	require.NotContains(t, admin.get(t, "/inbox").body, `<a href="/demo"`)
}
