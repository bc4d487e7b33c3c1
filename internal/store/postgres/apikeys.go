package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// KeptTables are created by the migrations but survive Reset (see
// store.APIKeyStore): Reset drops Tables only.
var KeptTables = []string{"api_keys", "audit_log"}

func (s *Store) CreateAPIKey(ctx context.Context, k *core.APIKey) error {
	doc, err := marshal(k)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO api_keys (id, created, revoked, doc) VALUES ($1, $2, $3, $4)`,
		k.ID, k.Created.Time, ts(k.Revoked), doc)
	if isUnique(err) {
		return core.Errorf(core.EConflict, "API key %s already exists", k.ID)
	}
	return err
}

func (s *Store) GetAPIKey(ctx context.Context, id string) (*core.APIKey, error) {
	return getDoc[core.APIKey](ctx, s.pool, "API key", `SELECT doc FROM api_keys WHERE id = $1`, id)
}

func (s *Store) ListAPIKeys(ctx context.Context, q *store.APIKeyQuery) ([]*core.APIKey, error) {
	where := ` WHERE revoked IS NULL`
	if q.IncludeRevoked {
		where = ""
	}
	return listDocs[core.APIKey](ctx, s.pool, `SELECT doc FROM api_keys`+where+` ORDER BY created, id`+page(q.Page))
}

// updateAPIKey reads (FOR UPDATE), changes and writes back one key.
func (s *Store) updateAPIKey(ctx context.Context, id string, change func(*core.APIKey) bool) (*core.APIKey, error) {
	var out *core.APIKey
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		k, err := getDoc[core.APIKey](ctx, tx, "API key", `SELECT doc FROM api_keys WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		out = k
		if !change(k) {
			return nil
		}
		doc, err := marshal(k)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE api_keys SET revoked = $2, doc = $3 WHERE id = $1`, id, ts(k.Revoked), doc)
		return err
	})
	return out, err
}

func (s *Store) RevokeAPIKey(ctx context.Context, p *store.RevokeAPIKeyParams) (*core.APIKey, error) {
	return s.updateAPIKey(ctx, p.ID, func(k *core.APIKey) bool { return store.ApplyRevoke(k, p.At) })
}

func (s *Store) TouchAPIKey(ctx context.Context, p *store.TouchAPIKeyParams) error {
	_, err := s.updateAPIKey(ctx, p.ID, func(k *core.APIKey) bool { return store.ApplyTouch(k, p.At) })
	return err
}

func (s *Store) CreateAuditRecord(ctx context.Context, r *core.AuditRecord) error {
	doc, err := marshal(r)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO audit_log (id, ts, doc) VALUES ($1, $2, $3)`, r.ID, r.Timestamp.Time, doc)
	if isUnique(err) {
		return core.Errorf(core.EConflict, "audit record %s already exists", r.ID)
	}
	return err
}

func (s *Store) ListAuditRecords(ctx context.Context, q *store.AuditQuery) ([]*core.AuditRecord, error) {
	return listDocs[core.AuditRecord](ctx, s.pool, `SELECT doc FROM audit_log ORDER BY ts DESC, id DESC`+page(q.Page))
}
