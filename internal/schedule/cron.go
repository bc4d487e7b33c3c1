package schedule

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"time"

	robfig "github.com/robfig/cron/v3"
)

// CronSchedule fires on the wall clock of Timezone (UTC when nil/empty)
// following croniter 1.3.8's syntax: 5 fields, or 6 with seconds last;
// names; "L" (last day) in day-of-month; "d#n" and "Ld" (n-th / last
// weekday) in day-of-week; @yearly/@annually/@monthly/@weekly/@daily/
// @midnight/@hourly.
type CronSchedule struct {
	Cron string
	// Timezone is nil when the client sent none (2.7 echoes null).
	Timezone *string
	// DayOr joins day-of-month and day-of-week with OR (true, the default)
	// or AND.
	DayOr bool
}

func (*CronSchedule) isSchedule() {}

// Location returns the schedule's timezone (UTC when unset).
func (s *CronSchedule) Location() *time.Location {
	if s.Timezone == nil {
		return time.UTC
	}
	if l := loadTZ(*s.Timezone); l != nil {
		return l
	}
	return time.UTC
}

// MarshalJSON produces 2.7's shape: {"cron":...,"timezone":null,"day_or":true}.
func (s *CronSchedule) MarshalJSON() ([]byte, error) {
	return marshalOrdered("cron", s.Cron, "timezone", s.Timezone, "day_or", s.DayOr), nil
}

// UnmarshalJSON validates like 2.7's CronSchedule model.
func (s *CronSchedule) UnmarshalJSON(b []byte) error {
	o, err := decodeObject(bytes.TrimSpace(b))
	if err != nil {
		return err
	}
	v, errs := validateCron(o)
	if errs != nil {
		return &ValidationError{Errors: errs}
	}
	*s = *v
	return nil
}

func validateCron(o *object) (*CronSchedule, []FieldError) {
	var errs []FieldError
	s := &CronSchedule{DayOr: true}
	if raw, ok := o.get("cron"); !ok {
		errs = append(errs, missing("cron"))
	} else if isNull(raw) {
		errs = append(errs, noneNotAllowed("cron"))
	} else if c, ok := coerceStr(raw); !ok {
		errs = append(errs, fieldErr("cron", "str type expected", "type_error.str"))
	} else if _, err := parseCron(c); err != nil {
		msg := fmt.Sprintf("Invalid cron string: %s", quote(c))
		if errors.Is(err, errRandom) {
			msg = fmt.Sprintf("Random and Hashed expressions are unsupported, recieved: %s", quote(c))
		}
		errs = append(errs, fieldErr("cron", msg, "value_error"))
	} else {
		s.Cron = c
	}
	if raw, ok := o.get("timezone"); ok && !isNull(raw) {
		if tz, ok := coerceStr(raw); !ok {
			errs = append(errs, fieldErr("timezone", "str type expected", "type_error.str"))
		} else if tz != "" && loadTZ(tz) == nil {
			errs = append(errs, invalidTZ(tz))
		} else {
			s.Timezone = &tz
		}
	}
	if raw, ok := o.get("day_or"); ok {
		if isNull(raw) {
			errs = append(errs, noneNotAllowed("day_or"))
		} else if b, ok := coerceBool(raw); !ok {
			errs = append(errs, fieldErr("day_or", "value could not be parsed to a boolean", "type_error.bool"))
		} else {
			s.DayOr = b
		}
	}
	errs = append(errs, extraErrors(o, "cron", "timezone", "day_or")...)
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// Dates implements Schedule.
func (s *CronSchedule) Dates(start, end time.Time, n int) []time.Time {
	spec, err := parseCron(s.Cron)
	if err != nil {
		return nil
	}
	loc := s.Location()
	c := newCollector(end, n)
	// Start a few hours early on the wall clock: a wall time before the
	// start's own reading can still resolve to an instant after start (the
	// later occurrence of a repeated hour).
	cur := floating(start.In(loc)).Add(-3 * time.Hour).Truncate(time.Second)
	for {
		w, ok := spec.next(cur, s.DayOr)
		if !ok {
			break
		}
		cur = w.Add(time.Second)
		inst := resolve(w, loc, true, true)
		if inst.Before(start) {
			continue
		}
		if !c.add(inst) {
			break
		}
	}
	return c.result()
}

// ---------------------------------------------------------------------------
// croniter-compatible parsing. Minutes, hours, days of month, months and
// seconds go through robfig/cron's field parser; the croniter extensions
// robfig lacks (L, #, weekday 7 and "-0", six-field quirks) are layered on.

var errRandom = errors.New("random cron expression")

type cronSpec struct {
	sec, min, hour, dom, month uint64
	domL                       bool
	dow                        uint64 // bits 0..7 (7 only matches nothing, as in croniter's 6-field mode)
	nth                        map[int][]int
	domStar, dowStar           bool
}

var (
	cronAliases = map[string]string{
		"@midnight": "0 0 * * *", "@hourly": "0 * * * *", "@daily": "0 0 * * *",
		"@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
	}
	hashRE      = regexp.MustCompile(`^(h|r)(\((\d+)-(\d+)\))?(/(\d+))?$`)
	nthRE       = regexp.MustCompile(`^(?:(\w+)#(\d+)|l(\d+)$)`)
	stepRangeRE = regexp.MustCompile(`^([^-]+)-([^-/]+)(/(\d+))?$`)
	starStepRE  = regexp.MustCompile(`^\*(/.+)$`)
	slashRE     = regexp.MustCompile(`^(.+)/(.+)$`)
	digitsRE    = regexp.MustCompile(`^\d+$`)

	robfigParser = robfig.NewParser(robfig.Second | robfig.Minute | robfig.Hour | robfig.Dom | robfig.Month | robfig.Dow)

	dowNames   = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
	monthNames = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}
	// croniter.RANGES by field index (0 min, 1 hour, 2 dom, 3 month, 4 dow, 5 sec).
	cronRanges = [6][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}, {0, 59}}
)

func parseCron(expr string) (*cronSpec, error) {
	efl := strings.ToLower(expr)
	if a, ok := cronAliases[efl]; ok {
		efl = a
	}
	fields := strings.Fields(efl)
	if len(fields) != 5 && len(fields) != 6 {
		return nil, fmt.Errorf("exactly 5 or 6 columns")
	}
	random := false
	for i, f := range fields {
		m := hashRE.FindStringSubmatch(f)
		if m == nil {
			continue
		}
		if m[1] == "h" || m[6] == "0" {
			return nil, fmt.Errorf("hashed expression")
		}
		random = true
		fields[i] = strconv.Itoa(cronRanges[i][0])
		if m[3] != "" {
			fields[i] = strings.TrimLeft(m[3], "0")
			if fields[i] == "" {
				fields[i] = "0"
			}
		}
	}
	six := len(fields) == 6
	for _, f := range fields {
		// croniter rejects what robfig would quietly accept.
		if strings.ContainsAny(f, "?+") {
			return nil, fmt.Errorf("unsupported character")
		}
		for _, item := range strings.Split(f, ",") {
			if item == "" {
				return nil, fmt.Errorf("empty list item")
			}
			if strings.HasPrefix(item, "*") && item != "*" && !starStepRE.MatchString(item) {
				return nil, fmt.Errorf("bad star item %q", item)
			}
		}
	}

	spec := &cronSpec{}
	sec := "0"
	if six {
		sec = fields[5]
	}

	// Day of month: peel off croniter's "l" items.
	var domItems []string
	count := 0
	for _, item := range strings.Split(fields[2], ",") {
		switch {
		case item == "l":
			spec.domL = true
			count++
		case strings.HasSuffix(item, "-l") || strings.Contains(item, "-l/"):
			domItems = append(domItems, strings.Replace(item, "-l", "-31", 1))
		default:
			domItems = append(domItems, item)
		}
	}
	domField := strings.Join(domItems, ",")
	var domManual []int
	if six && domField != "" && zeroValueRE.MatchString(domField) {
		// six-field croniter maps day 0 to 1 after expanding ranges.
		vals, err := expandField(domField, 2, true)
		if err != nil {
			return nil, err
		}
		domManual = vals
		domField = ""
	}
	robDom := domField
	if robDom == "" {
		robDom = "*"
	}
	sched, err := robfigParser.Parse(strings.Join([]string{sec, fields[0], fields[1], robDom, fields[3], "*"}, " "))
	if err != nil {
		return nil, err
	}
	rs := sched.(*robfig.SpecSchedule)
	const star = uint64(1) << 63
	spec.sec, spec.min, spec.hour, spec.month = rs.Second&^star, rs.Minute&^star, rs.Hour&^star, rs.Month&^star
	if domField != "" {
		spec.dom = rs.Dom &^ star
	}
	for _, v := range domManual {
		spec.dom |= 1 << uint(v)
	}
	count += bits.OnesCount64(spec.dom)
	spec.domStar = count == 31 || hasStarItem(fields[2])

	if err := spec.parseDow(fields[4], six); err != nil {
		return nil, err
	}
	if random {
		return nil, errRandom
	}
	return spec, nil
}

var zeroValueRE = regexp.MustCompile(`(^|[,-])0+($|[,/-])`)

func hasStarItem(field string) bool {
	for _, item := range strings.Split(field, ",") {
		if item == "*" {
			return true
		}
	}
	return false
}

func (spec *cronSpec) parseDow(field string, six bool) error {
	values := map[int]bool{}
	for _, item := range strings.Split(field, ",") {
		n := 0
		if m := nthRE.FindStringSubmatch(item); m != nil {
			if m[1] != "" {
				item = m[1]
				v, err := strconv.Atoi(m[2])
				if err != nil || v < 1 || v > 5 {
					return fmt.Errorf("invalid nth %q", m[2])
				}
				n = v
			} else {
				item, n = m[3], -1
			}
		}
		vals, err := expandItem(item, 4, six)
		if err != nil {
			return err
		}
		for _, v := range vals {
			values[v] = true
			if n != 0 {
				if spec.nth == nil {
					spec.nth = map[int][]int{}
				}
				wd := v % 7 // croniter's calendar maths folds 7 onto Sunday
				spec.nth[wd] = append(spec.nth[wd], n)
			}
		}
	}
	star := len(values) == 7 || hasStarItem(field)
	if spec.nth != nil {
		for v := range values {
			if _, ok := spec.nth[v%7]; !ok && !star {
				return fmt.Errorf("mixing nth and literal weekdays")
			}
		}
	}
	for v := range values {
		if v >= 0 {
			spec.dow |= 1 << uint(v)
		}
	}
	spec.dowStar = star
	return nil
}

// expandField expands a comma-separated croniter field by hand.
func expandField(field string, idx int, six bool) ([]int, error) {
	var out []int
	for _, item := range strings.Split(field, ",") {
		v, err := expandItem(item, idx, six)
		if err != nil {
			return nil, err
		}
		out = append(out, v...)
	}
	return out, nil
}

// expandItem follows croniter's expansion of one list item of field idx;
// "*" yields -1 (meaning every value).
func expandItem(item string, idx int, six bool) ([]int, error) {
	lo, hi := cronRanges[idx][0], cronRanges[idx][1]
	t := item
	if m := starStepRE.FindStringSubmatch(t); m != nil {
		t = fmt.Sprintf("%d-%d%s", lo, hi, m[1])
	}
	m := stepRangeRE.FindStringSubmatch(t)
	if m == nil {
		if sm := slashRE.FindStringSubmatch(t); sm != nil {
			t = fmt.Sprintf("%s-%d/%s", sm[1], hi, sm[2])
			m = stepRangeRE.FindStringSubmatch(t)
		}
	}
	if m != nil {
		low, err := cronValue(m[1], idx)
		if err != nil {
			return nil, err
		}
		high, err := cronValue(m[2], idx)
		if err != nil {
			return nil, err
		}
		step := 1
		if m[4] != "" {
			step, err = strconv.Atoi(m[4])
			if err != nil || step == 0 {
				return nil, fmt.Errorf("bad step")
			}
		}
		if low > high {
			if idx == 4 && high == 0 {
				high = 7
			} else {
				return nil, fmt.Errorf("range %d-%d", low, high)
			}
		}
		if max(low, high) > hi {
			return nil, fmt.Errorf("out of bands")
		}
		var out []int
		for v := low; v <= high; v += step {
			w, err := cronSingle(v, idx, six)
			if err != nil {
				return nil, err
			}
			out = append(out, w)
		}
		return out, nil
	}
	if strings.HasPrefix(t, "-") {
		return nil, fmt.Errorf("negative")
	}
	if t == "*" {
		return []int{-1}, nil
	}
	v, err := cronValue(t, idx)
	if err != nil {
		return nil, err
	}
	w, err := cronSingle(v, idx, six)
	if err != nil {
		return nil, err
	}
	return []int{w}, nil
}

func cronValue(tok string, idx int) (int, error) {
	if digitsRE.MatchString(tok) {
		if len(tok) > 6 {
			return 0, fmt.Errorf("too large")
		}
		return strconv.Atoi(tok)
	}
	var names map[string]int
	switch idx {
	case 3:
		names = monthNames
	case 4:
		names = dowNames
	}
	if v, ok := names[tok]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("not acceptable: %q", tok)
}

// cronSingle applies croniter's LOWMAP and range check to one value.
func cronSingle(v, idx int, six bool) (int, error) {
	if idx == 4 && v == 7 && !six {
		v = 0
	}
	if idx == 2 && v == 0 && six {
		v = 1
	}
	if v < cronRanges[idx][0] || v > cronRanges[idx][1] {
		return 0, fmt.Errorf("out of range")
	}
	return v, nil
}

func (spec *cronSpec) dayMatches(t time.Time, dayOr bool) bool {
	y, mo, d := t.Date()
	last := daysIn(y, mo)
	domMatch := spec.domStar || spec.dom&(1<<uint(d)) != 0 || (spec.domL && d == last)
	wd := int(t.Weekday())
	var dowMatch bool
	if spec.nth != nil {
		for _, n := range spec.nth[wd] {
			if (n == -1 && d+7 > last) || (n > 0 && (d-1)/7+1 == n) {
				dowMatch = true
			}
		}
	} else {
		dowMatch = spec.dowStar || spec.dow&(1<<uint(wd)) != 0
	}
	if dayOr && !spec.domStar && !spec.dowStar {
		return domMatch || dowMatch
	}
	return domMatch && dowMatch
}

// next returns the first wall time >= t (floating, whole seconds) matching
// the spec, searching at most 50 years ahead as croniter does.
func (spec *cronSpec) next(t time.Time, dayOr bool) (time.Time, bool) {
	limit := t.AddDate(51, 0, 0)
	for !t.After(limit) {
		y, mo, d := t.Date()
		h, mi, s := t.Clock()
		switch {
		case spec.month&(1<<uint(mo)) == 0:
			t = time.Date(y, mo+1, 1, 0, 0, 0, 0, time.UTC)
		case !spec.dayMatches(t, dayOr):
			t = time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
		case spec.hour&(1<<uint(h)) == 0:
			t = time.Date(y, mo, d, h+1, 0, 0, 0, time.UTC)
		case spec.min&(1<<uint(mi)) == 0:
			t = time.Date(y, mo, d, h, mi+1, 0, 0, time.UTC)
		case spec.sec&(1<<uint(s)) == 0:
			t = t.Add(time.Second)
		default:
			return t, true
		}
	}
	return time.Time{}, false
}
