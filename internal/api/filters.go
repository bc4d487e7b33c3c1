package api

import (
	"encoding/json"
	"net/http"
	"reflect"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// DefaultLimit is PREFECT_ORION_API_DEFAULT_LIMIT: the page size when a
// filter body has no limit, and the largest one accepted.
const DefaultLimit = 200

// filterBody decodes a filter/count body. targets maps each top-level key
// the route understands to a pointer the key's value is decoded into; other
// top-level keys are ignored (the client sends more than each route takes),
// while unknown keys inside a filter object are a 422, as in 2.7.
type filterBody struct {
	raw map[string]json.RawMessage
	b   []byte
}

func (s *Server) readFilterBody(r *http.Request) (*filterBody, error) {
	body, err := s.readBody(r)
	if err != nil {
		return nil, err
	}
	fb := &filterBody{b: body, raw: map[string]json.RawMessage{}}
	if len(trimSpace(body)) == 0 {
		return fb, nil
	}
	if !json.Valid(body) {
		return nil, invalid(body, fieldError{Loc: []any{"body", 0}, Msg: "Expecting value: invalid JSON", Type: "value_error.jsondecode"})
	}
	if err := json.Unmarshal(body, &fb.raw); err != nil {
		return nil, fieldInvalid(body, "value is not a valid dict", "type_error.dict")
	}
	return fb, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// into decodes key into target (a pointer to a pointer to a filter
// struct). Filters are strict models in 2.7: unknown keys are rejected at
// every depth. The checker reports type errors, nulls and broken bounds
// (the filter types' tags) with their locations first.
func (fb *filterBody) into(key string, target any) error {
	raw, ok := fb.raw[key]
	if !ok || string(raw) == "null" {
		return nil
	}
	if errs := checkJSON(raw, reflect.TypeOf(target), true, key); len(errs) > 0 {
		return invalid(fb.b, errs...)
	}
	if err := json.Unmarshal(raw, target); err != nil {
		fe := unmarshalError(err)
		fe.Loc = append([]any{"body", key}, fe.Loc[1:]...)
		return invalid(fb.b, fe)
	}
	return nil
}

// runFilters decodes the four cross-object run filters.
func (fb *filterBody) runFilters() (store.RunFilters, error) {
	var f store.RunFilters
	for key, target := range map[string]any{"flows": &f.Flows, "flow_runs": &f.FlowRuns, "task_runs": &f.TaskRuns, "deployments": &f.Deployments} {
		if err := fb.into(key, target); err != nil {
			return f, err
		}
	}
	return f, nil
}

// page decodes limit and offset with 2.7's checks.
func (fb *filterBody) page(defaultLimit, maxLimit int) (store.Page, error) {
	p := store.Page{Limit: defaultLimit}
	var limit *int
	if err := fb.into("limit", &limit); err != nil {
		return p, err
	}
	if limit != nil {
		if *limit < 0 {
			return p, core.Errorf(core.EInvalid, "Invalid limit: must be greater than or equal to 0.")
		}
		if *limit > maxLimit {
			return p, core.Errorf(core.EInvalid, "Invalid limit: must be less than or equal to %d.", maxLimit)
		}
		p.Limit = *limit
		if p.Limit == 0 {
			p.Limit = -1 // an explicit 0 returns nothing
		}
	}
	var offset *int
	if err := fb.into("offset", &offset); err != nil {
		return p, err
	}
	if offset != nil {
		if *offset < 0 {
			return p, fieldInvalid(fb.b, "ensure this value is greater than or equal to 0", "value_error.number.not_ge", "offset")
		}
		p.Offset = *offset
	}
	return p, nil
}

// sortKey decodes "sort" against the allowed values, defaulting to def.
func sortKey[T ~string](fb *filterBody, allowed []T, def T) (T, error) {
	var v *string
	if err := fb.into("sort", &v); err != nil {
		return def, err
	}
	if v == nil {
		return def, nil
	}
	for _, a := range allowed {
		if string(a) == *v {
			return a, nil
		}
	}
	return def, fieldInvalid(fb.b, "value is not a valid enumeration member; permitted: "+quoteList(allowed), "type_error.enum", "sort")
}

func quoteList[T ~string](vs []T) string {
	out := ""
	for i, v := range vs {
		if i > 0 {
			out += ", "
		}
		out += "'" + string(v) + "'"
	}
	return out
}
