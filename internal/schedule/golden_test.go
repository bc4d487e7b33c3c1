package schedule

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// Golden data recorded from Prefect 2.7.12 by testdata/gen.py.

type goldenParse struct {
	Input       json.RawMessage `json:"input"`
	Output      *string         `json:"output"`
	Errors      []FieldError    `json:"errors"`
	Exception   string          `json:"exception"`
	AnchorIsNow bool            `json:"anchor_is_now"`
}

func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func withoutAnchor(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "anchor_date")
	return m
}

func sortedErrs(es []FieldError) []FieldError {
	out := append([]FieldError(nil), es...)
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := json.Marshal(out[i])
		b, _ := json.Marshal(out[j])
		return string(a) < string(b)
	})
	return out
}

func nonExtra(es []FieldError) []FieldError {
	var out []FieldError
	for _, e := range es {
		if e.Type != "value_error.extra" {
			out = append(out, e)
		}
	}
	return out
}

// isRandomCron reports the random cron forms 2.7 accepts and Orrery rejects.
func isRandomCron(raw json.RawMessage) bool {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	c, _ := m["cron"].(string)
	return c == "R(0-5) * * * *" || c == "r/5 * * * *"
}

func TestGoldenParse(t *testing.T) {
	var cases []goldenParse
	loadJSON(t, "golden_parse.json", &cases)
	if len(cases) < 200 {
		t.Fatalf("only %d golden parse cases", len(cases))
	}
	for _, c := range cases {
		name := string(c.Input)
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			s, err := Parse(c.Input)
			switch {
			case c.Exception != "":
				if err == nil {
					t.Fatalf("2.7 crashed (%s); want a validation error, got %#v", c.Exception, s)
				}
			case c.Errors != nil:
				ve, ok := err.(*ValidationError)
				if !ok {
					t.Fatalf("want validation errors %v, got %v (%#v)", c.Errors, err, s)
				}
				// pydantic reports a model's extra keys in set order: compare
				// everything as a multiset and the other errors in order.
				if !reflect.DeepEqual(sortedErrs(c.Errors), sortedErrs(ve.Errors)) ||
					!reflect.DeepEqual(nonExtra(c.Errors), nonExtra(ve.Errors)) {
					t.Fatalf("errors\nwant %+v\n got %+v", c.Errors, ve.Errors)
				}
			case c.Output == nil:
				if err != nil || s != nil {
					t.Fatalf("want nil schedule, got %v %v", s, err)
				}
			case isRandomCron(c.Input):
				// 2.7 accepts these and re-randomises them on every call.
				ve, ok := err.(*ValidationError)
				if !ok || !strings.Contains(ve.Error(), "Random and Hashed expressions are unsupported") {
					t.Fatalf("want the random-expression error, got %v", err)
				}
			default:
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				got, _ := json.Marshal(s)
				if c.AnchorIsNow {
					if !reflect.DeepEqual(withoutAnchor(t, *c.Output), withoutAnchor(t, string(got))) {
						t.Fatalf("marshal\nwant %s\n got %s", *c.Output, got)
					}
					return
				}
				if string(got) != *c.Output {
					t.Fatalf("marshal\nwant %s\n got %s", *c.Output, got)
				}
				// Round trip: our output parses back to the same output.
				s2, err := Parse(got)
				if err != nil {
					t.Fatalf("re-parse: %v", err)
				}
				if got2, _ := json.Marshal(s2); string(got2) != string(got) {
					t.Fatalf("round trip\nfirst  %s\nsecond %s", got, got2)
				}
			}
		})
	}
}

type goldenDates struct {
	Name     string          `json:"name"`
	Schedule json.RawMessage `json:"schedule"`
	Start    string          `json:"start"`
	End      *string         `json:"end"`
	N        *int            `json:"n"`
	Dates    []string        `json:"dates"`
	Differs  string          `json:"orrery_differs"`
}

// Where Orrery deliberately differs from 2.7 (see the package doc).
var orreryExpected = map[string][]string{
	"differs: daily interval, winter anchor, summer start": {
		"2023-07-01T09:00:00-04:00", "2023-07-02T09:00:00-04:00", "2023-07-03T09:00:00-04:00"},
	"differs: daily interval anchored in the spring gap": {
		"2023-03-10T02:30:00-05:00", "2023-03-11T02:30:00-05:00", "2023-03-12T03:30:00-04:00",
		"2023-03-13T02:30:00-04:00", "2023-03-14T02:30:00-04:00"},
	"differs: daily interval London 01:00 across spring gap": {
		"2023-03-25T01:00:00+00:00", "2023-03-26T02:00:00+01:00", "2023-03-27T01:00:00+01:00",
		"2023-03-28T01:00:00+01:00"},
	"dst interval Europe/London spring 1d anchor 01:00": {
		"2023-03-26T02:00:00+01:00", "2023-03-27T01:00:00+01:00", "2023-03-28T01:00:00+01:00",
		"2023-03-29T01:00:00+01:00", "2023-03-30T01:00:00+01:00", "2023-03-31T01:00:00+01:00"},
	"dst interval Europe/London spring 1d anchor 01:30": {
		"2023-03-26T02:30:00+01:00", "2023-03-27T01:30:00+01:00", "2023-03-28T01:30:00+01:00",
		"2023-03-29T01:30:00+01:00", "2023-03-30T01:30:00+01:00", "2023-03-31T01:30:00+01:00"},
	"differs: cron */15 start at first 01:00 EDT": {
		"2023-11-05T01:00:00-05:00", "2023-11-05T01:15:00-05:00", "2023-11-05T01:30:00-05:00",
		"2023-11-05T01:45:00-05:00", "2023-11-05T02:00:00-05:00", "2023-11-05T02:15:00-05:00"},
	"differs: cron daily 30 1 start just after spring gap": {
		"2023-03-13T01:30:00-04:00", "2023-03-14T01:30:00-04:00", "2023-03-15T01:30:00-04:00",
		"2023-03-16T01:30:00-04:00"},
	"differs: cron daily 0 2 start just before spring gap": {
		"2023-03-12T03:00:00-04:00", "2023-03-13T02:00:00-04:00", "2023-03-14T02:00:00-04:00",
		"2023-03-15T02:00:00-04:00"},
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func formatAll(ds []time.Time) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = FormatISO(d)
	}
	return out
}

func TestGoldenDates(t *testing.T) {
	var cases []goldenDates
	loadJSON(t, "golden_dates.json", &cases)
	if len(cases) < 300 {
		t.Fatalf("only %d golden date cases", len(cases))
	}
	seenDiffs := 0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			s, err := Parse(c.Schedule)
			if isRandomCron(c.Schedule) {
				if err == nil {
					t.Fatal("random cron accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var end time.Time
			if c.End != nil {
				end = mustTime(t, *c.End)
			}
			n := 0
			if c.N != nil {
				n = *c.N
			}
			got := formatAll(s.Dates(mustTime(t, c.Start), end, n))
			if c.Differs != "" {
				seenDiffs++
				want, ok := orreryExpected[c.Name]
				if !ok {
					t.Fatalf("no Orrery expectation for %q", c.Name)
				}
				if reflect.DeepEqual(got, c.Dates) {
					t.Fatalf("expected to differ from 2.7 (%s) but matched", c.Differs)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("\nwant %v\n got %v\n2.7: %v", want, got, c.Dates)
				}
				return
			}
			want := c.Dates
			if want == nil {
				// 2.7 raised; see TestCronDayOfMonthWithNthWeekday for the
				// one such case where Orrery finds dates.
				if strings.Contains(c.Name, "5#2") {
					return
				}
				want = []string{}
			}
			if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("\nwant %v\n got %v", want, got)
			}
		})
	}
	if seenDiffs != len(orreryExpected) {
		t.Fatalf("saw %d documented differences, want %d", seenDiffs, len(orreryExpected))
	}
}

func TestGoldenRRuleStartsAreWallClock(t *testing.T) {
	// Sanity check on the golden file itself: the TZID in DTSTART is ignored
	// by 2.7 (the wall clock takes the schedule's timezone).
	var cases []goldenDates
	loadJSON(t, "golden_dates.json", &cases)
	for _, c := range cases {
		if strings.Contains(string(c.Schedule), "TZID=Europe/Paris") && strings.HasSuffix(c.Start, "2020-01-01T00:00:00+00:00") {
			if len(c.Dates) == 0 || c.Dates[0] != "2023-01-01T09:00:00-05:00" {
				t.Fatalf("unexpected golden %v", c.Dates)
			}
			return
		}
	}
	t.Fatal("case not found")
}
