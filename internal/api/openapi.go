package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/swaggest/jsonschema-go"
	"github.com/swaggest/openapi-go"
	"github.com/swaggest/openapi-go/openapi3"

	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/store"
)

// The OpenAPI document is reflected from the Go types the handlers decode
// and encode (github.com/swaggest/openapi-go over swaggest/jsonschema-go),
// with the route→types table in openapi_routes.go. The request structs'
// bounds are their struct tags (required, maxLength, maxItems, minimum,
// enum, format ...), the same tags the request validator reads, so the
// document and the behaviour have one source.

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// apiVersionPattern matches the X-PREFECT-API-VERSION values the server
// accepts: x.y.z at or above MinAPIVersion (0.8.0), without leading zeros.
const apiVersionPattern = `^(0\.([89]|[1-9][0-9]+)\.(0|[1-9][0-9]*)|[1-9][0-9]*\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*))$`

// Error bodies of 2.7, named in components.schemas.
type (
	// HTTPError is 2.7's HTTPException body.
	HTTPError struct {
		Detail string `json:"detail" required:"true"`
	}
	// LegacyError is the body of the few 2.7 errors raised as plain
	// exceptions (a flow run graph or queue status of a missing object).
	LegacyError struct {
		ExceptionMessage string `json:"exception_message" required:"true"`
	}
	// ValidationError is 2.7's 422 body: pydantic's errors and the request
	// echoed back.
	ValidationError struct {
		ExceptionMessage string           `json:"exception_message" required:"true"`
		ExceptionDetail  []ValidationItem `json:"exception_detail" required:"true" nullable:"false"`
		RequestBody      any              `json:"request_body"`
	}
	// ValidationItem is one pydantic error.
	ValidationItem struct {
		Loc  []any  `json:"loc" required:"true" nullable:"false"`
		Msg  string `json:"msg" required:"true"`
		Type string `json:"type" required:"true"`
	}
)

// unprocessable is a 422 body: a validation error, or an HTTPException
// raised with 422 (2.7's limit and offset checks, for one).
type unprocessable struct{}

// JSONSchemaAnyOf implements jsonschema.AnyOfExposer.
func (unprocessable) JSONSchemaAnyOf() []any { return []any{ValidationError{}, HTTPError{}} }

// jsonAny is a JSON value of any type, null included (a response written
// as `null`, or an opaque client value).
type jsonAny struct{}

// JSONSchema implements jsonschema.Exposer.
func (jsonAny) JSONSchema() (jsonschema.Schema, error) {
	s := jsonschema.Schema{}
	s.WithDescription("Any JSON value")
	return s, nil
}

// nullBody is a response whose body is JSON null.
type nullBody struct{}

// JSONSchema implements jsonschema.Exposer.
func (nullBody) JSONSchema() (jsonschema.Schema, error) {
	s := jsonschema.Schema{}
	s.WithDescription("null").WithExtraPropertiesItem(nullMarker, true)
	return s, nil
}

var (
	typeUUID     = reflect.TypeOf(uuid.UUID{})
	typeTime     = reflect.TypeOf(core.Time{})
	typeDuration = reflect.TypeOf(core.Duration(0))
	typeRawMsg   = reflect.TypeOf(json.RawMessage{})
)

// enumTypes lists the named string types whose values are a closed set.
var enumTypes = map[reflect.Type][]any{
	reflect.TypeOf(core.StateType("")):       toAny(core.StateTypes()),
	reflect.TypeOf(store.Operator("")):       {string(store.And), string(store.Or)},
	reflect.TypeOf(core.Scope("")):           toAny(core.Scopes()),
	reflect.TypeOf(orchestration.Status("")): {string(orchestration.Accept), string(orchestration.Reject), string(orchestration.Abort), string(orchestration.Wait)},
	reflect.TypeOf(store.FlowSort("")):       toAny(store.FlowSorts),
	reflect.TypeOf(store.FlowRunSort("")):    toAny(store.FlowRunSorts),
	reflect.TypeOf(store.TaskRunSort("")):    toAny(store.TaskRunSorts),
	reflect.TypeOf(store.LogSort("")):        toAny(store.LogSorts),
}

func toAny[T ~string](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// rawFields gives the schema of json.RawMessage fields, which reflection
// cannot see into, by JSON name. Unlisted ones are any JSON value.
var rawFields = map[string]map[string]any{
	"parameters":               {"type": "object", "nullable": true, "additionalProperties": true},
	"context":                  {"type": "object", "nullable": true, "additionalProperties": true},
	"infra_overrides":          {"type": "object", "nullable": true, "additionalProperties": true},
	"parameter_openapi_schema": {"type": "object", "nullable": true, "additionalProperties": true},
	"fields":                   {"type": "object", "nullable": true, "additionalProperties": true},
	"filter":                   {"type": "object", "nullable": true, "properties": map[string]any{"tags": map[string]any{"type": "array", "nullable": true, "items": map[string]any{"type": "string"}}, "deployment_ids": map[string]any{"type": "array", "nullable": true, "items": map[string]any{"type": "string", "format": "uuid"}}}},
	"schedule": {"nullable": true, "anyOf": []any{
		map[string]any{"type": "object", "additionalProperties": false, "required": []any{"interval"}, "properties": map[string]any{
			"interval":    map[string]any{"type": "number", "minimum": 0, "exclusiveMinimum": 0, "description": "seconds"},
			"anchor_date": map[string]any{"type": "string", "format": "date-time"},
			"timezone":    map[string]any{"type": "string", "nullable": true}}},
		map[string]any{"type": "object", "additionalProperties": false, "required": []any{"cron"}, "properties": map[string]any{
			"cron": map[string]any{"type": "string", "description": "a cron expression"}, "timezone": map[string]any{"type": "string", "nullable": true},
			"day_or": map[string]any{"type": "boolean"}}},
		map[string]any{"type": "object", "additionalProperties": false, "required": []any{"rrule"}, "properties": map[string]any{
			"rrule": map[string]any{"type": "string", "description": "an RFC 5545 RRULE"}, "timezone": map[string]any{"type": "string", "nullable": true}}},
	}},
	"storage_document_id":        {"type": "string", "format": "uuid", "nullable": true},
	"infrastructure_document_id": {"type": "string", "format": "uuid", "nullable": true},
	"last_polled":                {"type": "string", "format": "date-time", "nullable": true},
	"concurrency_limit":          {"type": "integer", "minimum": 0, "nullable": true},
	"priority":                   {"type": "integer", "minimum": 1, "nullable": true},
	"retry_delay": {"nullable": true, "anyOf": []any{
		map[string]any{"type": "number"},
		map[string]any{"type": "array", "items": map[string]any{"type": "number"}, "maxItems": 50},
	}},
	"data": {"description": "Any JSON value", "nullable": true},
}

// rawStringFields are json.RawMessage fields holding an optional string
// (PATCH bodies tell "absent" from "null" with them). The keys of deployment
// bodies 2.7 accepts and drops (created_by, updated_by, worker_pool_*,
// work_pool_queue_name) are left out: any JSON value, as unlisted ones are.
var rawStringFields = []string{
	"description", "flow_version", "manifest_path", "work_queue_name", "work_pool_name", "path", "version",
	"entrypoint", "infrastructure_pid", "logo_url", "documentation_url", "code_example",
}

// maxDurationSeconds is the largest duration core.Duration decodes.
const maxDurationSeconds = 1e12

// int64Marker asks finish for int64 bounds where a field has none.
const int64Marker = "x-orrery-int64"

// nullBodyMarker carries opDoc.nullBody to finish.
const nullBodyMarker = "x-orrery-null-body"

// nullMarker marks nullBody's schema, which finish rewrites as 3.0's
// "exactly null".
const nullMarker = "x-orrery-null"

// nullableMarker stands for OpenAPI 3.0's "nullable" until finish.
const nullableMarker = "x-orrery-nullable"

// interceptSchema maps the types whose JSON differs from their Go shape.
func interceptSchema(p jsonschema.InterceptSchemaParams) (bool, error) {
	if p.Processed {
		t := derefType(p.Value.Type())
		if t.Kind() == reflect.Struct && isStrict(t) {
			p.Schema.WithAdditionalProperties(jsonschema.SchemaOrBool{TypeBoolean: new(bool)})
		}
		if rule, ok := crossFieldRules[t]; ok {
			rule(p.Schema)
		}
		if _, ok := p.Value.Interface().(jsonschema.AnyOfExposer); ok {
			p.Schema.Type = nil // the alternatives say what it is (null for one)
		}
		if bt, ok := p.Value.Interface().(listBounded); ok && p.Value.Kind() == reflect.Slice {
			// A list body carries its bounds in a method (no field to tag).
			tag := bt.bodyTag()
			for name, set := range map[string]func(int64){"maxItems": func(n int64) { p.Schema.WithMaxItems(n) }, "minItems": func(n int64) { p.Schema.WithMinItems(n) }} {
				if v, ok := tag.Lookup(name); ok {
					n, err := strconv.ParseInt(v, 10, 64)
					if err != nil {
						return false, fmt.Errorf("%s: bad %s %q", t, name, v)
					}
					set(n)
				}
			}
		}
		return false, nil
	}
	t := p.Value.Type()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case typeUUID:
		p.Schema.WithType(jsonschema.String.Type()).WithFormat("uuid")
		return true, nil
	case typeTime:
		p.Schema.WithType(jsonschema.String.Type()).WithFormat("date-time")
		return true, nil
	case typeDuration:
		p.Schema.WithType(jsonschema.Number.Type()).WithDescription("seconds")
		p.Schema.Format = nil // not the int64 of its Go kind: a float on the wire
		p.Schema.WithMinimum(-maxDurationSeconds).WithMaximum(maxDurationSeconds)
		return true, nil
	}
	if vals, ok := enumTypes[t]; ok {
		p.Schema.WithType(jsonschema.String.Type()).WithEnum(vals...)
		return true, nil
	}
	return false, nil
}

// isStrict reports types that reject unknown keys: the request action
// models and every filter object.
func isStrict(t reflect.Type) bool {
	if reflect.PointerTo(t).Implements(strictIface) {
		return true
	}
	return t.PkgPath() == reflect.TypeOf(store.Page{}).PkgPath() && strings.HasSuffix(t.Name(), "Filter")
}

// interceptProp applies what reflection cannot: schemas of raw JSON fields
// and the per-item string bounds (itemMaxLength, itemMinLength) of lists.
func interceptProp(p jsonschema.InterceptPropParams) error {
	if !p.Processed {
		return nil
	}
	ft := p.Field.Type
	for ft.Kind() == reflect.Pointer {
		ft = ft.Elem()
	}
	if ft == typeRawMsg {
		raw, ok := rawFields[p.Name]
		if !ok && slices.Contains(rawStringFields, p.Name) {
			raw = map[string]any{"type": "string", "nullable": true}
		}
		if raw == nil {
			raw = map[string]any{"description": "Any JSON value", "nullable": true}
		}
		b, _ := json.Marshal(raw)
		// jsonschema-go has no "nullable" (JSON Schema spells it with a
		// type list); a marker carries it to finish, which writes 3.0's.
		b = bytes.ReplaceAll(b, []byte(`"nullable":`), []byte(`"`+nullableMarker+`":`))
		var s jsonschema.Schema
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*p.PropertySchema = s
		return nil
	}
	_, hasNullable := p.Field.Tag.Lookup("nullable")
	if k := p.Field.Type.Kind(); (k == reflect.Slice || k == reflect.Map) && !hasNullable {
		// A list or map field is never null on the wire: requests reject
		// null for it (2.7's default_factory fields) and responses send [].
		p.PropertySchema.RemoveType(jsonschema.Null)
	}
	if p.Field.Tag.Get("required") == "true" && !hasNullable {
		// A required field is not nullable unless its tag says so: the
		// handlers treat null as missing.
		p.PropertySchema.RemoveType(jsonschema.Null)
	} else if p.Field.Type.Implements(wireTypedIface) && p.Field.Tag.Get("nullable") != "false" {
		if p.PropertySchema.Ref != nil {
			ref := *p.PropertySchema
			*p.PropertySchema = jsonschema.Schema{}
			p.PropertySchema.WithAllOf(ref.ToSchemaOrBool()).WithExtraPropertiesItem(nullableMarker, true)
		} else {
			p.PropertySchema.AddType(jsonschema.Null)
		}
	} else if p.PropertySchema.Ref != nil && (p.Field.Type.Kind() == reflect.Pointer || p.Field.Tag.Get("nullable") == "true") {
		// A $ref cannot carry nullable in 3.0: wrap it in allOf.
		ref := *p.PropertySchema
		*p.PropertySchema = jsonschema.Schema{}
		p.PropertySchema.WithAllOf(ref.ToSchemaOrBool()).WithExtraPropertiesItem(nullableMarker, true)
	}
	if owner := domainOwner(p); owner != nil && !hasNullable {
		// A domain model's field (internal/core: no tags) takes null as
		// the checker does (domainNullable, after 2.7's Optional fields).
		if !domainNullable(owner, p.Name, p.Field.Type) {
			p.PropertySchema.RemoveType(jsonschema.Null)
		} else if p.PropertySchema.Ref != nil {
			ref := *p.PropertySchema
			*p.PropertySchema = jsonschema.Schema{}
			p.PropertySchema.WithAllOf(ref.ToSchemaOrBool()).WithExtraPropertiesItem(nullableMarker, true)
		} else if len(p.PropertySchema.AllOf) == 0 && p.PropertySchema.ExtraProperties[nullableMarker] != true {
			p.PropertySchema.AddType(jsonschema.Null)
		}
	}
	if ft.Kind() == reflect.Struct && ft.Name() == "" && p.ParentSchema != nil && p.ParentSchema.ReflectType != nil && isStrict(derefType(p.ParentSchema.ReflectType)) {
		// An inline object of a strict model (a filter's "type", "level"...)
		// is strict too.
		p.PropertySchema.WithAdditionalProperties(jsonschema.SchemaOrBool{TypeBoolean: new(bool)})
	}
	if p.PropertySchema.HasType(jsonschema.Integer) && (ft.Kind() == reflect.Int || ft.Kind() == reflect.Int64) {
		// What decodes into a Go int: beyond it the answer is a 422.
		// float64 cannot carry these bounds exactly; finish writes them.
		p.PropertySchema.WithExtraPropertiesItem(int64Marker, true)
	}
	if p.ParentSchema != nil && p.ParentSchema.ReflectType != nil {
		if rule, ok := fieldRules[derefType(p.ParentSchema.ReflectType)][p.Name]; ok {
			rule(p.PropertySchema)
		}
	}
	for _, tag := range []string{"itemMaxLength", "itemMinLength", "items.maxLength", "items.minLength"} {
		v, ok := p.Field.Tag.Lookup(tag)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: bad %s tag %q", p.Field.Name, tag, v)
		}
		items := p.PropertySchema.Items
		if items == nil || items.SchemaOrBool == nil || items.SchemaOrBool.TypeObject == nil {
			return fmt.Errorf("%s: %s on a non-list field", p.Field.Name, tag)
		}
		if strings.HasSuffix(tag, "axLength") {
			items.SchemaOrBool.TypeObject.WithMaxLength(n)
		} else {
			items.SchemaOrBool.TypeObject.WithMinLength(n)
		}
	}
	return nil
}

// domainOwner is the domain model (a struct outside this package and the
// store, as the checker's specOf tells them) p is a field of, or nil.
func domainOwner(p jsonschema.InterceptPropParams) reflect.Type {
	if p.ParentSchema == nil || p.ParentSchema.ReflectType == nil {
		return nil
	}
	t := derefType(p.ParentSchema.ReflectType)
	pkg := t.PkgPath()
	if t.Kind() != reflect.Struct || pkg == "" || strings.HasSuffix(pkg, "/internal/api") || strings.HasSuffix(pkg, "/internal/store") {
		return nil
	}
	return t
}

// defName names component schemas after their Go types, without package
// prefixes, keeping request types apart from the models they build.
func defName(t reflect.Type, def string) string {
	name := t.Name()
	if name == "" {
		return def
	}
	if t.PkgPath() == reflect.TypeOf(Server{}).PkgPath() {
		if name == "stateCreate" {
			return "StateProposal" // not core.StateCreate, which it wraps
		}
		return strings.ToUpper(name[:1]) + name[1:]
	}
	switch t.PkgPath() {
	case reflect.TypeOf(store.Page{}).PkgPath():
		return name
	case reflect.TypeOf(core.Flow{}).PkgPath():
		return name
	case reflect.TypeOf(auth.View{}).PkgPath():
		return "APIKey" + name
	case reflect.TypeOf(orchestration.Result{}).PkgPath():
		return "Orchestration" + name
	}
	return def
}

// openAPI builds the document for the registered routes. It fails when a
// route has no entry in routeDocs, so no route can go undocumented.
func (s *Server) openAPI() (map[string]any, error) {
	r := openapi3.NewReflector()
	r.Spec.Openapi = "3.0.3"
	r.Spec.Info.WithTitle("Orrery").WithVersion(PrefectVersion).
		WithDescription("Orrery speaks the Prefect 2.7 (Orion) REST API. Point PREFECT_API_URL at /api.")
	r.SpecEns().SetHTTPBearerTokenSecurity("bearerAuth", "",
		"An Orrery API key (orr_...), sent by the Prefect client from PREFECT_API_KEY. "+
			"Scopes: read (GET, */filter, */count, */history), write (what the client and agent do), "+
			"admin (api_keys, admin/*). include_secrets=true needs write. Checked when the server runs with auth on.")
	r.DefaultOptions = append(r.DefaultOptions,
		jsonschema.InterceptSchema(interceptSchema),
		jsonschema.InterceptProp(interceptProp),
		jsonschema.InterceptDefName(defName),
	)
	// Scalars are inlined: a $ref cannot carry "nullable" in OpenAPI 3.0,
	// and *uuid.UUID must read as a nullable uuid string.
	for _, sample := range []any{uuid.UUID{}, core.Time{}, core.Duration(0), jsonAny{}} {
		r.InlineDefinition(sample)
	}
	for t := range enumTypes {
		r.InlineDefinition(reflect.New(t).Elem().Interface())
	}
	// optional[T] (a PATCH field telling absent from null) is a nullable T
	// on the wire: map each instantiation the bodies use to its *T.
	// Named scalars (core.Float, sort orders ...) are inlined too.
	seen := map[reflect.Type]bool{}
	for _, d := range routeDocs {
		for _, v := range []any{d.body, d.resp, d.query} {
			if v != nil {
				mapOptionals(r, reflect.TypeOf(v), seen)
			}
		}
	}
	extensions := map[string]map[string]any{}
	nulls := map[string][]string{}
	for _, rt := range s.routes {
		key := rt.method + " " + strings.TrimPrefix(rt.path, "/api")
		d, ok := routeDocs[key]
		if !ok {
			return nil, fmt.Errorf("openapi: route %q has no entry in routeDocs", key)
		}
		oc, err := r.NewOperationContext(rt.method, rt.path)
		if err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", key, err)
		}
		oc.SetID(operationID(rt.method, rt.path))
		oc.SetSummary(rt.summary)
		oc.SetTags(rt.tag)
		open := auth.Open(rt.method, rt.path)
		if !open {
			oc.AddSecurity("bearerAuth")
		}
		pathNames := pathParam.FindAllStringSubmatch(rt.path, -1)
		oc.AddReqStructure(paramsStruct(rt.path, pathNames, d.query, rt.path != "/api/health"))
		if d.body != nil {
			oc.AddReqStructure(d.body, openapi.WithContentType("application/json"))
		}
		for _, st := range d.ok {
			if _, isNull := d.resp.(nullBody); isNull || st == http.StatusNoContent {
				oc.AddRespStructure(nil, openapi.WithHTTPStatus(st))
				if isNull {
					// The reflector sees no body in an empty schema; finish
					// writes the JSON null content.
					nulls[rt.method+" "+rt.path] = append(nulls[rt.method+" "+rt.path], strconv.Itoa(st))
				}
				continue
			}
			ct := "application/json"
			if _, isText := d.resp.(textBody); isText {
				ct = textContentType
			}
			oc.AddRespStructure(d.resp, openapi.WithHTTPStatus(st), openapi.WithContentType(ct))
		}
		for _, st := range errorStatuses(rt, d, open, len(pathNames) > 0) {
			oc.AddRespStructure(errorBody(st, d), openapi.WithHTTPStatus(st), openapi.WithContentType("application/json"))
		}
		if err := r.AddOperation(oc); err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", key, err)
		}
		ext := map[string]any{}
		if !open {
			ext["x-orrery-scope"] = string(auth.RequiredScope(rt.method, rt.path))
		}
		if d.bodyMayBeNull {
			ext[nullBodyMarker] = true
		}
		extensions[rt.method+" "+rt.path] = ext
	}
	b, err := json.Marshal(r.Spec)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	finish(doc, s.routes, extensions, nulls)
	return doc, nil
}

// errorStatuses lists the error statuses a route can answer: the API
// version check (400) on every route but health, the key check (401, 403)
// on the routes that need a key, 422 wherever there is input, 413 wherever
// a body is read, 404 for routes addressing an object, and the route's own.
func errorStatuses(rt route, d opDoc, open, hasPath bool) []int {
	var out []int
	if rt.path != "/api/health" {
		out = append(out, http.StatusBadRequest)
	}
	if !open {
		out = append(out, http.StatusUnauthorized, http.StatusForbidden)
	}
	if hasPath {
		out = append(out, http.StatusNotFound)
	}
	if d.body != nil {
		out = append(out, http.StatusRequestEntityTooLarge)
	}
	if d.body != nil || hasPath || d.query != nil {
		out = append(out, http.StatusUnprocessableEntity)
	}
	for _, st := range d.errs {
		if !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	sort.Ints(out)
	return out
}

func errorBody(status int, d opDoc) any {
	switch status {
	case http.StatusUnprocessableEntity:
		return unprocessable{}
	case http.StatusNotFound:
		if d.legacy404 {
			return LegacyError{}
		}
	case http.StatusBadRequest:
		if d.null400 {
			return nullOrHTTPError{}
		}
	}
	return HTTPError{}
}

// paramsStruct builds a struct type whose tags declare the route's path
// parameters, its query parameters and the API version header, for the
// reflector (which reads parameters from tagged struct fields).
func paramsStruct(path string, names [][]string, query any, versionHeader bool) any {
	var fields []reflect.StructField
	for i, m := range names {
		tag := fmt.Sprintf(`path:%q required:"true" minLength:"1"`, m[1])
		typ := reflect.TypeOf("")
		if m[1] == "id" && !strings.HasPrefix(path, "/api/api_keys/") { // API key ids are not UUIDs
			typ = typeUUID
		}
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("P%d", i), Type: typ, Tag: reflect.StructTag(tag)})
	}
	if query != nil {
		fields = append(fields, reflect.StructField{Name: "Q", Type: reflect.TypeOf(query), Anonymous: true})
	}
	if versionHeader {
		fields = append(fields, reflect.StructField{Name: "V", Type: reflect.TypeOf(""), Tag: reflect.StructTag(
			`header:"X-PREFECT-API-VERSION" pattern:"` + strings.ReplaceAll(apiVersionPattern, `\`, `\\`) + `" description:"The client's API version (x.y.z); older than ` + MinAPIVersion + ` or malformed is a 400."`)})
	}
	return reflect.New(reflect.StructOf(fields)).Elem().Interface()
}

// finish adds what the reflector has no notion of: the global security
// requirement (operations without a key requirement override it with an
// empty list), tag order, and each route's API key scope.
func finish(doc map[string]any, routes []route, ext map[string]map[string]any, nulls map[string][]string) {
	doc["security"] = []any{map[string]any{"bearerAuth": []any{}}}
	tags := map[string]bool{}
	for _, rt := range routes {
		tags[rt.tag] = true
	}
	names := make([]string, 0, len(tags))
	for t := range tags {
		names = append(names, t)
	}
	sort.Strings(names)
	var tagList []any
	for _, t := range names {
		tagList = append(tagList, map[string]any{"name": t})
	}
	doc["tags"] = tagList
	schemas, _ := docPath(doc, "components", "schemas").(map[string]any)
	// A queue's legacy filter holds null lists (2.7: Optional[List[...]]);
	// core.QueueFilter's slices would read as never null.
	for _, f := range []string{"tags", "deployment_ids"} {
		if prop, ok := docPath(schemas, "QueueFilter", "properties", f).(map[string]any); ok {
			prop["nullable"] = true
		}
	}
	paths, _ := doc["paths"].(map[string]any)
	for p, item := range paths {
		ops, _ := item.(map[string]any)
		for m, op := range ops {
			o, ok := op.(map[string]any)
			if !ok {
				continue
			}
			if _, has := o["security"]; !has {
				o["security"] = []any{} // an open route: no key needed
			}
			for k, v := range ext[strings.ToUpper(m)+" "+p] {
				if k == nullBodyMarker {
					if c, ok := docPath(o, "requestBody", "content", "application/json").(map[string]any); ok {
						c["schema"] = map[string]any{"allOf": []any{c["schema"]}, "nullable": true}
					}
					continue
				}
				o[k] = v
			}
			for _, st := range nulls[strings.ToUpper(m)+" "+p] {
				if resp, ok := docPath(o, "responses", st).(map[string]any); ok {
					resp["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any{nullMarker: true}}}
				}
			}
			// A body with required members is itself required (an empty
			// body decodes as {} and fails on them).
			if rb, ok := o["requestBody"].(map[string]any); ok {
				sch, _ := docPath(rb, "content", "application/json", "schema").(map[string]any)
				if ref, ok := sch["$ref"].(string); ok {
					sch, _ = schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
				}
				if req, _ := sch["required"].([]any); len(req) > 0 {
					rb["required"] = true
				}
			}
		}
	}
	markNullable(doc)
}

func operationID(method, path string) string {
	p := strings.NewReplacer("/api/", "", "/", "_", "{", "", "}", "").Replace(path)
	return strings.ToLower(method) + "_" + strings.Trim(p, "_")
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	s.openapiOnce.Do(func() {
		doc, err := s.openAPI()
		if err != nil {
			// A route without a document entry is a programming error the
			// tests catch; serve the error rather than a partial document.
			s.logger.Error("building the OpenAPI document", "err", err)
			doc = map[string]any{"exception_message": "Internal Server Error"}
		}
		s.openapiDoc = doc
	})
	if _, ok := s.openapiDoc["openapi"]; !ok {
		writeJSON(w, http.StatusInternalServerError, s.openapiDoc)
		return
	}
	writeJSON(w, http.StatusOK, s.openapiDoc)
}

// listBounded is a list body carrying its bounds in a method (logBatch):
// the tags a field would have.
type listBounded interface{ bodyTag() reflect.StructTag }

// wireTyped is optional[T]'s hook (decode.go): schemaType returns a *T, the
// value's shape on the wire.
type wireTyped interface{ schemaType() any }

var wireTypedIface = reflect.TypeOf((*wireTyped)(nil)).Elem()

// mapOptionals finds the wireTyped types reachable from t and maps each to
// its wire type, inlined, and inlines the named scalar types it meets.
func mapOptionals(r *openapi3.Reflector, t reflect.Type, seen map[reflect.Type]bool) {
	if seen[t] {
		return
	}
	seen[t] = true
	if t.Implements(wireTypedIface) {
		v := reflect.Zero(t).Interface()
		r.AddTypeMapping(v, v.(wireTyped).schemaType())
		r.InlineDefinition(v)
		return
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
		if t.PkgPath() != "" {
			r.InlineDefinition(reflect.Zero(t).Interface())
		}
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		mapOptionals(r, t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			mapOptionals(r, t.Field(i).Type, seen)
		}
	}
}

// docPath walks a decoded JSON document.
func docPath(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// markNullable turns every nullableMarker into "nullable": true.
func markNullable(v any) {
	switch v := v.(type) {
	case map[string]any:
		if b, ok := v[nullableMarker].(bool); ok {
			delete(v, nullableMarker)
			v["nullable"] = b
		}
		if _, ok := v[int64Marker]; ok {
			delete(v, int64Marker)
			if _, ok := v["minimum"]; !ok {
				v["minimum"] = json.Number(strconv.FormatInt(math.MinInt64, 10))
			}
			if _, ok := v["maximum"]; !ok {
				v["maximum"] = json.Number(strconv.FormatInt(math.MaxInt64, 10))
			}
		}
		if e, ok := v["enum"].([]any); ok && v["nullable"] == true && !slices.Contains(e, nil) {
			// OpenAPI 3.0.3: a nullable enum lists null among its values,
			// else null is not one of them (what the checker takes: a
			// null sort or operator that 2.7 reads as its default).
			v["enum"] = append(e, nil)
		}
		if _, ok := v[nullMarker]; ok {
			clear(v)
			v["description"], v["nullable"], v["enum"] = "null", true, []any{nil}
			return
		}
		for _, e := range v {
			markNullable(e)
		}
	case []any:
		for _, e := range v {
			markNullable(e)
		}
	}
}
