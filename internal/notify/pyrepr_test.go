package notify

import (
	"encoding/json"
	"testing"
	"time"
)

// reprCases: Python 3.11's repr(json.loads(in)).
var reprCases = []struct{ in, want string }{
	{"{}", "{}"},
	{"{\"a\": 1, \"b\": \"x\", \"c\": [true, false, null], \"d\": {\"e\": 1.5}}", "{'a': 1, 'b': 'x', 'c': [True, False, None], 'd': {'e': 1.5}}"},
	{"{\"z\": 1, \"a\": 2}", "{'z': 1, 'a': 2}"},
	{"[1.0, 100000000000000000000, 1e16, 1e15, 0.0001, 0.00001, -2.5e-7, 123456789.123, 1e300]", "[1.0, 100000000000000000000, 1e+16, 1000000000000000.0, 0.0001, 1e-05, -2.5e-07, 123456789.123, 1e+300]"},
	{"\"it's\"", "\"it's\""},
	{"{\"q\": \"say \\\"hi\\\"\\n\"}", "{'q': 'say \"hi\"\\n'}"},
	{"{\"u\": \"\u00e9\\u200b\"}", "{'u': 'é\\u200b'}"},
	{"null", "None"},
	{"3", "3"},
	{"-0.0", "-0.0"},
	{"", "None"},
	{"{bad", "{bad"},
}

func TestPythonRepr(t *testing.T) {
	t.Parallel()
	for _, tc := range reprCases {
		if got := PythonRepr(json.RawMessage(tc.in)); got != tc.want {
			t.Errorf("PythonRepr(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestPythonTimestamp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2023, 1, 2, 3, 4, 5, 6000, time.UTC), "2023-01-02T03:04:05.000006+00:00"},
		{time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC), "2023-01-02T03:04:05+00:00"},
		{time.Date(2023, 1, 2, 5, 4, 5, 123456789, time.FixedZone("x", 2*3600)), "2023-01-02T03:04:05.123456+00:00"},
	}
	for _, tc := range tests {
		if got := PythonTimestamp(tc.in); got != tc.want {
			t.Errorf("PythonTimestamp(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
