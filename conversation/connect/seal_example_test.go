package connect_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/msgkit/msgkit/conversation/connect"
)

// Example keys: in production they come from the host's secret store, e.g. an environment variable
// holding "k1:$(openssl rand -base64 32)". Never use these.
const (
	exampleKey1 = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
	exampleKey2 = "k2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
)

// A credential is sealed bound to its channel and field, and opens only there.
func ExampleNewAESGCM() {
	ctx := context.Background()
	keys, err := connect.ParseKeys(exampleKey1) // e.g. os.Getenv("MSGKIT_SEALING_KEYS")
	if err != nil {
		panic(err)
	}
	sealer, err := connect.NewAESGCM(keys[0], keys[1:]...)
	if err != nil {
		panic(err)
	}

	aad := []byte("chan_1\x00access_token") // which channel and which credential
	sealed, err := sealer.Seal(ctx, []byte("line-access-token"), aad)
	if err != nil {
		panic(err)
	}
	token, err := sealer.Open(ctx, sealed, aad)
	fmt.Println(string(token), err)

	// The same bytes pasted into another channel's row do not open.
	_, err = sealer.Open(ctx, sealed, []byte("chan_2\x00access_token"))
	fmt.Println(errors.Is(err, connect.ErrSealBroken))
	// Output:
	// line-access-token <nil>
	// true
}

// Rotating the key: the new key seals, the old one still opens, Reseal moves values to the new key, and
// then the old key can go.
func ExampleReseal() {
	ctx := context.Background()
	aad := []byte("chan_1\x00channel_secret")
	k1, _ := connect.ParseKey(exampleKey1)
	before, _ := connect.NewAESGCM(k1)
	stored, _ := before.Seal(ctx, []byte("channel-secret"), aad)

	// Restart with the key ring "k2:…,k1:…": k2 is current, k1 only opens.
	keys, err := connect.ParseKeys(exampleKey2 + "," + exampleKey1)
	if err != nil {
		panic(err)
	}
	sealer, err := connect.NewAESGCM(keys[0], keys[1:]...)
	if err != nil {
		panic(err)
	}
	secret, err := sealer.Open(ctx, stored, aad)
	fmt.Println(string(secret), err, sealer.NeedsReseal(stored))

	stored, changed, err := connect.Reseal(ctx, sealer, stored, aad)
	fmt.Println(changed, err, sealer.NeedsReseal(stored))

	// Every value resealed, k1 is dropped: the resealed value opens, k1's values no longer would.
	onlyK2, _ := connect.NewAESGCM(keys[0])
	secret, err = onlyK2.Open(ctx, stored, aad)
	fmt.Println(string(secret), err)
	oldValue, _ := before.Seal(ctx, []byte("channel-secret"), aad)
	_, err = onlyK2.Open(ctx, oldValue, aad)
	fmt.Println(err)
	// Output:
	// channel-secret <nil> true
	// true <nil> false
	// channel-secret <nil>
	// connect: sealed under an unknown key: the value's key ID is "k1"; this sealer has k2
}

// Key text that does not parse says what is wrong and where, without quoting the key.
func ExampleParseKeys() {
	keys, err := connect.ParseKeys(exampleKey2 + ",k1:AQEBAQEBAQEBAQEBAQEBAQ==")
	fmt.Println(len(keys), err)
	fmt.Println(errors.Is(err, connect.ErrInvalidKey))
	// Output:
	// 0 connect: invalid key: key 2 of 2: the key is 16 bytes, it must be 32 (AES-256; e.g. openssl rand -base64 32)
	// true
}

// A key made here is exported as text for the host's secret store; printing the Key itself shows no key.
func ExampleGenerateKey() {
	k, err := connect.GenerateKey("2025-06")
	if err != nil {
		panic(err)
	}
	text := k.Export() // "2025-06:<44 characters of base64>": to the secret store, never to a log
	back, err := connect.ParseKey(text)
	fmt.Println(back.ID(), len(text), back.Export() == text, err)
	// Output:
	// 2025-06 52 true <nil>
}

// NewKey makes a Key from bytes the host already has, e.g. from its KMS.
func ExampleNewKey() {
	secret := make([]byte, connect.KeySize) // from the host's KMS
	k, err := connect.NewKey("kms-1", secret)
	fmt.Println(k.ID(), err)

	_, err = connect.NewKey("kms-1", secret[:16])
	fmt.Println(err)
	// Output:
	// kms-1 <nil>
	// connect: invalid key: the key is 16 bytes, it must be 32 (AES-256)
}
