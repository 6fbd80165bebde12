package loadgen

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// SignatureHeader is the header LINE signs webhook bodies in.
const SignatureHeader = "X-Line-Signature"

// Sign returns body's LINE signature with the channel secret: base64 of its HMAC-SHA256.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Bodies writes LINE webhook bodies of text message events, shaped as LINE sends them (~430 bytes for one
// event), each event with a webhookEventId, message ID and reply token no other event of this Bodies
// has — nor, in practice, any other Bodies' (they start from the clock). Safe for concurrent use.
type Bodies struct {
	// Destination is the bot user ID the bodies are addressed to.
	Destination string
	// Text is each message's text (default "Hello, world").
	Text string

	seed int64
	n    atomic.Int64
}

// NewBodies returns Bodies for the bot destination.
func NewBodies(destination string) *Bodies {
	return &Bodies{Destination: destination, seed: time.Now().UnixNano()}
}

// User returns the LINE user ID of sender n: U and 32 hexadecimal digits, as LINE's.
func User(n int) string { return fmt.Sprintf("U%032x", n) }

// Next returns a body with one text message event from each of users, all with new IDs and the current
// time.
func (b *Bodies) Next(users ...string) []byte {
	text := b.Text
	if text == "" {
		text = "Hello, world"
	}
	var out bytes.Buffer
	out.WriteString(`{"destination":"` + b.Destination + `","events":[`)
	now := time.Now().UnixMilli()
	for i, u := range users {
		n := b.n.Add(1)
		if i > 0 {
			out.WriteByte(',')
		}
		// 26 characters like LINE's ULIDs; the seed keeps two runs' IDs apart.
		eventID := fmt.Sprintf("%010X%016d", uint64(b.seed)&0xFFFFFFFFFF, n)
		messageID := strconv.FormatInt(b.seed%100_000_000_000+n*1_000_000, 10)
		fmt.Fprintf(&out, `{"replyToken":"%030d","type":"message","mode":"active","timestamp":%d,`+
			`"source":{"type":"user","userId":%q},"webhookEventId":%q,"deliveryContext":{"isRedelivery":false},`+
			`"message":{"id":%q,"type":"text","quoteToken":"q3Plxr4AgKd...","text":%q}}`,
			n, now, u, eventID, messageID, text)
	}
	out.WriteString(`]}`)
	return out.Bytes()
}
