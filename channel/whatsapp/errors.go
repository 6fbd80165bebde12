package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/msgkit/msgkit/channel"
)

// ErrWindowClosed refines channel.ErrInvalidRequest: WhatsApp refused a message other than a template
// because more than 24 hours have passed since the customer last wrote (Graph error 131047,
// "Re-engagement message"). Send an approved template instead.
var ErrWindowClosed = errors.New("whatsapp: the 24-hour customer service window is closed: only templates may be sent")

var errMalformedResponse = errors.New("malformed response from the Graph API")

// Graph API error codes the adapter maps (Meta's "WhatsApp error codes" and Graph API error handling).
const (
	codeAPIService       = 2      // API Service: a temporary failure on Meta's side
	codeAPIMethod        = 3      // API Method: a capability or permission the app lacks
	codeAPITooManyCalls  = 4      // API Too Many Calls
	codePermission       = 10     // Permission denied
	codeAccessToken      = 190    // Access token has expired or is invalid
	codeRateLimitIssues  = 80007  // WhatsApp Business Account rate limit
	codeRateLimitHit     = 130429 // Cloud API throughput reached
	codeSomethingWrong   = 131000 // Something went wrong (a Meta-side failure)
	codeServiceDown      = 131016 // Service unavailable
	codeUndeliverable    = 131026 // Message undeliverable: the number is not on WhatsApp (or cannot receive)
	codeNotAllowed       = 131030 // Recipient phone number not in allowed list (test numbers)
	codeReEngagement     = 131047 // more than 24 hours since the customer last wrote
	codeSpamRateLimit    = 131048 // Spam rate limit hit
	codePairRateLimit    = 131056 // (Business, consumer) pair rate limit hit
	codeInvalidParameter = 100    // Invalid parameter; subcode 33: the object does not exist
	subcodeNoObject      = 33
)

// graphError is the Graph API's error answer.
type graphError struct {
	Error struct {
		Message      string `json:"message"`
		Type         string `json:"type"`
		Code         int    `json:"code"`
		ErrorSubcode int    `json:"error_subcode"`
		FBTraceID    string `json:"fbtrace_id"`
		ErrorData    struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"error"`
}

// apiError turns a failed call into an *channel.APIError. Failures without an answer are
// channel.ErrUnavailable with Status 0, wrapping the transport error (without the request URL, which
// holds IDs) or the ended context.
func (a *Adapter) apiError(ctx context.Context, op string, res *http.Response, err error) error {
	e := &channel.APIError{Channel: Kind, Op: op}
	if res == nil {
		e.Category, e.Err = channel.ErrUnavailable, transportCause(err)
		if ctxErr := ctx.Err(); ctxErr != nil {
			e.Err = ctxErr
		}
		return e
	}
	e.RequestID = requestID(res.Header)
	if res.StatusCode/100 == 2 {
		// Accepted, but the answer did not arrive whole: like a lost answer, Status stays 0 (a send may
		// have been delivered).
		e.Category, e.Err = channel.ErrUnavailable, fmt.Errorf("%w (status %d)", errMalformedResponse, res.StatusCode)
		return e
	}
	e.Status = res.StatusCode
	var body graphError
	if res.Body != nil {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		_ = json.Unmarshal(raw, &body)
	}
	g := body.Error
	if g.FBTraceID != "" {
		e.RequestID = g.FBTraceID
	}
	e.Message = g.Message
	if g.Code != 0 {
		e.Details = append(e.Details, channel.ErrorDetail{Property: "code", Message: codeText(g.Code, g.ErrorSubcode)})
	}
	if g.ErrorData.Details != "" {
		e.Details = append(e.Details, channel.ErrorDetail{Message: g.ErrorData.Details})
	}
	e.RetryAfter = retryAfter(res.Header.Get("Retry-After"), a.now())
	e.Category, e.Reason = classify(res.StatusCode, g.Code, g.ErrorSubcode)
	return e
}

// classify maps an HTTP status and Graph error code onto a channel category (and a reason). The code
// decides where it is known: the Graph API answers most errors, rate limits included, with 400.
func classify(status, code, subcode int) (category, reason error) {
	switch code {
	case codeAPITooManyCalls, codeRateLimitIssues, codeRateLimitHit, codeSpamRateLimit, codePairRateLimit:
		return channel.ErrRateLimited, nil
	case codeReEngagement:
		return channel.ErrInvalidRequest, ErrWindowClosed
	case codeAccessToken, codePermission, codeAPIMethod:
		return channel.ErrUnauthorized, nil
	case codeUndeliverable:
		// The number is not a WhatsApp user (or cannot receive messages): the addressed user does not
		// exist for this channel, and no retry will change that.
		return channel.ErrNotFound, nil
	case codeNotAllowed:
		// The recipient exists; the business's (test) number may only write to listed recipients: a
		// setting to change, not a missing user.
		return channel.ErrInvalidRequest, nil
	case codeSomethingWrong, codeServiceDown, codeAPIService:
		return channel.ErrUnavailable, nil
	case codeInvalidParameter:
		if subcode == subcodeNoObject {
			return channel.ErrNotFound, nil
		}
	}
	switch {
	case code >= 200 && code <= 299: // API permission errors
		return channel.ErrUnauthorized, nil
	case status == http.StatusTooManyRequests:
		return channel.ErrRateLimited, nil
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return channel.ErrUnauthorized, nil
	case status == http.StatusNotFound:
		return channel.ErrNotFound, nil
	case status >= 500:
		return channel.ErrUnavailable, nil
	}
	return channel.ErrInvalidRequest, nil
}

func codeText(code, subcode int) string {
	if subcode != 0 {
		return strconv.Itoa(code) + "/" + strconv.Itoa(subcode)
	}
	return strconv.Itoa(code)
}

// requestID returns Meta's ID of a request from its answer's headers.
func requestID(h http.Header) string {
	for _, k := range []string{"X-Fb-Trace-Id", "X-Fb-Request-Id"} {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// transportCause strips the request URL from a transport error, keeping the cause: URLs hold IDs.
func transportCause(err error) error {
	var u *url.Error
	if errors.As(err, &u) {
		return u.Err
	}
	return err
}

// dialError marks err as a failure to connect (a *net.OpError with Op "dial"), for which
// channel.MayHaveSent reports false: nothing reached WhatsApp.
func dialError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return err
	}
	return &net.OpError{Op: "dial", Net: "tcp", Err: err}
}

// retryAfter parses a Retry-After header (seconds or an HTTP date); 0 when absent or unparsable.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// PartialError is a Send of several messages that failed after some were delivered: WhatsApp takes one
// message per API call, so the first Sent messages went out (their IDs are in MessageIDs, and in the
// SendResult returned with the error) and the one at index Sent failed with Err; later ones were not
// tried.
//
// It deliberately does not unwrap to Err: a partly delivered send must not be retried as a whole, so
// channel.IsRetryable reports false for it and channel.MayHaveSent true (the caller must treat the
// send as uncertain, or send only the messages after MessageIDs). Read Err for the cause.
type PartialError struct {
	MessageIDs []string // the channel IDs of the messages delivered, in order
	Sent       int      // how many messages were delivered: the index of the one that failed
	Err        error    // why the next message failed
}

// Error says how many messages were delivered and why the next failed.
func (e *PartialError) Error() string {
	return fmt.Sprintf("whatsapp send: %d message(s) delivered, then message %d failed: %v", e.Sent, e.Sent+1, e.Err)
}
