package schedule

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// RRuleSchedule fires on an RFC 5545 recurrence (DTSTART/RRULE/RDATE/
// EXRULE/EXDATE lines, parsed like dateutil's rrulestr) evaluated on the
// wall clock of Timezone.
type RRuleSchedule struct {
	RRule string
	// Timezone is an IANA name; Parse fills in "UTC" when absent.
	Timezone string
}

func (*RRuleSchedule) isSchedule() {}

// Location returns the schedule's timezone (UTC for "" or unknown names).
func (s *RRuleSchedule) Location() *time.Location {
	if l := loadTZ(s.Timezone); l != nil {
		return l
	}
	return time.UTC
}

// MarshalJSON produces 2.7's shape: {"rrule":...,"timezone":...}.
func (s *RRuleSchedule) MarshalJSON() ([]byte, error) {
	return marshalOrdered("rrule", s.RRule, "timezone", s.Timezone), nil
}

// UnmarshalJSON validates like 2.7's RRuleSchedule model.
func (s *RRuleSchedule) UnmarshalJSON(b []byte) error {
	o, err := decodeObject(bytes.TrimSpace(b))
	if err != nil {
		return err
	}
	v, errs := validateRRule(o)
	if errs != nil {
		return &ValidationError{Errors: errs}
	}
	*s = *v
	return nil
}

const missingFreqMsg = "rrule.__init__() missing 1 required positional argument: 'freq'"

func validateRRule(o *object) (*RRuleSchedule, []FieldError) {
	var errs []FieldError
	s := &RRuleSchedule{}
	if raw, ok := o.get("rrule"); !ok {
		errs = append(errs, missing("rrule"))
	} else if isNull(raw) {
		errs = append(errs, noneNotAllowed("rrule"))
	} else if r, ok := coerceStr(raw); !ok {
		errs = append(errs, fieldErr("rrule", "str type expected", "type_error.str"))
	} else if _, err := parseRRuleString(r); err != nil {
		if err.Error() == missingFreqMsg {
			errs = append(errs, fieldErr("rrule", missingFreqMsg, "type_error"))
		} else {
			errs = append(errs, fieldErr("rrule", fmt.Sprintf("Invalid RRule string %s: %s", quote(r), err), "value_error"))
		}
	} else if n := len([]rune(r)); n > MaxRRuleLength {
		head := string([]rune(r)[:40])
		errs = append(errs, fieldErr("rrule",
			fmt.Sprintf("Invalid RRule string %s\nMax length is %d, got %d", quote(head+"..."), MaxRRuleLength, n), "value_error"))
	} else {
		s.RRule = r
	}
	s.Timezone = "UTC"
	if raw, ok := o.get("timezone"); ok && !isNull(raw) {
		if tz, ok := coerceStr(raw); !ok {
			errs = append(errs, fieldErr("timezone", "str type expected", "type_error.str"))
		} else if tz != "" && loadTZ(tz) == nil {
			errs = append(errs, invalidTZ(tz))
		} else {
			s.Timezone = tz
		}
	}
	errs = append(errs, extraErrors(o, "rrule", "timezone")...)
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// maxSkipped bounds the occurrences skipped before start.
const maxSkipped = 5_000_000

// Dates implements Schedule.
func (s *RRuleSchedule) Dates(start, end time.Time, n int) []time.Time {
	set, err := parseRRuleString(s.RRule)
	if err != nil {
		return nil
	}
	loc := s.Location()
	c := newCollector(end, n)
	next := set.iterator(floating(nowUTC().In(loc)).Truncate(time.Second))
	skipped := 0
	for {
		w, ok := next()
		if !ok {
			break
		}
		inst := resolve(w, loc, false, false)
		if inst.Before(start) {
			if skipped++; skipped > maxSkipped {
				break
			}
			continue
		}
		if !c.add(inst) {
			break
		}
	}
	return c.result()
}

// ---------------------------------------------------------------------------
// dateutil rrulestr port (validation and structure); rrule-go expands rules.

type dtValue struct {
	wall  time.Time // floating
	aware bool
}

type ruleSpec struct {
	opt      rrule.ROption
	count    *int
	until    *dtValue
	interval int
}

type rruleSet struct {
	dtstart *dtValue
	rules   []ruleSpec
	exrules []ruleSpec
	rdates  []time.Time
	exdates []time.Time
}

var (
	freqMap = map[string]rrule.Frequency{"YEARLY": rrule.YEARLY, "MONTHLY": rrule.MONTHLY, "WEEKLY": rrule.WEEKLY,
		"DAILY": rrule.DAILY, "HOURLY": rrule.HOURLY, "MINUTELY": rrule.MINUTELY, "SECONDLY": rrule.SECONDLY}
	weekdayMap = map[string]rrule.Weekday{"MO": rrule.MO, "TU": rrule.TU, "WE": rrule.WE, "TH": rrule.TH,
		"FR": rrule.FR, "SA": rrule.SA, "SU": rrule.SU}
	pyIntRE  = regexp.MustCompile(`^[+-]?\d+(_\d+)*$`)
	tzidRE   = regexp.MustCompile(`TZID=([^:]+):`)
	dateRE   = regexp.MustCompile(`^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?$`)
	tooMany  = "too many values to unpack (expected 2)"
	notEnoug = "not enough values to unpack (expected 2, got 1)"
)

func pyInt(s string) (int, bool) {
	if !pyIntRE.MatchString(s) {
		return 0, false
	}
	v, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	return v, err == nil
}

func parseRRuleString(orig string) (*rruleSet, error) {
	tzids := map[string]string{}
	for _, m := range tzidRE.FindAllStringSubmatch(orig, -1) {
		tzids[strings.ToUpper(m[1])] = m[1]
	}
	s := strings.ToUpper(orig)
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty string")
	}
	lines := strings.Fields(s)
	set := &rruleSet{}
	if len(lines) == 1 && (!strings.Contains(s, ":") || strings.HasPrefix(s, "RRULE:")) {
		r, err := parseRule(lines[0], nil)
		if err != nil {
			return nil, err
		}
		set.rules = append(set.rules, *r)
		return set, nil
	}
	var rrulevals, rdatevals, exrulevals []string
	for _, line := range lines {
		name, value := "RRULE", line
		if i := strings.IndexByte(line, ':'); i >= 0 {
			name, value = line[:i], line[i+1:]
		}
		parms := strings.Split(name, ";")
		name, parms = parms[0], parms[1:]
		switch name {
		case "RRULE":
			if len(parms) > 0 {
				return nil, fmt.Errorf("unsupported RRULE parm: %s", parms[0])
			}
			rrulevals = append(rrulevals, value)
		case "RDATE":
			for _, p := range parms {
				if p != "VALUE=DATE-TIME" {
					return nil, fmt.Errorf("unsupported RDATE parm: %s", p)
				}
			}
			rdatevals = append(rdatevals, value)
		case "EXRULE":
			if len(parms) > 0 {
				return nil, fmt.Errorf("unsupported EXRULE parm: %s", parms[0])
			}
			exrulevals = append(exrulevals, value)
		case "EXDATE":
			vals, err := parseDateValue(value, parms, tzids)
			if err != nil {
				return nil, err
			}
			for _, v := range vals {
				set.exdates = append(set.exdates, v.wall)
			}
		case "DTSTART":
			vals, err := parseDateValue(value, parms, tzids)
			if err != nil {
				return nil, err
			}
			if len(vals) != 1 {
				return nil, fmt.Errorf("Multiple DTSTART values specified:%s", value)
			}
			set.dtstart = &vals[0]
		default:
			return nil, fmt.Errorf("unsupported property: %s", name)
		}
	}
	if len(rrulevals) > 1 || len(rdatevals) > 0 || len(exrulevals) > 0 || len(set.exdates) > 0 {
		for _, v := range rrulevals {
			r, err := parseRule(v, set.dtstart)
			if err != nil {
				return nil, err
			}
			set.rules = append(set.rules, *r)
		}
		for _, v := range rdatevals {
			for _, ds := range strings.Split(v, ",") {
				d, err := parseDateUtil(ds)
				if err != nil {
					return nil, err
				}
				set.rdates = append(set.rdates, d.wall)
			}
		}
		for _, v := range exrulevals {
			r, err := parseRule(v, set.dtstart)
			if err != nil {
				return nil, err
			}
			set.exrules = append(set.exrules, *r)
		}
		return set, nil
	}
	if len(rrulevals) == 0 {
		return nil, fmt.Errorf("list index out of range")
	}
	r, err := parseRule(rrulevals[0], set.dtstart)
	if err != nil {
		return nil, err
	}
	set.rules = append(set.rules, *r)
	return set, nil
}

func parseRule(line string, dtstart *dtValue) (*ruleSpec, error) {
	value := line
	if strings.Contains(line, ":") {
		parts := strings.Split(line, ":")
		if len(parts) != 2 {
			return nil, fmt.Errorf("%s", tooMany)
		}
		if parts[0] != "RRULE" {
			return nil, fmt.Errorf("unknown parameter name")
		}
		value = parts[1]
	}
	r := &ruleSpec{interval: 1}
	freqSet := false
	var byhour, byminute, bysecond []int
	var hasHour, hasMinute, hasSecond bool
	for _, pair := range strings.Split(value, ";") {
		kv := strings.Split(pair, "=")
		switch {
		case len(kv) < 2:
			return nil, fmt.Errorf("%s", notEnoug)
		case len(kv) > 2:
			return nil, fmt.Errorf("%s", tooMany)
		}
		name, val := kv[0], kv[1]
		invalid := fmt.Errorf("invalid '%s': %s", name, val)
		ints := func() ([]int, error) {
			var out []int
			for _, x := range strings.Split(val, ",") {
				v, ok := pyInt(x)
				if !ok {
					return nil, invalid
				}
				out = append(out, v)
			}
			return out, nil
		}
		var err error
		switch name {
		case "FREQ":
			f, ok := freqMap[val]
			if !ok {
				return nil, invalid
			}
			r.opt.Freq, freqSet = f, true
		case "INTERVAL", "COUNT":
			v, ok := pyInt(val)
			if !ok {
				return nil, invalid
			}
			if name == "COUNT" {
				r.count = &v
			} else {
				r.interval = v
			}
		case "UNTIL":
			d, derr := parseDateUtil(val)
			if derr != nil {
				return nil, invalid
			}
			r.until = &d
		case "WKST":
			w, ok := weekdayMap[val]
			if !ok {
				return nil, invalid
			}
			r.opt.Wkst = w
		case "BYDAY", "BYWEEKDAY":
			r.opt.Byweekday, err = parseByDay(val)
			if err != nil {
				return nil, invalid
			}
		case "BYSETPOS":
			r.opt.Bysetpos, err = ints()
		case "BYMONTH":
			r.opt.Bymonth, err = ints()
		case "BYMONTHDAY":
			r.opt.Bymonthday, err = ints()
		case "BYYEARDAY":
			r.opt.Byyearday, err = ints()
		case "BYEASTER":
			r.opt.Byeaster, err = ints()
		case "BYWEEKNO":
			r.opt.Byweekno, err = ints()
		case "BYHOUR":
			byhour, err = ints()
			hasHour = true
		case "BYMINUTE":
			byminute, err = ints()
			hasMinute = true
		case "BYSECOND":
			bysecond, err = ints()
			hasSecond = true
		default:
			return nil, fmt.Errorf("unknown parameter '%s'", name)
		}
		if err != nil {
			return nil, err
		}
	}
	// rrule.__init__ checks, in dateutil's order.
	if !freqSet {
		return nil, fmt.Errorf("%s", missingFreqMsg)
	}
	if dtstart != nil && r.until != nil && dtstart.aware != r.until.aware {
		return nil, fmt.Errorf("RRULE UNTIL values must be specified in UTC when DTSTART is timezone-aware")
	}
	for _, p := range r.opt.Bysetpos {
		if p == 0 || p < -366 || p > 366 {
			return nil, fmt.Errorf("bysetpos must be between 1 and 366, or between -366 and -1")
		}
	}
	start := floating(nowUTC()).Truncate(time.Second)
	if dtstart != nil {
		start = dtstart.wall.Truncate(time.Second)
	}
	byset := func(vals []int, from, base int) error {
		g := gcd(r.interval, base)
		for _, v := range vals {
			if g == 1 || (g != 0 && floorMod(v-from, g) == 0) {
				return nil
			}
		}
		return fmt.Errorf("Invalid rrule byxxx generates an empty set.")
	}
	if hasHour && r.opt.Freq == rrule.HOURLY {
		if err := byset(byhour, start.Hour(), 24); err != nil {
			return nil, err
		}
	}
	if hasMinute && r.opt.Freq == rrule.MINUTELY {
		if err := byset(byminute, start.Minute(), 60); err != nil {
			return nil, err
		}
	}
	if hasSecond && r.opt.Freq == rrule.SECONDLY {
		if err := byset(bysecond, start.Second(), 60); err != nil {
			return nil, err
		}
	}
	if r.opt.Freq < rrule.HOURLY { // dateutil builds datetime.time values
		for _, c := range []struct {
			vals []int
			name string
			hi   int
		}{{byhour, "hour", 23}, {byminute, "minute", 59}, {bysecond, "second", 59}} {
			for _, v := range c.vals {
				if v < 0 || v > c.hi {
					return nil, fmt.Errorf("%s must be in 0..%d", c.name, c.hi)
				}
			}
		}
	}
	r.opt.Byhour, r.opt.Byminute, r.opt.Bysecond = byhour, byminute, bysecond
	if dtstart != nil {
		r.opt.Dtstart = dtstart.wall
	}
	return r, nil
}

func gcd(a, b int) int {
	if a < 0 {
		a = -a
	}
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func floorMod(a, b int) int {
	m := a % b
	if m != 0 && (m < 0) != (b < 0) {
		m += b
	}
	return m
}

func parseByDay(val string) ([]rrule.Weekday, error) {
	var out []rrule.Weekday
	for _, wday := range strings.Split(val, ",") {
		var w string
		n := 0
		if i := strings.IndexByte(wday, '('); i >= 0 {
			w = wday[:i]
			inner := wday[i+1:]
			if len(inner) == 0 {
				return nil, fmt.Errorf("bad")
			}
			v, ok := pyInt(inner[:len(inner)-1])
			if !ok || v == 0 {
				return nil, fmt.Errorf("bad")
			}
			n = v
		} else if wday != "" {
			i := 0
			for i < len(wday) && strings.ContainsRune("+-0123456789", rune(wday[i])) {
				i++
			}
			if i == len(wday) {
				i = len(wday) - 1
			}
			prefix := wday[:i]
			w = wday[i:]
			if prefix != "" {
				v, ok := pyInt(prefix)
				if !ok || v == 0 {
					return nil, fmt.Errorf("bad")
				}
				n = v
			}
		} else {
			return nil, fmt.Errorf("Invalid (empty) BYDAY specification.")
		}
		wd, ok := weekdayMap[w]
		if !ok {
			return nil, fmt.Errorf("bad")
		}
		if n != 0 {
			wd = wd.Nth(n)
		}
		out = append(out, wd)
	}
	return out, nil
}

func parseDateValue(value string, parms []string, tzids map[string]string) ([]dtValue, error) {
	aware := false
	valueFound := false
	for _, p := range parms {
		if strings.HasPrefix(p, "TZID=") {
			parts := strings.Split(p, "TZID=")
			if name, ok := tzids[parts[len(parts)-1]]; ok && loadTZ(name) != nil {
				aware = true
			}
			continue
		}
		if p != "VALUE=DATE-TIME" && p != "VALUE=DATE" {
			return nil, fmt.Errorf("unsupported parm: %s", p)
		}
		if valueFound {
			return nil, fmt.Errorf("Duplicate value parameter found in: %s", p)
		}
		valueFound = true
	}
	var out []dtValue
	for _, ds := range strings.Split(value, ",") {
		d, err := parseDateUtil(ds)
		if err != nil {
			return nil, err
		}
		if aware {
			if d.aware {
				return nil, fmt.Errorf("DTSTART/EXDATE specifies multiple timezone")
			}
			d.aware = true
		}
		out = append(out, d)
	}
	return out, nil
}

// parseDateUtil accepts the RFC 5545 / ISO-8601 subset of dateutil's parser.
// Only the wall clock matters (2.7 re-labels every date with the schedule's
// timezone); a zone suffix just makes the value "aware".
func parseDateUtil(s string) (dtValue, error) {
	m := dateRE.FindStringSubmatch(s)
	if m == nil {
		return dtValue{}, fmt.Errorf("Unknown string format: %s", s)
	}
	atoi := func(x string) int { v, _ := strconv.Atoi(x); return v }
	y, mo, d := atoi(m[1]), atoi(m[2]), atoi(m[3])
	h, mi, sec := atoi(m[4]), atoi(m[5]), atoi(m[6])
	if mo < 1 || mo > 12 {
		return dtValue{}, fmt.Errorf("month must be in 1..12: %s", s)
	}
	if d < 1 || d > daysIn(y, time.Month(mo)) || h > 23 || mi > 59 || sec > 59 {
		return dtValue{}, fmt.Errorf("Unknown string format: %s", s)
	}
	return dtValue{wall: time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC), aware: m[7] != ""}, nil
}

// ---------------------------------------------------------------------------
// Expansion: a merge of every RRULE and RDATE minus EXRULE/EXDATE, on the
// wall clock, without duplicates (as dateutil's rruleset).

type source func() (time.Time, bool)

func (spec *ruleSpec) iterator(defaultStart time.Time) source {
	empty := func() (time.Time, bool) { return time.Time{}, false }
	if spec.count != nil && *spec.count <= 0 {
		return empty
	}
	if spec.interval <= 0 {
		return empty
	}
	opt := spec.opt
	opt.Interval = spec.interval
	if opt.Dtstart.IsZero() {
		opt.Dtstart = defaultStart
	}
	if spec.count != nil {
		opt.Count = *spec.count
	}
	if spec.until != nil {
		opt.Until = spec.until.wall
	}
	r, err := rrule.NewRRule(opt)
	if err != nil {
		return empty
	}
	return source(r.Iterator())
}

func sliceSource(ts []time.Time) source {
	sorted := append([]time.Time(nil), ts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Before(sorted[j]) })
	i := 0
	return func() (time.Time, bool) {
		if i >= len(sorted) {
			return time.Time{}, false
		}
		i++
		return sorted[i-1], true
	}
}

type peek struct {
	next source
	head time.Time
	ok   bool
}

func newPeek(s source) *peek {
	p := &peek{next: s}
	p.head, p.ok = s()
	return p
}

func (p *peek) advance() { p.head, p.ok = p.next() }

func (set *rruleSet) iterator(defaultStart time.Time) source {
	var incl, excl []*peek
	for i := range set.rules {
		incl = append(incl, newPeek(set.rules[i].iterator(defaultStart)))
	}
	incl = append(incl, newPeek(sliceSource(set.rdates)))
	for i := range set.exrules {
		excl = append(excl, newPeek(set.exrules[i].iterator(defaultStart)))
	}
	excl = append(excl, newPeek(sliceSource(set.exdates)))
	var last time.Time
	started := false
	return func() (time.Time, bool) {
		for {
			var best *peek
			for _, p := range incl {
				if p.ok && (best == nil || p.head.Before(best.head)) {
					best = p
				}
			}
			if best == nil {
				return time.Time{}, false
			}
			t := best.head
			best.advance()
			if started && t.Equal(last) {
				continue
			}
			excluded := false
			for _, e := range excl {
				for e.ok && e.head.Before(t) {
					e.advance()
				}
				if e.ok && e.head.Equal(t) {
					excluded = true
				}
			}
			if excluded {
				continue
			}
			last, started = t, true
			return t, true
		}
	}
}
