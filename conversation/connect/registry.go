package connect

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/store"
)

// ErrUnknownKind: no Connector is registered for a channel's kind.
var ErrUnknownKind = errors.New("connect: no connector for this channel kind")

// Registry knows the channel kinds a host supports (one channel.Connector each) and builds every
// connected account's adapter from its stored credentials, which it keeps sealed. It implements
// conversation.Adapters, so a host with 500 accounts writes no factory code: each adapter is built once,
// on first use, and again when the channel's credentials change.
//
// Registry is safe for concurrent use.
type Registry struct {
	sealer Sealer
	kinds  map[string]channel.Connector

	mu       sync.Mutex
	adapters map[string]built // channel ID → its adapter
}

// built is an adapter and the fingerprint of the sealed credentials it was built from.
type built struct {
	adapter     channel.Adapter
	fingerprint [sha256.Size]byte
}

// NewRegistry returns a Registry that seals credentials with sealer and serves the connectors' kinds.
func NewRegistry(sealer Sealer, connectors ...channel.Connector) (*Registry, error) {
	if sealer == nil {
		return nil, errors.New("connect: NewRegistry needs a Sealer")
	}
	r := &Registry{sealer: sealer, kinds: map[string]channel.Connector{}, adapters: map[string]built{}}
	for _, c := range connectors {
		if c == nil || c.Kind() == "" {
			return nil, errors.New("connect: a connector must name its kind")
		}
		if _, dup := r.kinds[c.Kind()]; dup {
			return nil, fmt.Errorf("connect: two connectors for kind %q", c.Kind())
		}
		r.kinds[c.Kind()] = c
	}
	return r, nil
}

// Kinds returns the kinds the registry serves, sorted.
func (r *Registry) Kinds() []string { return slices.Sorted(maps.Keys(r.kinds)) }

// connector returns the Connector of kind.
func (r *Registry) connector(kind string) (channel.Connector, error) {
	c, ok := r.kinds[kind]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKind, kind)
	}
	return c, nil
}

// Adapter implements conversation.Adapters: the adapter of a connected channel, built from its stored
// credentials on first use and rebuilt when they change.
func (r *Registry) Adapter(ctx context.Context, ch store.Channel) (channel.Adapter, error) {
	fp := fingerprint(ch.Credentials)
	r.mu.Lock()
	b, ok := r.adapters[ch.ID]
	r.mu.Unlock()
	if ok && b.fingerprint == fp {
		return b.adapter, nil
	}
	if ch.Credentials == nil {
		return nil, fmt.Errorf("connect: channel %s is disconnected: it has no credentials: %w", ch.ID, store.ErrNotFound)
	}
	c, err := r.connector(ch.Kind)
	if err != nil {
		return nil, err
	}
	creds, err := r.open(ctx, ch.ID, ch.Credentials)
	if err != nil {
		return nil, err
	}
	a, err := c.Adapter(creds)
	if err != nil {
		return nil, fmt.Errorf("connect: building channel %s's adapter: %w", ch.ID, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.adapters[ch.ID]; ok && b.fingerprint == fp {
		return b.adapter, nil // a concurrent caller built it first: one adapter per channel
	}
	r.adapters[ch.ID] = built{adapter: a, fingerprint: fp}
	return a, nil
}

// forget drops a channel's adapter (its credentials were removed).
func (r *Registry) forget(channelID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.adapters, channelID)
}

// fingerprint identifies a set of stored credentials.
func fingerprint(creds map[string]string) [sha256.Size]byte {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(creds)) {
		fmt.Fprintf(h, "%d:%s=%d:%s;", len(k), k, len(creds[k]), creds[k])
	}
	var fp [sha256.Size]byte
	h.Sum(fp[:0])
	return fp
}

// aad binds a sealed credential to its channel and field, so a sealed value copied to another channel or
// field does not open.
func aad(channelID, field string) []byte { return []byte(channelID + "\x00" + field) }

// seal seals each credential of channel channelID for storing.
func (r *Registry) seal(ctx context.Context, channelID string, creds channel.Credentials) (map[string]string, error) {
	out := make(map[string]string, len(creds))
	for field, v := range creds {
		sealed, err := r.sealer.Seal(ctx, []byte(v), aad(channelID, field))
		if err != nil {
			return nil, fmt.Errorf("connect: sealing credential %s: %w", field, err)
		}
		out[field] = base64.StdEncoding.EncodeToString(sealed)
	}
	return out, nil
}

// open opens the stored credentials of channel channelID.
func (r *Registry) open(ctx context.Context, channelID string, stored map[string]string) (channel.Credentials, error) {
	out := make(channel.Credentials, len(stored))
	for field, v := range stored {
		sealed, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("connect: channel %s credential %s is not sealed: %w", channelID, field, ErrSealBroken)
		}
		plain, err := r.sealer.Open(ctx, sealed, aad(channelID, field))
		if err != nil {
			return nil, fmt.Errorf("connect: opening channel %s credential %s: %w", channelID, field, err)
		}
		out[field] = string(plain)
	}
	return out, nil
}

// masked is what reads show instead of a credential.
const masked = "********"

// mask returns ch with every credential masked: no read returns a secret.
func mask(ch store.Channel) store.Channel {
	if ch.Credentials != nil {
		m := make(map[string]string, len(ch.Credentials))
		for field := range ch.Credentials {
			m[field] = masked
		}
		ch.Credentials = m
	}
	return ch
}
