package linetest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Op names one of the API's operations, for scripting faults (API.Fail) and reading requests.
type Op string

// Operations the API serves.
const (
	OpReply            Op = "reply"            // POST /v2/bot/message/reply
	OpPush             Op = "push"             // POST /v2/bot/message/push
	OpProfile          Op = "profile"          // GET /v2/bot/profile/{user}, group and room member profiles
	OpBotInfo          Op = "botInfo"          // GET /v2/bot/info
	OpWebhookEndpoint  Op = "webhookEndpoint"  // GET /v2/bot/channel/webhook/endpoint
	OpWebhookTest      Op = "webhookTest"      // POST /v2/bot/channel/webhook/test
	OpQuota            Op = "quota"            // GET /v2/bot/message/quota
	OpQuotaConsumption Op = "quotaConsumption" // GET /v2/bot/message/quota/consumption
	OpContent          Op = "content"          // GET /v2/bot/message/{id}/content (data API)
	OpTranscoding      Op = "transcoding"      // GET /v2/bot/message/{id}/content/transcoding (data API)
	OpToken            Op = "token"            // POST /oauth2/v3/token (stateless channel access token)
	OpVerifyToken      Op = "verifyToken"      // POST /v2/oauth/verify (which channel a token belongs to)
	OpUnknown          Op = "unknown"          // any other path: 404

	// OpAny scripts a fault for whichever request comes next, of any operation. A fault scripted for
	// the request's own operation is used first.
	OpAny Op = "any"
)

// FaultKind is what goes wrong with a request.
type FaultKind string

// Fault kinds. "Before" faults happen before LINE sees the request: nothing is delivered, no reply
// token is used, no retry key accepted. "After" faults happen once LINE has handled the request: the
// delivery is recorded (the token used, the key accepted, the quota counted) and only the answer is
// lost. A client cannot tell a Before fault from the matching After one: that is the point.
const (
	// Answer: the API answers Fault.Status, Fault.Header and Fault.Body instead of handling the request;
	// nothing is delivered.
	Answer FaultKind = "answer"
	// TimeoutBefore: the request is held without an answer until the client gives up (or the API is
	// closed); nothing is delivered.
	TimeoutBefore FaultKind = "timeout before"
	// TimeoutAfter: the request is handled (delivered), then held without an answer until the client
	// gives up (or the API is closed).
	TimeoutAfter FaultKind = "timeout after"
	// ResetBefore: the connection is reset (TCP RST) before the request is handled; nothing is delivered.
	ResetBefore FaultKind = "reset before"
	// ResetAfter: the request is handled (delivered), then the connection is reset before any answer.
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

// LINE's error messages, as its API words them.
const (
	MessageRateLimited     = "Too many requests"
	MessageMonthlyLimit    = "You have reached your monthly limit."
	MessageInvalidToken    = "Invalid reply token"
	MessageServerError     = "Internal server error"
	MessageNotFound        = "Not found"
	MessageUnauthenticated = "Authentication failed. Confirm that the access token in the authorization header is valid."
)

// The token endpoints' error answers, {"error": …, "error_description": …}, all with status 400. The
// codes are OAuth's (RFC 6749) and the first description is the example of LINE's spec. LINE documents
// neither which code nor which description it gives for a wrong channel ID as against a wrong secret,
// or for a revoked token: the API gives these, and a client may take a description that names a field as
// a hint, never as a promise.
const (
	TokenErrorInvalidRequest = "invalid_request"
	TokenErrorInvalidClient  = "invalid_client"

	TokenErrorMissing             = "some parameters missed or invalid"
	TokenErrorInvalidClientID     = "invalid client_id"
	TokenErrorInvalidClientSecret = "invalid client_secret"
	TokenErrorInvalidToken        = "invalid access token"
)

// TokenError returns an Answer fault: the token endpoints' 400 answer with error code and description.
func TokenError(code, description string) Fault {
	body, _ := json.Marshal(map[string]string{"error": code, "error_description": description})
	return Fault{Kind: Answer, Status: http.StatusBadRequest, Header: http.Header{"Content-Type": {"application/json"}}, Body: string(body)}
}

// ErrorAnswer returns an Answer fault: status with LINE's error body {"message": message}.
func ErrorAnswer(status int, message string) Fault {
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{message})
	return Fault{Kind: Answer, Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: string(body)}
}

// RateLimit returns LINE's rate-limit answer: 429 "Too many requests", with Retry-After in whole seconds
// when retryAfter is positive.
func RateLimit(retryAfter time.Duration) Fault {
	f := ErrorAnswer(http.StatusTooManyRequests, MessageRateLimited)
	if retryAfter > 0 {
		f.Header.Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	return f
}

// MonthlyLimit returns LINE's answer to a push over the monthly quota: 429 "You have reached your
// monthly limit.", which is not worth retrying until the quota resets.
func MonthlyLimit() Fault { return ErrorAnswer(http.StatusTooManyRequests, MessageMonthlyLimit) }

// ServerError returns a 500 answer with LINE's error body.
func ServerError() Fault { return ErrorAnswer(http.StatusInternalServerError, MessageServerError) }
