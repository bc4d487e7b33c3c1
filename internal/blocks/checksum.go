// Package blocks holds the storage-free logic of Prefect blocks: the 2.7
// block schema checksum (which must match the Python client's bit for bit,
// since clients look schemas up by the checksum they compute), secret field
// obfuscation, the merge rules of document updates, and the built-in block
// types a 2.7 server installs.
package blocks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Checksum returns "sha256:<hex>" of a block schema's fields exactly as
// Prefect 2.7 computes it: drop every "secret_fields" key at any depth; keep
// only the definitions referenced (transitively) that are not blocks
// themselves, dropping "definitions" when none remain; then hash Python's
// json.dumps([[fields], {}], sort_keys=True).
func Checksum(fields map[string]any) (string, error) {
	f, _ := removeKey(fields, "secret_fields").(map[string]any)
	if defs, ok := f["definitions"].(map[string]any); ok && len(defs) > 0 {
		keep := nonBlockDefinitions(f, defs)
		if len(keep) > 0 {
			f["definitions"] = keep
		} else {
			delete(f, "definitions")
		}
	}
	var buf bytes.Buffer
	buf.WriteString("[[")
	if err := pyDump(&buf, f); err != nil {
		return "", err
	}
	buf.WriteString("], {}]")
	sum := sha256.Sum256(buf.Bytes())
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// removeKey returns a copy of v without key in any nested object.
func removeKey(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if k != key {
				out[k] = removeKey(val, key)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = removeKey(val, key)
		}
		return out
	}
	return v
}

func collectRefs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["$ref"].(string); ok && r != "" {
			*out = append(*out, r)
		}
		for _, val := range x {
			collectRefs(val, out)
		}
	case []any:
		for _, val := range x {
			collectRefs(val, out)
		}
	}
}

// nonBlockDefinitions follows $refs from obj and returns the referenced
// definitions that are not blocks, transitively.
func nonBlockDefinitions(obj any, defs map[string]any) map[string]any {
	out := map[string]any{}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 64 {
			return
		}
		var refs []string
		collectRefs(v, &refs)
		for _, r := range refs {
			key := strings.ReplaceAll(r, "#/definitions/", "")
			def, ok := defs[key].(map[string]any)
			if !ok || def["block_type_slug"] != nil {
				continue
			}
			if _, seen := out[key]; seen {
				continue
			}
			out[key] = def
			walk(def, depth+1)
		}
	}
	walk(obj, 0)
	return out
}

// pyDump writes v as Python's json.dumps(v, sort_keys=True) would (default
// separators, ensure_ascii).
func pyDump(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		if x {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case string:
		pyString(buf, x)
	case json.Number:
		s, err := pyNumber(string(x))
		if err != nil {
			return err
		}
		buf.WriteString(s)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			// encoding/json decodes integers to float64; Python kept them int.
			buf.WriteString(strconv.FormatInt(int64(x), 10))
		} else {
			buf.WriteString(pyFloat(x))
		}
	case int:
		buf.WriteString(strconv.Itoa(x))
	case int64:
		buf.WriteString(strconv.FormatInt(x, 10))
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteString(", ")
			}
			if err := pyDump(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case []string:
		items := make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
		return pyDump(buf, items)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return pyLess(keys[i], keys[j]) })
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteString(", ")
			}
			pyString(buf, k)
			buf.WriteString(": ")
			if err := pyDump(buf, x[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		return fmt.Errorf("unsupported value %T in block schema", v)
	}
	return nil
}

// pyLess orders strings by code point, as Python's sorted() does.
func pyLess(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		if ra[i] != rb[i] {
			return ra[i] < rb[i]
		}
	}
	return len(ra) < len(rb)
}

func pyString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (r >= 0x7f && r <= 0xffff):
				fmt.Fprintf(buf, `\u%04x`, r)
			case r > 0xffff:
				r -= 0x10000
				fmt.Fprintf(buf, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			case r == utf8.RuneError:
				buf.WriteString(`\ufffd`)
			default:
				buf.WriteRune(r)
			}
		}
	}
	buf.WriteByte('"')
}

// pyNumber renders a JSON number the way Python re-serialises it: integers
// verbatim, everything else through float repr.
func pyNumber(s string) (string, error) {
	if !strings.ContainsAny(s, ".eE") {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return s, nil
		}
		// Python ints are unbounded: keep the digits.
		return strings.TrimPrefix(s, "+"), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", err
	}
	return pyFloat(f), nil
}

// pyFloat is Python's repr(float): shortest round-trip digits, scientific
// notation when the exponent is < -4 or >= 16.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, exp)
	}
	out := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(out, ".") {
		out += ".0"
	}
	return out
}
