package web

import (
	"net/http"
	"strings"
)

// DemoMessage is what a demo customer writes, from the page /demo (see Deps.DemoCustomer).
type DemoMessage struct {
	Channel string // a channel kind: "line" or "whatsapp"
	User    string // the customer's user ID (LINE) or phone number (WhatsApp)
	Name    string // the customer's display name, for a new customer
	// Type is "text", "emoji" (each "$" of Text a LINE emoji), "file", "location" or "unsend" (the
	// customer's last message from this page); LINE takes them all, WhatsApp texts.
	Type string
	Text string
}

// demoTypes are the kinds of message the demo page offers.
var demoTypes = []struct{ Value, Label string }{
	{"text", "Text"}, {"emoji", "Text with LINE emoji ($)"}, {"file", "File (LINE)"}, {"location", "Location (LINE)"},
	{"unsend", "Unsend their last message (LINE)"},
}

type demoView struct {
	Types []struct{ Value, Label string }
	Form  DemoMessage
}

// demoPage is the admin's form to have a demo customer write.
func (h *Handler) demoPage(w http.ResponseWriter, r *http.Request) error {
	h.render(w, r, http.StatusOK, "demo", pageData{Title: "A customer writes", Nav: "demo",
		Body: demoView{Types: demoTypes, Form: DemoMessage{Channel: "line", Type: "text"}}})
	return nil
}

// demoWrite has a demo customer write what the form says, through the channel's signed webhook.
func (h *Handler) demoWrite(w http.ResponseWriter, r *http.Request) error {
	m := DemoMessage{Channel: r.PostFormValue("channel"), User: strings.TrimSpace(r.PostFormValue("user")),
		Name: strings.TrimSpace(r.PostFormValue("name")), Type: r.PostFormValue("type"), Text: r.PostFormValue("text")}
	v := demoView{Types: demoTypes, Form: m}
	if err := h.d.DemoCustomer(r.Context(), m); err != nil {
		h.render(w, r, http.StatusUnprocessableEntity, "demo", pageData{Title: "A customer writes", Nav: "demo",
			Error: "Not sent: " + err.Error(), Body: v})
		return nil
	}
	v.Form.Text = ""
	h.render(w, r, http.StatusOK, "demo", pageData{Title: "A customer writes", Nav: "demo",
		Flash: "Sent through the channel's webhook: it appears in the inbox.", Body: v})
	return nil
}
