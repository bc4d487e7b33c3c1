package notify

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// PythonRepr renders a JSON value as Python's repr() of what json.loads
// returns for it, keeping object key order: how 2.7.12's message shows
// {flow_run_parameters} (a dict formatted with str()). Invalid JSON comes
// back as its text.
func PythonRepr(raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return "None"
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var b strings.Builder
	if err := reprValue(&b, dec); err != nil {
		return string(raw)
	}
	return b.String()
}

func reprValue(b *strings.Builder, dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		open, close := "{", "}"
		if v == '[' {
			open, close = "[", "]"
		}
		b.WriteString(open)
		for i := 0; dec.More(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			if v == '{' {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				b.WriteString(pyRepr(key.(string), false))
				b.WriteString(": ")
			}
			if err := reprValue(b, dec); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return err
		}
		b.WriteString(close)
	case string:
		b.WriteString(pyRepr(v, false))
	case json.Number:
		b.WriteString(pyNumber(v))
	case bool:
		if v {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case nil:
		b.WriteString("None")
	}
	return nil
}

// pyNumber is Python's repr of the int or float json.loads makes of n.
func pyNumber(n json.Number) string {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		return s // an int: Python keeps every digit
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	if math.IsInf(f, 0) {
		if f > 0 {
			return "inf"
		}
		return "-inf"
	}
	// float_repr_style 'short': the shortest round-tripping digits,
	// scientific when the exponent is < -4 or >= 16.
	exp := 0
	if f != 0 {
		exp = int(math.Floor(math.Log10(math.Abs(f))))
		// Log10 can be off by one at powers of ten; the 'e' form is exact.
		if e := strconv.FormatFloat(f, 'e', -1, 64); e != "" {
			if k := strings.IndexByte(e, 'e'); k >= 0 {
				exp, _ = strconv.Atoi(e[k+1:])
			}
		}
	}
	if exp < -4 || exp >= 16 {
		e := strconv.FormatFloat(f, 'e', -1, 64) // 1e+16, 1.5e-07
		mant, ex, _ := strings.Cut(e, "e")
		sign := ex[0]
		digits := strings.TrimLeft(ex[1:], "0")
		if len(digits) < 2 {
			digits = strings.Repeat("0", 2-len(digits)) + digits
		}
		return mant + "e" + string(sign) + digits
	}
	out := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(out, ".") {
		out += ".0"
	}
	return out
}

// PythonTimestamp is str() of the pendulum DateTime 2.7.12 reads a state
// timestamp as: ISO 8601 in UTC, microseconds only when not zero.
func PythonTimestamp(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += "." + strconv.Itoa(1000000 + us)[1:]
	}
	return s + "+00:00"
}
