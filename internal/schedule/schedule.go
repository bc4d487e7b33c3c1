package schedule

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // schedules must work without system tzdata
)

// MaxIterations is 2.7's cap on generated candidates (the loop stops once
// more than MaxIterations+1 candidates were examined) and the default n when
// an end is given.
const MaxIterations = 1000

// MaxRRuleLength is 2.7's limit on the length of an rrule string.
const MaxRRuleLength = 6500

// Schedule is one of *IntervalSchedule, *CronSchedule or *RRuleSchedule.
type Schedule interface {
	// Dates returns at most n dates in [start, end] (start inclusive),
	// sorted, each in the schedule's timezone. A zero end means no end.
	// n <= 0 means 2.7's default: MaxIterations with an end, else 1.
	Dates(start, end time.Time, n int) []time.Time
	// Location is the timezone dates are generated and reported in.
	Location() *time.Location
	json.Marshaler
	isSchedule()
}

// FieldError is one pydantic-style validation error. Loc is relative to the
// schedule value (callers prefix e.g. "body", "schedule").
type FieldError struct {
	Loc  []string `json:"loc"`
	Msg  string   `json:"msg"`
	Type string   `json:"type"`
}

// ValidationError lists every error pydantic reports for a schedule value
// (for the union: the errors of all three members, in order).
type ValidationError struct {
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = fmt.Sprintf("%s: %s", strings.Join(fe.Loc, "."), fe.Msg)
	}
	return "invalid schedule: " + strings.Join(parts, "; ")
}

// Parse decodes a schedule like 2.7's untagged union. JSON null yields
// (nil, nil). Validation failures are returned as *ValidationError.
func Parse(raw json.RawMessage) (Schedule, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, fmt.Errorf("schedule: empty JSON")
	}
	if string(raw) == "null" {
		return nil, nil
	}
	obj, err := decodeObject(raw)
	if err != nil {
		if _, ok := err.(notDictError); ok {
			fe := FieldError{Loc: []string{}, Msg: "value is not a valid dict", Type: "type_error.dict"}
			return nil, &ValidationError{Errors: []FieldError{fe, fe, fe}}
		}
		return nil, err
	}
	var all []FieldError
	s1, errs := validateInterval(obj)
	if errs == nil {
		return s1, nil
	}
	all = append(all, errs...)
	s2, errs := validateCron(obj)
	if errs == nil {
		return s2, nil
	}
	all = append(all, errs...)
	s3, errs := validateRRule(obj)
	if errs == nil {
		return s3, nil
	}
	all = append(all, errs...)
	return nil, &ValidationError{Errors: all}
}

// ScheduledKey is the scheduler's idempotency key for a run of deploymentID
// at t: "scheduled {deployment_id} {iso}", where iso is t as pendulum's str()
// prints it in t's own location (pass the dates Dates returns, which are in
// the schedule's timezone), e.g. "2023-02-07T10:00:00+00:00".
func ScheduledKey(deploymentID string, t time.Time) string {
	return "scheduled " + deploymentID + " " + FormatISO(t)
}

// FormatISO prints t like Python's datetime.isoformat(): microseconds only
// when non-zero, always an explicit offset ("+00:00" for UTC).
func FormatISO(t time.Time) string {
	var b strings.Builder
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	fmt.Fprintf(&b, "%04d-%02d-%02dT%02d:%02d:%02d", y, int(mo), d, h, mi, s)
	if us := t.Nanosecond() / 1000; us != 0 {
		fmt.Fprintf(&b, ".%06d", us)
	}
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign = '-'
		off = -off
	}
	fmt.Fprintf(&b, "%c%02d:%02d", sign, off/3600, off/60%60)
	if off%60 != 0 {
		fmt.Fprintf(&b, ":%02d", off%60)
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// JSON object decoding (duplicate keys: last wins, position of the first).

type object struct {
	keys []string
	vals map[string]json.RawMessage
}

func (o *object) get(k string) (json.RawMessage, bool) {
	v, ok := o.vals[k]
	return v, ok
}

type notDictError struct{}

func (notDictError) Error() string { return "value is not a valid dict" }

func decodeObject(raw []byte) (*object, error) {
	o := &object{vals: map[string]json.RawMessage{}}
	switch raw[0] {
	case '{':
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := tok.(string)
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			if _, seen := o.vals[k]; !seen {
				o.keys = append(o.keys, k)
			}
			o.vals[k] = v
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return o, nil
	case '[':
		// pydantic falls back to dict(value): [] and [[k, v], ...] work.
		var pairs []json.RawMessage
		if err := json.Unmarshal(raw, &pairs); err != nil {
			return nil, err
		}
		for _, p := range pairs {
			var kv []json.RawMessage
			var k string
			if json.Unmarshal(p, &kv) != nil || len(kv) != 2 || json.Unmarshal(kv[0], &k) != nil {
				return nil, notDictError{}
			}
			if _, seen := o.vals[k]; !seen {
				o.keys = append(o.keys, k)
			}
			o.vals[k] = kv[1]
		}
		return o, nil
	default:
		if !json.Valid(raw) {
			return nil, fmt.Errorf("schedule: invalid JSON")
		}
		return nil, notDictError{}
	}
}

// extraErrors reports keys not in fields, in input order.
func extraErrors(o *object, fields ...string) []FieldError {
	var errs []FieldError
	for _, k := range o.keys {
		known := false
		for _, f := range fields {
			if k == f {
				known = true
				break
			}
		}
		if !known {
			errs = append(errs, FieldError{Loc: []string{k}, Msg: "extra fields not permitted", Type: "value_error.extra"})
		}
	}
	return errs
}

func fieldErr(field, msg, typ string) FieldError {
	return FieldError{Loc: []string{field}, Msg: msg, Type: typ}
}

func missing(field string) FieldError {
	return fieldErr(field, "field required", "value_error.missing")
}

func noneNotAllowed(field string) FieldError {
	return fieldErr(field, "none is not an allowed value", "type_error.none.not_allowed")
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// coerceStr mirrors pydantic's str validator: strings as is, numbers and
// booleans via Python's str(). ok=false means "str type expected".
func coerceStr(v json.RawMessage) (string, bool) {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0:
		return "", false
	case v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", false
		}
		return s, true
	case string(v) == "true":
		return "True", true
	case string(v) == "false":
		return "False", true
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		lit := string(v)
		if !strings.ContainsAny(lit, ".eE") {
			if lit == "-0" {
				return "0", true
			}
			return lit, true
		}
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return "", false
		}
		return pyFloatRepr(f), true
	}
	return "", false
}

// pyFloatRepr is Python's repr(float).
func pyFloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	mant, exp := shortestDigits(f)
	if exp < -4 || exp >= 16 {
		m := mant
		if len(m) > 1 {
			m = m[:1] + "." + m[1:]
		}
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		return fmt.Sprintf("%s%se%s%02d", negSign(f), m, sign, exp)
	}
	return negSign(f) + fixedFromDigits(mant, exp)
}

// orjsonFloat formats a float like orjson (Python repr, but "1e16"/"1e-6").
func orjsonFloat(f float64) string {
	mant, exp := shortestDigits(f)
	if exp < -4 || exp >= 16 {
		m := mant
		if len(m) > 1 {
			m = m[:1] + "." + m[1:]
		}
		return fmt.Sprintf("%s%se%d", negSign(f), m, exp)
	}
	return negSign(f) + fixedFromDigits(mant, exp)
}

func negSign(f float64) string {
	if math.Signbit(f) {
		return "-"
	}
	return ""
}

// shortestDigits returns the shortest round-trip decimal digits of |f| and
// the decimal exponent of the first digit.
func shortestDigits(f float64) (string, int) {
	s := strconv.FormatFloat(math.Abs(f), 'e', -1, 64) // d.ddde±xx
	i := strings.IndexByte(s, 'e')
	exp, _ := strconv.Atoi(s[i+1:])
	return strings.Replace(s[:i], ".", "", 1), exp
}

func fixedFromDigits(mant string, exp int) string {
	if exp < 0 {
		return "0." + strings.Repeat("0", -exp-1) + mant
	}
	if len(mant) <= exp+1 {
		return mant + strings.Repeat("0", exp+1-len(mant)) + ".0"
	}
	return mant[:exp+1] + "." + mant[exp+1:]
}

// coerceBool mirrors pydantic's bool validator.
func coerceBool(v json.RawMessage) (bool, bool) {
	v = bytes.TrimSpace(v)
	switch string(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	if len(v) > 0 && v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return false, false
		}
		switch strings.ToLower(s) {
		case "1", "on", "t", "true", "y", "yes":
			return true, true
		case "0", "off", "f", "false", "n", "no":
			return false, true
		}
		return false, false
	}
	if f, err := strconv.ParseFloat(string(v), 64); err == nil {
		switch f {
		case 1:
			return true, true
		case 0:
			return false, true
		}
	}
	return false, false
}

// ---------------------------------------------------------------------------
// Timezones.

var tzNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$`)

var locCache sync.Map // name -> *time.Location

// loadTZ returns the location for an IANA name, or nil if the name is not a
// valid timezone. "" (kept on the wire as in 2.7) means UTC.
func loadTZ(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if l, ok := locCache.Load(name); ok {
		return l.(*time.Location)
	}
	if !validTimezone(name) {
		return nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	locCache.Store(name, l)
	return l
}

func validTimezone(name string) bool {
	if !tzNameRE.MatchString(name) {
		return false
	}
	switch name {
	case "Local", "localtime", "posixrules", "Factory", "leapseconds", "tzdata.zi", "zone.tab",
		"zone1970.tab", "iso3166.tab", "leap-seconds.list", "posix", "right":
		return false
	}
	for _, p := range []string{"posix/", "right/", "SystemV/"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

func invalidTZ(v string) FieldError {
	return fieldErr("timezone", fmt.Sprintf("Invalid timezone: %q", v), "value_error")
}

// quote mirrors Python's f'"{v}"' (no escaping).
func quote(s string) string { return `"` + s + `"` }

// ---------------------------------------------------------------------------
// Wall-clock helpers. A "floating" time is a time.Time in UTC whose fields
// are a wall clock reading in some other location.

func floating(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}

func offsetAt(unix int64, loc *time.Location) int64 {
	_, off := time.Unix(unix, 0).In(loc).Zone()
	return int64(off)
}

// resolve maps the wall clock w (floating) to an instant in loc. An
// ambiguous wall time resolves to its later occurrence when later is set,
// else the earlier; a non-existent one moves forward by the gap when forward
// is set, else backward.
func resolve(w time.Time, loc *time.Location, later, forward bool) time.Time {
	if loc == time.UTC {
		return w
	}
	u := w.Unix()
	ns := int64(w.Nanosecond())
	before := offsetAt(u-86400, loc)
	after := offsetAt(u+86400, loc)
	var valid []int64
	for _, o := range []int64{before, after} {
		if offsetAt(u-o, loc) == o {
			if len(valid) == 0 || valid[0] != u-o {
				valid = append(valid, u-o)
			}
		}
	}
	var inst int64
	switch len(valid) {
	case 1:
		inst = valid[0]
	case 2:
		inst = min(valid[0], valid[1])
		if later {
			inst = max(valid[0], valid[1])
		}
	default: // in a gap
		if forward {
			inst = u - before
		} else {
			inst = u - after
		}
	}
	return time.Unix(inst, ns).In(loc)
}

// collector mirrors 2.7's generator loop: stop past end, skip duplicates,
// stop once n dates are collected or more than MaxIterations+1 candidates
// were examined; the result is sorted.
type collector struct {
	end     time.Time
	hasEnd  bool
	n       int
	counter int
	seen    map[int64]struct{}
	dates   []time.Time
}

func newCollector(end time.Time, n int) *collector {
	c := &collector{end: end, hasEnd: !end.IsZero(), n: n, seen: map[int64]struct{}{}}
	if n <= 0 {
		if c.hasEnd {
			c.n = MaxIterations
		} else {
			c.n = 1
		}
	}
	return c
}

// add offers the next candidate; it returns false when generation must stop.
func (c *collector) add(t time.Time) bool {
	if c.hasEnd && t.After(c.end) {
		return false
	}
	// 2.7 dedupes with a set of datetimes sharing one tzinfo, and Python
	// compares those by wall clock: the second occurrence of a repeated wall
	// time is dropped (an hourly interval skips 01:00 EST on fall-back day).
	k := floating(t).UnixNano()
	if _, dup := c.seen[k]; !dup {
		c.seen[k] = struct{}{}
		c.dates = append(c.dates, t)
	}
	if len(c.dates) >= c.n || c.counter > MaxIterations {
		return false
	}
	c.counter++
	return true
}

func (c *collector) result() []time.Time {
	sort.Slice(c.dates, func(i, j int) bool { return c.dates[i].Before(c.dates[j]) })
	return c.dates
}

func marshalOrdered(kv ...any) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, kv[i].(string))
		b.WriteByte(':')
		switch v := kv[i+1].(type) {
		case rawJSON:
			b.WriteString(string(v))
		case string:
			writeJSONString(&b, v)
		case *string:
			if v == nil {
				b.WriteString("null")
			} else {
				writeJSONString(&b, *v)
			}
		case bool:
			b.WriteString(strconv.FormatBool(v))
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

type rawJSON string

func writeJSONString(b *bytes.Buffer, s string) {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Write(bytes.TrimRight(tmp.Bytes(), "\n"))
}
