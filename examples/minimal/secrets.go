package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/msgkit/msgkit/conversation/connect"
)

// secret reads a secret from file, else from the environment variable env; "" when neither gives one.
// Only the file's name or the variable's appears in errors, never the secret.
func secret(file, env string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", file, errors.Unwrap(err))
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(os.Getenv(env)), nil
}

// sessionKey decodes the session key: base64 (standard or URL alphabet, padded or not) of at least 32
// bytes.
func sessionKey(s, from string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) < 32 {
				return nil, fmt.Errorf("the session key (%s) is %d bytes; it needs at least 32", from, len(k))
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("the session key (%s) is not base64; make one with: openssl rand -base64 32", from)
}

// derive returns a key for purpose from the session key, so that one secret signs sessions and media
// URLs without either signature standing for the other.
func derive(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("msgkit-example/" + purpose))
	return m.Sum(nil)
}

// keys returns the session key and the sealer of stored credentials: from the demo's data directory
// (made on its first start and kept, so that a restarted demo opens what it sealed and keeps everyone
// signed in), or from the files or environment the flags name.
func keys(cfg config) ([]byte, *connect.AESGCM, error) {
	if cfg.demo {
		return demoKeys(cfg.dataDir)
	}
	s, err := secret(cfg.sessionKeyFile, envSessionKey)
	if err != nil {
		return nil, nil, err
	}
	if s == "" {
		return nil, nil, errors.New("give the session key in a file (-session-key-file) or $" + envSessionKey +
			"; make one with: openssl rand -base64 32")
	}
	session, err := sessionKey(s, sourceOf(cfg.sessionKeyFile, envSessionKey))
	if err != nil {
		return nil, nil, err
	}
	s, err = secret(cfg.sealKeysFile, envSealKeys)
	if err != nil {
		return nil, nil, err
	}
	if s == "" {
		if cfg.storeKind != "memory" {
			return nil, nil, errors.New("give the keys that seal stored channel credentials in a file (-seal-keys-file) or $" + envSealKeys +
				`, and keep them in your secret store; make one with: echo "k1:$(openssl rand -base64 32)"`)
		}
		k, err := connect.GenerateKey("run") // nothing is kept: a key for this run will do
		if err != nil {
			return nil, nil, err
		}
		sealer, err := connect.NewAESGCM(k)
		return session, sealer, err
	}
	ks, err := connect.ParseKeys(s)
	if err != nil {
		return nil, nil, fmt.Errorf("the sealing keys (%s): %w", sourceOf(cfg.sealKeysFile, envSealKeys), err)
	}
	sealer, err := connect.NewAESGCM(ks[0], ks[1:]...)
	return session, sealer, err
}

func sourceOf(file, env string) string {
	if file != "" {
		return file
	}
	return "$" + env
}

// demoKeys reads the demo's session and sealing keys from its data directory, making them on the first
// start.
func demoKeys(dir string) ([]byte, *connect.AESGCM, error) {
	s, err := keepFile(filepath.Join(dir, "session.key"), func() (string, error) {
		k := make([]byte, 32)
		_, err := rand.Read(k)
		return base64.StdEncoding.EncodeToString(k), err
	})
	if err != nil {
		return nil, nil, err
	}
	session, err := sessionKey(s, "the demo's session.key")
	if err != nil {
		return nil, nil, err
	}
	s, err = keepFile(filepath.Join(dir, "seal.key"), func() (string, error) {
		k, err := connect.GenerateKey("demo")
		return k.Export(), err
	})
	if err != nil {
		return nil, nil, err
	}
	ks, err := connect.ParseKeys(s)
	if err != nil {
		return nil, nil, fmt.Errorf("the demo's seal.key: %w", err)
	}
	sealer, err := connect.NewAESGCM(ks[0])
	return session, sealer, err
}

// keepFile returns the content of path, writing make's first if there is none (readable by the owner
// only; written whole, or not at all).
func keepFile(path string, make func() (string, error)) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	v, err := make()
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(path, []byte(v+"\n"), 0o600); err != nil {
		return "", err
	}
	return v, nil
}

// writeFileAtomic writes data to path through a temporary file renamed over it, synced first: a crash
// leaves the old content or the new, never a part.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after the rename, there is nothing left to remove
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
