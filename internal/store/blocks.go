package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
)

// BlockStore persists block types, schemas and documents. It stores
// document data as opaque bytes: the caller seals secrets before writing and
// opens them after reading, so no backend ever sees a secret in clear.
type BlockStore interface {
	// CreateBlockType inserts t; a type with the same slug is EConflict.
	CreateBlockType(ctx context.Context, t *core.BlockType) error
	GetBlockType(ctx context.Context, id uuid.UUID) (*core.BlockType, error)
	GetBlockTypeBySlug(ctx context.Context, slug string) (*core.BlockType, error)
	// UpdateBlockType replaces the mutable fields (urls, description,
	// code example, is_protected) of the stored type.
	UpdateBlockType(ctx context.Context, t *core.BlockType) error
	// DeleteBlockType deletes the type with its schemas and documents.
	DeleteBlockType(ctx context.Context, id uuid.UUID) error
	ListBlockTypes(ctx context.Context, q *BlockTypeQuery) ([]*core.BlockType, error)

	// CreateBlockSchema inserts s unless one with the same (checksum,
	// version) exists, which is then returned with created false.
	CreateBlockSchema(ctx context.Context, s *core.BlockSchema) (out *core.BlockSchema, created bool, err error)
	GetBlockSchema(ctx context.Context, id uuid.UUID) (*core.BlockSchema, error)
	// GetBlockSchemaByChecksum returns the schema with checksum and version,
	// or the newest with that checksum when version is nil.
	GetBlockSchemaByChecksum(ctx context.Context, checksum string, version *string) (*core.BlockSchema, error)
	DeleteBlockSchema(ctx context.Context, id uuid.UUID) error
	// ListBlockSchemas returns matching schemas, newest first.
	ListBlockSchemas(ctx context.Context, q *BlockSchemaQuery) ([]*core.BlockSchema, error)

	// CreateBlockDocument inserts d; a document with the same name and block
	// type is EConflict.
	CreateBlockDocument(ctx context.Context, d *BlockDocumentRecord) error
	GetBlockDocument(ctx context.Context, id uuid.UUID) (*BlockDocumentRecord, error)
	GetBlockDocumentByName(ctx context.Context, blockTypeID uuid.UUID, name string) (*BlockDocumentRecord, error)
	// UpdateBlockDocument replaces the schema, data and references of d.ID.
	UpdateBlockDocument(ctx context.Context, d *BlockDocumentRecord) error
	DeleteBlockDocument(ctx context.Context, id uuid.UUID) error
	// ListBlockDocuments returns matching documents ordered by name.
	ListBlockDocuments(ctx context.Context, q *BlockDocumentQuery) ([]*BlockDocumentRecord, error)
}

// BlockDocumentRecord is a block document as stored: Data is sealed bytes,
// References maps a data key to the referenced document's id.
type BlockDocumentRecord struct {
	ID            uuid.UUID
	Created       core.Time
	Updated       core.Time
	Name          string
	Data          []byte
	BlockSchemaID uuid.UUID
	BlockTypeID   uuid.UUID
	IsAnonymous   bool
	References    map[string]uuid.UUID
}

// BlockTypeFilter is the 2.7 BlockTypeFilter.
type BlockTypeFilter struct {
	Name *struct {
		Like *string `json:"like_"`
	} `json:"name"`
	Slug *StringAnyFilter `json:"slug"`
}

// BlockSchemaFilter is the 2.7 BlockSchemaFilter.
type BlockSchemaFilter struct {
	Operator          *Operator `json:"operator" nullable:"false"`
	BlockTypeID       *IDFilter `json:"block_type_id"`
	BlockCapabilities *struct {
		All *[]string `json:"all_"`
	} `json:"block_capabilities"`
	ID      *IDFilter        `json:"id"`
	Version *StringAnyFilter `json:"version"`
}

// BlockDocumentFilter is the 2.7 BlockDocumentFilter.
type BlockDocumentFilter struct {
	Operator    *Operator        `json:"operator" nullable:"false"`
	ID          *IDFilter        `json:"id"`
	IsAnonymous *BoolFilter      `json:"is_anonymous"`
	BlockTypeID *IDFilter        `json:"block_type_id"`
	Name        *StringAnyFilter `json:"name"`
}

// BlockTypeQuery selects block types (ordered by name).
type BlockTypeQuery struct {
	BlockTypes   *BlockTypeFilter
	BlockSchemas *BlockSchemaFilter
	Page
}

// BlockSchemaQuery selects block schemas.
type BlockSchemaQuery struct {
	BlockSchemas *BlockSchemaFilter
	Page
}

// BlockDocumentQuery selects block documents. A nil BlockDocuments filter
// excludes anonymous documents, as 2.7 does.
type BlockDocumentQuery struct {
	BlockDocuments *BlockDocumentFilter
	BlockTypes     *BlockTypeFilter
	BlockSchemas   *BlockSchemaFilter
	Page
}
