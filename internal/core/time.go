package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Time is a UTC instant that travels as the ISO-8601 text the Prefect client
// writes and parses: microsecond precision and an explicit "+00:00" offset.
type Time struct{ time.Time }

// wireLayout is what every datetime we emit looks like.
const wireLayout = "2006-01-02T15:04:05.000000+00:00"

// T wraps t, truncated to microseconds (the precision Python keeps).
func T(t time.Time) Time { return Time{t.UTC().Truncate(time.Microsecond)} }

// TP is T for optional fields.
func TP(t time.Time) *Time { v := T(t); return &v }

// MarshalJSON writes the wire form.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(wireLayout) + `"`), nil
}

// UnmarshalJSON accepts RFC 3339 with "Z" or an offset, naive datetimes (taken
// as UTC, as pendulum does), a space instead of "T", and 0-9 fractional digits.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return fmt.Errorf("invalid datetime format")
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("invalid datetime format")
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

var naiveLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTime parses the datetime forms the Prefect client and users send.
func ParseTime(s string) (Time, error) {
	s = strings.TrimSpace(s)
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return T(ts), nil
	}
	// Offsets without a colon (+0000) are valid ISO-8601 too.
	if ts, err := time.Parse("2006-01-02T15:04:05.999999999-0700", s); err == nil {
		return T(ts), nil
	}
	for _, l := range naiveLayouts {
		if ts, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return T(ts), nil
		}
	}
	return Time{}, fmt.Errorf("invalid datetime format")
}

// Duration is a timedelta: JSON number of seconds on the wire; inputs may
// also be ISO-8601 durations ("PT1H30M") or "[-][D day[s], ]HH:MM:SS[.ffffff]".
type Duration time.Duration

// Seconds returns d in seconds.
func (d Duration) Seconds() float64 { return time.Duration(d).Seconds() }

// MarshalJSON writes seconds as a float, always with a fractional part as
// Python does ("0.0", "3600.0").
func (d Duration) MarshalJSON() ([]byte, error) {
	s := d.Seconds()
	out := strconv.FormatFloat(s, 'f', -1, 64)
	if !strings.ContainsAny(out, ".eE") {
		out += ".0"
	}
	return []byte(out), nil
}

// UnmarshalJSON accepts numbers and ISO-8601 duration strings.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
			return fmt.Errorf("invalid duration")
		}
		*d = Duration(f * float64(time.Second))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("invalid duration format")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

var isoDuration = regexp.MustCompile(`^([-+]?)P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// ParseDuration parses a number of seconds or an ISO-8601 duration.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) && math.Abs(f) < 1e12 {
		return Duration(f * float64(time.Second)), nil
	}
	m := isoDuration.FindStringSubmatch(strings.ToUpper(s))
	if m == nil || s == "P" || strings.HasSuffix(strings.ToUpper(s), "T") {
		return 0, fmt.Errorf("invalid duration format")
	}
	units := []float64{7 * 86400, 86400, 3600, 60, 1}
	var total float64
	for i, u := range units {
		if m[i+2] != "" {
			v, _ := strconv.ParseFloat(m[i+2], 64)
			total += v * u
		}
	}
	if m[1] == "-" {
		total = -total
	}
	if total > 1e12 {
		return 0, fmt.Errorf("invalid duration format")
	}
	return Duration(total * float64(time.Second)), nil
}
