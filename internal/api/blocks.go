package api

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/blocks"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

type blockTypeCreate struct {
	Name             *string `json:"name" required:"true" maxLength:"1024" pattern:"^[^/%&><]*$"`
	Slug             *string `json:"slug" required:"true" maxLength:"1024" pattern:"^[a-z0-9-]*$"`
	LogoURL          *string `json:"logo_url" maxLength:"2048"`
	DocumentationURL *string `json:"documentation_url" maxLength:"2048"`
	Description      *string `json:"description" maxLength:"1048576"`
	CodeExample      *string `json:"code_example" maxLength:"1048576"`
}

func (blockTypeCreate) strictAction() {}

type blockTypeUpdate struct {
	LogoURL          optional[string] `json:"logo_url" maxLength:"2048"`
	DocumentationURL optional[string] `json:"documentation_url" maxLength:"2048"`
	Description      optional[string] `json:"description" maxLength:"1048576"`
	CodeExample      optional[string] `json:"code_example" maxLength:"1048576"`
}

func (blockTypeUpdate) strictAction() {}

type blockSchemaCreate struct {
	Fields       json.RawMessage `json:"fields"`
	BlockTypeID  *uuid.UUID      `json:"block_type_id" required:"true"`
	Capabilities []string        `json:"capabilities" maxItems:"1000" itemMaxLength:"1024"`
	Version      *string         `json:"version" maxLength:"1024"`
}

func (blockSchemaCreate) strictAction() {}

type blockDocumentCreate struct {
	Name          *string        `json:"name" maxLength:"1024" pattern:"^[a-z0-9-]*$"`
	Data          map[string]any `json:"data"`
	BlockSchemaID *uuid.UUID     `json:"block_schema_id" required:"true"`
	BlockTypeID   *uuid.UUID     `json:"block_type_id" required:"true"`
	IsAnonymous   bool           `json:"is_anonymous"`
}

func (blockDocumentCreate) strictAction() {}

func (b *blockDocumentCreate) validate() []fieldError {
	var errs []fieldError
	if (b.Name == nil || *b.Name == "") && !b.IsAnonymous {
		errs = append(errs, fieldError{Loc: []any{"body", "__root__"}, Msg: "Names must be provided for block documents.", Type: "value_error"})
	}
	return errs
}

type blockDocumentUpdate struct {
	BlockSchemaID     *uuid.UUID     `json:"block_schema_id"`
	Data              map[string]any `json:"data"`
	MergeExistingData *bool          `json:"merge_existing_data"`
}

func (blockDocumentUpdate) strictAction() {}

// includeSecrets reads the include_secrets query flag with pydantic v1's
// bool rules: anything else is a 422, not a quiet false.
func includeSecrets(r *http.Request) (bool, error) {
	switch strings.ToLower(r.URL.Query().Get("include_secrets")) {
	case "", "0", "off", "f", "false", "n", "no":
		return false, nil
	case "1", "on", "t", "true", "y", "yes":
		return true, nil
	}
	return false, invalid(nil, fieldError{Loc: []any{"query", "include_secrets"}, Msg: "value could not be parsed to a boolean", Type: "type_error.bool"})
}

func (s *Server) registerBlockRoutes() {
	s.registerBlockTypeRoutes()
	s.registerBlockSchemaRoutes()
	s.registerBlockDocumentRoutes()
	s.handle("GET /block_capabilities/", "Block capabilities", "List the capabilities of all block schemas", func(w http.ResponseWriter, r *http.Request) error {
		schemas, err := s.store.ListBlockSchemas(r.Context(), &store.BlockSchemaQuery{})
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		out := []string{}
		for _, sc := range schemas {
			for _, c := range sc.Capabilities {
				if !seen[c] {
					seen[c] = true
					out = append(out, c)
				}
			}
		}
		sort.Strings(out)
		writeJSON(w, 200, out)
		return nil
	})
}

func (s *Server) registerBlockTypeRoutes() {
	s.handle("POST /block_types/", "Block types", "Create a block type", func(w http.ResponseWriter, r *http.Request) error {
		var in blockTypeCreate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		if strings.HasPrefix(strings.ToLower(*in.Name), "prefect") {
			return core.Errorf(core.EForbidden, "Block type names beginning with 'Prefect' are reserved.")
		}
		now := core.T(s.now())
		bt := &core.BlockType{ID: newID(), Created: now, Updated: now, Name: *in.Name, Slug: *in.Slug,
			LogoURL: in.LogoURL, DocumentationURL: in.DocumentationURL, Description: in.Description, CodeExample: in.CodeExample}
		if err := s.store.CreateBlockType(r.Context(), bt); err != nil {
			if core.ErrorCode(err) == core.EConflict {
				return core.Errorf(core.EConflict, "Block type already exists")
			}
			return err
		}
		writeJSON(w, http.StatusCreated, bt)
		return nil
	})
	s.handle("GET /block_types/{id}", "Block types", "Read a block type", getByID(s.store.GetBlockType, same))
	s.handle("GET /block_types/slug/{slug}", "Block types", "Read a block type by slug", getByPath("slug", s.store.GetBlockTypeBySlug, same))
	s.handle("POST /block_types/filter", "Block types", "Query block types", listRoute(s, DefaultLimit, func(fb *filterBody) (lister[*core.BlockType], error) {
		q := store.BlockTypeQuery{}
		if err := fb.into("block_types", &q.BlockTypes); err != nil {
			return nil, err
		}
		err := fb.into("block_schemas", &q.BlockSchemas)
		return func(ctx context.Context, p store.Page) ([]*core.BlockType, error) {
			q.Page = p
			return s.store.ListBlockTypes(ctx, &q)
		}, err
	}, same))
	s.handle("PATCH /block_types/{id}", "Block types", "Update a block type", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in blockTypeUpdate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		bt, err := s.store.GetBlockType(r.Context(), id)
		if err != nil {
			return err
		}
		for _, f := range []struct {
			v   optional[string]
			dst **string
		}{{in.LogoURL, &bt.LogoURL}, {in.DocumentationURL, &bt.DocumentationURL},
			{in.Description, &bt.Description}, {in.CodeExample, &bt.CodeExample}} {
			if f.v.Set {
				*f.dst = f.v.ptr()
			}
		}
		bt.Updated = core.T(s.now())
		if err := s.store.UpdateBlockType(r.Context(), bt); err != nil {
			return err
		}
		return noContent(w)
	})
	s.handle("DELETE /block_types/{id}", "Block types", "Delete a block type", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		bt, err := s.store.GetBlockType(r.Context(), id)
		if err != nil {
			return err
		}
		if bt.IsProtected {
			return core.Errorf(core.EForbidden, "protected block types cannot be deleted.")
		}
		if err := s.store.DeleteBlockType(r.Context(), id); err != nil {
			return err
		}
		return noContent(w)
	})
	s.handle("GET /block_types/slug/{slug}/block_documents", "Block types", "Block documents of a block type", func(w http.ResponseWriter, r *http.Request) error {
		secrets, err := includeSecrets(r)
		if err != nil {
			return err
		}
		bt, err := s.store.GetBlockTypeBySlug(r.Context(), r.PathValue("slug"))
		if err != nil {
			return err
		}
		ids := []uuid.UUID{bt.ID}
		f := false
		recs, err := s.store.ListBlockDocuments(r.Context(), &store.BlockDocumentQuery{BlockDocuments: &store.BlockDocumentFilter{
			BlockTypeID: &store.IDFilter{Any: &ids}, IsAnonymous: &store.BoolFilter{Eq: &f}}})
		if err != nil {
			return err
		}
		return s.writeDocuments(w, r, recs, secrets)
	})
	s.handle("GET /block_types/slug/{slug}/block_documents/name/{name}", "Block types", "Read a block document by type slug and name", func(w http.ResponseWriter, r *http.Request) error {
		secrets, err := includeSecrets(r)
		if err != nil {
			return err
		}
		bt, err := s.store.GetBlockTypeBySlug(r.Context(), r.PathValue("slug"))
		if err != nil {
			return err
		}
		rec, err := s.store.GetBlockDocumentByName(r.Context(), bt.ID, r.PathValue("name"))
		if err != nil {
			return err
		}
		if err := s.allowSecrets(r, secrets); err != nil {
			return err
		}
		doc, err := s.assembleDocument(r.Context(), rec, secrets, 0)
		if err != nil {
			return err
		}
		writeJSON(w, 200, doc)
		return nil
	})
	s.handle("POST /block_types/install_system_block_types", "Block types", "Register the built-in block types", func(w http.ResponseWriter, r *http.Request) error {
		if err := s.InstallSystemBlockTypes(r.Context()); err != nil {
			return err
		}
		writeJSON(w, 200, nil)
		return nil
	})
}

func (s *Server) registerBlockSchemaRoutes() {
	withType := func(ctx context.Context, sc *core.BlockSchema) (*core.BlockSchema, error) {
		bt, err := s.store.GetBlockType(ctx, sc.BlockTypeID)
		if err != nil && !core.IsNotFound(err) {
			return nil, err
		}
		sc.BlockType = bt
		sc.Capabilities = emptyIfNil(sc.Capabilities)
		return sc, nil
	}
	s.handle("POST /block_schemas/", "Block schemas", "Create a block schema (or return the one with the same checksum and version)", func(w http.ResponseWriter, r *http.Request) error {
		var in blockSchemaCreate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		if _, err := s.store.GetBlockType(r.Context(), *in.BlockTypeID); err != nil {
			return err
		}
		sc, isNew, err := s.createSchema(r.Context(), *in.BlockTypeID, in.Fields, in.Capabilities, in.Version)
		if err != nil {
			return err
		}
		if sc, err = withType(r.Context(), sc); err != nil {
			return err
		}
		return created(w, isNew, sc)
	})
	s.handle("DELETE /block_schemas/{id}", "Block schemas", "Delete a block schema", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		sc, err := s.store.GetBlockSchema(r.Context(), id)
		if err != nil {
			return err
		}
		if bt, err := s.store.GetBlockType(r.Context(), sc.BlockTypeID); err == nil && bt.IsProtected {
			return core.Errorf(core.EForbidden, "Block schemas for protected block types cannot be deleted.")
		}
		if err := s.store.DeleteBlockSchema(r.Context(), id); err != nil {
			return err
		}
		return noContent(w)
	})
	s.handle("POST /block_schemas/filter", "Block schemas", "Query block schemas", listRoute(s, DefaultLimit, func(fb *filterBody) (lister[*core.BlockSchema], error) {
		q := store.BlockSchemaQuery{}
		err := fb.into("block_schemas", &q.BlockSchemas)
		return func(ctx context.Context, p store.Page) ([]*core.BlockSchema, error) {
			q.Page = p
			out, err := s.store.ListBlockSchemas(ctx, &q)
			for _, sc := range out {
				if err == nil {
					_, err = withType(ctx, sc)
				}
			}
			return out, err
		}, err
	}, same))
	s.handle("GET /block_schemas/{id}", "Block schemas", "Read a block schema", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		sc, err := s.store.GetBlockSchema(r.Context(), id)
		if err != nil {
			return err
		}
		if sc, err = withType(r.Context(), sc); err != nil {
			return err
		}
		writeJSON(w, 200, sc)
		return nil
	})
	s.handle("GET /block_schemas/checksum/{checksum}", "Block schemas", "Read a block schema by checksum (and version)", func(w http.ResponseWriter, r *http.Request) error {
		var version *string
		if v := r.URL.Query().Get("version"); v != "" {
			version = &v
		}
		sc, err := s.store.GetBlockSchemaByChecksum(r.Context(), r.PathValue("checksum"), version)
		if err != nil {
			return err
		}
		if sc, err = withType(r.Context(), sc); err != nil {
			return err
		}
		writeJSON(w, 200, sc)
		return nil
	})
}

// createSchema computes the checksum and stores the schema (create-or-get).
func (s *Server) createSchema(ctx context.Context, typeID uuid.UUID, raw json.RawMessage, caps []string, version *string) (*core.BlockSchema, bool, error) {
	raw = objectOrEmpty(raw)
	// Numbers stay exact (json.Number): the checksum must match Python's.
	fields, err := blocks.DecodeFields(raw)
	if err != nil {
		return nil, false, core.Errorf(core.EInvalid, "Invalid block schema fields: %v", err)
	}
	sum, err := blocks.Checksum(fields)
	if err != nil {
		return nil, false, core.Errorf(core.EInvalid, "Invalid block schema fields: %v", err)
	}
	v := "non-versioned"
	if version != nil && *version != "" {
		v = *version
	}
	now := core.T(s.now())
	return s.store.CreateBlockSchema(ctx, &core.BlockSchema{ID: newID(), Created: now, Updated: now, Checksum: sum,
		Fields: raw, BlockTypeID: typeID, Capabilities: emptyIfNil(caps), Version: v})
}

func (s *Server) registerBlockDocumentRoutes() {
	s.handle("POST /block_documents/", "Block documents", "Create a block document", func(w http.ResponseWriter, r *http.Request) error {
		var in blockDocumentCreate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		sc, err := s.store.GetBlockSchema(r.Context(), *in.BlockSchemaID)
		if err != nil {
			return err
		}
		if sc.BlockTypeID != *in.BlockTypeID {
			return core.Errorf(core.EConflict, "Block schema %s does not belong to block type %s.", sc.ID, *in.BlockTypeID)
		}
		now := core.T(s.now())
		rec := &store.BlockDocumentRecord{ID: newID(), Created: now, Updated: now, BlockSchemaID: sc.ID,
			BlockTypeID: sc.BlockTypeID, IsAnonymous: in.IsAnonymous}
		if in.Name != nil && *in.Name != "" {
			rec.Name = *in.Name
		} else {
			rec.Name = "anonymous-" + uuid.NewString()
		}
		if err := s.sealDocument(r.Context(), rec, in.Data); err != nil {
			return err
		}
		if err := s.store.CreateBlockDocument(r.Context(), rec); err != nil {
			if core.ErrorCode(err) == core.EConflict {
				return core.Errorf(core.EConflict, "Block already exists")
			}
			return err
		}
		doc, err := s.assembleDocument(r.Context(), rec, false, 0)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, doc)
		return nil
	})
	s.handle("POST /block_documents/filter", "Block documents", "Query block documents", func(w http.ResponseWriter, r *http.Request) error {
		fb, err := s.readFilterBody(r)
		if err != nil {
			return err
		}
		q := &store.BlockDocumentQuery{}
		for key, target := range map[string]any{"block_documents": &q.BlockDocuments, "block_types": &q.BlockTypes, "block_schemas": &q.BlockSchemas} {
			if err := fb.into(key, target); err != nil {
				return err
			}
		}
		var secrets *bool
		if err := fb.into("include_secrets", &secrets); err != nil {
			return err
		}
		if q.Page, err = fb.page(DefaultLimit, DefaultLimit); err != nil {
			return err
		}
		if q.Limit < 0 {
			writeJSON(w, 200, []any{})
			return nil
		}
		recs, err := s.store.ListBlockDocuments(r.Context(), q)
		if err != nil {
			return err
		}
		return s.writeDocuments(w, r, recs, secrets != nil && *secrets)
	})
	s.handle("GET /block_documents/{id}", "Block documents", "Read a block document", func(w http.ResponseWriter, r *http.Request) error {
		secrets, err := includeSecrets(r)
		if err != nil {
			return err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		rec, err := s.store.GetBlockDocument(r.Context(), id)
		if err != nil {
			return err
		}
		if err := s.allowSecrets(r, secrets); err != nil {
			return err
		}
		doc, err := s.assembleDocument(r.Context(), rec, secrets, 0)
		if err != nil {
			return err
		}
		writeJSON(w, 200, doc)
		return nil
	})
	s.handle("DELETE /block_documents/{id}", "Block documents", "Delete a block document", deleteByID(s.store.DeleteBlockDocument))
	s.handle("PATCH /block_documents/{id}", "Block documents", "Update a block document", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in blockDocumentUpdate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		rec, err := s.store.GetBlockDocument(r.Context(), id)
		if err != nil {
			return err
		}
		if in.BlockSchemaID != nil && *in.BlockSchemaID != rec.BlockSchemaID {
			sc, err := s.store.GetBlockSchema(r.Context(), *in.BlockSchemaID)
			if err != nil {
				return err
			}
			if sc.BlockTypeID != rec.BlockTypeID {
				return core.Errorf(core.EBadRequest, "Must migrate block document to a block schema of the same block type.")
			}
			rec.BlockSchemaID = sc.ID
		}
		existing, err := s.openData(rec)
		if err != nil {
			return err
		}
		sc, err := s.store.GetBlockSchema(r.Context(), rec.BlockSchemaID)
		if err != nil {
			return err
		}
		// Existing references take part in the merge as $ref values.
		for k, ref := range rec.References {
			existing[k] = map[string]any{"$ref": map[string]any{"block_document_id": ref.String()}}
		}
		merge := in.MergeExistingData == nil || *in.MergeExistingData
		data := blocks.MergeData(existing, emptyMap(in.Data), blocks.SecretFields(sc.Fields), merge)
		if err := s.sealDocument(r.Context(), rec, data); err != nil {
			return err
		}
		rec.Updated = core.T(s.now())
		if err := s.store.UpdateBlockDocument(r.Context(), rec); err != nil {
			return err
		}
		return noContent(w)
	})
}

func emptyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// sealDocument splits $ref values out of data into references, checks they
// exist, and seals the rest into rec.Data.
func (s *Server) sealDocument(ctx context.Context, rec *store.BlockDocumentRecord, data map[string]any) error {
	own := map[string]any{}
	refs := map[string]uuid.UUID{}
	for k, v := range data {
		if id, ok := refID(v); ok {
			if _, err := s.store.GetBlockDocument(ctx, id); err != nil {
				if core.IsNotFound(err) {
					return core.Errorf(core.ENotFound, "Block document %s referenced by %q not found", id, k)
				}
				return err
			}
			refs[k] = id
			continue
		}
		own[k] = v
	}
	plain, err := json.Marshal(own)
	if err != nil {
		return err
	}
	sealed, err := s.box.Seal(plain)
	if err != nil {
		return err
	}
	rec.Data, rec.References = sealed, refs
	return nil
}

// refID recognises {"$ref": {"block_document_id": "<uuid>"}} (or a bare
// "$ref" id string).
func refID(v any) (uuid.UUID, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return uuid.Nil, false
	}
	ref, ok := m["$ref"]
	if !ok {
		return uuid.Nil, false
	}
	var raw string
	switch x := ref.(type) {
	case map[string]any:
		raw, _ = x["block_document_id"].(string)
	case string:
		raw = x
	}
	id, err := uuid.Parse(raw)
	return id, err == nil
}

func (s *Server) openData(rec *store.BlockDocumentRecord) (map[string]any, error) {
	data := map[string]any{}
	if len(rec.Data) == 0 {
		return data, nil
	}
	plain, err := s.box.Open(rec.Data)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(plain, &data); err != nil {
		return nil, err
	}
	return data, nil
}

// maxRefDepth stops reference cycles from recursing forever.
const maxRefDepth = 16

// assembleDocument builds the wire BlockDocument: data opened, references
// expanded inline, schema and type embedded, secrets hidden unless asked.
func (s *Server) assembleDocument(ctx context.Context, rec *store.BlockDocumentRecord, secrets bool, depth int) (*core.BlockDocument, error) {
	data, err := s.openData(rec)
	if err != nil {
		return nil, err
	}
	sc, err := s.store.GetBlockSchema(ctx, rec.BlockSchemaID)
	if err != nil && !core.IsNotFound(err) {
		return nil, err
	}
	bt, err := s.store.GetBlockType(ctx, rec.BlockTypeID)
	if err != nil && !core.IsNotFound(err) {
		return nil, err
	}
	if sc != nil {
		sc.BlockType = bt
		sc.Capabilities = emptyIfNil(sc.Capabilities)
	}
	refs := map[string]any{}
	if depth < maxRefDepth {
		for k, id := range rec.References {
			child, err := s.store.GetBlockDocument(ctx, id)
			if core.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			cd, err := s.assembleDocument(ctx, child, true, depth+1)
			if err != nil {
				return nil, err
			}
			data[k] = cd.Data
			refs[k] = map[string]any{"block_document": map[string]any{
				"id": cd.ID, "name": cd.Name, "block_type": cd.BlockType, "is_anonymous": cd.IsAnonymous,
				"block_document_references": cd.BlockDocumentReferences,
			}}
		}
	}
	if !secrets && sc != nil {
		data = blocks.ObfuscateSecrets(data, blocks.SecretFields(sc.Fields))
	}
	return &core.BlockDocument{ID: rec.ID, Created: rec.Created, Updated: rec.Updated, Name: rec.Name, Data: data,
		BlockSchemaID: rec.BlockSchemaID, BlockSchema: sc, BlockTypeID: rec.BlockTypeID, BlockType: bt,
		BlockDocumentReferences: refs, IsAnonymous: rec.IsAnonymous}, nil
}

func (s *Server) writeDocuments(w http.ResponseWriter, r *http.Request, recs []*store.BlockDocumentRecord, secrets bool) error {
	if err := s.allowSecrets(r, secrets); err != nil {
		return err
	}
	out := make([]*core.BlockDocument, 0, len(recs))
	for _, rec := range recs {
		doc, err := s.assembleDocument(r.Context(), rec, secrets, 0)
		if err != nil {
			return err
		}
		out = append(out, doc)
	}
	writeJSON(w, 200, out)
	return nil
}

// InstallSystemBlockTypes registers the built-in block types and schemas
// (idempotent): what a 2.7 server installs at start-up.
func (s *Server) InstallSystemBlockTypes(ctx context.Context) error {
	for _, b := range blocks.Builtin() {
		bt, err := s.store.GetBlockTypeBySlug(ctx, b.Type.Slug)
		now := core.T(s.now())
		switch {
		case core.IsNotFound(err):
			t := b.Type
			t.ID, t.Created, t.Updated = newID(), now, now
			bt = &t
			if err := s.store.CreateBlockType(ctx, bt); err != nil && core.ErrorCode(err) != core.EConflict {
				return err
			}
		case err != nil:
			return err
		default:
			bt.LogoURL, bt.DocumentationURL, bt.Description, bt.CodeExample = b.Type.LogoURL, b.Type.DocumentationURL, b.Type.Description, b.Type.CodeExample
			bt.IsProtected = b.Type.IsProtected
			bt.Updated = now
			if err := s.store.UpdateBlockType(ctx, bt); err != nil {
				return err
			}
		}
		v := b.Schema.Version
		if _, _, err := s.createSchema(ctx, bt.ID, b.Schema.Fields, b.Schema.Capabilities, &v); err != nil {
			return err
		}
	}
	return nil
}
