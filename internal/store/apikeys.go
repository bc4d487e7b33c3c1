package store

import (
	"context"
	"time"

	"github.com/orrery-dev/orrery/internal/core"
)

// APIKeyStore persists API keys and the audit log of admin actions.
//
// Keys and audit records are credentials and history, not orchestration
// data: Reset (database reset, admin/database/clear) keeps them, so clearing
// a hosted database through the API never locks its admins out or erases
// the record of the clear.
type APIKeyStore interface {
	// CreateAPIKey inserts k; a key with the same ID is EConflict.
	CreateAPIKey(ctx context.Context, k *core.APIKey) error
	// GetAPIKey reads a key by id (ENotFound when absent).
	GetAPIKey(ctx context.Context, id string) (*core.APIKey, error)
	// ListAPIKeys returns keys ordered by creation time, then id.
	ListAPIKeys(ctx context.Context, q *APIKeyQuery) ([]*core.APIKey, error)
	// RevokeAPIKey marks the key revoked at p.At and returns it. Revoking a
	// revoked key keeps the first revocation time.
	RevokeAPIKey(ctx context.Context, p *RevokeAPIKeyParams) (*core.APIKey, error)
	// TouchAPIKey records that the key was used at p.At (last_used); an
	// earlier time than the stored one is ignored.
	TouchAPIKey(ctx context.Context, p *TouchAPIKeyParams) error

	// CreateAuditRecord appends r to the audit log.
	CreateAuditRecord(ctx context.Context, r *core.AuditRecord) error
	// ListAuditRecords returns records newest first (timestamp, then id,
	// both descending).
	ListAuditRecords(ctx context.Context, q *AuditQuery) ([]*core.AuditRecord, error)
}

// APIKeyQuery selects API keys.
type APIKeyQuery struct {
	// IncludeRevoked lists revoked keys too.
	IncludeRevoked bool
	Page
}

// RevokeAPIKeyParams revokes one key.
type RevokeAPIKeyParams struct {
	ID string
	At time.Time
}

// TouchAPIKeyParams records one use of a key.
type TouchAPIKeyParams struct {
	ID string
	At time.Time
}

// AuditQuery selects audit records.
type AuditQuery struct {
	Page
}

// ApplyRevoke marks k revoked at at unless it already is; it reports
// whether k changed. Backends read, apply and write back.
func ApplyRevoke(k *core.APIKey, at time.Time) bool {
	if k.Revoked != nil {
		return false
	}
	t := core.T(at)
	k.Revoked = &t
	return true
}

// ApplyTouch sets k's last use to at unless the stored one is later; it
// reports whether k changed.
func ApplyTouch(k *core.APIKey, at time.Time) bool {
	t := core.T(at)
	if k.LastUsed != nil && !k.LastUsed.Before(t.Time) {
		return false
	}
	k.LastUsed = &t
	return true
}
