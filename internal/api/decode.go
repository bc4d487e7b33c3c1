package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
)

// readBody reads the request body up to the server's limit.
func (s *Server) readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.maxBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, core.Errorf(core.ETooLarge, "Request body exceeds the limit of %d bytes.", s.maxBody)
	}
	if err != nil {
		return nil, core.Errorf(core.EBadRequest, "Could not read the request body.")
	}
	return body, nil
}

// decode reads a JSON body into v. Action models (types with a strictAction
// method, at any depth) reject keys they do not declare, as 2.7's do; an
// empty body decodes as {}. Every failure is a 422 with the 2.7 validation
// body.
func (s *Server) decode(r *http.Request, v any) ([]byte, error) {
	body, err := s.readBody(r)
	if err != nil {
		return nil, err
	}
	return body, decodeBytes(body, v)
}

func decodeBytes(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		trimmed = []byte("{}")
	}
	if !json.Valid(trimmed) {
		return invalid(body, fieldError{Loc: []any{"body", 0}, Msg: "Expecting value: invalid JSON", Type: "value_error.jsondecode"})
	}
	if string(trimmed) == "null" {
		// A required body sent as null is a missing body to FastAPI.
		return invalid(body, fieldError{Loc: []any{"body"}, Msg: "field required", Type: "value_error.missing"})
	}
	// The checker reports every type error, forbidden null, extra key,
	// missing key and broken bound with its location, in 2.7's words; only
	// then does encoding/json decode, which cannot fail on what passed.
	if errs := checkJSON(trimmed, reflect.TypeOf(v), false); len(errs) > 0 {
		return invalid(body, errs...)
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return invalid(body, unmarshalError(err))
	}
	if val, ok := v.(interface{ validate() []fieldError }); ok {
		if errs := val.validate(); len(errs) > 0 {
			return invalid(body, errs...)
		}
	}
	return nil
}

// unmarshalError turns an encoding/json error into a pydantic-like one with
// no Go text in it. The checker runs first, so this is a last resort.
func unmarshalError(err error) fieldError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		loc := []any{"body"}
		if te.Field != "" {
			for _, p := range strings.Split(te.Field, ".") {
				loc = append(loc, p)
			}
		}
		return fieldError{Loc: loc, Msg: "value is not a valid " + kindName(te.Type), Type: "type_error." + kindName(te.Type)}
	}
	return fieldError{Loc: []any{"body"}, Msg: "value is not valid", Type: "value_error"}
}

func kindName(t reflect.Type) string {
	if t == reflect.TypeOf(uuid.UUID{}) {
		return "uuid"
	}
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return "dict"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "integer"
	case reflect.Float64, reflect.Float32:
		return "float"
	case reflect.Bool:
		return "bool"
	case reflect.String:
		return "str"
	case reflect.Pointer:
		return kindName(t.Elem())
	}
	return t.String()
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// jsonFields lists the JSON keys of a struct type with their field types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if v, ok := fieldCache.Load(t); ok {
		return v.(map[string]reflect.Type)
	}
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name := strings.Split(tag, ",")[0]
		if f.Anonymous && name == "" {
			for k, v := range jsonFields(derefType(f.Type)) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	fieldCache.Store(t, out)
	return out
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// strictType marks nested types that are 2.7 action models (extra keys
// forbidden) rather than plain schemas (extra keys ignored).
type strictType interface{ strictAction() }

var strictIface = reflect.TypeOf((*strictType)(nil)).Elem()

type member struct {
	key string
	val []byte
}

// objectMembers splits a valid JSON object into its members, as decoding
// it into a map[string]json.RawMessage would (a repeated key keeps its last
// value) but without allocating a map or copying values. ok is false when
// raw is not an object.
func objectMembers(raw []byte) (out []member, ok bool) {
	var index map[string]int // built once an object is big, so a repeated key costs O(1)
	i := skipSpace(raw, 0)
	if i < len(raw) && raw[i] == 'n' {
		return nil, true // null: no members
	}
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return nil, true
	}
	for i < len(raw) {
		end := skipString(raw, i)
		key := raw[i+1 : end-1]
		var k string
		if bytes.IndexByte(key, '\\') >= 0 || !utf8.Valid(key) {
			if json.Unmarshal(raw[i:end], &k) != nil {
				return nil, false
			}
		} else {
			k = string(key)
		}
		i = skipSpace(raw, end)
		i = skipSpace(raw, i+1) // ':'
		vend := skipValue(raw, i)
		m := member{key: k, val: raw[i:vend]}
		if index == nil && len(out) >= 16 {
			index = make(map[string]int, 2*len(out))
			for j, o := range out {
				index[o.key] = j
			}
		}
		switch j, dup := lookup(out, index, k); {
		case dup:
			out[j] = m
		default:
			if index != nil {
				index[k] = len(out)
			}
			out = append(out, m)
		}
		i = skipSpace(raw, vend)
		if i >= len(raw) || raw[i] == '}' {
			break
		}
		i = skipSpace(raw, i+1) // ','
	}
	return out, true
}

// lookup finds key k among out: through index when there is one.
func lookup(out []member, index map[string]int, k string) (int, bool) {
	if index != nil {
		j, ok := index[k]
		return j, ok
	}
	for j, o := range out {
		if o.key == k {
			return j, true
		}
	}
	return 0, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// skipValue returns the index just past the JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",}] \t\n\r", rune(b[j])) {
		j++
	}
	return j
}

// optional is a field of a PATCH body whose absence, null and value mean
// three different things: Set tells whether the key was sent, Null whether
// it was null. The checker validates it as a nullable T (with the field's
// tags); the OpenAPI document describes it as the type schemaType returns.
type optional[T any] struct {
	Set, Null bool
	V         T
}

// UnmarshalJSON records that the key was present (encoding/json calls it
// for null too).
func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	var zero T
	o.V = zero
	if string(bytes.TrimSpace(b)) == "null" {
		o.Null = true
		return nil
	}
	o.Null = false
	return json.Unmarshal(b, &o.V)
}

// schemaType is a *T: what the field holds on the wire (nullable T).
func (optional[T]) schemaType() any { return (*T)(nil) }

// ptr is nil for null, else the value (only meaningful when Set).
func (o optional[T]) ptr() *T {
	if o.Null {
		return nil
	}
	v := o.V
	return &v
}

// required builds a "field required" error for key when missing is true.
func required(missing bool, loc ...any) []fieldError {
	if !missing {
		return nil
	}
	return []fieldError{{Loc: append([]any{"body"}, loc...), Msg: "field required", Type: "value_error.missing"}}
}
