package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation"
	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/connect"
	"github.com/msgkit/msgkit/examples/minimal/internal/auth"
	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/template"
)

// classify maps an error to its answer. msgkit's errors say what happened in words fit for an agent and
// hold no personal data, so their text, without Go package prefixes (userMessage), is the message; an
// unexpected error is a plain 500.
func classify(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	with := func(status int, code string) *Error {
		return &Error{Status: status, Code: code, Message: userMessage(err)}
	}
	if s := auth.Status(err); s != 0 {
		code := map[int]string{http.StatusUnauthorized: "unauthorized", http.StatusForbidden: "forbidden",
			http.StatusTooManyRequests: "too_many_attempts"}[s]
		return with(s, code)
	}
	var tplErr *conversation.TemplateError
	var attErr *conversation.AttachmentError
	var credErr *channel.CredentialError
	var already *connect.AlreadyConnectedError
	switch {
	case errors.As(err, &tplErr):
		e := with(http.StatusUnprocessableEntity, "template_invalid")
		e.Details = findings(tplErr.Findings)
		return e
	case errors.As(err, &attErr):
		if attErr.Temporary() {
			return with(http.StatusServiceUnavailable, "attachment_unavailable")
		}
		return with(http.StatusUnprocessableEntity, "attachment_refused")
	case errors.Is(err, attach.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "not found"}
	case errors.Is(err, attach.ErrForbidden):
		return with(http.StatusForbidden, "source_forbidden")
	case errors.Is(err, attach.ErrUnavailable):
		return with(http.StatusServiceUnavailable, "source_unavailable")
	case errors.Is(err, template.ErrMissingField):
		return with(http.StatusUnprocessableEntity, "template_field_missing")
	case errors.As(err, &credErr):
		e := with(http.StatusUnprocessableEntity, "credentials_refused")
		e.Details = map[string]string{"field": credErr.Field}
		return e
	case errors.As(err, &already):
		return with(http.StatusConflict, "already_connected")
	case errors.Is(err, store.ErrNotFound), errors.Is(err, linking.ErrRecordNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "not found"}
	case errors.Is(err, conversation.ErrTemplateRequired):
		return with(http.StatusConflict, "template_required")
	case errors.Is(err, conversation.ErrOutsideReplyWindow):
		return with(http.StatusConflict, "outside_reply_window")
	case errors.Is(err, conversation.ErrUnfollowed):
		return with(http.StatusConflict, "unfollowed")
	case errors.Is(err, conversation.ErrChannelInactive), errors.Is(err, connect.ErrDisconnected):
		return with(http.StatusConflict, "channel_inactive")
	case errors.Is(err, linking.ErrAlreadyLinked):
		return with(http.StatusConflict, "already_linked")
	case errors.Is(err, store.ErrConflict):
		return with(http.StatusConflict, "conflict")
	case errors.Is(err, store.ErrAlreadyExists):
		return with(http.StatusConflict, "already_exists")
	case errors.Is(err, conversation.ErrEmptyReply):
		return with(http.StatusUnprocessableEntity, "empty_reply")
	case errors.Is(err, conversation.ErrReplyTooLarge):
		return with(http.StatusUnprocessableEntity, "reply_too_large")
	case errors.Is(err, conversation.ErrInvalidSnooze):
		return with(http.StatusUnprocessableEntity, "invalid_snooze")
	case errors.Is(err, conversation.ErrUnknownEvent):
		return with(http.StatusUnprocessableEntity, "unknown_event")
	case errors.Is(err, conversation.ErrUnknownView):
		return with(http.StatusBadRequest, "unknown_view")
	case errors.Is(err, connect.ErrNotAllowed):
		return with(http.StatusForbidden, "not_allowed")
	case errors.Is(err, connect.ErrUnknownKind):
		return with(http.StatusBadRequest, "unknown_kind")
	case errors.Is(err, channel.ErrUnavailable), errors.Is(err, channel.ErrRateLimited):
		return with(http.StatusServiceUnavailable, "channel_unavailable")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Code: "timeout", Message: "the request took too long"}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
}

// packagePrefix is a Go package's name opening an error's text or one of its wrapped parts
// ("conversation: ", "channel: "): it says where in the code the error arose, nothing a user can act on.
var packagePrefix = regexp.MustCompile(`(^|: )(?:api|assign|attach|auth|blob|channel|connect|conversation|dropbox|line|linking|memstore|` +
	`postgres|sqlite|store|template|upload|whatsapp): `)

// userMessage is err's text for a user: without package prefixes.
func userMessage(err error) string {
	msg := err.Error()
	for {
		next := packagePrefix.ReplaceAllString(msg, "$1")
		if next == msg {
			break
		}
		msg = next
	}
	return msg
}

// finding is a template check's finding as the API shows it.
type finding struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Field    string `json:"field,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Message  string `json:"message"`
}

func findings(fs []template.Finding) []finding {
	out := make([]finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, finding{Severity: f.Severity.String(), Code: f.Code, Field: f.Field,
			Line: f.Pos.Line, Column: f.Pos.Column, Message: f.Message})
	}
	return out
}
