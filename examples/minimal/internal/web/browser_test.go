package web_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
)

var update = flag.Bool("update", false, "write the inbox screenshot to docs/inbox.png for the README")

// screenshots is where the browser test leaves its screenshots (git-ignored).
const screenshots = "screenshots"

// chromium returns the browser to drive, or skips (fails in CI) when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("MSGKIT_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium found: the browser test needs Debian's chromium package (apt-get install chromium), " +
		"or MSGKIT_CHROMIUM naming a Chrome binary (bash .ci/run installs it)."
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// An agent uses the inbox in a real browser: signs in, sees a LINE and a WhatsApp conversation, links
// one to a record, replies with a template, sees a new message arrive without a reload, and hostile
// text shows as text (no dialog opens).
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	w := newWorld(t, worldOptions{realTime: true, poll: 200 * time.Millisecond})
	ids := seedDemo(t, w)
	require.NoError(t, os.MkdirAll(screenshots, 0o755))

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second) // the whole test, browser start included
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1440, 900), chromedp.UserDataDir(t.TempDir()), chromedp.Flag("lang", "en-US"),
		chromedp.Flag("ignore-certificate-errors", true)) // the test server's certificate
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	// Any dialog (an alert from injected script) is recorded and dismissed.
	var mu sync.Mutex
	var dialogs []string
	opened := chromedp.Events(bctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range opened {
			if err != nil {
				return
			}
			mu.Lock()
			dialogs = append(dialogs, ev.Message)
			mu.Unlock()
			_, _ = chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	noDialogs := func() {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		require.Empty(t, dialogs, "no script of a customer's ran")
	}
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(bctx, actions...))
	}
	// click clicks sel with the mouse, again if the live refresh replaced the element between finding
	// and clicking it.
	click := func(sel string) {
		t.Helper()
		for try := 0; ; try++ {
			err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(sel)))
			if err == nil {
				return
			}
			if try == 4 || !(strings.Contains(err.Error(), "Could not find node") || strings.Contains(err.Error(), "detached")) {
				require.NoError(t, err, sel)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	eval := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Evaluate[string](js))
		require.NoError(t, err, js)
		return s
	}
	// waitJS waits until the expression is true.
	waitJS := func(what, js string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](js))
			require.NoError(t, err, js)
			if ok {
				return
			}
			if time.Now().After(deadline) {
				shot(t, bctx, "failed-"+strings.ReplaceAll(what, " ", "-"))
				t.Fatalf("waited 15s for %s: %s", what, js)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// Sign in.
	do(chromedp.Navigate(w.srv.URL+"/inbox"), chromedp.WaitVisible(chromedp.ID("password")))
	shot(t, bctx, "signin")
	do(chromedp.SendKeys(chromedp.ID("user"), "aiko"), chromedp.SendKeys(chromedp.ID("password"), "aiko-password"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("rows")))
	waitJS("the live indicator", `document.getElementById('live').classList.contains('on')`)

	// A LINE conversation and a WhatsApp one, each showing its app and account.
	apps := eval(`JSON.stringify([...document.querySelectorAll('#rows .row')].map(r => r.querySelector('.app').title + ' | ' + r.querySelector('.name').textContent))`)
	require.Contains(t, apps, "Came in on LINE · account Shop 1650 | Hanako Yamada")
	require.Contains(t, apps, "Came in on WhatsApp · account Shop 81900 | Taro Suzuki")

	// Open Hanako's conversation (without a reload from here on).
	click(`.row[data-id="` + ids.hanako + `"]`)
	do(chromedp.WaitVisible(chromedp.ID("conv")))
	eval(`window.__noReload = 'still here'; ''`)
	require.Contains(t, eval(`document.location.search`), "c="+ids.hanako)

	// Link the sender to the suggested lead.
	click(`#conv-head [data-action="link"]`)
	do(chromedp.WaitVisible(chromedp.CSS(`#link-records [data-action="link-record"]`)))
	shot(t, bctx, "link-dialog")
	click(`#link-records [data-record="L-100"]`)
	waitJS("the linked indicator", `document.querySelector('#conv-head .linked')?.textContent.includes('Lead: Hanako Yamada') === true`)
	waitJS("the linked row", `document.querySelector('.row[data-id="`+ids.hanako+`"] .linked')?.textContent.includes('Hanako Yamada') === true`)

	// Hovering the sender says which app and account the message came from.
	require.Equal(t, "From Hanako Yamada on LINE · account Shop 1650", eval(`document.querySelector('#thread .msg.in').title`))

	// A file the channel cannot take: the reply is refused with why, and nothing goes out.
	sent := len(w.fakes[w.line.ID].Delivered())
	do(chromedp.Click(chromedp.CSS(`#composer [data-action="attach"]`)), chromedp.Click(chromedp.CSS(`[data-action="source"][data-source="crm"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#picker [data-action="pick"][data-ref="CAT-2026"]`)))
	do(chromedp.Click(chromedp.CSS(`#picker [data-action="pick"][data-ref="CAT-2026"]`)), chromedp.SendKeys(chromedp.ID("reply-text"), "Here is our catalogue."),
		chromedp.Click(chromedp.ID("send")))
	waitJS("the refusal", `document.getElementById('composer-error').textContent.startsWith('Not sent: attachment 1 (crm): the file is larger than this channel takes')`)
	shot(t, bctx, "attachment-refused")
	require.Len(t, w.fakes[w.line.ID].Delivered(), sent, "nothing was sent")
	click(`#attachments li button`)
	eval(`document.getElementById('reply-text').value = ''; ''`)

	// Reply with a template and attachments: a CRM file and an upload, shown before sending. The preview
	// fills the merge fields from the record.
	eval(`(() => { const s = document.getElementById('template-select');
		s.value = [...s.options].find(o => o.textContent.includes('Order shipped')).value;
		s.dispatchEvent(new Event('change', {bubbles: true})); return ''; })()`)
	waitJS("the template preview", `document.getElementById('preview-text').textContent === 'Hi Hanako Yamada, your order #A-1042 has shipped! 📦'`)
	click(`#picker [data-action="pick"][data-ref="Q-118"]`)
	photo := filepath.Join(t.TempDir(), "blue-kettle.png")
	require.NoError(t, os.WriteFile(photo, photoPNG(t), 0o644))
	do(chromedp.SetUploadFiles(chromedp.ID("upload-input"), []string{photo}))
	waitJS("the chosen attachments", `[...document.querySelectorAll('#attachments li:not(.pending) .attachment-name')].map(e => e.textContent).join(' | ') ===
		'Quote Q-118 (Hanako Yamada).pdf | blue-kettle.png'`)
	shot(t, bctx, "template-preview")
	do(chromedp.Click(chromedp.ID("send")))
	waitJS("the reply in the thread", `[...document.querySelectorAll('#thread .msg.out .text')].some(e => e.textContent === 'Hi Hanako Yamada, your order #A-1042 has shipped! 📦')`)
	waitJS("the file in the thread", `[...document.querySelectorAll('#thread .msg.out a.link')].some(e => e.textContent === 'Quote Q-118 (Hanako Yamada).pdf')`)
	waitJS("the photo in the thread", `[...document.querySelectorAll('#thread .msg.out img')].some(i => i.complete && i.naturalWidth === 320)`)
	require.Empty(t, eval(`document.getElementById('composer-error').textContent`))
	require.Equal(t, "0", eval(`String(document.querySelectorAll('#attachments li').length)`), "the attachments went with it")
	got := w.fakes[w.line.ID].Delivered()[sent:]
	require.Len(t, got, 3, "the customer got the text, the photo and the quote")
	require.Equal(t, "Hi Hanako Yamada, your order #A-1042 has shipped! 📦", got[0].Text)
	require.Equal(t, channel.TypeLink, got[1].Type)
	require.Equal(t, channel.TypeImage, got[2].Type)

	// The customer answers: it appears without a reload, in the thread and the list, and the bell
	// counts the notification.
	w.clock.Advance(time.Second)
	w.customer(t, w.line, "U-hanako", "", channel.Text("Thank you! Can I change the delivery time? 🙏"))
	waitJS("the live message", `[...document.querySelectorAll('#thread .msg.in .text')].some(e => e.textContent === 'Thank you! Can I change the delivery time? 🙏')`)
	waitJS("the live row", `document.querySelector('.row[data-id="`+ids.hanako+`"] .preview').textContent.startsWith('Thank you! Can I change')`)
	waitJS("the bell's count", `(c => !c.hidden && c.textContent === '1')(document.getElementById('notification-count'))`)
	require.Equal(t, "still here", eval(`window.__noReload`), "no reload")
	shot(t, bctx, "inbox")
	if *update {
		b, err := os.ReadFile(filepath.Join(screenshots, "inbox.png"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join("..", "..", "..", "..", "docs", "inbox.png"), b, 0o644))
	}

	// Snooze the notification for an hour: it leaves the list and the count; at its end it comes back.
	note := `#notification-list .notification[data-conversation="` + ids.hanako + `"]`
	click(`.bell`)
	do(chromedp.WaitVisible(chromedp.CSS(note + `.unread`)))
	require.Contains(t, eval(`document.querySelector('`+note+`').textContent`), "Thank you! Can I change the delivery time?")
	click(note + ` details.snooze summary`)
	do(chromedp.WaitVisible(chromedp.CSS(note + ` button[value="snooze-1h"]`)))
	shot(t, bctx, "notifications")
	click(note + ` button[value="snooze-1h"]`)
	waitJS("the snoozed notification gone", `!document.querySelector('`+note+`') && !!document.querySelector('#snoozed-list [data-conversation="`+ids.hanako+`"]') &&
		document.getElementById('notification-count').hidden`)
	waitJS("the snoozed row", `document.querySelector('.row[data-id="`+ids.hanako+`"] .tag.snoozed')?.textContent.startsWith('Snoozed till') === true`)
	shot(t, bctx, "snoozed")
	w.clock.Advance(61 * time.Minute)
	_, err := w.svc.Flush(t.Context())
	require.NoError(t, err)
	waitJS("the snooze's end", `(c => !c.hidden && c.textContent === '1')(document.getElementById('notification-count')) &&
		document.querySelector('`+note+`.unread')?.textContent.includes('Snooze ended') === true`)
	// Opening it reads it and closes the panel.
	click(note + ` .note-open .who`)
	waitJS("the notification read", `document.getElementById('notification-count').hidden && document.getElementById('notifications').hidden`)
	require.Equal(t, ids.hanako, eval(`document.getElementById('conv').dataset.id`))
	require.Equal(t, "still here", eval(`window.__noReload`))

	// A hostile customer writes: their name and message are text, nothing runs.
	hostile := w.customer(t, w.wa, "W-hostile", hostileImg, channel.Text(hostileScript))
	waitJS("the hostile row", `!!document.querySelector('.row[data-id="`+hostile+`"]')`)
	require.Equal(t, hostileImg, eval(`document.querySelector('.row[data-id="`+hostile+`"] .name').textContent`))
	require.Equal(t, hostileScript, eval(`document.querySelector('.row[data-id="`+hostile+`"] .preview').textContent`))
	click(`.row[data-id="` + hostile + `"]`)
	waitJS("the hostile thread", `document.getElementById('conv')?.dataset.id === '`+hostile+`'`)
	require.Equal(t, hostileImg, eval(`document.querySelector('#conv-head h2').textContent`))
	require.Equal(t, hostileScript, eval(`document.querySelector('#thread .msg.in .text').textContent`))
	require.Equal(t, "0 0", eval(`document.querySelectorAll('img[src="x"], img[onerror]').length + ' ' +
		[...document.querySelectorAll('script')].filter(s => s.textContent.includes('alert')).length`))
	require.Equal(t, "still here", eval(`window.__noReload`))
	shot(t, bctx, "hostile")
	noDialogs()

	// The [+] of a row: create a contact from the sender's profile; then hand the conversation to Ben.
	click(`.row[data-id="` + ids.kenji + `"] .plus`)
	do(chromedp.WaitVisible(chromedp.CSS(`#link-body [data-action="create-record"][data-kind="contact"]`)))
	require.NotEqual(t, ids.kenji, eval(`document.getElementById('conv').dataset.id`), "the [+] opens the dialog, not the row")
	click(`#link-body [data-action="create-record"][data-kind="contact"]`)
	waitJS("the created contact", `document.querySelector('.row[data-id="`+ids.kenji+`"] .linked')?.textContent === 'Kenji Ito'`)
	click(`.row[data-id="` + ids.kenji + `"]`)
	waitJS("Kenji's conversation", `document.getElementById('conv')?.dataset.id === '`+ids.kenji+`'`)
	require.Contains(t, eval(`document.querySelector('#conv-head .linked').textContent`), "Contact: Kenji Ito")
	require.Contains(t, eval(`document.getElementById('thread').textContent`), "Sticker: thanks")
	waitJS("the customer's photo", `(i => !!i && i.complete && i.naturalWidth === 320)(document.querySelector('#thread .msg.in .media-image img'))`)
	require.Contains(t, eval(`document.querySelector('#thread .msg.in .media-image img').src`), "/media/inbound/", "msgkit's copy, signed")
	eval(`(() => { const s = document.querySelector('#conv-head select[data-action="assign"]'); s.value = 'ben';
		s.dispatchEvent(new Event('change', {bubbles: true})); return ''; })()`)
	waitJS("the new assignee", `document.querySelector('.row[data-id="`+ids.kenji+`"] .assignee')?.textContent === 'Ben Carter'`)
	require.Equal(t, "still here", eval(`window.__noReload`))
	noDialogs()

	// On WhatsApp past its 24 hours, the reply box takes templates only.
	click(`.row[data-id="` + ids.sofia + `"]`)
	waitJS("Sofia's conversation", `document.getElementById('conv')?.dataset.id === '`+ids.sofia+`'`)
	require.Equal(t, "Window closed: only templates can be sent until the customer writes again.", eval(`document.getElementById('reply-window').textContent`))
	require.Equal(t, "true false", eval(`document.getElementById('reply-text').disabled + ' ' + document.getElementById('send').disabled`))
	shot(t, bctx, "templates-only")

	// The record's timeline.
	do(chromedp.Navigate(w.srv.URL+"/records/lead/L-100"), chromedp.WaitVisible(chromedp.ID("timeline")))
	require.Contains(t, eval(`document.getElementById('timeline').textContent`), "Thank you! Can I change the delivery time?")
	shot(t, bctx, "timeline")

	// The channel's page: checklist, entry points, quota.
	do(chromedp.Navigate(w.srv.URL+"/channels/"+w.line.ID), chromedp.WaitVisible(chromedp.CSS(".checks")))
	require.Equal(t, "true", eval(`String(document.querySelector('.qr img').naturalWidth > 0)`), "the QR code loads")
	shot(t, bctx, "channel")
	// The bell is live on every page.
	waitJS("the bell's stream", `document.getElementById('notes').dataset.version !== undefined && document.getElementById('notification-count').hidden`)
	w.clock.Advance(time.Second)
	w.customer(t, w.line, "U-hanako", "", channel.Text("Would 7 pm work?"))
	waitJS("the bell off the inbox", `(c => !c.hidden && c.textContent === '1')(document.getElementById('notification-count'))`)
	noDialogs()
}

// shot saves a screenshot of the window as screenshots/<name>.png.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(screenshots, name+".png"), b, 0o644))
}

type demoIDs struct{ hanako, kenji, sofia string }

// seedDemo fills the inbox as a small shop's would look: LINE and WhatsApp customers, some linked, some
// assigned, replies in several states.
func seedDemo(t *testing.T, w *world) demoIDs {
	t.Helper()
	now := time.Now()
	at := func(ago time.Duration) time.Time { return now.Add(-ago) }
	msg := func(ch store.Channel, user, name string, ago time.Duration, m channel.Message) string {
		if name != "" {
			w.fakes[ch.ID].SetProfile(channel.Profile{UserID: user, DisplayName: name})
		}
		w.mu.Lock()
		w.seq++
		n := w.seq
		w.mu.Unlock()
		if m.ID == "" {
			m.ID = fmt.Sprint("seed-", n)
		}
		return w.event(t, ch, channel.Event{ID: fmt.Sprint("seed-ev-", n), Kind: channel.EventMessage, Time: at(ago),
			Source: channel.User(user), ReplyToken: fmt.Sprint("rt-", n), Message: &m})
	}
	reply := func(conv, agent string, ago time.Duration, text string) {
		w.clock.Advance(-ago) // replied then
		defer w.clock.Advance(ago)
		_, err := w.svc.Reply(t.Context(), conv, agent, conversation.Reply{Text: text})
		require.NoError(t, err)
	}
	assign := func(conv, to string) {
		_, err := w.s.AssignConversation(t.Context(), store.Assignment{ConversationID: conv, To: to, By: "aiko", Reason: store.AssignManual})
		require.NoError(t, err)
	}
	w.crm.Add(linking.Record{Kind: store.RecordLead, ID: "L-100", DisplayName: "Hanako Yamada", Owner: "aiko",
		Fields: map[string]string{"order": "#A-1042"}})
	w.crm.Add(linking.Record{Kind: store.RecordContact, ID: "C-200", DisplayName: "Taro Suzuki", Owner: "aiko"})
	w.crm.Add(linking.Record{Kind: store.RecordContact, ID: "C-201", DisplayName: "Mei Lin (Lotus Café)", Owner: "ben"})
	_, err := w.s.CreateTemplate(t.Context(), store.Template{Name: "Order shipped",
		Body: "Hi {{record.name}}, your order {{record.order}} has shipped! 📦"})
	require.NoError(t, err)
	_, err = w.s.CreateTemplate(t.Context(), store.Template{Name: "Thanks for registering",
		Body: "Thank you for registering, {{contact.display_name}}! Reply here any time."})
	require.NoError(t, err)

	taro := msg(w.wa, "W-taro", "Taro Suzuki", 26*time.Hour, channel.Text("Hello, is the store open on Sunday?"))
	reply(taro, "ben", 25*time.Hour, "Hi Taro, yes: 10:00 to 18:00 on Sundays.")
	msg(w.wa, "W-taro", "", 3*time.Hour, channel.Text("Great, see you then 👍"))
	link(t, w, taro, store.RecordContact, "C-200")
	assign(taro, "ben")

	mei := msg(w.line, "U-mei", "Mei Lin", 50*time.Hour, channel.LocationMessage("Lotus Café", "2-4-1 Shibuya, Tokyo", 35.659, 139.703))
	msg(w.line, "U-mei", "", 49*time.Hour, channel.Text("Could you deliver 20 boxes here on Friday?"))
	reply(mei, "chika", 48*time.Hour, "Of course! Friday morning works.")
	link(t, w, mei, store.RecordContact, "C-201")
	assign(mei, "chika")

	st := channel.StickerMessage("11537", "52002734")
	st.Sticker.Keywords = []string{"thanks"}
	msg(w.line, "U-kenji", "Kenji Ito", 90*time.Minute, st)
	w.fakes[w.line.ID].SetContent("kenji-photo", "image/png", photoPNG(t))
	kenji := msg(w.line, "U-kenji", "", 85*time.Minute, channel.Message{ID: "kenji-photo", Type: channel.TypeImage, Media: &channel.Media{}})
	assign(kenji, "aiko")

	sofia := msg(w.wa, "W-sofia", "Sofia Garcia", 30*time.Hour, channel.Text("Do you offer gift wrapping? It's for my mother's birthday 🎁"))

	msg(w.line, "U-new", "", 40*time.Minute, channel.Text("Hi! I saw your flyer. Do you ship to Osaka?"))

	hanako := msg(w.line, "U-hanako", "Hanako Yamada", 25*time.Minute, channel.Text("Hello! I ordered the blue kettle last week 😊"))
	msg(w.line, "U-hanako", "", 24*time.Minute, channel.Text("Has it shipped yet?"))
	assign(hanako, "aiko")
	w.crmFiles.add("Q-118", "Quote Q-118 (Hanako Yamada).pdf", "application/pdf", append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte(" "), 48<<10)...))
	w.crmFiles.add("CAT-2026", "Catalogue 2026 (print).pdf", "application/pdf", bytes.Repeat([]byte("%"), 5<<20))
	w.drive.add("D-7", "Shop map.png", "image/png", photoPNG(t))
	return demoIDs{hanako: hanako, kenji: kenji, sofia: sofia}
}

// photoPNG is a small picture: a warm sky over a green hill, for the demo's photos.
func photoPNG(t *testing.T) []byte {
	t.Helper()
	const wd, ht = 320, 220
	img := image.NewRGBA(image.Rect(0, 0, wd, ht))
	for y := range ht {
		for x := range wd {
			c := color.RGBA{R: uint8(255 - y/3), G: uint8(170 + y/4), B: uint8(120 + y/3), A: 255}
			dx, dy := float64(x-220), float64(y-60)
			if dx*dx+dy*dy < 900 {
				c = color.RGBA{R: 255, G: 214, B: 102, A: 255} // the sun
			}
			if float64(y) > 150+30*math.Sin(float64(x)/50) {
				c = color.RGBA{R: 60, G: uint8(140 + x/8), B: 80, A: 255} // the hill
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}
