package blocks

import (
	"bytes"
	_ "embed"
	"encoding/json"

	"github.com/orrery-dev/orrery/internal/core"
)

// blocks.json is generated from Prefect 2.7.12 by builtin/gen.py; its
// checksums double as golden data for Checksum.
//
//go:embed builtin/blocks.json
var builtinJSON []byte

// BuiltinSchema is a built-in block schema.
type BuiltinSchema struct {
	Fields       json.RawMessage `json:"fields"`
	Capabilities []string        `json:"capabilities"`
	Version      string          `json:"version"`
	Checksum     string          `json:"checksum"`
}

// BuiltinBlock is a block type with its schema.
type BuiltinBlock struct {
	Type   core.BlockType `json:"block_type"`
	Schema BuiltinSchema  `json:"block_schema"`
}

// Builtin returns the block types a 2.7.12 server registers at start-up;
// JSON, DateTime, Secret, LocalFileSystem and Process are protected.
func Builtin() []BuiltinBlock {
	var out []BuiltinBlock
	if err := json.Unmarshal(builtinJSON, &out); err != nil {
		panic("blocks: embedded builtin/blocks.json is invalid: " + err.Error())
	}
	return out
}

// DecodeFields decodes schema fields keeping numbers exact (json.Number),
// which Checksum needs to reproduce Python's formatting.
func DecodeFields(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}
