package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
)

// The bounds of a request. Each is written as a struct tag on the request
// types (the swaggest jsonschema-go vocabulary: maxLength, maxItems, ...),
// which both the validator below and the OpenAPI document read, so the
// document cannot drift from behaviour; these constants name the values the
// tags use and README.md's "Limits" section lists. They are sized so that
// one request does a bounded amount of work, and so that nothing the stock
// Prefect 2.7 client sends is refused: its log batches stay under 4 MB
// (PREFECT_LOGGING_ORION_BATCH_SIZE) plus one record of at most 1 MB
// (PREFECT_LOGGING_ORION_MAX_LOG_SIZE).
const (
	// MaxNameLength bounds names, tags, slugs, versions, keys and other
	// identifier-like strings (characters).
	MaxNameLength = 1024
	// MaxURLLength bounds URLs (block type logos and documentation).
	MaxURLLength = 2048
	// MaxTextLength bounds free text: descriptions, state and log
	// messages, code examples (characters).
	MaxTextLength = 1 << 20
	// MaxTags bounds the tags of one object (and block capabilities).
	MaxTags = 1000
	// MaxFilterItems bounds every list in a filter body (any_, not_any_,
	// all_, startswith_).
	MaxFilterItems = 10_000
	// MaxLogBatch bounds the records of one POST /logs/ body.
	MaxLogBatch = 100_000
	// MaxSavedSearchFilters bounds the filters of one saved search.
	MaxSavedSearchFilters = 1000
	// MaxHistoryIntervals is how many intervals a history answer has at
	// most: 2.7.12 also stops at 500.
	MaxHistoryIntervals = 500
	// MaxValidationErrors bounds the errors listed in one 422 answer.
	MaxValidationErrors = 1000
)

// A rules value is the bounds read from one struct field's tags.
type rules struct {
	minLength, maxLength         int // -1: none
	itemMinLength, itemMaxLength int
	minItems, maxItems           int
	minimum, maximum             *float64
	enum                         []string
	format                       string
	pattern                      *regexp.Regexp
}

var noRules = rules{minLength: -1, maxLength: -1, itemMinLength: -1, itemMaxLength: -1, minItems: -1, maxItems: -1}

// itemRules are the rules that apply to each item of a list field.
func (r rules) items() rules {
	out := noRules
	out.minLength, out.maxLength = r.itemMinLength, r.itemMaxLength
	return out
}

// fieldSpec is one JSON member of a struct type.
type fieldSpec struct {
	name     string
	typ      reflect.Type
	required bool
	nullable *bool // the `nullable` tag, when given
	rules    rules
}

type structSpec struct {
	fields map[string]*fieldSpec
	order  []*fieldSpec
	strict bool
	// exact: a request type of this package or a store filter, whose Go
	// types and tags say where null is allowed (see domainNullable).
	exact bool
}

var specCache sync.Map // reflect.Type -> *structSpec

// specOf reads (once per type) the JSON members and tag rules of struct t.
func specOf(t reflect.Type) *structSpec {
	if v, ok := specCache.Load(t); ok {
		return v.(*structSpec)
	}
	pkg := t.PkgPath()
	sp := &structSpec{fields: map[string]*fieldSpec{}, strict: reflect.PointerTo(t).Implements(strictIface),
		exact: pkg == "" || strings.HasSuffix(pkg, "/internal/api") || strings.HasSuffix(pkg, "/internal/store")}
	addFields(sp, t)
	specCache.Store(t, sp)
	return sp
}

// addFields adds t's JSON members; as in encoding/json, a field declared
// directly wins over one of the same name from an embedded struct.
func addFields(sp *structSpec, t reflect.Type) {
	var embedded []reflect.Type
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name := strings.Split(tag, ",")[0]
		if f.Anonymous && name == "" {
			embedded = append(embedded, derefType(f.Type))
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := sp.fields[name]; dup {
			continue
		}
		fs := &fieldSpec{name: name, typ: f.Type, required: f.Tag.Get("required") == "true", rules: parseRules(f.Tag)}
		if v, ok := f.Tag.Lookup("nullable"); ok {
			b := v == "true"
			fs.nullable = &b
		} else if !sp.exact {
			b := domainNullable(t, name, f.Type)
			fs.nullable = &b
		}
		sp.order = append(sp.order, fs)
		sp.fields[name] = fs
	}
	for _, e := range embedded {
		addFields(sp, e)
	}
}

// optionalDomainFields are the fields of domain models (internal/core)
// that 2.7 declares Optional although their Go type is a plain value.
var optionalDomainFields = map[reflect.Type]map[string]bool{
	reflect.TypeOf(core.FlowRunPolicy{}): {"resuming": true},
}

// domainNullable says whether a field of a domain model (a struct outside
// this package and the store, whose types carry no tags) takes a null.
// pydantic v1 refuses null for a field that is not Optional; in these
// models a plain Go scalar is such a field (Optional ones are pointers,
// or listed in optionalDomainFields), while their lists, maps and structs
// are Optional in 2.7 (tags, pause_keys, deployment_ids).
func domainNullable(owner reflect.Type, name string, t reflect.Type) bool {
	if optionalDomainFields[owner][name] {
		return true
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.String:
		return false
	}
	return true
}

// enumType is jsonschema-go's Enum interface: a string type that lists
// its values (store.Operator), read by the document and the checker alike.
type enumType interface{ Enum() []any }

var enumCache sync.Map // reflect.Type -> []string

// typeEnum lists the values of a string type implementing enumType.
func typeEnum(t reflect.Type) []string {
	if v, ok := enumCache.Load(t); ok {
		return v.([]string)
	}
	var out []string
	if e, ok := reflect.Zero(t).Interface().(enumType); ok {
		for _, v := range e.Enum() {
			out = append(out, fmt.Sprint(v))
		}
	}
	enumCache.Store(t, out)
	return out
}

// fold finds the field encoding/json would decode key into when no field
// has exactly that name.
func (sp *structSpec) fold(key string) *fieldSpec {
	for _, f := range sp.order {
		if strings.EqualFold(f.name, key) {
			return f
		}
	}
	return nil
}

func parseRules(tag reflect.StructTag) rules {
	r := noRules
	ints := []struct {
		keys []string
		dst  *int
	}{
		{[]string{"minLength"}, &r.minLength}, {[]string{"maxLength"}, &r.maxLength},
		{[]string{"itemMinLength", "items.minLength"}, &r.itemMinLength},
		{[]string{"itemMaxLength", "items.maxLength"}, &r.itemMaxLength},
		{[]string{"minItems"}, &r.minItems}, {[]string{"maxItems"}, &r.maxItems},
	}
	for _, it := range ints {
		for _, k := range it.keys {
			if v, ok := tag.Lookup(k); ok {
				n, err := strconv.Atoi(v)
				if err != nil {
					panic(fmt.Sprintf("api: bad %s tag %q", k, v)) // a programming error, caught by any test
				}
				*it.dst = n
			}
		}
	}
	for k, dst := range map[string]**float64{"minimum": &r.minimum, "maximum": &r.maximum} {
		if v, ok := tag.Lookup(k); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				panic(fmt.Sprintf("api: bad %s tag %q", k, v))
			}
			*dst = &f
		}
	}
	if v, ok := tag.Lookup("enum"); ok {
		if strings.HasPrefix(v, "[") {
			if err := json.Unmarshal([]byte(v), &r.enum); err != nil {
				panic(fmt.Sprintf("api: bad enum tag %q", v))
			}
		} else {
			r.enum = strings.Split(v, ",")
		}
	}
	r.format = tag.Get("format")
	if v, ok := tag.Lookup("pattern"); ok {
		r.pattern = regexp.MustCompile(v) // a bad tag is a programming error, caught by any test
	}
	return r
}

// The patterns 2.7 checks with its own words rather than pydantic's regex
// message.
const (
	// invalidNamePattern: flow, deployment, work queue and block type names
	// (2.7's INVALID_CHARACTERS).
	invalidNamePattern = `^[^/%&><]*$`
	// lowerSlugPattern: block type slugs and block document names.
	lowerSlugPattern = `^[a-z0-9-]*$`
)

// patternError words a pattern mismatch of value in field as 2.7 does.
func patternError(pattern, field, value string) (msg, typ string) {
	switch pattern {
	case invalidNamePattern:
		return "Name " + pyRepr(value) + " contains an invalid character. Must not contain any of: ['/', '%', '&', '>', '<'].", "value_error.invalidname"
	case lowerSlugPattern:
		return field + " must only contain lowercase letters, numbers, and dashes", "value_error"
	}
	return fmt.Sprintf("string does not match regex \"%s\"", pattern), "value_error.str.regex"
}

// pyRepr quotes s as Python's repr does for ordinary strings.
func pyRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

// bodyTagged is a body type that is not a struct (a list) and so carries
// its bounds in a method instead of a field tag.
type bodyTagged interface{ bodyTag() reflect.StructTag }

// optionalType is implemented by optional[T]: the validator checks its
// value as a T that may be null.
type optionalType interface{ schemaType() any }

var (
	optionalIface    = reflect.TypeOf((*optionalType)(nil)).Elem()
	rawMessageType   = reflect.TypeOf(json.RawMessage(nil))
	uuidType         = reflect.TypeOf(uuid.UUID{})
	timeType         = reflect.TypeOf(core.Time{})
	durationType     = reflect.TypeOf(core.Duration(0))
	stateTypeType    = reflect.TypeOf(core.StateType(""))
	unmarshalerIface = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
	textUnmarshaler  = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

// checker walks a JSON document alongside the Go type it will be decoded
// into, collecting pydantic-style errors before encoding/json runs: every
// type error with its full location (encoding/json stops at the first and
// loses the location inside custom unmarshalers), nulls where 2.7 forbids
// them (encoding/json silently ignores a null for a non-pointer), extra keys
// of strict models, required keys, the tag bounds, and strings that are not
// valid UTF-8 (encoding/json silently replaces those bytes).
type checker struct {
	errs []fieldError
	// strictAll makes every nested struct reject unknown keys (filters).
	strictAll bool
}

// checkJSON validates raw (valid JSON) against type t. loc is under "body".
func checkJSON(raw []byte, t reflect.Type, strictAll bool, loc ...any) []fieldError {
	c := &checker{strictAll: strictAll}
	r := noRules
	if bt, ok := reflect.Zero(derefType(t)).Interface().(bodyTagged); ok {
		r = parseRules(bt.bodyTag())
	}
	c.value(raw, t, r, append([]any{"body"}, loc...))
	return c.errs
}

func (c *checker) add(loc []any, msg, typ string, ctx map[string]any) {
	if len(c.errs) >= MaxValidationErrors {
		return
	}
	c.errs = append(c.errs, fieldError{Loc: append([]any(nil), loc...), Msg: msg, Type: typ, Ctx: ctx})
}

func (c *checker) full() bool { return len(c.errs) >= MaxValidationErrors }

// nullableType reports whether Go type t holds a JSON null as "no value"
// (Optional in 2.7); other types would silently drop the null.
func nullableType(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		return true
	}
	return t == rawMessageType || infoOf(t).t != t
}

// Classes of types the checker treats by their JSON form, not their kind.
const (
	classKind        = iota // checked by reflect.Kind
	classAny                // json.RawMessage, interface{}: any JSON
	classUUID               // uuid.UUID
	classTime               // core.Time
	classDuration           // core.Duration
	classStateType          // core.StateType
	classUnmarshaler        // another custom decoder: tried on the value
)

// typeInfo is what the checker needs of a type, computed once.
type typeInfo struct {
	t     reflect.Type // pointers removed, optional[T] resolved to T
	class int
}

var typeInfoCache sync.Map // reflect.Type -> *typeInfo

func infoOf(t reflect.Type) *typeInfo {
	if v, ok := typeInfoCache.Load(t); ok {
		return v.(*typeInfo)
	}
	u := t
	if u.Implements(optionalIface) {
		u = reflect.TypeOf(reflect.Zero(u).Interface().(optionalType).schemaType()).Elem()
	}
	u = derefType(u)
	ti := &typeInfo{t: u, class: classKind}
	switch {
	case u == rawMessageType || u.Kind() == reflect.Interface:
		ti.class = classAny
	case u == uuidType:
		ti.class = classUUID
	case u == timeType:
		ti.class = classTime
	case u == durationType:
		ti.class = classDuration
	case u == stateTypeType:
		ti.class = classStateType
	case reflect.PointerTo(u).Implements(unmarshalerIface) || reflect.PointerTo(u).Implements(textUnmarshaler):
		ti.class = classUnmarshaler
	}
	typeInfoCache.Store(t, ti)
	return ti
}

// value checks one JSON value (raw, trimmed) against t with the rules r.
func (c *checker) value(raw []byte, t reflect.Type, r rules, loc []any) {
	if c.full() || len(raw) == 0 {
		return
	}
	if raw[0] == 'n' { // null: the caller has decided it is allowed
		return
	}
	ti := infoOf(t)
	t = ti.t
	switch ti.class {
	case classAny:
		if !validText(raw) {
			c.add(loc, "value is not valid UTF-8", "value_error.unicode", nil)
		}
		return
	case classUUID:
		s, ok := c.str(raw, loc, noRules)
		if ok {
			if _, err := uuid.Parse(s); err != nil {
				c.add(loc, "value is not a valid uuid", "type_error.uuid", nil)
			}
		}
		return
	case classTime:
		s, ok := c.str(raw, loc, noRules)
		if ok {
			if _, err := core.ParseTime(s); err != nil {
				c.add(loc, "invalid datetime format", "value_error.datetime", nil)
			}
		}
		return
	case classDuration:
		var d core.Duration
		if !validText(raw) || d.UnmarshalJSON(raw) != nil {
			c.add(loc, "invalid duration format", "value_error.duration", nil)
		}
		return
	case classStateType:
		s, ok := c.str(raw, loc, noRules)
		if ok && !core.StateType(s).Valid() {
			c.enumError(loc, core.StateTypes())
		}
		return
	case classUnmarshaler:
		if !validText(raw) || json.Unmarshal(raw, reflect.New(t).Interface()) != nil {
			k := kindName(t)
			c.add(loc, "value is not a valid "+k, "type_error."+k, nil)
		}
		return
	}
	switch t.Kind() {
	case reflect.String:
		s, ok := c.str(raw, loc, r)
		enum := r.enum
		if len(enum) == 0 {
			enum = typeEnum(t)
		}
		if ok && len(enum) > 0 && !containsStr(enum, s) {
			c.enumError(loc, enum)
		}
		if ok && r.format != "" {
			c.format(s, r.format, loc)
		}
		if ok && r.pattern != nil && !r.pattern.MatchString(s) {
			field, _ := loc[len(loc)-1].(string)
			msg, typ := patternError(r.pattern.String(), field, s)
			c.add(loc, msg, typ, map[string]any{"pattern": r.pattern.String()})
		}
	case reflect.Bool:
		if raw[0] != 't' && raw[0] != 'f' {
			c.add(loc, "value could not be parsed to a boolean", "type_error.bool", nil)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(string(raw), 10, t.Bits())
		if err != nil {
			c.add(loc, "value is not a valid integer", "type_error.integer", nil)
			return
		}
		c.bounds(float64(n), r, loc)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(string(raw), 10, t.Bits())
		if err != nil {
			c.add(loc, "value is not a valid integer", "type_error.integer", nil)
			return
		}
		c.bounds(float64(n), r, loc)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(string(raw), t.Bits())
		if raw[0] == '"' || raw[0] == '{' || raw[0] == '[' || raw[0] == 't' || raw[0] == 'f' || err != nil || math.IsInf(f, 0) {
			c.add(loc, "value is not a valid float", "type_error.float", nil)
			return
		}
		c.bounds(f, r, loc)
	case reflect.Slice, reflect.Array:
		if raw[0] != '[' {
			c.add(loc, "value is not a valid list", "type_error.list", nil)
			return
		}
		items := arrayItems(raw)
		if r.maxItems >= 0 && len(items) > r.maxItems {
			c.add(loc, fmt.Sprintf("ensure this value has at most %d items", r.maxItems), "value_error.list.max_items", map[string]any{"limit_value": r.maxItems})
			return // the items are not worth checking
		}
		if r.minItems >= 0 && len(items) < r.minItems {
			c.add(loc, fmt.Sprintf("ensure this value has at least %d items", r.minItems), "value_error.list.min_items", map[string]any{"limit_value": r.minItems})
		}
		et := t.Elem()
		ir := r.items()
		for i, it := range items {
			c.member(it, et, ir, nil, false, append(loc, i))
			if c.full() {
				return
			}
		}
	case reflect.Map:
		if raw[0] != '{' {
			c.add(loc, "value is not a valid dict", "type_error.dict", nil)
			return
		}
		members, _ := objectMembers(raw)
		for _, m := range members {
			if !validText([]byte(m.key)) {
				c.add(append(loc, m.key), "value is not valid UTF-8", "value_error.unicode", nil)
				continue
			}
			c.member(m.val, t.Elem(), noRules, nil, false, append(loc, m.key))
			if c.full() {
				return
			}
		}
	case reflect.Struct:
		if raw[0] != '{' {
			c.add(loc, "value is not a valid dict", "type_error.dict", nil)
			return
		}
		c.object(raw, t, loc)
	}
}

// member checks one object member or list item, first for null.
func (c *checker) member(raw []byte, t reflect.Type, r rules, nullable *bool, required bool, loc []any) {
	if len(raw) > 0 && raw[0] == 'n' {
		ok := nullableType(t) && !required
		if nullable != nil {
			ok = *nullable
		}
		if !ok {
			c.add(loc, "none is not an allowed value", "type_error.none.not_allowed", nil)
		}
		return
	}
	c.value(raw, t, r, loc)
}

func (c *checker) object(raw []byte, t reflect.Type, loc []any) {
	sp := specOf(t)
	members, _ := objectMembers(raw)
	seen := make(map[string]bool, len(members))
	for _, m := range members {
		seen[m.key] = true
		f, ok := sp.fields[m.key]
		if !ok && (sp.strict || c.strictAll) {
			c.add(append(loc, m.key), "extra fields not permitted", "value_error.extra", nil)
			continue
		}
		if !ok {
			// encoding/json matches keys case-insensitively ("Limit" fills
			// limit), so what it will decode is checked as that field.
			if f = sp.fold(m.key); f == nil {
				continue
			}
			seen[f.name] = true
		}
		c.member(m.val, f.typ, f.rules, f.nullable, f.required, append(loc, m.key))
		if c.full() {
			return
		}
	}
	for _, f := range sp.order {
		if f.required && !seen[f.name] {
			c.add(append(loc, f.name), "field required", "value_error.missing", nil)
		}
	}
}

// str checks that raw is a JSON string of valid text within r's length
// bounds, and returns it decoded.
func (c *checker) str(raw []byte, loc []any, r rules) (string, bool) {
	if raw[0] != '"' {
		c.add(loc, "str type expected", "type_error.str", nil)
		return "", false
	}
	if !validText(raw) {
		c.add(loc, "value is not valid UTF-8", "value_error.unicode", nil)
		return "", false
	}
	var s string
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		s = string(inner)
	} else if json.Unmarshal(raw, &s) != nil {
		c.add(loc, "str type expected", "type_error.str", nil)
		return "", false
	}
	if r.maxLength >= 0 || r.minLength >= 0 {
		n := utf8.RuneCountInString(s)
		if r.maxLength >= 0 && n > r.maxLength {
			c.add(loc, fmt.Sprintf("ensure this value has at most %d characters", r.maxLength), "value_error.any_str.max_length", map[string]any{"limit_value": r.maxLength})
			return s, false
		}
		if r.minLength >= 0 && n < r.minLength {
			c.add(loc, fmt.Sprintf("ensure this value has at least %d characters", r.minLength), "value_error.any_str.min_length", map[string]any{"limit_value": r.minLength})
			return s, false
		}
	}
	return s, true
}

func (c *checker) bounds(f float64, r rules, loc []any) {
	if r.minimum != nil && f < *r.minimum {
		c.add(loc, "ensure this value is greater than or equal to "+num(*r.minimum), "value_error.number.not_ge", map[string]any{"limit_value": *r.minimum})
	}
	if r.maximum != nil && f > *r.maximum {
		c.add(loc, "ensure this value is less than or equal to "+num(*r.maximum), "value_error.number.not_le", map[string]any{"limit_value": *r.maximum})
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (c *checker) enumError(loc []any, allowed any) {
	var q []string
	switch a := allowed.(type) {
	case []string:
		for _, v := range a {
			q = append(q, "'"+v+"'")
		}
	case []core.StateType:
		for _, v := range a {
			q = append(q, "'"+string(v)+"'")
		}
	}
	c.add(loc, "value is not a valid enumeration member; permitted: "+strings.Join(q, ", "), "type_error.enum", map[string]any{"enum_values": q})
}

func (c *checker) format(s, format string, loc []any) {
	switch format {
	case "uuid":
		if _, err := uuid.Parse(s); err != nil {
			c.add(loc, "value is not a valid uuid", "type_error.uuid", nil)
		}
	case "date-time":
		if _, err := core.ParseTime(s); err != nil {
			c.add(loc, "invalid datetime format", "value_error.datetime", nil)
		}
	}
}

func containsStr(vs []string, s string) bool {
	for _, v := range vs {
		if v == s {
			return true
		}
	}
	return false
}

// validText reports whether the JSON text raw is valid UTF-8 with no
// unpaired surrogate escapes (\ud800 alone): encoding/json would turn
// either into U+FFFD without a word.
func validText(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	for i := 0; i+5 < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // skip the escaped character (it may be a backslash)
			continue
		}
		r := hex4(raw[i+2 : i+6])
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return false
		case r >= 0xD800 && r <= 0xDBFF:
			if i+12 > len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' {
				return false
			}
			lo := hex4(raw[i+8 : i+12])
			if lo < 0xDC00 || lo > 0xDFFF {
				return false
			}
			i += 11
		default:
			i += 5
		}
	}
	return true
}

func hex4(b []byte) int {
	n, err := strconv.ParseUint(string(b), 16, 32)
	if err != nil {
		return -1
	}
	return int(n)
}

// arrayItems splits a valid JSON array into its items.
func arrayItems(raw []byte) [][]byte {
	i := skipSpace(raw, 1)
	if i < len(raw) && raw[i] == ']' {
		return nil
	}
	var out [][]byte
	for i < len(raw) {
		end := skipValue(raw, i)
		out = append(out, raw[i:end])
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] == ']' {
			break
		}
		i = skipSpace(raw, i+1) // ','
	}
	return out
}
