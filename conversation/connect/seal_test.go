package connect_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/conversation/connect"
)

// testKey returns a fixed key: fill repeated KeySize times.
func testKey(t testing.TB, id string, fill byte) connect.Key {
	t.Helper()
	k, err := connect.NewKey(id, bytes.Repeat([]byte{fill}, connect.KeySize))
	require.NoError(t, err)
	return k
}

func newSealer(t testing.TB, current connect.Key, old ...connect.Key) *connect.AESGCM {
	t.Helper()
	s, err := connect.NewAESGCM(current, old...)
	require.NoError(t, err)
	return s
}

// requireSecretFree fails if text holds any of the secrets, raw or in base64.
func requireSecretFree(t *testing.T, text string, secrets ...[]byte) {
	t.Helper()
	for _, s := range secrets {
		require.NotContains(t, text, string(s))
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			require.NotContains(t, text, enc.EncodeToString(s))
		}
		require.NotContains(t, text, fmt.Sprintf("%x", s))
		require.NotContains(t, text, fmt.Sprint(s)) // [1 2 3 …]
	}
}

const token = "line-access-token-3f9a81b7c2"

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testKey(t, "k1", 1))
	for _, tc := range []struct {
		name           string
		plaintext, aad []byte
	}{
		{"token with aad", []byte(token), []byte("chan_1\x00access_token")},
		{"no aad", []byte(token), nil},
		{"empty plaintext", []byte{}, []byte("chan_1\x00access_token")},
		{"nil plaintext", nil, nil},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe, 0}, []byte{0, 0}},
		{"long", bytes.Repeat([]byte("secret "), 1000), bytes.Repeat([]byte("aad"), 1000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sealed, err := s.Seal(t.Context(), tc.plaintext, tc.aad)
			require.NoError(t, err)
			require.Len(t, sealed, 30+len("k1")+len(tc.plaintext), "version, ID length, ID, nonce, ciphertext, tag")
			if len(tc.plaintext) >= 4 {
				require.NotContains(t, string(sealed), string(tc.plaintext))
			}

			got, err := s.Open(t.Context(), sealed, tc.aad)
			require.NoError(t, err)
			require.NotNil(t, got)
			require.Equal(t, string(tc.plaintext), string(got))

			again, err := s.Seal(t.Context(), tc.plaintext, tc.aad)
			require.NoError(t, err)
			require.NotEqual(t, sealed, again, "two seals of one plaintext share a nonce")
		})
	}
}

// nil and empty aad are the same additional data.
func TestNilAndEmptyAADAreTheSame(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testKey(t, "k1", 1))
	sealed, err := s.Seal(t.Context(), []byte(token), nil)
	require.NoError(t, err)
	got, err := s.Open(t.Context(), sealed, []byte{})
	require.NoError(t, err)
	require.Equal(t, token, string(got))
}

// The header is the documented format: version 1, the key ID's length, the key ID.
func TestSealedFormat(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testKey(t, "2025-06.a", 1))
	sealed, err := s.Seal(t.Context(), []byte(token), nil)
	require.NoError(t, err)
	require.Equal(t, byte(1), sealed[0])
	require.Equal(t, byte(len("2025-06.a")), sealed[1])
	require.Equal(t, "2025-06.a", string(sealed[2:2+len("2025-06.a")]))
	require.Len(t, sealed, 2+len("2025-06.a")+12+len(token)+16)
}

// Seal and Open neither retain nor modify their arguments, and what they return is the caller's.
func TestSlicesAreNotShared(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testKey(t, "k1", 1))
	plaintext, aad := []byte(token), []byte("chan_1")
	sealed, err := s.Seal(t.Context(), plaintext, aad)
	require.NoError(t, err)
	require.Equal(t, token, string(plaintext))
	require.Equal(t, "chan_1", string(aad))
	plaintext[0] = 'X'
	kept := bytes.Clone(sealed)

	got, err := s.Open(t.Context(), sealed, aad)
	require.NoError(t, err)
	require.Equal(t, token, string(got))
	require.Equal(t, kept, sealed, "Open modified the sealed value")
	got[0] = 'Y'
	again, err := s.Open(t.Context(), sealed, aad)
	require.NoError(t, err)
	require.Equal(t, token, string(again))
}

func TestRotation(t *testing.T) {
	t.Parallel()
	k1, k2 := testKey(t, "k1", 1), testKey(t, "k2", 2)
	aad := []byte("chan_1\x00access_token")
	before := newSealer(t, k1)
	sealedBefore, err := before.Seal(t.Context(), []byte(token), aad)
	require.NoError(t, err)
	require.False(t, before.NeedsReseal(sealedBefore))

	after := newSealer(t, k2, k1)
	got, err := after.Open(t.Context(), sealedBefore, aad)
	require.NoError(t, err, "a value sealed under the old key opens after rotation")
	require.Equal(t, token, string(got))
	require.True(t, after.NeedsReseal(sealedBefore))

	sealedAfter, err := after.Seal(t.Context(), []byte(token), aad)
	require.NoError(t, err)
	require.Equal(t, "k2", string(sealedAfter[2:4]), "new values are sealed under the current key")
	require.False(t, after.NeedsReseal(sealedAfter))
	_, err = before.Open(t.Context(), sealedAfter, aad)
	require.ErrorIs(t, err, connect.ErrUnknownKey, "the sealer without the new key cannot open it")

	resealed, err := after.Reseal(t.Context(), sealedBefore, aad)
	require.NoError(t, err)
	require.False(t, after.NeedsReseal(resealed))
	onlyNew := newSealer(t, k2)
	got, err = onlyNew.Open(t.Context(), resealed, aad)
	require.NoError(t, err, "a resealed value opens once the old key is dropped")
	require.Equal(t, token, string(got))

	_, err = onlyNew.Open(t.Context(), sealedBefore, aad)
	require.ErrorIs(t, err, connect.ErrUnknownKey, "a value not resealed does not open once its key is dropped")
	require.NotErrorIs(t, err, connect.ErrSealBroken)
	require.ErrorContains(t, err, `"k1"`, "the error names the missing key")
	require.ErrorContains(t, err, "k2")

	_, err = after.Reseal(t.Context(), sealedBefore, []byte("chan_2\x00access_token"))
	require.ErrorIs(t, err, connect.ErrSealBroken, "Reseal authenticates")
}

func TestResealHelper(t *testing.T) {
	t.Parallel()
	k1, k2 := testKey(t, "k1", 1), testKey(t, "k2", 2)
	aad := []byte("chan_1\x00channel_secret")
	old, err := newSealer(t, k1).Seal(t.Context(), []byte(token), aad)
	require.NoError(t, err)
	s := newSealer(t, k2, k1)

	resealed, changed, err := connect.Reseal(t.Context(), s, old, aad)
	require.NoError(t, err)
	require.True(t, changed)
	require.False(t, s.NeedsReseal(resealed))

	same, changed, err := connect.Reseal(t.Context(), s, resealed, aad)
	require.NoError(t, err)
	require.False(t, changed)
	require.Equal(t, resealed, same)

	_, changed, err = connect.Reseal(t.Context(), s, []byte("plain text, never sealed"), aad)
	require.ErrorIs(t, err, connect.ErrSealBroken, "a value that is not sealed needs resealing and does not open")
	require.False(t, changed)

	_, _, err = connect.Reseal(t.Context(), plainSealer{s}, old, aad)
	require.ErrorIs(t, err, errors.ErrUnsupported)
}

// plainSealer is a Sealer that is not a Resealer.
type plainSealer struct{ s *connect.AESGCM }

func (p plainSealer) Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error) {
	return p.s.Seal(ctx, plaintext, aad)
}

func (p plainSealer) Open(ctx context.Context, sealed, aad []byte) ([]byte, error) {
	return p.s.Open(ctx, sealed, aad)
}

func TestNeedsReseal(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testKey(t, "k2", 2), testKey(t, "k1", 1))
	current, err := s.Seal(t.Context(), []byte(token), nil)
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		sealed []byte
		want   bool
	}{
		{"current key", current, false},
		{"nil", nil, true},
		{"header only", current[:4], true},
		{"truncated", current[:len(current)-1-len(token)], true},
		{"another version", append([]byte{2}, current[1:]...), true},
		{"another key", append([]byte{1, 2, 'k', '1'}, current[4:]...), true},
		{"not sealed", []byte(token), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, s.NeedsReseal(tc.sealed))
		})
	}
}

// Flipping any bit of a sealed value, anywhere, makes it fail to open with a sentinel error that holds
// neither the plaintext nor the key.
func TestTamperingIsDetected(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte{7}, connect.KeySize)
	k, err := connect.NewKey("k1", secret)
	require.NoError(t, err)
	// k0 and k3 differ from k1 in one bit each, so flips of the key ID also reach known keys.
	s := newSealer(t, k, testKey(t, "k0", 8), testKey(t, "k3", 9))
	aad := []byte("chan_1\x00access_token")
	sealed, err := s.Seal(t.Context(), []byte(token), aad)
	require.NoError(t, err)

	for i := range sealed {
		for bit := range 8 {
			tampered := bytes.Clone(sealed)
			tampered[i] ^= 1 << bit
			got, err := s.Open(t.Context(), tampered, aad)
			if !errors.Is(err, connect.ErrSealBroken) && !errors.Is(err, connect.ErrUnknownKey) {
				require.Failf(t, "tampering undetected", "byte %d bit %d: got %q, %v", i, bit, got, err)
			}
			require.Nil(t, got)
			if strings.Contains(err.Error(), token) {
				require.Failf(t, "error holds the plaintext", "byte %d bit %d", i, bit)
			}
			requireSecretFree(t, err.Error(), secret)
		}
	}
	_, err = s.Open(t.Context(), sealed, aad)
	require.NoError(t, err, "the original still opens")
}

func TestTruncationAndExtensionAreDetected(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testKey(t, "k1", 1))
	sealed, err := s.Seal(t.Context(), []byte(token), nil)
	require.NoError(t, err)
	for n := range len(sealed) {
		got, err := s.Open(t.Context(), sealed[:n], nil)
		require.ErrorIs(t, err, connect.ErrSealBroken, "truncated to %d bytes", n)
		require.Nil(t, got)
	}
	for _, extra := range [][]byte{{0}, []byte("x"), sealed} {
		_, err := s.Open(t.Context(), append(bytes.Clone(sealed), extra...), nil)
		require.ErrorIs(t, err, connect.ErrSealBroken)
	}
	_, err = s.Open(t.Context(), []byte(token), nil)
	require.ErrorIs(t, err, connect.ErrSealBroken, "a value that was never sealed")
}

// A key with the right ID but other bytes (a key ring mixed up between environments) does not open.
func TestWrongKey(t *testing.T) {
	t.Parallel()
	sealed, err := newSealer(t, testKey(t, "k1", 1)).Seal(t.Context(), []byte(token), nil)
	require.NoError(t, err)
	wrong := bytes.Repeat([]byte{2}, connect.KeySize)
	k, err := connect.NewKey("k1", wrong)
	require.NoError(t, err)
	got, err := newSealer(t, k).Open(t.Context(), sealed, nil)
	require.ErrorIs(t, err, connect.ErrSealBroken)
	require.NotErrorIs(t, err, connect.ErrUnknownKey)
	require.Nil(t, got)
	requireSecretFree(t, err.Error(), wrong, bytes.Repeat([]byte{1}, connect.KeySize))
}

func TestUnknownKeyID(t *testing.T) {
	t.Parallel()
	sealed, err := newSealer(t, testKey(t, "k1", 1)).Seal(t.Context(), []byte(token), nil)
	require.NoError(t, err)
	got, err := newSealer(t, testKey(t, "k2", 1), testKey(t, "k3", 1)).Open(t.Context(), sealed, nil)
	require.ErrorIs(t, err, connect.ErrUnknownKey)
	require.NotErrorIs(t, err, connect.ErrSealBroken)
	require.Nil(t, got)
	require.EqualError(t, err, `connect: sealed under an unknown key: the value's key ID is "k1"; this sealer has k2, k3`)
}

// A sealed credential opens only where it was sealed: not for another channel, not as another field.
func TestAADMismatch(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testKey(t, "k1", 1))
	aad := []byte("chan_1\x00access_token")
	sealed, err := s.Seal(t.Context(), []byte(token), aad)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		aad  []byte
	}{
		{"another channel", []byte("chan_2\x00access_token")},
		{"another field", []byte("chan_1\x00channel_secret")},
		{"none", nil},
		{"a prefix", aad[:len(aad)-1]},
		{"an extension", append(bytes.Clone(aad), 0)},
		{"the header moved into the aad", append([]byte{1, 2, 'k', '1'}, aad...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.Open(t.Context(), sealed, tc.aad)
			require.ErrorIs(t, err, connect.ErrSealBroken)
			require.Nil(t, got)
			require.NotContains(t, err.Error(), token)
		})
	}

	// and the other way round: sealed without aad, opened with some.
	bare, err := s.Seal(t.Context(), []byte(token), nil)
	require.NoError(t, err)
	_, err = s.Open(t.Context(), bare, aad)
	require.ErrorIs(t, err, connect.ErrSealBroken)
}

// One AESGCM serves many goroutines (run with -race). Results are checked on the test's goroutine.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	old := newSealer(t, testKey(t, "k1", 1))
	s := newSealer(t, testKey(t, "k2", 2), testKey(t, "k1", 1))
	oldSealed, err := old.Seal(t.Context(), []byte(token), []byte("shared"))
	require.NoError(t, err)

	const workers, rounds = 16, 200
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			errs[w] = func() error {
				for r := range rounds {
					plaintext := fmt.Appendf(nil, "secret %d/%d", w, r)
					aad := fmt.Appendf(nil, "chan_%d", w)
					sealed, err := s.Seal(t.Context(), plaintext, aad)
					if err != nil {
						return err
					}
					got, err := s.Open(t.Context(), sealed, aad)
					if err != nil {
						return err
					}
					if !bytes.Equal(got, plaintext) {
						return fmt.Errorf("worker %d round %d opened someone else's value", w, r)
					}
					if s.NeedsReseal(sealed) {
						return fmt.Errorf("worker %d round %d: a fresh value needs resealing", w, r)
					}
					if _, err := s.Reseal(t.Context(), oldSealed, []byte("shared")); err != nil {
						return err
					}
				}
				return nil
			}()
		})
	}
	wg.Wait()
	for w, err := range errs {
		require.NoError(t, err, "worker %d", w)
	}
}

func TestNewAESGCMErrors(t *testing.T) {
	t.Parallel()
	k1 := testKey(t, "k1", 1)
	for _, tc := range []struct {
		name    string
		current connect.Key
		old     []connect.Key
		want    string
	}{
		{"zero current key", connect.Key{}, nil, "the current key is the zero Key"},
		{"zero old key", k1, []connect.Key{testKey(t, "k0", 0), {}}, "old key 2 is the zero Key"},
		{"old key with the current key's ID", k1, []connect.Key{testKey(t, "k1", 2)}, `old key 1 has the ID "k1"`},
		{"two old keys with one ID", k1, []connect.Key{testKey(t, "k0", 2), testKey(t, "k0", 3)}, `old key 2 has the ID "k0"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := connect.NewAESGCM(tc.current, tc.old...)
			require.ErrorIs(t, err, connect.ErrInvalidKey)
			require.ErrorContains(t, err, tc.want)
			require.Nil(t, s)
		})
	}
}

func TestNewKey(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte{5}, connect.KeySize)
	k, err := connect.NewKey("prod-2025.06_a", secret)
	require.NoError(t, err)
	require.Equal(t, "prod-2025.06_a", k.ID())
	want := k.Export()
	secret[0] = 6
	require.Equal(t, want, k.Export(), "NewKey copies the key")

	for _, tc := range []struct {
		name, id string
		size     int
		want     string
	}{
		{"empty ID", "", connect.KeySize, "a key ID is 1 to 32"},
		{"ID too long", strings.Repeat("k", connect.MaxKeyIDLen+1), connect.KeySize, "a key ID is 1 to 32"},
		{"colon in ID", "k:1", connect.KeySize, "a key ID is 1 to 32"},
		{"space in ID", "k 1", connect.KeySize, "a key ID is 1 to 32"},
		{"non-ASCII ID", "kē", connect.KeySize, "a key ID is 1 to 32"},
		{"AES-128 key", "k1", 16, "the key is 16 bytes, it must be 32"},
		{"no key", "k1", 0, "the key is 0 bytes, it must be 32"},
		{"key too long", "k1", 33, "the key is 33 bytes, it must be 32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := connect.NewKey(tc.id, bytes.Repeat([]byte{9}, tc.size))
			require.ErrorIs(t, err, connect.ErrInvalidKey)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err = connect.NewKey(strings.Repeat("k", connect.MaxKeyIDLen), secret)
	require.NoError(t, err, "an ID of MaxKeyIDLen")
}

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	a, err := connect.GenerateKey("a")
	require.NoError(t, err)
	b, err := connect.GenerateKey("b")
	require.NoError(t, err)
	require.NotEqual(t, strings.TrimPrefix(a.Export(), "a:"), strings.TrimPrefix(b.Export(), "b:"))
	back, err := connect.ParseKey(a.Export())
	require.NoError(t, err)
	require.Equal(t, a.Export(), back.Export())
	require.Equal(t, "a", back.ID())

	_, err = connect.GenerateKey("not an id")
	require.ErrorIs(t, err, connect.ErrInvalidKey)
	require.Empty(t, connect.Key{}.Export())
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	raw1, raw2 := bytes.Repeat([]byte{0xfb}, connect.KeySize), bytes.Repeat([]byte{0xef}, connect.KeySize)
	std2, std1 := base64.StdEncoding.EncodeToString(raw2), base64.StdEncoding.EncodeToString(raw1)
	url1 := base64.RawURLEncoding.EncodeToString(raw1) // has '-' and '_', no padding
	for _, tc := range []struct {
		name, in string
		ids      []string
	}{
		{"one key", "k1:" + std1, []string{"k1"}},
		{"current first", "k2:" + std2 + ",k1:" + std1, []string{"k2", "k1"}},
		{"spaces and a trailing newline", " k2 : " + std2 + " ,\tk1:" + std1 + "\n", []string{"k2", "k1"}},
		{"one per line", "k2:" + std2 + "\r\nk1:" + std1 + "\r\n", []string{"k2", "k1"}},
		{"empty entries", ",k2:" + std2 + ",,k1:" + std1 + ",", []string{"k2", "k1"}},
		{"URL alphabet without padding", "k1:" + url1, []string{"k1"}},
		{"standard alphabet without padding", "k1:" + strings.TrimRight(std1, "="), []string{"k1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			keys, err := connect.ParseKeys(tc.in)
			require.NoError(t, err)
			var ids []string
			for _, k := range keys {
				ids = append(ids, k.ID())
			}
			require.Equal(t, tc.ids, ids)
			require.Equal(t, "k1:"+std1, keys[len(keys)-1].Export())
		})
	}
}

// Key texts that do not parse say why, by position, and never quote the text.
func TestParseKeysErrors(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte{0xa7}, connect.KeySize)
	good := base64.StdEncoding.EncodeToString(secret)
	short := base64.StdEncoding.EncodeToString(secret[:16])
	long := base64.StdEncoding.EncodeToString(append(bytes.Clone(secret), 1))
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "no keys"},
		{"only separators", " ,\n, ", "no keys"},
		{"no ID", good, "key 1 of 1: no key ID"},
		{"no ID on the old key", "k2:" + good + "," + good, "key 2 of 2: no key ID"},
		{"empty ID", ":" + good, "key 1 of 1: a key ID is 1 to 32"},
		{"key and ID swapped", good + ":k1", "key 1 of 1: a key ID is 1 to 32"},
		{"bad ID", "k/1:" + good, "key 1 of 1: a key ID is 1 to 32"},
		{"no key", "k1:", "key 1 of 1: nothing after the key ID's colon"},
		{"hex, not base64", "k1:" + fmt.Sprintf("%x", secret), "key 1 of 1: the key is 48 bytes, it must be 32"},
		{"not base64", "k1:" + good[:20] + "!" + good[21:], "key 1 of 1: the key is not base64"},
		{"two colons", "k1:" + good + ":x", "key 1 of 1: the key is not base64"},
		{"space inside the key", "k1:" + good[:20] + " " + good[20:], "key 1 of 1: the key is not base64"},
		{"non-canonical padding bits", "k1:" + good[:42] + "B=", "key 1 of 1: the key is not base64"},
		{"AES-128 key", "k1:" + short, "key 1 of 1: the key is 16 bytes, it must be 32"},
		{"33 bytes", "k1:" + long, "key 1 of 1: the key is 33 bytes, it must be 32"},
		{"duplicate ID", "k1:" + good + ",k2:" + good + ",k1:" + good, `keys 1 and 3 both have the ID "k1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			keys, err := connect.ParseKeys(tc.in)
			require.ErrorIs(t, err, connect.ErrInvalidKey)
			require.ErrorContains(t, err, tc.want)
			require.Nil(t, keys)
			requireSecretFree(t, err.Error(), secret, secret[:16])
			if len(tc.in) > 8 {
				require.NotContains(t, err.Error(), tc.in)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	k, err := connect.ParseKey(" k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, connect.KeySize)) + " ")
	require.NoError(t, err)
	require.Equal(t, testKey(t, "k1", 1).Export(), k.Export())
	_, err = connect.ParseKey("k1:" + base64.StdEncoding.EncodeToString([]byte("short")))
	require.ErrorIs(t, err, connect.ErrInvalidKey)
	require.EqualError(t, err, "connect: invalid key: the key is 5 bytes, it must be 32 (AES-256; e.g. openssl rand -base64 32)")
}

// Printing keys and sealers, however it is done, shows IDs, never keys.
func TestPrintingShowsNoKey(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte{0x5c}, connect.KeySize)
	k, err := connect.NewKey("k1", secret)
	require.NoError(t, err)
	keys, err := connect.ParseKeys(k.Export())
	require.NoError(t, err)
	s := newSealer(t, k)
	type config struct {
		keys   []connect.Key // unexported: fmt reaches it by reflection, not through methods
		Sealer connect.Sealer
	}
	var logged bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logged, nil))
	logger.Info("keys", "key", k, "keys", keys, "sealer", s)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("keys", "key", k, "keys", keys, "sealer", s)

	for _, text := range []string{
		fmt.Sprintf("%v %+v %#v", k, k, k),
		fmt.Sprintf("%v %+v %#v", keys, keys, keys),
		fmt.Sprintf("%v %+v %#v", s, s, s),
		fmt.Sprintf("%v %+v %#v", *s, *s, *s),
		fmt.Sprintf("%v %+v %#v", config{keys, s}, config{keys, s}, config{keys, s}),
		logged.String(),
	} {
		requireSecretFree(t, text, secret)
	}
	require.Contains(t, logged.String(), "k1")
}

// sealedSeeds are values sealed once by testKey("k2", 2) and testKey("k1", 1): fixed, because values
// sealed when the fuzz target starts would differ (random nonces) between the fuzzing processes.
var sealedSeeds = []struct{ sealed, aad, plaintext string }{
	{"01026b32659a0fba1e136c709badeb3863a808134d16daa31a7765358545baf78f0a7095f977d31256387e619a976cc6143c45cfe5408fe58f519b0e", "chan_1\x00access_token", token},
	{"01026b3275e7c4fb23c7900b52b350488c3e418b19fa53d629102edd83360964", "", ""},
	{"01026b3291308f60082fa9b8710a9857c87930dc6bdab952fa115dc6cf0407fc6d", "chan_1\x00channel_secret", "s"},
	{"01026b312af0860519058e01374b18d0b28ada358a88d5f8dd2eaa065cd6b77dea17b59e7b60201bd90782cc146cd1387ab144c34481aaea3452a000", "chan_1\x00access_token", token}, // under k1
}

// FuzzOpen feeds Open arbitrary bytes and additional data: it never panics nor modifies its input, and
// only the values in sealedSeeds open, with the additional data they were sealed with, to their plaintext.
func FuzzOpen(f *testing.F) {
	s := newSealer(f, testKey(f, "k2", 2), testKey(f, "k1", 1))
	type sealedWith struct{ sealed, aad string }
	opens := map[sealedWith]string{}
	for _, seed := range sealedSeeds {
		sealed, err := hex.DecodeString(seed.sealed)
		require.NoError(f, err)
		opens[sealedWith{string(sealed), seed.aad}] = seed.plaintext
		f.Add(sealed, []byte(seed.aad))
		f.Add(sealed, []byte("other"))
	}
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1, 2, 'k', '3'}, []byte{})
	f.Add(append([]byte{1, 32}, bytes.Repeat([]byte{'k'}, 60)...), []byte{})
	f.Add([]byte(token), []byte{})

	f.Fuzz(func(t *testing.T, sealed, aad []byte) {
		kept := bytes.Clone(sealed)
		got, err := s.Open(t.Context(), sealed, aad)
		s.NeedsReseal(sealed)
		require.Equal(t, kept, sealed, "Open modified its input")
		want, ok := opens[sealedWith{string(sealed), string(aad)}]
		if !ok {
			if !errors.Is(err, connect.ErrSealBroken) && !errors.Is(err, connect.ErrUnknownKey) {
				require.Failf(t, "a value that was not sealed opened", "error: %v", err)
			}
			require.Nil(t, got)
			return
		}
		require.NoError(t, err)
		require.Equal(t, want, string(got))
	})
}

// FuzzParseKeys feeds ParseKeys arbitrary text: it never panics; what it accepts is a usable key ring that
// exports and parses back to itself; what it refuses wraps ErrInvalidKey and quotes no key.
func FuzzParseKeys(f *testing.F) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, connect.KeySize))
	for _, s := range []string{
		"", "k1:" + good, "k2:" + good + ",k1:" + good, " k2 : " + good + "\nk1:" + good + "\n",
		"k1:" + strings.TrimRight(good, "="), good, ":" + good, "k1:", "k1:" + good + ":",
		"k1:" + good[:30], "k1:" + good + ",k1:" + good, "k1:AAAA", "k/1:" + good,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := connect.ParseKeys(s)
		if err != nil {
			require.ErrorIs(t, err, connect.ErrInvalidKey)
			require.Nil(t, keys)
			for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == ':' }) {
				item = strings.TrimSpace(item)
				if len(item) >= 16 && strings.Trim(item, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_") == "" {
					require.NotContains(t, err.Error(), item, "the error quotes what may be a key")
				}
			}
			return
		}
		require.NotEmpty(t, keys)
		exported := make([]string, len(keys))
		for i, k := range keys {
			require.NotEmpty(t, k.ID())
			require.LessOrEqual(t, len(k.ID()), connect.MaxKeyIDLen)
			exported[i] = k.Export()
			one, err := connect.ParseKey(exported[i])
			require.NoError(t, err)
			require.Equal(t, exported[i], one.Export())
		}
		back, err := connect.ParseKeys(strings.Join(exported, ","))
		require.NoError(t, err)
		require.Len(t, back, len(keys))
		for i := range back {
			require.Equal(t, exported[i], back[i].Export())
		}
		sealer, err := connect.NewAESGCM(keys[0], keys[1:]...)
		require.NoError(t, err)
		sealed, err := sealer.Seal(t.Context(), []byte(token), nil)
		require.NoError(t, err)
		got, err := sealer.Open(t.Context(), sealed, nil)
		require.NoError(t, err)
		require.Equal(t, token, string(got))
	})
}
