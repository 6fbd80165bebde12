package line_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel/line"
)

// fakeAPI is an httptest fake of LINE's Messaging API, data API and token endpoint: enough of each to
// exercise the adapter, with every request recorded and the next answers scriptable.
type fakeAPI struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []recorded
	script   []answer          // next answers, overriding the defaults
	accepted map[string]string // push retry key → request ID
	issued   int               // stateless tokens issued
	tokenTTL int               // seconds
	n        int
}

type recorded struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

type answer struct {
	status int
	body   string
	header map[string]string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{accepted: map[string]string{}, tokenTTL: 900}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// adapter returns an adapter talking to f, with a long-lived token unless cfg says otherwise.
func (f *fakeAPI) adapter(t *testing.T, cfg line.Config, opts *line.Options) *line.Adapter {
	t.Helper()
	if cfg.ChannelSecret == "" {
		cfg.ChannelSecret = "testsecret"
	}
	if cfg.AccessToken == "" && cfg.ChannelID == "" {
		cfg.AccessToken = "long-lived-token"
	}
	var o line.Options
	if opts != nil {
		o = *opts
	}
	o.APIEndpoint, o.DataEndpoint = f.srv.URL, f.srv.URL
	a, err := line.New(cfg, &o)
	require.NoError(t, err)
	return a
}

// failNext makes the next request answer status with a LINE error body and the given headers.
func (f *fakeAPI) failNext(status int, message string, header map[string]string) {
	body, _ := json.Marshal(map[string]any{"message": message})
	f.answerNext(answer{status: status, body: string(body), header: header})
}

func (f *fakeAPI) answerNext(a answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, a)
}

func (f *fakeAPI) recorded() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

func (f *fakeAPI) last(t *testing.T) recorded {
	t.Helper()
	r := f.recorded()
	require.NotEmpty(t, r, "no request reached the fake API")
	return r[len(r)-1]
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, recorded{r.Method, r.URL.Path, r.Header.Clone(), body})
	f.n++
	reqID := fmt.Sprintf("req-%d", f.n)
	var next *answer
	if len(f.script) > 0 {
		next, f.script = &f.script[0], f.script[1:]
	}
	f.mu.Unlock()

	w.Header().Set("X-Line-Request-Id", reqID)
	if next != nil {
		for k, v := range next.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(next.status)
		_, _ = io.WriteString(w, next.body)
		return
	}
	if r.URL.Path != "/oauth2/v3/token" && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"message":"Authentication failed. Confirm that the access token in the authorization header is valid."}`)
		return
	}
	switch p := r.URL.Path; {
	case p == "/v2/bot/message/reply" || p == "/v2/bot/message/push":
		f.send(w, r, body, reqID)
	case p == "/oauth2/v3/token":
		_ = r.ParseForm()
		f.mu.Lock()
		f.issued++
		n, ttl := f.issued, f.tokenTTL
		f.mu.Unlock()
		writeJSON(w, map[string]any{"access_token": fmt.Sprintf("stateless-%d", n), "expires_in": ttl, "token_type": "Bearer"})
	case strings.HasPrefix(p, "/v2/bot/profile/"):
		writeJSON(w, map[string]any{"userId": strings.TrimPrefix(p, "/v2/bot/profile/"), "displayName": "Hanako",
			"pictureUrl": "https://profile.line-scdn.net/h", "statusMessage": "hi", "language": "ja"})
	case strings.HasPrefix(p, "/v2/bot/group/") || strings.HasPrefix(p, "/v2/bot/room/"):
		parts := strings.Split(p, "/") // /v2/bot/group/{g}/member/{u}
		writeJSON(w, map[string]any{"userId": parts[len(parts)-1], "displayName": "Member of " + parts[4], "pictureUrl": "https://profile.line-scdn.net/m"})
	case p == "/v2/bot/info":
		writeJSON(w, map[string]any{"userId": "Ubot", "basicId": "@shop", "displayName": "Shop",
			"pictureUrl": "https://profile.line-scdn.net/b", "chatMode": "bot", "markAsReadMode": "auto"})
	case p == "/v2/bot/channel/webhook/endpoint":
		writeJSON(w, map[string]any{"endpoint": "https://crm.example.com/webhooks/line", "active": true})
	case p == "/v2/bot/channel/webhook/test":
		writeJSON(w, map[string]any{"success": true, "timestamp": time.Now().UTC(), "statusCode": 200, "reason": "OK", "detail": "200"})
	case p == "/v2/bot/message/quota":
		writeJSON(w, map[string]any{"type": "limited", "value": 1000})
	case p == "/v2/bot/message/quota/consumption":
		writeJSON(w, map[string]any{"totalUsage": 250})
	case strings.HasSuffix(p, "/content"):
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = io.WriteString(w, "JPEG-BYTES")
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"message":"Not found"}`)
	}
}

// send answers a reply or push: one sent message per message, and 409 for a push whose retry key was
// accepted before.
func (f *fakeAPI) send(w http.ResponseWriter, r *http.Request, body []byte, reqID string) {
	var req struct {
		Messages []json.RawMessage `json:"messages"`
	}
	_ = json.Unmarshal(body, &req)
	if key := r.Header.Get("X-Line-Retry-Key"); r.URL.Path == "/v2/bot/message/push" && key != "" {
		f.mu.Lock()
		accepted, dup := f.accepted[key]
		if !dup {
			f.accepted[key] = reqID
		}
		f.mu.Unlock()
		if dup {
			w.Header().Set("X-Line-Accepted-Request-Id", accepted)
			w.WriteHeader(http.StatusConflict)
			_, _ = io.WriteString(w, `{"message":"The retry key is already accepted"}`)
			return
		}
	}
	sent := make([]map[string]string, len(req.Messages))
	for i := range sent {
		sent[i] = map[string]string{"id": fmt.Sprintf("%s-msg-%d", reqID, i+1), "quoteToken": "q"}
	}
	writeJSON(w, map[string]any{"sentMessages": sent})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
