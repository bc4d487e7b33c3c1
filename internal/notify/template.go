// Package notify renders flow-run notification messages and delivers them
// through the notification block types Prefect 2.7.12 registers (Slack,
// Microsoft Teams, PagerDuty, Twilio SMS, Opsgenie) plus Orrery's generic
// JSON webhook.
//
// Templates use Python's str.format syntax because that is what 2.7.12
// stores in a policy's message_template and what its notifications service
// renders: "{name}" substitutes a variable, "{{" and "}}" are literal braces,
// "{name!r}" and "{name:>10}" apply a conversion and a string format spec.
// Every variable is rendered as a string (2.7.12's validator formats the
// template with a string for every variable, so a template it accepts only
// uses string formatting).
package notify

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TemplateVariables are the names a message template may use, as 2.7.12's
// FLOW_RUN_NOTIFICATION_TEMPLATE_KWARGS lists them.
var TemplateVariables = []string{
	"flow_run_notification_policy_id",
	"flow_id",
	"flow_name",
	"flow_run_url",
	"flow_run_id",
	"flow_run_name",
	"flow_run_parameters",
	"flow_run_state_type",
	"flow_run_state_name",
	"flow_run_state_timestamp",
	"flow_run_state_message",
}

// DefaultTemplate is 2.7.12's DEFAULT_MESSAGE_TEMPLATE (textwrap.dedent of a
// triple-quoted string, so it starts and ends with a newline).
const DefaultTemplate = "\nFlow run {flow_name}/{flow_run_name} entered state `{flow_run_state_name}` at {flow_run_state_timestamp}.\n\nFlow ID: {flow_id}\nFlow run ID: {flow_run_id}\nFlow run URL: {flow_run_url}\nState message: {flow_run_state_message}\n"

// UnknownVariableError is a template naming a variable that is not one of
// TemplateVariables. Its text is 2.7.12's validator message.
type UnknownVariableError struct{ Name string }

func (e *UnknownVariableError) Error() string {
	return fmt.Sprintf("Invalid template variable provided: '%s'", e.Name)
}

// ValidateTemplate reports whether tmpl renders with TemplateVariables: a
// syntax error carries Python's wording, an unknown variable is an
// *UnknownVariableError. Attribute and index access ("{flow_name.x}",
// "{flow_name[0]}") is refused: 2.7.12 answers most of it with a 500.
func ValidateTemplate(tmpl string) error {
	vars := make(map[string]string, len(TemplateVariables))
	for _, k := range TemplateVariables {
		vars[k] = "test"
	}
	_, err := Execute(tmpl, vars)
	return err
}

// Render renders tmpl with vars. A template that does not render (see
// Execute) is returned unchanged, so a message is never lost to a template
// error; callers that must know use Execute.
func Render(tmpl string, vars map[string]string) string {
	out, err := Execute(tmpl, vars)
	if err != nil {
		return tmpl
	}
	return out
}

// Execute renders tmpl with vars as Python's tmpl.format(**vars) would with
// string values, or returns the error Python would raise (its wording).
func Execute(tmpl string, vars map[string]string) (string, error) {
	var b strings.Builder
	if err := execute(&b, tmpl, vars, 2); err != nil {
		return "", err
	}
	return b.String(), nil
}

// execute follows CPython's MarkupIterator and parse_field
// (Objects/stringlib/unicode_format.h), so errors come out in the same order
// and words; depth bounds nested fields in a format spec as Python's
// recursion depth of 2 does.
func execute(b *strings.Builder, s string, vars map[string]string, depth int) error {
	if depth <= 0 {
		return errors.New("Max string recursion exceeded")
	}
	auto := 0 // next automatic field number, for "{}" ("Replacement index")
	for i := 0; i < len(s); {
		// Literal text up to the next brace.
		j := i
		for j < len(s) && s[j] != '{' && s[j] != '}' {
			j++
		}
		b.WriteString(s[i:j])
		if j == len(s) {
			return nil
		}
		c := s[j]
		i = j + 1
		atEnd := i == len(s)
		if c == '}' && (atEnd || s[i] != '}') {
			return errors.New("Single '}' encountered in format string")
		}
		if c == '{' && atEnd {
			return errors.New("Single '{' encountered in format string")
		}
		if s[i] == c { // "{{" or "}}"
			b.WriteByte(c)
			i++
			continue
		}
		f, n, err := parseField(s[i:])
		if err != nil {
			return err
		}
		i += n
		if err := f.render(b, vars, depth, &auto); err != nil {
			return err
		}
	}
	return nil
}

// replacement is one parsed "{name!conv:spec}" field.
type replacement struct {
	name, spec string
	conv       rune
}

// parseField parses a field after its '{', returning it and the bytes it
// used (through the closing '}').
func parseField(s string) (replacement, int, error) {
	var f replacement
	i := 0
	var c byte
	for i < len(s) {
		c = s[i]
		i++
		if c == '{' {
			return f, 0, errors.New("unexpected '{' in field name")
		}
		if c == '[' {
			for i < len(s) && s[i] != ']' {
				i++
			}
			c = 0
			continue
		}
		if c == '}' || c == ':' || c == '!' {
			break
		}
		c = 0
	}
	if c == 0 {
		return f, 0, errors.New("expected '}' before end of string")
	}
	f.name = s[:i-1]
	if c == '}' {
		return f, i, nil
	}
	if c == '!' {
		if i >= len(s) {
			return f, 0, errors.New("end of string while looking for conversion specifier")
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		f.conv = r
		i += size
		if i < len(s) {
			c = s[i]
			i++
			if c == '}' {
				return f, i, nil
			}
			if c != ':' {
				return f, 0, errors.New("expected ':' after conversion specifier")
			}
		}
	}
	start, count := i, 1
	for i < len(s) {
		c = s[i]
		i++
		if c == '{' {
			count++
		} else if c == '}' {
			count--
			if count == 0 {
				f.spec = s[start : i-1]
				return f, i, nil
			}
		}
	}
	return f, 0, errors.New("unmatched '{' in format spec")
}

// render writes one field's value.
func (f replacement) render(b *strings.Builder, vars map[string]string, depth int, auto *int) error {
	first := f.name
	if k := strings.IndexAny(first, ".["); k >= 0 {
		first = first[:k]
	}
	if first == "" || isDigits(first) {
		// Positional fields: Python raises IndexError, as format() is
		// called with keyword arguments only.
		n := *auto
		if first != "" {
			n, _ = strconv.Atoi(first)
		} else {
			*auto++
		}
		return fmt.Errorf("Replacement index %d out of range for positional args tuple", n)
	}
	val, ok := vars[first]
	if !ok {
		return &UnknownVariableError{Name: first}
	}
	if first != f.name {
		return fmt.Errorf("attribute or index access in a template field is not supported: '%s'", f.name)
	}
	switch f.conv {
	case 0, 's':
	case 'r':
		val = pyRepr(val, false)
	case 'a':
		val = pyRepr(val, true)
	default:
		return fmt.Errorf("Unknown conversion specifier %c", f.conv)
	}
	spec := f.spec
	if strings.ContainsAny(spec, "{}") {
		var sb strings.Builder
		if err := execute(&sb, spec, vars, depth-1); err != nil {
			return err
		}
		spec = sb.String()
	}
	out, err := formatString(val, spec)
	if err != nil {
		return err
	}
	b.WriteString(out)
	return nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// formatString applies a format spec to a string as Python's str.__format__:
// [[fill]align][0][width][.precision][s].
func formatString(v, spec string) (string, error) {
	if spec == "" {
		return v, nil
	}
	rs := []rune(spec)
	i := 0
	fill, align, fillSet := ' ', rune(0), false
	isAlign := func(r rune) bool { return r == '<' || r == '>' || r == '^' || r == '=' }
	if len(rs) >= 2 && isAlign(rs[1]) {
		fill, align, i, fillSet = rs[0], rs[1], 2, true
	} else if len(rs) >= 1 && isAlign(rs[0]) {
		align, i = rs[0], 1
	}
	if i < len(rs) && (rs[i] == '+' || rs[i] == '-' || rs[i] == ' ') {
		return "", errors.New("Sign not allowed in string format specifier")
	}
	if i < len(rs) && rs[i] == 'z' {
		return "", errors.New("Negative zero coercion (z) not allowed in string format specifier")
	}
	if i < len(rs) && rs[i] == '#' {
		return "", errors.New("Alternate form (#) not allowed in string format specifier")
	}
	if i < len(rs) && rs[i] == '0' {
		if !fillSet {
			fill = '0'
		}
		i++
	}
	width, n := digits(rs[i:])
	i += n
	if i < len(rs) && (rs[i] == ',' || rs[i] == '_') {
		return "", fmt.Errorf("Cannot specify '%c' with 's'.", rs[i])
	}
	precision := -1
	if i < len(rs) && rs[i] == '.' {
		p, n := digits(rs[i+1:])
		if n == 0 {
			return "", errors.New("Format specifier missing precision")
		}
		precision = p
		i += 1 + n
	}
	if len(rs)-i > 1 {
		return "", fmt.Errorf("Invalid format specifier '%s' for object of type 'str'", spec)
	}
	if i < len(rs) && rs[i] != 's' {
		return "", fmt.Errorf("Unknown format code '%c' for object of type 'str'", rs[i])
	}
	if align == '=' {
		return "", errors.New("'=' alignment not allowed in string format specifier")
	}
	vr := []rune(v)
	if precision >= 0 && len(vr) > precision {
		vr = vr[:precision]
	}
	pad := width - len(vr)
	if pad <= 0 {
		return string(vr), nil
	}
	var left, right int
	switch align {
	case '>':
		left = pad
	case '^':
		left = pad / 2
		right = pad - left
	default:
		right = pad
	}
	f := string(fill)
	return strings.Repeat(f, left) + string(vr) + strings.Repeat(f, right), nil
}

// digits parses a run of ASCII digits, returning its value and length;
// huge values are clamped (Python raises "Too many decimal digits").
func digits(rs []rune) (int, int) {
	v, n := 0, 0
	for n < len(rs) && rs[n] >= '0' && rs[n] <= '9' {
		if v < 1<<20 {
			v = v*10 + int(rs[n]-'0')
		}
		n++
	}
	return v, n
}

// pyRepr is Python's repr() of a str (ascii() when ascii is set).
func pyRepr(s string, ascii bool) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// Not valid UTF-8: Python strings cannot hold it; show the byte.
			fmt.Fprintf(&b, "\\x%02x", s[i])
			i++
			continue
		}
		i += size
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && (ascii || !unicode.IsPrint(r))):
			switch {
			case r <= 0xff:
				fmt.Fprintf(&b, "\\x%02x", r)
			case r <= 0xffff:
				fmt.Fprintf(&b, "\\u%04x", r)
			default:
				fmt.Fprintf(&b, "\\U%08x", r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}
