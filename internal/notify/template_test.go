package notify

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// pyVars are the variables the Python 3.11 run that produced formatCases
// used (tests/compat/.venv: "case.format(**vars)").
var pyVars = map[string]string{"a": "test", "b": "B", "q": "it's", "u": "tab\there é\u200b", "n": "line\nnext \"x\" \\", "w": "9", "p": "3", " a": "sp"}

// formatCases were produced by Python 3.11's str.format with pyVars; a
// KeyError is shown as 2.7.12's validator words it.
var formatCases = []struct{ tmpl, want, err string }{
	{"", "", ""},
	{"plain", "plain", ""},
	{"{a}", "test", ""},
	{"x{a}y{b}z", "xtestyBz", ""},
	{"{{a}}", "{a}", ""},
	{"{{{a}}}", "{test}", ""},
	{"}}", "}", ""},
	{"{a:<05}", "test0", ""},
	{"{a:^7}", " test  ", ""},
	{"{a:*^7.2}", "**te***", ""},
	{"{a:>10}", "      test", ""},
	{"{a:.2}", "te", ""},
	{"{a:0}", "test", ""},
	{"{a:x<0}", "test", ""},
	{"{a!r}", "'test'", ""},
	{"{a!s}", "test", ""},
	{"{a!a}", "'test'", ""},
	{"{a!r:>12}", "      'test'", ""},
	{"{q!r}", "\"it's\"", ""},
	{"{u!r}", "'tab\\there é\\u200b'", ""},
	{"{u!a}", "'tab\\there \\xe9\\u200b'", ""},
	{"{n!r}", "'line\\nnext \"x\" \\\\'", ""},
	{"{a:xyz}", "", "Invalid format specifier 'xyz' for object of type 'str'"},
	{"{a:+}", "", "Sign not allowed in string format specifier"},
	{"{a:d}", "", "Unknown format code 'd' for object of type 'str'"},
	{"{a:,}", "", "Cannot specify ',' with 's'."},
	{"{a:_}", "", "Cannot specify '_' with 's'."},
	{"{a:.}", "", "Format specifier missing precision"},
	{"{a!x}", "", "Unknown conversion specifier x"},
	{"{a!}", "", "unmatched '{' in format spec"},
	{"{a!rx}", "", "expected ':' after conversion specifier"},
	{"{a", "", "expected '}' before end of string"},
	{"}", "", "Single '}' encountered in format string"},
	{"{", "", "Single '{' encountered in format string"},
	{"{}", "", "Replacement index 0 out of range for positional args tuple"},
	{"{0}", "", "Replacement index 0 out of range for positional args tuple"},
	{"{1}", "", "Replacement index 1 out of range for positional args tuple"},
	{"{b2}", "", "Invalid template variable provided: 'b2'"},
	{"{a:=5}", "", "'=' alignment not allowed in string format specifier"},
	{"{a:#}", "", "Alternate form (#) not allowed in string format specifier"},
	{"{a:z}", "", "Negative zero coercion (z) not allowed in string format specifier"},
	{"{a!:}", "", "Unknown conversion specifier :"},
	{"{a!r:}", "'test'", ""},
	{"{a!:>5}", "", "expected ':' after conversion specifier"},
	{"{a!!}", "", "Unknown conversion specifier !"},
	{"{a!}x", "", "expected ':' after conversion specifier"},
	{"{a:}}", "", "Single '}' encountered in format string"},
	{"{a:{}", "", "unmatched '{' in format spec"},
	{"{a:{{}}}", "", "Invalid format specifier '{}' for object of type 'str'"},
	{"{!r}", "", "Replacement index 0 out of range for positional args tuple"},
	{"{:>5}", "", "Replacement index 0 out of range for positional args tuple"},
	{"{ a}", "sp", ""},
	{"{a }", "", "Invalid template variable provided: 'a '"},
	{"{a{b}", "", "unexpected '{' in field name"},
	{"{a:{w}}", "test     ", ""},
	{"{a:{w}.{p}}", "tes      ", ""},
	{"{a:{a:{a}}}", "", "Max string recursion exceeded"},
	{"x}y", "", "Single '}' encountered in format string"},
	{"{a}}", "", "Single '}' encountered in format string"},
	{"\u00e9{a:\u00e9^8}", "ééétestéé", ""},
	{"{a:010}", "test000000", ""},
	{"{a:<}", "test", ""},
}

func TestExecuteMatchesPython(t *testing.T) {
	t.Parallel()
	for _, tc := range formatCases {
		got, err := Execute(tc.tmpl, pyVars)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("Execute(%q) error = %v, want %q", tc.tmpl, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Execute(%q) = %q, %v; want %q", tc.tmpl, got, err, tc.want)
		}
	}
}

func TestValidateTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tmpl    string
		wantErr string
		unknown string
	}{
		{tmpl: DefaultTemplate},
		{tmpl: "Flow run {flow_run_name} with id {flow_run_id} entered state {flow_run_state_name}."},
		{tmpl: "{flow_run_notification_policy_id}{flow_id}{flow_name}{flow_run_url}{flow_run_parameters}{flow_run_state_type}{flow_run_state_timestamp}{flow_run_state_message}"},
		{tmpl: "{{not a variable}}"},
		{tmpl: "Run {flow_run_nam} failed", wantErr: "Invalid template variable provided: 'flow_run_nam'", unknown: "flow_run_nam"},
		{tmpl: "{flow_name} {bogus!r:>3}", wantErr: "Invalid template variable provided: 'bogus'", unknown: "bogus"},
		{tmpl: "{flow_name", wantErr: "expected '}' before end of string"},
		{tmpl: "{flow_name.upper}", wantErr: "attribute or index access in a template field is not supported: 'flow_name.upper'"},
		{tmpl: "{flow_name[0]}", wantErr: "attribute or index access in a template field is not supported: 'flow_name[0]'"},
	}
	for _, tc := range tests {
		err := ValidateTemplate(tc.tmpl)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("ValidateTemplate(%q) = %v", tc.tmpl, err)
			}
			continue
		}
		if err == nil || err.Error() != tc.wantErr {
			t.Errorf("ValidateTemplate(%q) = %v, want %q", tc.tmpl, err, tc.wantErr)
		}
		var uv *UnknownVariableError
		if tc.unknown != "" && (!errors.As(err, &uv) || uv.Name != tc.unknown) {
			t.Errorf("ValidateTemplate(%q): want *UnknownVariableError{%q}, got %#v", tc.tmpl, tc.unknown, err)
		}
	}
}

func TestRenderDefaultTemplate(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"flow_run_notification_policy_id": "p1", "flow_id": "f1", "flow_name": "etl", "flow_run_url": "http://ui/flow-runs/flow-run/r1",
		"flow_run_id": "r1", "flow_run_name": "brave-fox", "flow_run_parameters": "{}", "flow_run_state_type": "FAILED",
		"flow_run_state_name": "Failed", "flow_run_state_timestamp": "2023-01-02T03:04:05.000006+00:00", "flow_run_state_message": "boom",
	}
	want := "\nFlow run etl/brave-fox entered state `Failed` at 2023-01-02T03:04:05.000006+00:00.\n\nFlow ID: f1\nFlow run ID: r1\nFlow run URL: http://ui/flow-runs/flow-run/r1\nState message: boom\n"
	if got := Render(DefaultTemplate, vars); got != want {
		t.Errorf("Render(DefaultTemplate) = %q, want %q", got, want)
	}
	// A template that does not render comes back as it is.
	if got := Render("{nope}", vars); got != "{nope}" {
		t.Errorf("Render of a broken template = %q", got)
	}
}

// FuzzExecute holds that the parser never panics, that a template it
// accepts renders the variables' text, and that escaping round-trips.
func FuzzExecute(f *testing.F) {
	for _, tc := range formatCases {
		f.Add(tc.tmpl)
	}
	f.Add(DefaultTemplate)
	f.Fuzz(func(t *testing.T, tmpl string) {
		out, err := Execute(tmpl, pyVars)
		if err == nil && !strings.ContainsAny(tmpl, "{}") && out != tmpl {
			t.Fatalf("brace-free %q rendered as %q", tmpl, out)
		}
		if !utf8.ValidString(tmpl) {
			return
		}
		// Doubling every brace yields a template that renders to the input.
		esc := strings.NewReplacer("{", "{{", "}", "}}").Replace(tmpl)
		if got, err := Execute(esc, nil); err != nil || got != tmpl {
			t.Fatalf("escaped %q rendered as %q, %v", esc, got, err)
		}
	})
}
