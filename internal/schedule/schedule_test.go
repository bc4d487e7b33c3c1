package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func parseT(t *testing.T, js string) Schedule {
	t.Helper()
	s, err := Parse(json.RawMessage(js))
	if err != nil {
		t.Fatalf("Parse(%s): %v", js, err)
	}
	return s
}

func TestScheduledKey(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	id := "5f0e0c3a-1111-4222-8333-444455556666"
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2023, 2, 7, 10, 0, 0, 0, time.UTC), "2023-02-07T10:00:00+00:00"},
		{time.Date(2023, 2, 7, 10, 0, 0, 0, ny), "2023-02-07T10:00:00-05:00"},
		{time.Date(2023, 7, 7, 10, 0, 0, 0, ny), "2023-07-07T10:00:00-04:00"},
		{time.Date(2023, 2, 7, 10, 0, 0, 123456000, time.UTC), "2023-02-07T10:00:00.123456+00:00"},
		{time.Date(2023, 2, 7, 10, 0, 0, 500, time.UTC), "2023-02-07T10:00:00+00:00"}, // sub-µs dropped
		{time.Date(2023, 2, 7, 10, 0, 5, 0, kolkata), "2023-02-07T10:00:05+05:30"},
		{time.Date(1850, 1, 1, 0, 0, 0, 0, ny), "1850-01-01T00:00:00-04:56:02"}, // LMT, like Python
	} {
		if got := ScheduledKey(id, c.t); got != "scheduled "+id+" "+c.want {
			t.Errorf("ScheduledKey(%v) = %q, want suffix %q", c.t, got, c.want)
		}
	}
	// The dates a schedule returns carry its timezone, so keys do too.
	s := parseT(t, `{"cron": "0 10 * * *", "timezone": "America/New_York"}`)
	d := s.Dates(time.Date(2023, 2, 7, 0, 0, 0, 0, time.UTC), time.Time{}, 1)
	if got := ScheduledKey("x", d[0]); got != "scheduled x 2023-02-07T10:00:00-05:00" {
		t.Fatalf("got %q", got)
	}
}

func TestDSTTable(t *testing.T) {
	// Expected values checked against Prefect 2.7.12 (see golden_dates.json).
	cases := []struct {
		sched string
		start string
		n     int
		want  string // local wall times with offsets, space separated
	}{
		// New York, spring forward 2023-03-12 02:00 -> 03:00.
		{`{"cron":"0 1 * * *","timezone":"America/New_York"}`, "2023-03-11T12:00:00-05:00", 3,
			"03-12T01:00-05 03-13T01:00-04 03-14T01:00-04"},
		{`{"cron":"30 2 * * *","timezone":"America/New_York"}`, "2023-03-11T12:00:00-05:00", 3,
			"03-12T03:30-04 03-13T02:30-04 03-14T02:30-04"},
		{`{"cron":"0 * * * *","timezone":"America/New_York"}`, "2023-03-12T00:00:00-05:00", 4,
			"03-12T00:00-05 03-12T01:00-05 03-12T03:00-04 03-12T04:00-04"},
		{`{"interval":3600,"anchor_date":"2023-03-09T00:00:00-05:00","timezone":"America/New_York"}`,
			"2023-03-12T00:00:00-05:00", 4, "03-12T00:00-05 03-12T01:00-05 03-12T03:00-04 03-12T04:00-04"},
		{`{"interval":86400,"anchor_date":"2023-03-09T09:00:00-05:00","timezone":"America/New_York"}`,
			"2023-03-11T00:00:00-05:00", 3, "03-11T09:00-05 03-12T09:00-04 03-13T09:00-04"},
		// New York, fall back 2023-11-05 02:00 -> 01:00.
		{`{"cron":"0 1 * * *","timezone":"America/New_York"}`, "2023-11-04T12:00:00-04:00", 2,
			"11-05T01:00-05 11-06T01:00-05"},
		{`{"cron":"30 2 * * *","timezone":"America/New_York"}`, "2023-11-04T12:00:00-04:00", 2,
			"11-05T02:30-05 11-06T02:30-05"},
		{`{"cron":"0 * * * *","timezone":"America/New_York"}`, "2023-11-05T00:00:00-04:00", 3,
			"11-05T00:00-04 11-05T01:00-05 11-05T02:00-05"},
		{`{"interval":3600,"anchor_date":"2023-11-02T00:00:00-04:00","timezone":"America/New_York"}`,
			"2023-11-05T00:00:00-04:00", 4, "11-05T00:00-04 11-05T01:00-04 11-05T02:00-05 11-05T03:00-05"},
		{`{"interval":86400,"anchor_date":"2023-11-02T09:00:00-04:00","timezone":"America/New_York"}`,
			"2023-11-04T00:00:00-04:00", 3, "11-04T09:00-04 11-05T09:00-05 11-06T09:00-05"},
		// London, spring forward 2023-03-26 01:00 -> 02:00.
		{`{"cron":"0 1 * * *","timezone":"Europe/London"}`, "2023-03-25T12:00:00+00:00", 2,
			"03-26T02:00+01 03-27T01:00+01"},
		{`{"cron":"30 2 * * *","timezone":"Europe/London"}`, "2023-03-25T12:00:00+00:00", 2,
			"03-26T02:30+01 03-27T02:30+01"},
		{`{"cron":"0 * * * *","timezone":"Europe/London"}`, "2023-03-26T00:00:00+00:00", 3,
			"03-26T00:00+00 03-26T02:00+01 03-26T03:00+01"},
		{`{"interval":3600,"anchor_date":"2023-03-23T00:00:00+00:00","timezone":"Europe/London"}`,
			"2023-03-26T00:00:00+00:00", 3, "03-26T00:00+00 03-26T02:00+01 03-26T03:00+01"},
		// London, fall back 2023-10-29 02:00 -> 01:00.
		{`{"cron":"0 1 * * *","timezone":"Europe/London"}`, "2023-10-28T12:00:00+01:00", 2,
			"10-29T01:00+00 10-30T01:00+00"},
		{`{"cron":"0 * * * *","timezone":"Europe/London"}`, "2023-10-29T00:00:00+01:00", 3,
			"10-29T00:00+01 10-29T01:00+00 10-29T02:00+00"},
		{`{"interval":86400,"anchor_date":"2023-10-26T09:00:00+01:00","timezone":"Europe/London"}`,
			"2023-10-28T00:00:00+01:00", 3, "10-28T09:00+01 10-29T09:00+00 10-30T09:00+00"},
		// rrule resolves like dateutil: gap -> back, ambiguous -> first.
		{`{"rrule":"DTSTART:20230310T023000\nRRULE:FREQ=DAILY","timezone":"America/New_York"}`,
			"2023-03-11T00:00:00-05:00", 3, "03-11T02:30-05 03-12T01:30-05 03-13T02:30-04"},
		{`{"rrule":"DTSTART:20231103T013000\nRRULE:FREQ=DAILY","timezone":"America/New_York"}`,
			"2023-11-04T00:00:00-04:00", 3, "11-04T01:30-04 11-05T01:30-04 11-06T01:30-05"},
	}
	for _, c := range cases {
		t.Run(c.sched+" "+c.start, func(t *testing.T) {
			s := parseT(t, c.sched)
			var got []string
			for _, d := range s.Dates(mustTime(t, c.start), time.Time{}, c.n) {
				iso := FormatISO(d)
				got = append(got, iso[5:16]+iso[19:22])
			}
			if strings.Join(got, " ") != c.want {
				t.Fatalf("\nwant %s\n got %s", c.want, strings.Join(got, " "))
			}
		})
	}
}

func TestCronDayOr(t *testing.T) {
	start := mustTime(t, "2023-01-01T00:00:00Z")
	cases := []struct {
		cron  string
		dayOr bool
		want  string // dates (MM-DD)
	}{
		{"0 0 1 * 1", true, "01-01 01-02 01-09 01-16 01-23 01-30 02-01"},
		{"0 0 1 * 1", false, "05-01 2024-01-01 2024-04-01"},
		{"0 0 13 * 5", false, "01-13 10-13 2024-09-13"},        // Friday the 13th
		{"0 0 1-7 * 1", false, "01-02 02-06 03-06"},            // first Monday
		{"0 0 1-31 * 1", true, "01-02 01-09 01-16"},            // full dom counts as "*"
		{"0 0 * * 5#2", true, "01-13 02-10 03-10"},             // second Friday
		{"0 0 * * L5", true, "01-27 02-24 03-31"},              // last Friday
		{"0 0 L * *", true, "01-31 02-28 03-31"},               // last day of month
		{"0 0 L 2 *", true, "02-28 2024-02-29 2025-02-28"},     // leap years
		{"0 0 1 * 5#2", true, "01-01 01-13 02-01 02-10 03-01"}, // 2.7 raises; Orrery: OR
		{"0 0 13 * 5#2", false, "01-13 10-13 2024-09-13"},      // 2.7 raises; Orrery: AND
		{"0 0 * * 1-5", true, "01-02 01-03 01-04 01-05 01-06 01-09"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%v", c.cron, c.dayOr), func(t *testing.T) {
			s := &CronSchedule{Cron: c.cron, DayOr: c.dayOr}
			want := strings.Fields(c.want)
			var got []string
			for _, d := range s.Dates(start, time.Time{}, len(want)) {
				if d.Year() == 2023 {
					got = append(got, d.Format("01-02"))
				} else {
					got = append(got, d.Format("2006-01-02"))
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("want %v got %v", want, got)
			}
		})
	}
}

// TestCronDayOfMonthWithNthWeekday pins the behaviour where 2.7 crashes.
func TestCronDayOfMonthWithNthWeekday(t *testing.T) {
	s := parseT(t, `{"cron": "0 0 1 * 5#2"}`)
	got := formatAll(s.Dates(mustTime(t, "2023-01-01T00:00:00Z"), time.Time{}, 3))
	want := []string{"2023-01-01T00:00:00+00:00", "2023-01-13T00:00:00+00:00", "2023-02-01T00:00:00+00:00"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("want %v got %v", want, got)
	}
}

func TestDatesLimits(t *testing.T) {
	start := mustTime(t, "2023-01-01T00:00:00Z")
	for _, js := range []string{
		`{"interval": 60, "anchor_date": "2023-01-01T00:00:00Z"}`,
		`{"cron": "* * * * *"}`,
		`{"rrule": "DTSTART:20230101T000000\nRRULE:FREQ=MINUTELY"}`,
	} {
		s := parseT(t, js)
		if got := len(s.Dates(start, time.Time{}, 0)); got != 1 {
			t.Errorf("%s: default n without end = %d, want 1", js, got)
		}
		if got := len(s.Dates(start, start.AddDate(1, 0, 0), 0)); got != MaxIterations {
			t.Errorf("%s: default n with end = %d, want %d", js, got, MaxIterations)
		}
		if got := len(s.Dates(start, time.Time{}, 5000)); got != MaxIterations+2 {
			t.Errorf("%s: candidate cap = %d, want %d", js, got, MaxIterations+2)
		}
		got := s.Dates(start, start.Add(3*time.Minute), 100)
		if len(got) != 4 || !got[0].Equal(start) {
			t.Errorf("%s: [start, end] inclusive: %v", js, got)
		}
		if got := s.Dates(start.Add(time.Nanosecond), time.Time{}, 1); !got[0].Equal(start.Add(time.Minute)) {
			t.Errorf("%s: start after a date: %v", js, got)
		}
	}
}

func TestConcreteUnmarshal(t *testing.T) {
	var c CronSchedule
	if err := json.Unmarshal([]byte(`{"cron": "0 0 * * *"}`), &c); err != nil || !c.DayOr || c.Timezone != nil {
		t.Fatalf("%+v %v", c, err)
	}
	err := json.Unmarshal([]byte(`{"cron": "0 0 * * *", "x": 1}`), &c)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Errors[0].Msg != "extra fields not permitted" {
		t.Fatalf("%v", err)
	}
	var iv IntervalSchedule
	if err := json.Unmarshal([]byte(`{"interval": "PT1H30M", "anchor_date": "2023-01-01T00:00:00-05:00"}`), &iv); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(&iv)
	if string(b) != `{"interval":5400.0,"anchor_date":"2023-01-01T00:00:00-05:00","timezone":"UTC"}` {
		t.Fatalf("%s", b)
	}
	var rr RRuleSchedule
	if err := json.Unmarshal([]byte(`{"rrule": "FREQ=DAILY", "timezone": "Europe/Berlin"}`), &rr); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(&rr); string(b) != `{"rrule":"FREQ=DAILY","timezone":"Europe/Berlin"}` {
		t.Fatalf("%s", b)
	}
	if b, _ := json.Marshal(&CronSchedule{Cron: "@daily", DayOr: false}); string(b) != `{"cron":"@daily","timezone":null,"day_or":false}` {
		t.Fatalf("%s", b)
	}
	// Inside a larger document.
	var doc struct {
		Schedule *CronSchedule `json:"schedule"`
	}
	if err := json.Unmarshal([]byte(`{"schedule": {"cron": "bad"}}`), &doc); err == nil {
		t.Fatal("want error")
	}
}

func TestParseShapes(t *testing.T) {
	if s, err := Parse(json.RawMessage(" null ")); s != nil || err != nil {
		t.Fatalf("null: %v %v", s, err)
	}
	if _, err := Parse(json.RawMessage(`{"interval": 60,`)); err == nil {
		t.Fatal("truncated JSON accepted")
	}
	s := parseT(t, `[["cron", "0 0 * * *"], ["day_or", false]]`) // pydantic's dict(value)
	if c := s.(*CronSchedule); c.DayOr {
		t.Fatal("pairs not decoded")
	}
	s = parseT(t, `{"cron": "0 0 * * *", "cron": "5 0 * * *"}`) // last duplicate wins
	if c := s.(*CronSchedule); c.Cron != "5 0 * * *" {
		t.Fatal(c.Cron)
	}
	_, err := Parse(json.RawMessage(`{"interval": 0, "timezone": "Mars/Base"}`))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	if ve.Errors[0].Msg != "The interval must be positive" || ve.Errors[1].Msg != `Invalid timezone: "Mars/Base"` {
		t.Fatalf("%+v", ve.Errors)
	}
	if !strings.Contains(err.Error(), "interval: The interval must be positive") {
		t.Fatal(err.Error())
	}
}

func TestTimezoneNames(t *testing.T) {
	for _, ok := range []string{"UTC", "America/New_York", "US/Eastern", "EST5EDT", "Etc/GMT+5",
		"America/Argentina/Buenos_Aires", "Europe/Kyiv", "GMT"} {
		if loadTZ(ok) == nil {
			t.Errorf("%s rejected", ok)
		}
	}
	for _, bad := range []string{"Local", "localtime", "posix/Europe/London", "right/UTC", "Factory",
		"america/new_york", "/etc/localtime", "../etc", "Mars/Base", "UTC "} {
		if loadTZ(bad) != nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestFloatFormats(t *testing.T) {
	for f, want := range map[float64]string{3600: "3600.0", 0.5: "0.5", 1e-6: "1e-6", 1e16: "1e16",
		1e15: "1000000000000000.0", 3600.000001: "3600.000001", 0.0001: "0.0001"} {
		if got := orjsonFloat(f); got != want {
			t.Errorf("orjsonFloat(%v) = %s, want %s", f, got, want)
		}
	}
	for f, want := range map[float64]string{5: "5.0", 1e20: "1e+20", 1.5e-5: "1.5e-05", 0.25: "0.25"} {
		if got := pyFloatRepr(f); got != want {
			t.Errorf("pyFloatRepr(%v) = %s, want %s", f, got, want)
		}
	}
}

// TestRobfigMatchesCroniterExpansion cross-checks the robfig-parsed fields
// against the croniter expansion rules for the standard grammar.
func TestRobfigMatchesCroniterExpansion(t *testing.T) {
	items := []string{"*", "*/5", "*/7", "5", "0-10", "3-20/4", "10/15", "1,2,3", "59", "*/60", "7-7"}
	for _, it := range items {
		spec, err := parseCron(it + " * * * *")
		if err != nil {
			t.Fatalf("%s: %v", it, err)
		}
		vals, err := expandField(it, 0, false)
		if err != nil {
			t.Fatalf("%s: %v", it, err)
		}
		var mask uint64
		for _, v := range vals {
			if v == -1 {
				mask = 1<<60 - 1
				continue
			}
			mask |= 1 << uint(v)
		}
		if mask != spec.min {
			t.Errorf("%s: robfig %b, croniter rules %b", it, spec.min, mask)
		}
	}
}

func TestIntervalDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{
		`3600`: time.Hour, `"PT1H"`: time.Hour, `"P1DT1H"`: 25 * time.Hour, `"1 day, 0:00:01"`: 86401 * time.Second,
		`"0:01:00"`: time.Minute, `1.0000005`: 1000001 * time.Microsecond, `"PT0.0000005S"`: 0, `"3600.1234567"`: 3600123456 * time.Microsecond,
	} {
		d, fe := parseTimedelta(json.RawMessage(in))
		if fe != nil || d != want {
			t.Errorf("%s: got %v %v, want %v", in, d, fe, want)
		}
	}
	if _, fe := parseTimedelta(json.RawMessage(`1e300`)); fe == nil || fe.Msg != "The interval is too large" {
		t.Errorf("huge interval: %v", fe)
	}
}

func TestRRuleWithoutDTSTARTUsesNow(t *testing.T) {
	old := nowUTC
	defer func() { nowUTC = old }()
	nowUTC = func() time.Time { return time.Date(2023, 5, 1, 12, 34, 56, 0, time.UTC) }
	s := parseT(t, `{"rrule": "FREQ=DAILY;COUNT=2", "timezone": "Asia/Tokyo"}`)
	got := formatAll(s.Dates(mustTime(t, "2023-01-01T00:00:00Z"), time.Time{}, 5))
	want := []string{"2023-05-01T21:34:56+09:00", "2023-05-02T21:34:56+09:00"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("want %v got %v", want, got)
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"interval": 3600}`, `{"interval": "PT1H", "anchor_date": "2023-01-01T00:00:00-05:00", "timezone": "America/New_York"}`,
		`{"cron": "0 0 * * *"}`, `{"cron": "*/5 1-3 L * 5#2", "timezone": "Europe/London", "day_or": false}`,
		`{"rrule": "DTSTART:20200101T000000\nRRULE:FREQ=DAILY;COUNT=3"}`, `{"rrule": "RDATE:20221012T134000Z"}`,
		`null`, `[]`, `5`, `{"interval": 1e-7}`, `{"cron": "@daily", "timezone": ""}`,
	} {
		f.Add([]byte(seed))
	}
	start := time.Date(2023, 3, 10, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil || s == nil {
			return
		}
		b1, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := Parse(b1)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", b1, err)
		}
		b2, _ := json.Marshal(s2)
		if string(b1) != string(b2) {
			t.Fatalf("unstable: %s vs %s", b1, b2)
		}
		ds := s.Dates(start, start.AddDate(0, 0, 3), 20)
		for i := range ds {
			if ds[i].Before(start) || (i > 0 && !ds[i-1].Before(ds[i])) {
				t.Fatalf("bad dates %v", ds)
			}
		}
	})
}
