package schedule

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// IntervalSchedule fires at AnchorDate + k*Interval (see the package doc for
// DST handling).
type IntervalSchedule struct {
	// Interval is positive, with microsecond precision.
	Interval time.Duration
	// AnchorDate keeps the UTC offset it was given with (2.7 echoes it).
	AnchorDate time.Time
	// Timezone is an IANA name; Parse infers "UTC" when it is absent.
	Timezone string
}

func (*IntervalSchedule) isSchedule() {}

// Location returns the schedule's timezone (UTC for "" or unknown names).
func (s *IntervalSchedule) Location() *time.Location {
	if l := loadTZ(s.Timezone); l != nil {
		return l
	}
	return time.UTC
}

// MarshalJSON produces 2.7's shape: {"interval":3600.0,"anchor_date":...,"timezone":...}.
func (s *IntervalSchedule) MarshalJSON() ([]byte, error) {
	secs := float64(s.Interval.Microseconds()) / 1e6
	return marshalOrdered(
		"interval", rawJSON(orjsonFloat(secs)),
		"anchor_date", FormatISO(s.AnchorDate),
		"timezone", s.Timezone,
	), nil
}

// UnmarshalJSON validates like 2.7's IntervalSchedule model.
func (s *IntervalSchedule) UnmarshalJSON(b []byte) error {
	o, err := decodeObject(bytes.TrimSpace(b))
	if err != nil {
		return err
	}
	v, errs := validateInterval(o)
	if errs != nil {
		return &ValidationError{Errors: errs}
	}
	*s = *v
	return nil
}

// nowUTC is replaced in tests.
var nowUTC = func() time.Time { return time.Now().UTC() }

func validateInterval(o *object) (*IntervalSchedule, []FieldError) {
	var errs []FieldError
	s := &IntervalSchedule{}

	ivOK := false
	if raw, ok := o.get("interval"); !ok {
		errs = append(errs, missing("interval"))
	} else if isNull(raw) {
		errs = append(errs, noneNotAllowed("interval"))
	} else if d, fe := parseTimedelta(raw); fe != nil {
		fe.Loc = []string{"interval"}
		errs = append(errs, *fe)
	} else if d <= 0 {
		errs = append(errs, fieldErr("interval", "The interval must be positive", "value_error"))
	} else {
		s.Interval = d
		ivOK = true
	}
	_ = ivOK

	anchorOK := false
	if raw, ok := o.get("anchor_date"); !ok || isNull(raw) {
		s.AnchorDate = nowUTC().Truncate(time.Microsecond)
		anchorOK = true
	} else {
		var str string
		if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &str) == nil {
			if t, ok := parsePendulum(str); ok {
				s.AnchorDate = t
				anchorOK = true
			} else {
				errs = append(errs, fieldErr("anchor_date", "Unable to parse string ["+str+"]", "value_error.parser"))
			}
		} else {
			errs = append(errs, fieldErr("anchor_date", "Unrecognized datetime.", "value_error"))
		}
	}

	tzRaw, tzPresent := o.get("timezone")
	tzSet := false
	if tzPresent && !isNull(tzRaw) {
		tz, ok := coerceStr(tzRaw)
		if !ok {
			errs = append(errs, fieldErr("timezone", "str type expected", "type_error.str"))
		} else if tz != "" && loadTZ(tz) == nil {
			errs = append(errs, invalidTZ(tz))
		} else {
			s.Timezone = tz
			tzSet = true
		}
	}
	if !tzSet && anchorOK {
		// Anchors decoded from JSON only carry an offset, which 2.7 maps to UTC.
		s.Timezone = "UTC"
	}

	errs = append(errs, extraErrors(o, "interval", "anchor_date", "timezone")...)
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// Dates implements Schedule.
func (s *IntervalSchedule) Dates(start, end time.Time, n int) []time.Time {
	c := newCollector(end, n)
	loc := s.Location()
	iv := s.Interval.Microseconds()
	if iv <= 0 {
		return nil
	}
	anchor := s.AnchorDate
	if iv < 86400*1e6 {
		am := anchor.UnixMicro()
		at := func(k int64) time.Time { return time.UnixMicro(am + k*iv).In(loc) }
		k := ceilDiv(start.UnixMicro()-am, iv)
		for at(k).Before(start) {
			k++
		}
		for c.add(at(k)) {
			k++
		}
		return c.result()
	}
	aw := floating(anchor.In(loc)).UnixMicro()
	at := func(k int64) time.Time {
		if k == 0 {
			return anchor.In(loc)
		}
		return resolve(time.UnixMicro(aw+k*iv).UTC(), loc, true, true)
	}
	k := floorDiv(start.UnixMicro()-anchor.UnixMicro(), iv)
	for at(k).Before(start) {
		k++
	}
	for !at(k - 1).Before(start) {
		k--
	}
	for c.add(at(k)) {
		k++
	}
	return c.result()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// ---------------------------------------------------------------------------
// pydantic 1.10 timedelta parsing.

var (
	stdDurationRE = regexp.MustCompile(`^(?:(-?\d+) (?:days?, )?)?(?:(-?\d+):(\d+):(\d+)|(?:(-?\d+):)?(-?\d+))(?:\.(\d{1,6})\d{0,6})?$`)
	isoDurationRE = regexp.MustCompile(`^([-+]?)P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)
)

func parseTimedelta(raw json.RawMessage) (time.Duration, *FieldError) {
	raw = bytes.TrimSpace(raw)
	var text string
	switch {
	case string(raw) == "true":
		text = "1.000000"
	case string(raw) == "false":
		text = "0.000000"
	case raw[0] == '"':
		if json.Unmarshal(raw, &text) != nil {
			return 0, &FieldError{Msg: "invalid duration format", Type: "value_error.duration"}
		}
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil && !math.IsInf(f, 0) {
			return 0, &FieldError{Msg: "invalid duration format", Type: "value_error.duration"}
		}
		text = strconv.FormatFloat(f, 'f', 6, 64) // Python's f'{value:f}'
	default:
		return 0, &FieldError{Msg: "invalid type; expected timedelta, string, bytes, int or float", Type: "type_error"}
	}

	total := new(big.Rat)
	addPart := func(v string, unitMicros int64) {
		if v == "" {
			return
		}
		r, ok := new(big.Rat).SetString(v)
		if !ok {
			return
		}
		total.Add(total, r.Mul(r, new(big.Rat).SetInt64(unitMicros)))
	}
	sign := int64(1)
	if m := stdDurationRE.FindStringSubmatch(text); m != nil {
		days, hours := m[1], m[2]
		minutes, seconds := m[3], m[4]
		if m[2] == "" {
			minutes, seconds = m[5], m[6]
		}
		micro := m[7]
		if micro != "" {
			micro = micro + strings.Repeat("0", 6-len(micro))
			if strings.HasPrefix(seconds, "-") {
				micro = "-" + micro
			}
		}
		addPart(days, 86400e6)
		addPart(hours, 3600e6)
		addPart(minutes, 60e6)
		addPart(seconds, 1e6)
		addPart(micro, 1)
	} else if m := isoDurationRE.FindStringSubmatch(text); m != nil {
		if m[1] == "-" {
			sign = -1
		}
		addPart(m[2], 86400e6)
		addPart(m[3], 3600e6)
		addPart(m[4], 60e6)
		addPart(m[5], 1e6)
	} else {
		return 0, &FieldError{Msg: "invalid duration format", Type: "value_error.duration"}
	}
	// timedelta rounds to microseconds, half to even.
	num, den := total.Num(), total.Denom()
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	twice := new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2))
	if c := twice.Cmp(den); c > 0 || (c == 0 && q.Bit(0) == 1) {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	maxMicros := big.NewInt(math.MaxInt64 / 1000)
	if new(big.Int).Abs(q).Cmp(maxMicros) > 0 {
		return 0, &FieldError{Msg: "The interval is too large", Type: "value_error"}
	}
	return time.Duration(sign*q.Int64()) * time.Microsecond, nil
}

// ---------------------------------------------------------------------------
// pendulum.parse subset: ISO-8601 dates and datetimes.

var isoDateTimeRE = regexp.MustCompile(`^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$`)

func parsePendulum(s string) (time.Time, bool) {
	m := isoDateTimeRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	y, mo, d := atoi(m[1]), atoi(m[2]), atoi(m[3])
	h, mi, sec := atoi(m[4]), atoi(m[5]), atoi(m[6])
	us := 0
	if m[7] != "" {
		frac := m[7]
		if len(frac) > 6 {
			frac = frac[:6]
		}
		us = atoi(frac + strings.Repeat("0", 6-len(frac)))
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, time.Month(mo)) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	loc := time.UTC
	if tz := m[8]; tz != "" && tz != "Z" {
		sign := 1
		if tz[0] == '-' {
			sign = -1
		}
		digits := strings.ReplaceAll(tz[1:], ":", "")
		off := atoi(digits[:2]) * 3600
		if len(digits) > 2 {
			off += atoi(digits[2:]) * 60
		}
		loc = time.FixedZone("", sign*off)
	} else if tz == "Z" {
		loc = time.FixedZone("", 0)
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, loc), true
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
