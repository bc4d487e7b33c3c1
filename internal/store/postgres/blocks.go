package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

func (s *Store) CreateBlockType(ctx context.Context, t *core.BlockType) error {
	doc, err := marshal(t)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO block_types (id, slug, name, doc) VALUES ($1, $2, $3, $4)`, t.ID, t.Slug, t.Name, doc)
	if isUnique(err) {
		return core.Errorf(core.EConflict, "Block type already exists")
	}
	return err
}

func (s *Store) GetBlockType(ctx context.Context, id uuid.UUID) (*core.BlockType, error) {
	return getDoc[core.BlockType](ctx, s.pool, "Block type", `SELECT doc FROM block_types WHERE id = $1`, id)
}

func (s *Store) GetBlockTypeBySlug(ctx context.Context, slug string) (*core.BlockType, error) {
	return getDoc[core.BlockType](ctx, s.pool, "Block type", `SELECT doc FROM block_types WHERE slug = $1`, slug)
}

// UpdateBlockType merges only the mutable fields, so name and slug stay
// whatever the caller's copy says.
func (s *Store) UpdateBlockType(ctx context.Context, t *core.BlockType) error {
	p, err := patch(map[string]any{"logo_url": t.LogoURL, "documentation_url": t.DocumentationURL, "description": t.Description,
		"code_example": t.CodeExample, "is_protected": t.IsProtected, "updated": t.Updated})
	if err != nil {
		return err
	}
	return s.execOne(ctx, "Block type", `UPDATE block_types SET doc = doc || $2::jsonb WHERE id = $1`, t.ID, p)
}

func (s *Store) DeleteBlockType(ctx context.Context, id uuid.UUID) error {
	n, err := count(ctx, s.pool, `WITH bt AS (DELETE FROM block_types WHERE id = $1 RETURNING id),
		schemas AS (DELETE FROM block_schemas WHERE block_type_id IN (SELECT id FROM bt)),
		docs AS (DELETE FROM block_documents WHERE block_type_id IN (SELECT id FROM bt))
		SELECT count(*) FROM bt`, id)
	if err == nil && n == 0 {
		return notFound("Block type")
	}
	return err
}

func (s *Store) ListBlockTypes(ctx context.Context, q *store.BlockTypeQuery) ([]*core.BlockType, error) {
	a := &args{}
	cs := []string{blockTypeCond(a, "bt", q.BlockTypes)}
	if q.BlockSchemas != nil {
		cs = append(cs, exists("block_schemas xs", "xs.block_type_id = bt.id", blockSchemaCond(a, "xs", q.BlockSchemas)))
	}
	return listDocs[core.BlockType](ctx, s.pool, `SELECT bt.doc FROM block_types bt WHERE `+combine(false, cs)+
		` ORDER BY bt.name`+page(q.Page), a.vals...)
}

func (s *Store) CreateBlockSchema(ctx context.Context, bs *core.BlockSchema) (*core.BlockSchema, bool, error) {
	doc, err := marshal(bs)
	if err != nil {
		return nil, false, err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO block_schemas (id, checksum, version, block_type_id, capabilities, created, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (checksum, version) DO NOTHING`,
		bs.ID, bs.Checksum, bs.Version, bs.BlockTypeID, jsonList(bs.Capabilities), bs.Created.Time, doc)
	if err != nil {
		return nil, false, err
	}
	if tag.RowsAffected() == 1 {
		return bs, true, nil
	}
	out, err := s.GetBlockSchemaByChecksum(ctx, bs.Checksum, &bs.Version)
	return out, false, err
}

func (s *Store) GetBlockSchema(ctx context.Context, id uuid.UUID) (*core.BlockSchema, error) {
	return getDoc[core.BlockSchema](ctx, s.pool, "Block schema", `SELECT doc FROM block_schemas WHERE id = $1`, id)
}

func (s *Store) GetBlockSchemaByChecksum(ctx context.Context, checksum string, version *string) (*core.BlockSchema, error) {
	if version != nil {
		return getDoc[core.BlockSchema](ctx, s.pool, "Block schema", `SELECT doc FROM block_schemas WHERE checksum = $1 AND version = $2`,
			checksum, *version)
	}
	return getDoc[core.BlockSchema](ctx, s.pool, "Block schema", `SELECT doc FROM block_schemas WHERE checksum = $1
		ORDER BY created DESC, seq DESC LIMIT 1`, checksum)
}

func (s *Store) DeleteBlockSchema(ctx context.Context, id uuid.UUID) error {
	return s.execOne(ctx, "Block schema", `DELETE FROM block_schemas WHERE id = $1`, id)
}

func (s *Store) ListBlockSchemas(ctx context.Context, q *store.BlockSchemaQuery) ([]*core.BlockSchema, error) {
	a := &args{}
	w := blockSchemaCond(a, "bs", q.BlockSchemas)
	return listDocs[core.BlockSchema](ctx, s.pool, `SELECT bs.doc FROM block_schemas bs WHERE `+w+
		` ORDER BY bs.created DESC, bs.seq DESC`+page(q.Page), a.vals...)
}

const blockDocCols = `bd.id, bd.name, bd.block_type_id, bd.block_schema_id, bd.is_anonymous, bd.created, bd.updated, bd.data, bd.refs`

func scanBlockDoc(row pgx.Row) (*store.BlockDocumentRecord, error) {
	d := &store.BlockDocumentRecord{}
	var refs []byte
	if err := row.Scan(&d.ID, &d.Name, &d.BlockTypeID, &d.BlockSchemaID, &d.IsAnonymous, &d.Created.Time, &d.Updated.Time, &d.Data, &refs); err != nil {
		return nil, err
	}
	d.Created, d.Updated = core.T(d.Created.Time), core.T(d.Updated.Time)
	if err := decodeInto(refs, &d.References); err != nil {
		return nil, err
	}
	return d, nil
}

// refsOf makes a nil map "{}": refs is NOT NULL and documents without
// references are the common case.
func refsOf(r map[string]uuid.UUID) map[string]uuid.UUID {
	if r == nil {
		return map[string]uuid.UUID{}
	}
	return r
}

// dataOf makes nil data empty: data is NOT NULL, and an empty sealed
// document is still a document.
func dataOf(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func (s *Store) CreateBlockDocument(ctx context.Context, d *store.BlockDocumentRecord) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO block_documents (id, name, block_type_id, block_schema_id, is_anonymous, created, updated, data, refs)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		d.ID, d.Name, d.BlockTypeID, d.BlockSchemaID, d.IsAnonymous, d.Created.Time, d.Updated.Time, dataOf(d.Data), refsOf(d.References))
	if isUnique(err) {
		return core.Errorf(core.EConflict, "Block already exists")
	}
	return err
}

func (s *Store) getBlockDoc(ctx context.Context, where string, args ...any) (*store.BlockDocumentRecord, error) {
	d, err := scanBlockDoc(s.pool.QueryRow(ctx, `SELECT `+blockDocCols+` FROM block_documents bd WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("Block document")
	}
	return d, err
}

func (s *Store) GetBlockDocument(ctx context.Context, id uuid.UUID) (*store.BlockDocumentRecord, error) {
	return s.getBlockDoc(ctx, `bd.id = $1`, id)
}

func (s *Store) GetBlockDocumentByName(ctx context.Context, typeID uuid.UUID, name string) (*store.BlockDocumentRecord, error) {
	return s.getBlockDoc(ctx, `bd.block_type_id = $1 AND bd.name = $2`, typeID, name)
}

func (s *Store) UpdateBlockDocument(ctx context.Context, d *store.BlockDocumentRecord) error {
	return s.execOne(ctx, "Block document", `UPDATE block_documents SET block_schema_id = $2, data = $3, refs = $4, updated = $5 WHERE id = $1`,
		d.ID, d.BlockSchemaID, dataOf(d.Data), refsOf(d.References), d.Updated.Time)
}

func (s *Store) DeleteBlockDocument(ctx context.Context, id uuid.UUID) error {
	// 2.7 cascades: deployments using it as storage or infrastructure go
	// too, and so do the notification policies that deliver through it.
	n, err := count(ctx, s.pool, `WITH bd AS (DELETE FROM block_documents WHERE id = $1 RETURNING id),
		deps AS (DELETE FROM deployments WHERE (doc->>'storage_document_id')::uuid IN (SELECT id FROM bd)
			OR (doc->>'infrastructure_document_id')::uuid IN (SELECT id FROM bd)),
		policies AS (DELETE FROM notification_policies WHERE (doc->>'block_document_id')::uuid IN (SELECT id FROM bd))
		SELECT count(*) FROM bd`, id)
	if err == nil && n == 0 {
		return notFound("Block document")
	}
	return err
}

func (s *Store) ListBlockDocuments(ctx context.Context, q *store.BlockDocumentQuery) ([]*store.BlockDocumentRecord, error) {
	a := &args{}
	cs := []string{blockDocumentCond(a, "bd", q.BlockDocuments)}
	if q.BlockTypes != nil {
		cs = append(cs, exists("block_types xt", "xt.id = bd.block_type_id", blockTypeCond(a, "xt", q.BlockTypes)))
	}
	if q.BlockSchemas != nil {
		cs = append(cs, exists("block_schemas xs", "xs.id = bd.block_schema_id", blockSchemaCond(a, "xs", q.BlockSchemas)))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+blockDocCols+` FROM block_documents bd WHERE `+combine(false, cs)+
		` ORDER BY bd.name`+page(q.Page), a.vals...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.BlockDocumentRecord
	for rows.Next() {
		d, err := scanBlockDoc(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
