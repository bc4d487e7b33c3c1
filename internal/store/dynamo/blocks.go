package dynamo

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// ---- block types

func (s *Store) blockTypeItem(ctx context.Context, t *core.BlockType) (item, string, error) {
	return s.newItem(ctx, pBlockType+t.ID.String(), skSelf, tBlockType, t.ID.String(), t.ID, t)
}

func (s *Store) CreateBlockType(ctx context.Context, t *core.BlockType) error {
	it, blob, err := s.blockTypeItem(ctx, t)
	if err != nil {
		return err
	}
	return s.createUnique(ctx, it, blob, pBlockType+t.ID.String(), t.ID, uniq("bt", t.Slug), "Block type already exists")
}

func (s *Store) GetBlockType(ctx context.Context, id uuid.UUID) (*core.BlockType, error) {
	t, _, err := getObj[core.BlockType](ctx, s, pBlockType+id.String(), "Block type")
	return t, err
}

func (s *Store) GetBlockTypeBySlug(ctx context.Context, slug string) (*core.BlockType, error) {
	id, err := s.lookupUnique(ctx, uniq("bt", slug), "Block type")
	if err != nil {
		return nil, err
	}
	return s.GetBlockType(ctx, id)
}

func (s *Store) UpdateBlockType(ctx context.Context, t *core.BlockType) error {
	cur, err := s.GetBlockType(ctx, t.ID)
	if err != nil {
		return err
	}
	cur.LogoURL, cur.DocumentationURL, cur.Description, cur.CodeExample = t.LogoURL, t.DocumentationURL, t.Description, t.CodeExample
	cur.IsProtected, cur.Updated = t.IsProtected, t.Updated
	return s.replaceObj(ctx, pBlockType+t.ID.String(), "Block type", func() (item, string, error) { return s.blockTypeItem(ctx, cur) })
}

func (s *Store) DeleteBlockType(ctx context.Context, id uuid.UUID) error {
	t, err := s.GetBlockType(ctx, id)
	if err != nil {
		return err
	}
	children, err := s.listIndex(ctx, shared.DynamoGSIParent, shared.DynamoG2PK, shared.DynamoG2SK, pBlockType+id.String(), "", nil)
	if err != nil {
		return err
	}
	dels := []item{keyOf(pBlockType+id.String(), skSelf), keyOf(uniq("bt", t.Slug), "U")}
	for _, it := range children {
		switch getS(it, shared.DynamoG1PK) {
		case tBlockSchema:
			if sc, err := decode[core.BlockSchema](ctx, s, it); err == nil {
				dels = append(dels, keyOf(uniq("bs", sc.Checksum, sc.Version), "U"))
			}
		case tBlockDoc:
			if d, err := decode[store.BlockDocumentRecord](ctx, s, it); err == nil {
				dels = append(dels, keyOf(uniq("bd", d.BlockTypeID.String(), d.Name), "U"))
			}
		}
		dels = append(dels, it)
	}
	return s.deleteItems(ctx, dels)
}

func (s *Store) ListBlockTypes(ctx context.Context, q *store.BlockTypeQuery) ([]*core.BlockType, error) {
	b := s.newBudget()
	its, err := s.listType(ctx, tBlockType, b)
	if err != nil {
		return nil, err
	}
	ts, err := decodeAll[core.BlockType](ctx, s, its)
	if err != nil {
		return nil, err
	}
	var withSchema idSet
	if q.BlockSchemas != nil {
		schemas, err := s.matchingSchemas(ctx, q.BlockSchemas, b)
		if err != nil {
			return nil, err
		}
		withSchema = idSet{}
		for _, sc := range schemas {
			withSchema[sc.BlockTypeID] = true
		}
	}
	out := ts[:0]
	for _, t := range ts {
		if matchBlockType(t, q.BlockTypes) && (withSchema == nil || withSchema[t.ID]) {
			out = append(out, t)
		}
	}
	sortBy(out, func(a, b *core.BlockType) int { return strings.Compare(a.Name, b.Name) }, func(t *core.BlockType) uuid.UUID { return t.ID })
	return page(out, q.Page), nil
}

// ---- block schemas

func (s *Store) CreateBlockSchema(ctx context.Context, bs *core.BlockSchema) (*core.BlockSchema, bool, error) {
	for attempt := 0; attempt < 5; attempt++ {
		id := bs.ID.String()
		it, blob, err := s.newItem(ctx, pBlockSchema+id, skSelf, tBlockSchema, id, bs.ID, bs)
		if err != nil {
			return nil, false, err
		}
		it[shared.DynamoG2PK], it[shared.DynamoG2SK] = sv(pBlockType+bs.BlockTypeID.String()), sv("S#"+id)
		it[shared.DynamoG3PK], it[shared.DynamoG3SK] = sv("CK#"+bs.Checksum), sv(ts(bs.Created)+"#"+id)
		err = s.createUnique(ctx, it, blob, pBlockSchema+id, bs.ID, uniq("bs", bs.Checksum, bs.Version), "exists")
		if err == nil {
			return bs, true, nil
		}
		if core.ErrorCode(err) != core.EConflict || core.ErrorMessage(err) != "exists" {
			return nil, false, err
		}
		out, err := s.GetBlockSchemaByChecksum(ctx, bs.Checksum, &bs.Version)
		if core.IsNotFound(err) {
			continue
		}
		return out, false, err
	}
	return nil, false, core.Errorf(core.EConflict, "The block schema was created and deleted concurrently; try again.")
}

func (s *Store) GetBlockSchema(ctx context.Context, id uuid.UUID) (*core.BlockSchema, error) {
	sc, _, err := getObj[core.BlockSchema](ctx, s, pBlockSchema+id.String(), "Block schema")
	return sc, err
}

func (s *Store) GetBlockSchemaByChecksum(ctx context.Context, checksum string, version *string) (*core.BlockSchema, error) {
	if version != nil {
		id, err := s.lookupUnique(ctx, uniq("bs", checksum, *version), "Block schema")
		if err != nil {
			return nil, err
		}
		return s.GetBlockSchema(ctx, id)
	}
	its, err := s.listIndex(ctx, shared.DynamoGSIRef, shared.DynamoG3PK, shared.DynamoG3SK, "CK#"+checksum, "", s.newBudget())
	if err != nil {
		return nil, err
	}
	schemas, err := decodeAll[core.BlockSchema](ctx, s, its)
	if err != nil {
		return nil, err
	}
	if len(schemas) == 0 {
		return nil, notFound("Block schema")
	}
	sortBy(schemas, func(a, b *core.BlockSchema) int { return -a.Created.Compare(b.Created.Time) }, func(x *core.BlockSchema) uuid.UUID { return x.ID })
	return schemas[0], nil
}

func (s *Store) DeleteBlockSchema(ctx context.Context, id uuid.UUID) error {
	sc, err := s.GetBlockSchema(ctx, id)
	if err != nil {
		return err
	}
	return s.deleteItems(ctx, []item{keyOf(pBlockSchema+id.String(), skSelf), keyOf(uniq("bs", sc.Checksum, sc.Version), "U")})
}

func (s *Store) matchingSchemas(ctx context.Context, f *store.BlockSchemaFilter, b *budget) ([]*core.BlockSchema, error) {
	var its []item
	var err error
	if f != nil && !f.Operator.IsOr() && f.BlockTypeID != nil && f.BlockTypeID.Any != nil && len(*f.BlockTypeID.Any) <= maxFanout {
		its, err = s.union(ctx, shared.DynamoGSIParent, shared.DynamoG2PK, shared.DynamoG2SK, pBlockType, strIDs(*f.BlockTypeID.Any), b)
		its = onlyType(its, tBlockSchema)
	} else {
		its, err = s.listType(ctx, tBlockSchema, b)
	}
	if err != nil {
		return nil, err
	}
	schemas, err := decodeAll[core.BlockSchema](ctx, s, its)
	if err != nil {
		return nil, err
	}
	out := schemas[:0]
	for _, sc := range schemas {
		if matchBlockSchema(sc, f) {
			out = append(out, sc)
		}
	}
	return out, nil
}

func (s *Store) ListBlockSchemas(ctx context.Context, q *store.BlockSchemaQuery) ([]*core.BlockSchema, error) {
	out, err := s.matchingSchemas(ctx, q.BlockSchemas, s.newBudget())
	if err != nil {
		return nil, err
	}
	sortBy(out, func(a, b *core.BlockSchema) int { return -a.Created.Compare(b.Created.Time) }, func(x *core.BlockSchema) uuid.UUID { return x.ID })
	return page(out, q.Page), nil
}

// ---- block documents

func (s *Store) blockDocItem(ctx context.Context, d *store.BlockDocumentRecord) (item, string, error) {
	id := d.ID.String()
	if d.References == nil {
		d.References = map[string]uuid.UUID{}
	}
	it, blob, err := s.newItem(ctx, pBlockDoc+id, skSelf, tBlockDoc, id, d.ID, d)
	if err != nil {
		return nil, "", err
	}
	it[shared.DynamoG2PK], it[shared.DynamoG2SK] = sv(pBlockType+d.BlockTypeID.String()), sv("D#"+id)
	return it, blob, nil
}

func docUniq(d *store.BlockDocumentRecord) string { return uniq("bd", d.BlockTypeID.String(), d.Name) }

func (s *Store) CreateBlockDocument(ctx context.Context, d *store.BlockDocumentRecord) error {
	it, blob, err := s.blockDocItem(ctx, d)
	if err != nil {
		return err
	}
	return s.createUnique(ctx, it, blob, pBlockDoc+d.ID.String(), d.ID, docUniq(d), "Block already exists")
}

func (s *Store) GetBlockDocument(ctx context.Context, id uuid.UUID) (*store.BlockDocumentRecord, error) {
	d, _, err := getObj[store.BlockDocumentRecord](ctx, s, pBlockDoc+id.String(), "Block document")
	return d, err
}

func (s *Store) GetBlockDocumentByName(ctx context.Context, typeID uuid.UUID, name string) (*store.BlockDocumentRecord, error) {
	id, err := s.lookupUnique(ctx, uniq("bd", typeID.String(), name), "Block document")
	if err != nil {
		return nil, err
	}
	return s.GetBlockDocument(ctx, id)
}

func (s *Store) UpdateBlockDocument(ctx context.Context, d *store.BlockDocumentRecord) error {
	cur, err := s.GetBlockDocument(ctx, d.ID)
	if err != nil {
		return err
	}
	cur.BlockSchemaID, cur.Data, cur.References, cur.Updated = d.BlockSchemaID, d.Data, d.References, d.Updated
	return s.replaceObj(ctx, pBlockDoc+d.ID.String(), "Block document", func() (item, string, error) { return s.blockDocItem(ctx, cur) })
}

func (s *Store) DeleteBlockDocument(ctx context.Context, id uuid.UUID) error {
	d, err := s.GetBlockDocument(ctx, id)
	if err != nil {
		return err
	}
	if err := s.deleteItems(ctx, []item{keyOf(pBlockDoc+id.String(), skSelf), keyOf(docUniq(d), "U")}); err != nil {
		return err
	}
	// 2.7 cascades: deployments using it as storage or infrastructure go too.
	deps, err := s.matchingDeployments(ctx, &store.RunFilters{}, s.newBudget())
	if err != nil {
		return err
	}
	for _, dep := range deps {
		if dep.StorageDocumentID != nil && *dep.StorageDocumentID == id || dep.InfrastructureDocumentID != nil && *dep.InfrastructureDocumentID == id {
			if err := s.deleteItems(ctx, []item{keyOf(pDeployment+dep.ID.String(), skSelf), keyOf(depUniq(dep), "U")}); err != nil {
				return err
			}
		}
	}
	// So do the notification policies that deliver through it (one item
	// holds them all: a read, and a write only when one goes).
	return s.dropPoliciesOfBlock(ctx, id)
}

func (s *Store) ListBlockDocuments(ctx context.Context, q *store.BlockDocumentQuery) ([]*store.BlockDocumentRecord, error) {
	b := s.newBudget()
	f := q.BlockDocuments
	var its []item
	var err error
	if f != nil && !f.Operator.IsOr() && f.BlockTypeID != nil && f.BlockTypeID.Any != nil && len(*f.BlockTypeID.Any) <= maxFanout {
		its, err = s.union(ctx, shared.DynamoGSIParent, shared.DynamoG2PK, shared.DynamoG2SK, pBlockType, strIDs(*f.BlockTypeID.Any), b)
		its = onlyType(its, tBlockDoc)
	} else {
		its, err = s.listType(ctx, tBlockDoc, b)
	}
	if err != nil {
		return nil, err
	}
	docs, err := decodeAll[store.BlockDocumentRecord](ctx, s, its)
	if err != nil {
		return nil, err
	}
	var typeSet, schemaSet idSet
	if q.BlockTypes != nil {
		types, err := s.ListBlockTypes(ctx, &store.BlockTypeQuery{BlockTypes: q.BlockTypes})
		if err != nil {
			return nil, err
		}
		typeSet = idSet{}
		for _, t := range types {
			typeSet[t.ID] = true
		}
	}
	if q.BlockSchemas != nil {
		schemas, err := s.matchingSchemas(ctx, q.BlockSchemas, b)
		if err != nil {
			return nil, err
		}
		schemaSet = idSet{}
		for _, sc := range schemas {
			schemaSet[sc.ID] = true
		}
	}
	out := docs[:0]
	for _, d := range docs {
		if matchBlockDoc(d, f) && (typeSet == nil || typeSet[d.BlockTypeID]) && (schemaSet == nil || schemaSet[d.BlockSchemaID]) {
			out = append(out, d)
		}
	}
	sortBy(out, func(a, b *store.BlockDocumentRecord) int { return strings.Compare(a.Name, b.Name) }, func(d *store.BlockDocumentRecord) uuid.UUID { return d.ID })
	return page(out, q.Page), nil
}
