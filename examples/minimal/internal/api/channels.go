package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
	"github.com/msgkit/msgkit/store"
)

// channelView is a channel as the API shows it: never its credentials.
type channelView struct {
	ID           string                 `json:"id"`
	Name         string                 `json:"name"`
	Kind         string                 `json:"kind"`
	ExternalID   string                 `json:"externalId"`
	Account      channel.AccountInfo    `json:"account"`
	Active       bool                   `json:"active"`
	Disconnected *time.Time             `json:"disconnectedAt,omitempty"`
	Assignment   assignmentRule         `json:"assignment"`
	Checks       []channel.SettingCheck `json:"checks,omitempty"`
	CheckedAt    *time.Time             `json:"checkedAt,omitempty"`
	WebhookURL   string                 `json:"webhookUrl,omitempty"`
}

type assignmentRule struct {
	Strategy string         `json:"strategy"`
	Pool     store.PoolKind `json:"pool,omitempty"`
	PoolIDs  []string       `json:"poolIds,omitempty"`
	MaxOpen  int            `json:"maxOpen,omitempty"`
}

func (a *API) chanOf(c store.Channel) channelView {
	return channelView{ID: c.ID, Name: c.Name, Kind: c.Kind, ExternalID: c.ExternalID, Account: c.Account, Active: c.Active,
		Disconnected: timePtr(c.DisconnectedAt), Checks: c.Health.Checks, CheckedAt: timePtr(c.Health.CheckedAt),
		Assignment: assignmentRule{Strategy: c.Assignment.Strategy, Pool: c.Assignment.Pool, PoolIDs: c.Assignment.PoolIDs,
			MaxOpen: c.Assignment.MaxOpen}}
}

func (a *API) listChannels(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	list, err := a.d.Connect.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]channelView, 0, len(list))
	for _, c := range list {
		out = append(out, a.chanOf(c))
	}
	return ok(w, map[string]any{"channels": out})
}

func (a *API) getChannel(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	c, err := a.d.Connect.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return ok(w, a.chanOf(c))
}

// connectChannel connects an account: {"kind": "line", "name": "…", "credentials": {…}, "assignment": {…}}.
// The answer holds the webhook URL to set at the channel and the settings checklist.
func (a *API) connectChannel(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	var in struct {
		Kind        string            `json:"kind"`
		Name        string            `json:"name"`
		Credentials map[string]string `json:"credentials"`
		Assignment  assignmentRule    `json:"assignment"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := a.checkRule(in.Assignment); err != nil {
		return err
	}
	got, err := a.d.Connect.Connect(r.Context(), connect.Request{Kind: in.Kind, Name: in.Name,
		Credentials: channel.Credentials(in.Credentials), Assignment: ruleOf(in.Assignment)})
	if err != nil {
		return err
	}
	out := a.chanOf(got.Channel)
	out.Checks, out.WebhookURL = got.Checks, got.WebhookURL
	return ok(w, out)
}

// checkRule refuses an assignment rule the Service cannot follow: a strategy its Assigner does not have,
// a pool that is not users or roles (the example's directory knows no groups), a user who cannot sign
// in, a role nobody has. Stored, such a rule would leave every new conversation of the channel
// unassigned — waiting for an agent who can never come, or its work retried in vain — and nobody
// notified. No strategy (assign nobody automatically) is a rule too.
func (a *API) checkRule(r assignmentRule) error {
	if r.Strategy == "" {
		return nil
	}
	refuse := func(code, format string, args ...any) error {
		return &Error{Status: http.StatusUnprocessableEntity, Code: code, Message: fmt.Sprintf(format, args...)}
	}
	if !slices.Contains(a.d.Strategies, r.Strategy) {
		return refuse("unknown_strategy", "no assignment strategy %q: use one of %q", r.Strategy, a.d.Strategies)
	}
	users := a.d.Auth.Users()
	switch r.Pool {
	case store.PoolUsers:
		for _, id := range r.PoolIDs {
			if _, ok := users.Get(id); !ok {
				return refuse("unknown_user", "no user %q", id)
			}
		}
	case store.PoolRole:
		for _, id := range r.PoolIDs {
			if len(users.WithRole(id)) == 0 {
				return refuse("empty_role", "nobody has the role %q", id)
			}
		}
	default:
		return refuse("unknown_pool", "no assignment pool kind %q: use %q or %q", r.Pool, store.PoolUsers, store.PoolRole)
	}
	if len(r.PoolIDs) == 0 {
		return refuse("empty_pool", "the pool names no users or roles")
	}
	return nil
}

func ruleOf(r assignmentRule) store.AssignmentRule {
	return store.AssignmentRule{Strategy: r.Strategy, Pool: r.Pool, PoolIDs: r.PoolIDs, MaxOpen: r.MaxOpen}
}

// checkChannel runs the settings check again: the checklist and what changed.
func (a *API) checkChannel(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	if err := noBody(w, r); err != nil {
		return err
	}
	h, err := a.d.Connect.Check(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"checks": h.Checks, "checkedAt": h.CheckedAt, "changes": h.Changes,
		"signatureFailures": h.SignatureFailures, "quotaExceededAt": timePtr(h.QuotaExceededAt)})
}

func (a *API) deactivateChannel(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	if err := noBody(w, r); err != nil {
		return err
	}
	c, err := a.d.Connect.Deactivate(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return ok(w, a.chanOf(c))
}

func (a *API) reactivateChannel(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	if err := noBody(w, r); err != nil {
		return err
	}
	c, err := a.d.Connect.Reactivate(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return ok(w, a.chanOf(c))
}

// setAssignment replaces a channel's assignment rule.
func (a *API) setAssignment(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	var in assignmentRule
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := a.checkRule(in); err != nil {
		return err
	}
	c, err := a.d.Store.GetChannel(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	c.Assignment = ruleOf(in)
	c, err = a.d.Store.UpdateChannel(r.Context(), c)
	if err != nil {
		return err
	}
	return ok(w, a.chanOf(c))
}

// quotaNotApplicable says, by channel kind, why a channel reports no quota.
var quotaNotApplicable = map[string]string{
	"whatsapp": "WhatsApp has no monthly message quota: Meta charges per template message and limits how many " +
		"customers a number may start conversations with each day.",
}

// kindOf is the kind of channel id ("" when it cannot be read).
func (a *API) kindOf(r *http.Request, id string) string {
	c, err := a.d.Store.GetChannel(r.Context(), id)
	if err != nil {
		return ""
	}
	return c.Kind
}

// quota answers the channel's quota report and msgkit's own count of this month's sends.
func (a *API) quota(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	q, err := a.d.Connect.Quota(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := map[string]any{"sentBillable": q.Sent.Billable, "sentFree": q.Sent.Free, "since": q.Since,
		"exceededAt": timePtr(q.ExceededAt)}
	switch {
	case q.ChannelErr == nil:
		out["limited"], out["limit"], out["used"], out["remaining"] = q.Channel.Limited, q.Channel.Limit, q.Channel.Used,
			q.Channel.Remaining()
	case errors.Is(q.ChannelErr, errors.ErrUnsupported):
		// The channel has no such quota (WhatsApp): no error, a quota that does not apply.
		out["quota"] = "not applicable"
		out["note"] = quotaNotApplicable[a.kindOf(r, r.PathValue("id"))]
		if out["note"] == "" {
			out["note"] = "This channel has no monthly message quota."
		}
	default:
		out["channelError"] = classify(q.ChannelErr).Message
	}
	return ok(w, out)
}

// entryPoints answers the account's add-friend link, its QR code (PNG and SVG, base64) and chat button.
func (a *API) entryPoints(w http.ResponseWriter, r *http.Request, _ auth.User) error {
	e, err := a.d.Connect.EntryPoints(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"url": e.URL, "buttonHtml": e.ButtonHTML,
		"qrPng": base64.StdEncoding.EncodeToString(e.QRPNG), "qrSvg": string(e.QRSVG)})
}
