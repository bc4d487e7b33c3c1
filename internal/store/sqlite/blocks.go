package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

func (s *Store) CreateBlockType(ctx context.Context, t *core.BlockType) error {
	doc, _ := json.Marshal(t)
	_, err := s.exec(ctx, `INSERT INTO block_types (id, slug, name, doc) VALUES (?, ?, ?, ?)`, t.ID.String(), t.Slug, t.Name, string(doc))
	if isUnique(err) {
		return core.Errorf(core.EConflict, "Block type already exists")
	}
	return err
}

func (s *Store) GetBlockType(ctx context.Context, id uuid.UUID) (*core.BlockType, error) {
	return getDoc[core.BlockType](ctx, s.r, "Block type", `SELECT doc FROM block_types WHERE id = ?`, id.String())
}

func (s *Store) GetBlockTypeBySlug(ctx context.Context, slug string) (*core.BlockType, error) {
	return getDoc[core.BlockType](ctx, s.r, "Block type", `SELECT doc FROM block_types WHERE slug = ?`, slug)
}

func (s *Store) UpdateBlockType(ctx context.Context, t *core.BlockType) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := getDoc[core.BlockType](ctx, tx, "Block type", `SELECT doc FROM block_types WHERE id = ?`, t.ID.String())
		if err != nil {
			return err
		}
		cur.LogoURL, cur.DocumentationURL, cur.Description, cur.CodeExample = t.LogoURL, t.DocumentationURL, t.Description, t.CodeExample
		cur.IsProtected, cur.Updated = t.IsProtected, t.Updated
		doc, _ := json.Marshal(cur)
		_, err = tx.ExecContext(ctx, `UPDATE block_types SET doc = ? WHERE id = ?`, string(doc), t.ID.String())
		return err
	})
}

func (s *Store) DeleteBlockType(ctx context.Context, id uuid.UUID) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM block_types WHERE id = ?`, id.String())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("Block type")
		}
		for _, q := range []string{`DELETE FROM block_schemas WHERE block_type_id = ?`, `DELETE FROM block_documents WHERE block_type_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id.String()); err != nil {
				return err
			}
		}
		return nil
	})
}

func blockSchemaCond(a string, f *store.BlockSchemaFilter) cond {
	return fromC(dialect.BlockSchema(a, f))
}

func blockTypeCond(a string, f *store.BlockTypeFilter) cond { return fromC(dialect.BlockType(a, f)) }

func (s *Store) ListBlockTypes(ctx context.Context, q *store.BlockTypeQuery) ([]*core.BlockType, error) {
	cs := []cond{blockTypeCond("bt", q.BlockTypes)}
	if q.BlockSchemas != nil {
		cs = append(cs, exists("block_schemas xs", "xs.block_type_id = bt.id", blockSchemaCond("xs", q.BlockSchemas)))
	}
	w := combine(false, cs)
	return listDocs[core.BlockType](ctx, s.r, `SELECT bt.doc FROM block_types bt WHERE `+w.sql+` ORDER BY bt.name`+limitOffset(q.Page), w.args...)
}

func (s *Store) CreateBlockSchema(ctx context.Context, bs *core.BlockSchema) (*core.BlockSchema, bool, error) {
	doc, _ := json.Marshal(bs)
	res, err := s.exec(ctx, `INSERT INTO block_schemas (id, checksum, version, block_type_id, capabilities, created, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (checksum, version) DO NOTHING`,
		bs.ID.String(), bs.Checksum, bs.Version, bs.BlockTypeID.String(), tagsJSON(bs.Capabilities), tm(bs.Created.Time), string(doc))
	if err != nil {
		return nil, false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return bs, true, nil
	}
	out, err := s.GetBlockSchemaByChecksum(ctx, bs.Checksum, &bs.Version)
	return out, false, err
}

func (s *Store) GetBlockSchema(ctx context.Context, id uuid.UUID) (*core.BlockSchema, error) {
	return getDoc[core.BlockSchema](ctx, s.r, "Block schema", `SELECT doc FROM block_schemas WHERE id = ?`, id.String())
}

func (s *Store) GetBlockSchemaByChecksum(ctx context.Context, checksum string, version *string) (*core.BlockSchema, error) {
	if version != nil {
		return getDoc[core.BlockSchema](ctx, s.r, "Block schema", `SELECT doc FROM block_schemas WHERE checksum = ? AND version = ?`, checksum, *version)
	}
	return getDoc[core.BlockSchema](ctx, s.r, "Block schema", `SELECT doc FROM block_schemas WHERE checksum = ? ORDER BY created DESC, rowid DESC LIMIT 1`, checksum)
}

func (s *Store) DeleteBlockSchema(ctx context.Context, id uuid.UUID) error {
	return s.deleteByID(ctx, "block_schemas", "Block schema", id)
}

func (s *Store) ListBlockSchemas(ctx context.Context, q *store.BlockSchemaQuery) ([]*core.BlockSchema, error) {
	w := blockSchemaCond("bs", q.BlockSchemas)
	return listDocs[core.BlockSchema](ctx, s.r, `SELECT bs.doc FROM block_schemas bs WHERE `+w.sql+` ORDER BY bs.created DESC, bs.rowid DESC`+limitOffset(q.Page), w.args...)
}

const blockDocCols = `id, name, block_type_id, block_schema_id, is_anonymous, created, updated, data, refs`

func scanBlockDoc(sc interface{ Scan(...any) error }) (*store.BlockDocumentRecord, error) {
	var id, typeID, schemaID, refs string
	var created, updated int64
	d := &store.BlockDocumentRecord{}
	if err := sc.Scan(&id, &d.Name, &typeID, &schemaID, &d.IsAnonymous, &created, &updated, &d.Data, &refs); err != nil {
		return nil, err
	}
	d.ID, d.BlockTypeID, d.BlockSchemaID = uuid.MustParse(id), uuid.MustParse(typeID), uuid.MustParse(schemaID)
	d.Created, d.Updated = core.T(timeFromMicros(created)), core.T(timeFromMicros(updated))
	if err := json.Unmarshal([]byte(refs), &d.References); err != nil {
		return nil, err
	}
	return d, nil
}

func refsJSON(r map[string]uuid.UUID) string {
	if len(r) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(r)
	return string(b)
}

func (s *Store) CreateBlockDocument(ctx context.Context, d *store.BlockDocumentRecord) error {
	_, err := s.exec(ctx, `INSERT INTO block_documents (`+blockDocCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID.String(), d.Name, d.BlockTypeID.String(), d.BlockSchemaID.String(), d.IsAnonymous, tm(d.Created.Time), tm(d.Updated.Time), d.Data, refsJSON(d.References))
	if isUnique(err) {
		return core.Errorf(core.EConflict, "Block already exists")
	}
	return err
}

func (s *Store) getBlockDoc(ctx context.Context, where string, args ...any) (*store.BlockDocumentRecord, error) {
	d, err := scanBlockDoc(s.r.QueryRowContext(ctx, `SELECT `+blockDocCols+` FROM block_documents WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Block document")
	}
	return d, err
}

func (s *Store) GetBlockDocument(ctx context.Context, id uuid.UUID) (*store.BlockDocumentRecord, error) {
	return s.getBlockDoc(ctx, `id = ?`, id.String())
}

func (s *Store) GetBlockDocumentByName(ctx context.Context, typeID uuid.UUID, name string) (*store.BlockDocumentRecord, error) {
	return s.getBlockDoc(ctx, `block_type_id = ? AND name = ?`, typeID.String(), name)
}

func (s *Store) UpdateBlockDocument(ctx context.Context, d *store.BlockDocumentRecord) error {
	res, err := s.exec(ctx, `UPDATE block_documents SET block_schema_id = ?, data = ?, refs = ?, updated = ? WHERE id = ?`,
		d.BlockSchemaID.String(), d.Data, refsJSON(d.References), tm(d.Updated.Time), d.ID.String())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("Block document")
	}
	return nil
}

func (s *Store) DeleteBlockDocument(ctx context.Context, id uuid.UUID) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM block_documents WHERE id = ?`, id.String())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("Block document")
		}
		// 2.7 cascades: deployments using it as storage or infrastructure go too.
		_, err = tx.ExecContext(ctx, `DELETE FROM deployments WHERE json_extract(doc, '$.storage_document_id') = ?1
			OR json_extract(doc, '$.infrastructure_document_id') = ?1`, id.String())
		if err != nil {
			return err
		}
		// So do the notification policies that deliver through it.
		_, err = tx.ExecContext(ctx, `DELETE FROM notification_policies WHERE json_extract(doc, '$.block_document_id') = ?`, id.String())
		return err
	})
}

func (s *Store) ListBlockDocuments(ctx context.Context, q *store.BlockDocumentQuery) ([]*store.BlockDocumentRecord, error) {
	cs := []cond{fromC(dialect.BlockDocument("bd", q.BlockDocuments))}
	if q.BlockTypes != nil {
		cs = append(cs, exists("block_types xt", "xt.id = bd.block_type_id", blockTypeCond("xt", q.BlockTypes)))
	}
	if q.BlockSchemas != nil {
		cs = append(cs, exists("block_schemas xs", "xs.id = bd.block_schema_id", blockSchemaCond("xs", q.BlockSchemas)))
	}
	w := combine(false, cs)
	rows, err := s.r.QueryContext(ctx, `SELECT `+prefixCols("bd.", blockDocCols)+` FROM block_documents bd WHERE `+w.sql+` ORDER BY bd.name`+limitOffset(q.Page), w.args...)
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
