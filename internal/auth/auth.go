// Package auth is Orrery's API-key authentication: key generation, the
// check the HTTP handler runs on every request (with an in-memory cache so a
// warm Lambda adds no store read), the scope each route needs, and the
// context value that tells handlers who is calling.
//
// # Keys
//
// A key is "orr_<id>_<secret>": <id> is 16 hex digits (8 random bytes) and
// names the stored record, so a lookup is one read by id; <secret> is 32
// random bytes (crypto/rand), base64url. The store keeps only the SHA-256
// of the whole key. A slow password hash (bcrypt, argon2) is unnecessary
// here: it exists to make guessing low-entropy passwords expensive, and a
// 256-bit random secret cannot be guessed however fast the hash is. A fast
// hash also keeps the per-request check cheap. Hashes are compared in
// constant time.
//
// # Cache and revocation bound
//
// Authenticate caches, per key hash, the record it read for CacheTTL (30 s
// by default) and unknown keys for NegativeTTL (5 s), in at most CacheSize
// entries each. A key revoked through this process stops working at once
// (Revoke drops its entries); other processes (other Lambda instances, other
// servers on the same database) see a revocation within CacheTTL. Expiry is
// checked on every request against the clock, cached or not.
//
// last_used is written at most once per TouchEvery (1 minute) per key and
// process, so a request normally costs no write.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// Prefix starts every Orrery API key.
const Prefix = "orr_"

// Defaults of Config.
const (
	DefaultCacheTTL    = 30 * time.Second
	DefaultNegativeTTL = 5 * time.Second
	DefaultCacheSize   = 4096
	DefaultTouchEvery  = time.Minute
)

// Config configures an Authenticator.
type Config struct {
	Store  store.APIKeyStore
	Now    func() time.Time
	Logger *slog.Logger
	// CacheTTL bounds how long another process's revocation takes to apply.
	CacheTTL time.Duration
	// NegativeTTL is how long an unknown key is remembered as unknown.
	NegativeTTL time.Duration
	// CacheSize bounds the positive and the negative cache (entries each).
	CacheSize int
	// TouchEvery is the least time between two last_used writes of a key.
	TouchEvery time.Duration
}

// Authenticator checks API keys against the store.
type Authenticator struct {
	cfg Config

	mu  sync.Mutex
	pos map[[32]byte]*entry
	neg map[[32]byte]time.Time // hash -> until
}

type entry struct {
	key     core.APIKey
	until   time.Time // cached until
	touched time.Time // last last_used write by this process (or the stored value)
}

// New returns an Authenticator with cfg's zero fields defaulted.
func New(cfg Config) *Authenticator {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.NegativeTTL == 0 {
		cfg.NegativeTTL = DefaultNegativeTTL
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.TouchEvery == 0 {
		cfg.TouchEvery = DefaultTouchEvery
	}
	return &Authenticator{cfg: cfg, pos: map[[32]byte]*entry{}, neg: map[[32]byte]time.Time{}}
}

// Hash is the stored form of a key.
func Hash(key string) [32]byte { return sha256.Sum256([]byte(key)) }

// CreateParams describes a new key.
type CreateParams struct {
	Name  string
	Scope core.Scope
	// Expires is optional.
	Expires *time.Time
	// CreatedBy names the creator: a key id, or "cli" for the local command.
	CreatedBy string
}

// NewKey generates a key and its record (not stored). The key is returned
// once and never kept.
func NewKey(p CreateParams, now time.Time) (string, *core.APIKey, error) {
	if strings.TrimSpace(p.Name) == "" {
		return "", nil, core.Errorf(core.EInvalid, "an API key needs a name")
	}
	if !p.Scope.Valid() {
		return "", nil, core.Errorf(core.EInvalid, "unknown scope %q: use read, write or admin", p.Scope)
	}
	if p.Expires != nil && !p.Expires.After(now) {
		return "", nil, core.Errorf(core.EInvalid, "the expiry %s is not in the future", p.Expires.UTC().Format(time.RFC3339))
	}
	var idb [8]byte
	var secret [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", nil, err
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return "", nil, err
	}
	id := hex.EncodeToString(idb[:])
	key := Prefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	h := Hash(key)
	k := &core.APIKey{ID: id, Name: p.Name, Scope: p.Scope, Hash: h[:], Created: core.T(now), CreatedBy: p.CreatedBy}
	if p.Expires != nil {
		t := core.T(*p.Expires)
		k.Expires = &t
	}
	return key, k, nil
}

// Create generates a key, stores its record and returns the key (shown
// once) with the record.
func (a *Authenticator) Create(ctx context.Context, p CreateParams) (string, *core.APIKey, error) {
	return Create(ctx, a.cfg.Store, p, a.cfg.Now())
}

// Create generates and stores a key without an Authenticator (the local
// CLI).
func Create(ctx context.Context, st store.APIKeyStore, p CreateParams, now time.Time) (string, *core.APIKey, error) {
	key, k, err := NewKey(p, now)
	if err != nil {
		return "", nil, err
	}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		return "", nil, err
	}
	return key, k, nil
}

// Revoke revokes the key id and forgets it at once in this process.
func (a *Authenticator) Revoke(ctx context.Context, id string) (*core.APIKey, error) {
	k, err := a.cfg.Store.RevokeAPIKey(ctx, &store.RevokeAPIKeyParams{ID: id, At: a.cfg.Now()})
	a.mu.Lock()
	for h, e := range a.pos {
		if e.key.ID == id {
			delete(a.pos, h)
		}
	}
	a.mu.Unlock()
	return k, err
}

// ParseID returns the id part of a well-formed key.
func ParseID(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, Prefix)
	if !ok {
		return "", false
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 16 || len(secret) != 43 {
		return "", false
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", false
	}
	return id, true
}

// Errors of Authenticate, rendered as 401 by the API.
var (
	errMissing = core.Errorf(core.EUnauthorized, "Not authenticated: send an API key in an 'Authorization: Bearer' header (the Prefect client sends PREFECT_API_KEY).")
	errInvalid = core.Errorf(core.EUnauthorized, "Invalid API key.")
	errExpired = core.Errorf(core.EUnauthorized, "API key expired.")
	errRevoked = core.Errorf(core.EUnauthorized, "API key revoked.")
)

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header value ("" when there is none).
func BearerToken(header string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// Authenticate returns the active key record for key, or an EUnauthorized
// error. It never logs the key.
func (a *Authenticator) Authenticate(ctx context.Context, key string) (*core.APIKey, error) {
	if key == "" {
		return nil, errMissing
	}
	id, ok := ParseID(key)
	if !ok {
		return nil, errInvalid
	}
	h := Hash(key)
	now := a.cfg.Now()

	a.mu.Lock()
	if until, ok := a.neg[h]; ok {
		if now.Before(until) {
			a.mu.Unlock()
			return nil, errInvalid
		}
		delete(a.neg, h)
	}
	e, ok := a.pos[h]
	if ok && !now.Before(e.until) {
		delete(a.pos, h)
		ok = false
	}
	var k core.APIKey
	if ok {
		k = e.key
	}
	a.mu.Unlock()

	if !ok {
		stored, err := a.cfg.Store.GetAPIKey(ctx, id)
		switch {
		case core.IsNotFound(err):
			a.remember(h, nil, now)
			return nil, errInvalid
		case err != nil:
			return nil, err
		}
		if subtle.ConstantTimeCompare(stored.Hash, h[:]) != 1 {
			// The id exists but the secret is wrong.
			a.remember(h, nil, now)
			return nil, errInvalid
		}
		k = *stored
		a.remember(h, stored, now)
	}
	switch {
	case k.Revoked != nil:
		return nil, errRevoked
	case k.Expires != nil && !now.Before(k.Expires.Time):
		return nil, errExpired
	}
	a.touch(ctx, h, &k, now)
	return &k, nil
}

// remember caches k (nil: unknown) for hash h, evicting when full.
func (a *Authenticator) remember(h [32]byte, k *core.APIKey, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if k == nil {
		if len(a.neg) >= a.cfg.CacheSize {
			evict(a.neg, func(until time.Time) bool { return !now.Before(until) })
		}
		a.neg[h] = now.Add(a.cfg.NegativeTTL)
		return
	}
	if len(a.pos) >= a.cfg.CacheSize {
		evict(a.pos, func(e *entry) bool { return !now.Before(e.until) })
	}
	e := &entry{key: *k, until: now.Add(a.cfg.CacheTTL)}
	if k.LastUsed != nil {
		e.touched = k.LastUsed.Time
	}
	if old, ok := a.pos[h]; ok && old.touched.After(e.touched) {
		e.touched = old.touched
	}
	a.pos[h] = e
}

// evict drops the expired entries of m, or, if none is, an arbitrary
// quarter of it (map order), so the cache stays bounded under a flood.
func evict[V any](m map[[32]byte]V, expired func(V) bool) {
	n := 0
	for h, v := range m {
		if expired(v) {
			delete(m, h)
			n++
		}
	}
	if n > 0 {
		return
	}
	drop := max(1, len(m)/4)
	for h := range m {
		if drop == 0 {
			return
		}
		delete(m, h)
		drop--
	}
}

// touch writes last_used when this process has not in TouchEvery. A failed
// write is logged, not fatal: the request is already authenticated.
func (a *Authenticator) touch(ctx context.Context, h [32]byte, k *core.APIKey, now time.Time) {
	a.mu.Lock()
	e, ok := a.pos[h]
	due := ok && now.Sub(e.touched) >= a.cfg.TouchEvery
	if due {
		e.touched = now
	}
	a.mu.Unlock()
	if !due {
		return
	}
	if err := a.cfg.Store.TouchAPIKey(ctx, &store.TouchAPIKeyParams{ID: k.ID, At: now}); err != nil {
		a.cfg.Logger.Warn("recording API key use", "key_id", k.ID, "err", err)
	}
}

type ctxKey struct{}

// WithKey returns ctx carrying the authenticated key.
func WithKey(ctx context.Context, k *core.APIKey) context.Context {
	return context.WithValue(ctx, ctxKey{}, k)
}

// FromContext returns the authenticated key of a request, or nil when
// authentication is off.
func FromContext(ctx context.Context) *core.APIKey {
	k, _ := ctx.Value(ctxKey{}).(*core.APIKey)
	return k
}

// CacheLen returns the number of cached known and unknown keys (for tests
// and metrics).
func (a *Authenticator) CacheLen() (known, unknown int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.pos), len(a.neg)
}
