package core

import (
	"fmt"

	"github.com/google/uuid"
)

// Scope is what an API key may do. Each scope includes the ones below it:
// read < write < admin.
type Scope string

// The API key scopes.
const (
	// ScopeRead may read: GET routes and the POST routes that only query
	// (*/filter, */count, */history, the UI's read POSTs).
	ScopeRead Scope = "read"
	// ScopeWrite may do everything the Prefect client, CLI and agent do,
	// reading block secrets included (Block.load, the agent's
	// infrastructure blocks).
	ScopeWrite Scope = "write"
	// ScopeAdmin may also manage API keys, read the audit log and call
	// admin/* (database clear included).
	ScopeAdmin Scope = "admin"
)

// Scopes lists every scope, lowest first.
func Scopes() []Scope { return []Scope{ScopeRead, ScopeWrite, ScopeAdmin} }

func (s Scope) rank() int {
	switch s {
	case ScopeRead:
		return 1
	case ScopeWrite:
		return 2
	case ScopeAdmin:
		return 3
	}
	return 0
}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s.rank() > 0 }

// Includes reports whether a key of scope s may do what need requires.
func (s Scope) Includes(need Scope) bool { return s.Valid() && s.rank() >= need.rank() }

// ParseScope parses a scope name.
func ParseScope(v string) (Scope, error) {
	s := Scope(v)
	if !s.Valid() {
		return "", Errorf(EInvalid, "unknown scope %q: use read, write or admin", v)
	}
	return s, nil
}

// APIKey is a stored API key. The key itself is never stored: Hash is its
// SHA-256, and the key is shown once, when created.
type APIKey struct {
	// ID is the public part of the key (orr_<ID>_<secret>), so a lookup is
	// one read by id.
	ID       string `json:"id"`
	Name     string `json:"name"`
	Scope    Scope  `json:"scope"`
	Hash     []byte `json:"hash"`
	Created  Time   `json:"created"`
	Expires  *Time  `json:"expires"`
	Revoked  *Time  `json:"revoked"`
	LastUsed *Time  `json:"last_used"`
	// CreatedBy is the id of the key that created this one, or a note such
	// as "cli" for keys made directly in the database.
	CreatedBy string `json:"created_by"`
}

// Active reports whether k may authenticate at now: not revoked, not
// expired.
func (k *APIKey) Active(now Time) bool {
	if k.Revoked != nil {
		return false
	}
	return k.Expires == nil || now.Before(k.Expires.Time)
}

// AuditRecord is one admin action: who (key id and name), what (method,
// path, status) and when.
type AuditRecord struct {
	ID        uuid.UUID `json:"id"`
	Timestamp Time      `json:"timestamp"`
	KeyID     string    `json:"key_id"`
	KeyName   string    `json:"key_name"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Status    int       `json:"status"`
}

func (r *AuditRecord) String() string {
	return fmt.Sprintf("%s %s %s %d by %s (%s)", r.Timestamp.Format("2006-01-02T15:04:05Z"), r.Method, r.Path, r.Status, r.KeyName, r.KeyID)
}
