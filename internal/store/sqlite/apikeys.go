package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// keptTables survive Reset (see store.APIKeyStore).
var keptTables = []string{"api_keys", "audit_log"}

func (s *Store) CreateAPIKey(ctx context.Context, k *core.APIKey) error {
	doc, err := json.Marshal(k)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO api_keys (id, created, revoked, doc) VALUES (?, ?, ?, ?)`,
		k.ID, k.Created.UnixMicro(), micros(k.Revoked), string(doc))
	if isUnique(err) {
		return core.Errorf(core.EConflict, "API key %s already exists", k.ID)
	}
	return err
}

func (s *Store) GetAPIKey(ctx context.Context, id string) (*core.APIKey, error) {
	return getDoc[core.APIKey](ctx, s.r, "API key", `SELECT doc FROM api_keys WHERE id = ?`, id)
}

func (s *Store) ListAPIKeys(ctx context.Context, q *store.APIKeyQuery) ([]*core.APIKey, error) {
	where := ` WHERE revoked IS NULL`
	if q.IncludeRevoked {
		where = ""
	}
	return listDocs[core.APIKey](ctx, s.r, `SELECT doc FROM api_keys`+where+` ORDER BY created, id`+limitOffset(q.Page))
}

// updateAPIKey reads, changes and writes back one key in one transaction.
func (s *Store) updateAPIKey(ctx context.Context, id string, change func(*core.APIKey) bool) (*core.APIKey, error) {
	var out *core.APIKey
	err := s.tx(ctx, func(tx *sql.Tx) error {
		k, err := getDoc[core.APIKey](ctx, tx, "API key", `SELECT doc FROM api_keys WHERE id = ?`, id)
		if err != nil {
			return err
		}
		out = k
		if !change(k) {
			return nil
		}
		doc, err := json.Marshal(k)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE api_keys SET revoked = ?, doc = ? WHERE id = ?`, micros(k.Revoked), string(doc), id)
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
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO audit_log (id, ts, doc) VALUES (?, ?, ?)`, r.ID.String(), r.Timestamp.UnixMicro(), string(doc))
	if isUnique(err) {
		return core.Errorf(core.EConflict, "audit record %s already exists", r.ID)
	}
	return err
}

func (s *Store) ListAuditRecords(ctx context.Context, q *store.AuditQuery) ([]*core.AuditRecord, error) {
	return listDocs[core.AuditRecord](ctx, s.r, `SELECT doc FROM audit_log ORDER BY ts DESC, id DESC`+limitOffset(q.Page))
}
