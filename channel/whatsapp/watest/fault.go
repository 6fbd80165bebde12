package watest

import (
	"encoding/json"
	"net/http"
)

// Op names one of the API's operations, for scripting faults (API.Fail) and reading requests.
type Op string

// Operations the API serves.
const (
	OpSend        Op = "send"        // POST /{version}/{phone-number-id}/messages (a message)
	OpMarkRead    Op = "markRead"    // POST /{version}/{phone-number-id}/messages with status "read"
	OpPhoneNumber Op = "phoneNumber" // GET /{version}/{phone-number-id}
	OpMedia       Op = "media"       // GET /{version}/{media-id}: the media's URL
	OpDownload    Op = "download"    // GET the media URL OpMedia answered: the content
	OpUnknown     Op = "unknown"     // any other request: 400 "Unsupported request"

	// OpAny scripts a fault for whichever request comes next, of any operation. A fault scripted for
	// the request's own operation is used first.
	OpAny Op = "any"
)

// FaultKind is what goes wrong with a request.
type FaultKind string

// Fault kinds. "Before" faults happen before WhatsApp sees the request: nothing is sent. "After" faults
// happen once WhatsApp handled it: the message is sent (recorded) and only the answer is lost. A client
// cannot tell a Before fault from the matching After one: that is the point.
const (
	// Pass: the request is handled normally, as if no fault were scripted: it lets a script fail a later
	// request ("the second message of a send").
	Pass FaultKind = "pass"
	// Answer: the API answers Fault.Status, Fault.Header and Fault.Body instead of handling the request.
	Answer FaultKind = "answer"
	// TimeoutBefore: the request is held without an answer until the client gives up (or the API is
	// closed); nothing is sent.
	TimeoutBefore FaultKind = "timeout before"
	// TimeoutAfter: the request is handled (sent), then held without an answer.
	TimeoutAfter FaultKind = "timeout after"
	// ResetBefore: the connection is reset before the request is handled; nothing is sent.
	ResetBefore FaultKind = "reset before"
	// ResetAfter: the request is handled (sent), then the connection is reset before any answer.
	ResetAfter FaultKind = "reset after"
)

// Fault is one scripted failure of one request. For Kind Answer, Status, Header and Body are the answer
// (Body is sent as is; a zero Status means 500); other kinds ignore them.
type Fault struct {
	Kind   FaultKind
	Status int
	Header http.Header
	Body   string
}

// Graph API error codes the helpers answer with (Meta's "WhatsApp error codes").
const (
	CodeAccessToken   = 190    // Access token has expired or is invalid (HTTP 401)
	CodeInvalidParam  = 100    // Invalid parameter (HTTP 400); with subcode 33: no such object
	CodeRateLimitHit  = 130429 // Cloud API throughput reached (HTTP 400)
	CodePairRateLimit = 131056 // too many messages to one customer too fast (HTTP 400)
	CodeSomethingBad  = 131000 // Something went wrong (HTTP 500)
	CodeUndeliverable = 131026 // Message undeliverable (HTTP 400)
	CodeReEngagement  = 131047 // more than 24 hours since the customer last wrote (HTTP 400)
	SubcodeNoObject   = 33
)

// GraphError returns an Answer fault: status with the Graph API's error body
// {"error": {message, type, code, error_subcode, error_data: {messaging_product, details}, fbtrace_id}}.
// A zero subcode or empty details are left out.
func GraphError(status, code, subcode int, message, details string) Fault {
	body := errorBody(code, subcode, message, details, "AbCdEfGhIjKlMnOpQrStUvW")
	return Fault{Kind: Answer, Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: string(body)}
}

// RateLimit returns the answer to a send past the phone number's throughput: 400, code 130429.
func RateLimit() Fault {
	return GraphError(http.StatusBadRequest, CodeRateLimitHit, 0, "(#130429) Rate limit hit",
		"Cloud API message throughput has been reached.")
}

// WindowClosed returns the answer to a free-form message more than 24 hours after the customer last
// wrote: 400, code 131047.
func WindowClosed() Fault {
	return GraphError(http.StatusBadRequest, CodeReEngagement, 0, "(#131047) Re-engagement message",
		"Message failed to send because more than 24 hours have passed since the customer last replied to this number.")
}

// Undeliverable returns the answer to a message for a number that cannot receive it: 400, code 131026.
func Undeliverable() Fault {
	return GraphError(http.StatusBadRequest, CodeUndeliverable, 0, "(#131026) Message Undeliverable",
		"Unable to deliver message.")
}

// InvalidToken returns the answer to a request with a wrong or expired access token: 401, code 190.
func InvalidToken() Fault {
	return GraphError(http.StatusUnauthorized, CodeAccessToken, 0, "Invalid OAuth access token - Cannot parse access token", "")
}

// ServerError returns a 500 with code 131000, "Something went wrong".
func ServerError() Fault {
	return GraphError(http.StatusInternalServerError, CodeSomethingBad, 0, "(#131000) Something went wrong",
		"Something went wrong.")
}

// errorBody encodes a Graph API error.
func errorBody(code, subcode int, message, details, trace string) []byte {
	e := map[string]any{"message": message, "type": "OAuthException", "code": code, "fbtrace_id": trace}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	if details != "" {
		e["error_data"] = map[string]string{"messaging_product": "whatsapp", "details": details}
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return b
}
